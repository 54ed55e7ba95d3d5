"""Dashboard pieces: focusable tiles and small charts drawn with block characters.

They receive plain values (labels already made `visible` by the owner, wrapped in `Text`) and
post `Selected` when clicked or when enter is pressed.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"


class Selectable(Widget, can_focus=True):
    """A focusable panel that says when it is chosen (enter or click)."""

    DEFAULT_CSS = """
    Selectable {
        height: 1fr;
        border: round $primary 60%;
        border-title-color: $text-accent;
        border-title-style: bold;
        padding: 0 1;
    }
    Selectable:focus { border: round $accent; background: $boost; }
    """

    BINDINGS = [Binding("enter", "select", "Open", id="dashboard.open")]

    class Selected(Message):
        def __init__(self, widget: "Selectable"):
            super().__init__()
            self.widget = widget

    def action_select(self) -> None:
        self.post_message(self.Selected(self))

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.action_select()


class Tile(Selectable):
    DEFAULT_CSS = "Tile { height: 100%; }"

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.border_title = title
        self.value = Text("…", style="dim")
        self.detail = Text("")

    def show(self, value: Text, detail: Text) -> None:
        self.value = value
        self.detail = detail
        self.refresh()

    def render(self) -> Text:
        width = max(1, self.size.width)
        lines = [self.value, *self.detail.split("\n")]
        out = Text(end="", no_wrap=True)
        for i, line in enumerate(lines):
            line = line.copy()
            line.truncate(width, overflow="ellipsis")
            if i:
                out.append("\n")
            out.append_text(line)
        return out


class BarChart(Selectable):
    """Horizontal bars: one line per (label, value, value label[, part]); `part` (e.g. the
    weighted amount) is drawn solid and the rest of the value shaded."""

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.border_title = title
        self.bars: list[tuple] = []
        self.note = Text("…", style="dim")

    def show(self, bars: list[tuple], note: Text | None = None) -> None:
        self.bars = bars
        self.note = note or Text("")
        self.refresh()

    def render(self) -> Text:
        width = max(10, self.size.width)
        if not self.bars:
            return self.note
        label_w = min(max(len(b[0].plain) for b in self.bars), max(6, width // 3))
        value_w = max(len(b[2]) for b in self.bars)
        bar_w = max(3, width - label_w - value_w - 2)
        top = max((b[1] for b in self.bars), default=0) or 1
        gap = self.size.height >= 2 * len(self.bars) + 2  # room for a blank line between bars
        out = Text(end="")
        for i, bar in enumerate(self.bars):
            label, value, value_label = bar[:3]
            part = bar[3] if len(bar) > 3 else None
            if i:
                out.append("\n\n" if gap else "\n")
            name = label.copy()
            name.truncate(label_w, overflow="ellipsis")
            out.append_text(name)
            out.append(" " * (label_w - name.cell_len + 1))
            cells = value / top * bar_w
            if part is None:
                full = int(cells)
                eighth = int((cells - full) * 8)
                drawn = "█" * full + (BLOCKS[eighth] if eighth and full < bar_w else "")
                out.append(drawn.ljust(bar_w), style="cyan")
            else:
                solid = int(round(part / top * bar_w))
                shade = max(0, int(round(cells)) - solid)
                out.append("█" * solid, style="cyan")
                out.append("▒" * shade, style="cyan")
                out.append(" " * (bar_w - solid - shade))
            out.append(" " + value_label.rjust(value_w), style="bold")
        if self.note.plain:
            out.append("\n\n" if gap else "\n")
            out.append_text(self.note)
        return out


class ColumnChart(Selectable):
    """Vertical bars with a label under each (e.g. won amount per month)."""

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.border_title = title
        self.columns: list[tuple[str, float, str]] = []
        self.note = Text("…", style="dim")

    def show(self, columns: list[tuple[str, float, str]], note: Text | None = None) -> None:
        self.columns = columns
        self.note = note or Text("")
        self.refresh()

    def render(self) -> Text:
        if not self.columns:
            return self.note
        width = max(4, self.size.width)
        extra = 1 if self.note.plain else 0
        height = max(2, self.size.height - 2 - extra)
        n = len(self.columns)
        slot = max(1, width // n)
        bar_w = max(1, slot - 1)
        top = max((c[1] for c in self.columns), default=0) or 1
        lines = []
        for row in range(height, 0, -1):
            line = Text(end="")
            for label, value, _ in self.columns:
                eighths = int(round(value / top * height * 8))
                level = eighths - (row - 1) * 8
                ch = "█" if level >= 8 else (BLOCKS[level] if level > 0 else " ")
                line.append((ch * bar_w).ljust(slot), style="green")
            lines.append(line)
        peak = max(self.columns, key=lambda c: c[1])
        labels = Text(end="")
        for label, _, _ in self.columns:
            short = label if slot > len(label) else label[:1]
            labels.append(short.ljust(slot), style="dim")
        values = Text(f"peak {peak[2]} ({peak[0]})", style="dim", end="")
        out = Text("\n", end="").join(lines + [labels, values])
        if self.note.plain:
            out.append("\n")
            out.append_text(self.note)
        return out
