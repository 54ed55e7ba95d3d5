"""`?`: every key of the screen you came from, with the binding ids a keymap can remap."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from crmtui.screens.base import CrmModal
from crmtui.screens.dialogs import DIALOG_CSS


FRIENDLY = {"ScrollableContainer": "pane", "VerticalScroll": "pane", "OptionList": "list",
            "Input": "text box", "TextArea": "text box", "Select": "choice"}


def key_rows(screen) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(group, [(keys, what, binding id)]) for what each key does now on `screen`, keymap
    applied: the focused widget's keys, the screen's, then the app's."""
    app = screen.app
    groups: dict[int, tuple[str, dict[tuple[str, str], list[str]]]] = {}
    order = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.system or not active.enabled:
            continue
        node = active.node
        if node is app:
            title = "Everywhere"
        elif node is screen:
            title = "On this screen"
        else:
            title = getattr(node, "HELP_GROUP", None) or \
                f"In the {FRIENDLY.get(type(node).__name__, type(node).__name__.lower())}"
        if id(node) not in groups:
            groups[id(node)] = (title, {})
            order.append((0 if node not in (app, screen) else 1 if node is screen else 2,
                          id(node)))
        rows = groups[id(node)][1]
        rows.setdefault((binding.tooltip or binding.description, binding.id or ""), []).append(
            app.get_key_display(binding))
    out = []
    for _, node_id in sorted(order):
        title, rows = groups[node_id]
        out.append((title, [(" ".join(dict.fromkeys(keys)), what, ident)
                            for (what, ident), keys in rows.items()]))
    return out


class KeysScreen(CrmModal):
    DEFAULT_CSS = DIALOG_CSS + """
    KeysScreen { align: center middle; }
    KeysScreen .dialog { width: 90; height: 90%; }
    KeysScreen VerticalScroll { height: 1fr; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "cancel", "Close")]

    def __init__(self, screen):
        super().__init__()
        self.source = screen

    def compose(self) -> ComposeResult:
        from crmtui.paths import config_path

        with Vertical(classes="dialog"):
            yield Static(Text("Keys"), classes="title")
            with VerticalScroll():
                for title, rows in key_rows(self.source):
                    table = Table(title=title, title_justify="left", title_style="bold",
                                  box=None, expand=True, padding=(0, 1), show_header=False)
                    table.add_column("keys", style="bold cyan", no_wrap=True, width=18)
                    table.add_column("what", ratio=1)
                    table.add_column("id", style="dim", no_wrap=True)
                    for keys, what, ident in rows:
                        table.add_row(Text(keys), Text(what), Text(ident))
                    yield Static(table)
                note = Text("\nAlso: ctrl+p opens the command palette (every action, and go to "
                            "any record by typing its name). Mouse: click rows, cards, tiles "
                            "and tabs; double-click opens.\n\nRemap keys in ", end="")
                note.append(str(config_path()), style="bold")
                note.append(":\n  [keys]\n  \"board.win\" = \"W\"\n  \"list.new\" = \"a,n\"\n",
                            style="dim")
                yield Static(note)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
