"""The footer: Textual's, keeping the keys that matter when the terminal is narrow.

Textual's footer cuts the line wherever it runs out of room (at 80 columns the board's read
"p P…"). This one leaves out secondary keys first, in the order given, until the rest fits;
a wide terminal shows them all. Left-out keys still work and stay in `?` and the palette.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Binding ids shown only when there is room, the first left out first.
SECONDARY = (
    "list.delete", "list.stage", "list.tag", "list.owner", "list.sort", "list.views",
    "table.mark", "board.new", "board.prev", "agenda.horizon",
    "record.snooze", "record.email", "record.back", "record.note", "record.call",
    "app.help",  # `?` is the last to go: it is also in the palette
)


def key_width(key: FooterKey) -> int:
    """Cells a key takes in the footer: " k " and "description " (Textual's padding)."""
    width = cell_len(key.key_display) + 2
    if key.description:
        width += cell_len(key.description) + 1
    return width


class CrmFooter(Footer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fitted_width = 0

    def compose(self):
        keys = list(super().compose())  # plain keys: this app defines no binding groups
        palette = [k for k in keys if k.has_class("-command-palette")]
        shown = [k for k in keys if not k.has_class("-command-palette")]
        room = self.app.size.width - sum(key_width(k) + 2 for k in palette)
        ids = self._binding_ids()
        for binding_id in SECONDARY:
            if sum(key_width(k) for k in shown) <= room:
                break
            shown = [k for k in shown if ids.get(k.key) != binding_id]
        self._fitted_width = self.app.size.width
        yield from shown
        yield from palette

    def _binding_ids(self) -> dict[str, str | None]:
        try:
            active = self.screen.active_bindings
        except Exception:  # not attached yet
            return {}
        return {key: a.binding.id for key, a in active.items()}

    def on_resize(self) -> None:
        if self._bindings_ready and self.app.size.width != self._fitted_width:
            self.call_after_refresh(self.recompose)
