"""The top line: the sections of the app with their keys, the current one highlighted."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class TopBar(Widget):
    DEFAULT_CSS = """
    TopBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    """

    class Selected(Message):
        def __init__(self, section: str):
            super().__init__()
            self.section = section

    current: reactive[str] = reactive("")
    right: reactive[str] = reactive("")
    busy: reactive[bool] = reactive(False)
    progress: reactive[str] = reactive("")  # "moving 120/400" while a long write runs

    def __init__(self, sections: list[tuple[str, str, str, str]], current: str = "",
                 right: str = "", **kwargs):
        """`sections`: (name, key, long label, short label)."""
        super().__init__(**kwargs)
        self.sections = sections
        self.set_reactive(TopBar.current, current)
        self.set_reactive(TopBar.right, right)
        self._spans: list[tuple[int, int, str]] = []

    def _label(self, short: bool) -> Text:
        out = Text(" crm ", style="bold reverse", end="")
        self._spans = []
        for name, key, long, brief in self.sections:
            out.append(" ")
            start = out.cell_len
            label = brief if short else long
            if name == self.current:
                out.append(f" {key} {label} ", style="bold reverse")
            else:
                out.append(key, style="bold")
                out.append(f" {label}")
            self._spans.append((start, out.cell_len, name))
        return out

    def render(self) -> Text:
        width = self.size.width
        right = (f"{self.progress}… " if self.progress else "saving… ") if self.busy \
            else self.right
        text = self._label(short=False)
        if text.cell_len + len(right) + 2 > width:
            text = self._label(short=True)
        if text.cell_len + len(right) + 2 <= width:
            gap = width - text.cell_len - len(right) - 1
            text.append(" " * gap)
            text.append(right, style="bold yellow" if self.busy else "dim")
        elif self.busy:  # no room: the busy mark replaces the end of the line
            text.truncate(max(0, width - 2))
            text.append(" …", style="bold yellow")
        return text

    def on_mount(self) -> None:
        self.busy = getattr(self.app, "busy", 0) > 0
        self.progress = getattr(self.app, "progress", "")

    def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                self.post_message(self.Selected(name))
                return
