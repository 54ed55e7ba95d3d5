"""A table that shows a window of a result of any size.

The table never holds the whole result: it keeps a buffer of a few screenfuls of rows around
the cursor and asks its owner for more (`NeedRows`) as the cursor nears either end. The
owner answers with `append`, `prepend` or `replace`; rows that drift far from the cursor are
dropped, so memory stays flat however far the user pages. Only visible lines are rendered
(the Line API), so painting costs the same for a thousand rows or a million.

Cells are Rich `Text` built by the owner from store values made `visible` -- never markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

MARK = "●"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 8  # minimum width
    flex: int = 0  # share of spare width
    align: str = "left"
    sort: str | None = None  # listing sort name, when sortable
    drop: int = 0  # columns with a higher number are hidden first when narrow


@dataclass
class Row:
    id: int
    anchor: tuple  # (sort value, id) for keyset paging
    cells: tuple[Text, ...]
    data: dict = field(default_factory=dict)  # extra plain values the owner wants back


class VirtualTable(Widget, can_focus=True):
    """A keyboard-and-mouse table over a windowed buffer of rows."""

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        background: $surface;
    }
    VirtualTable > .vtable--header {
        text-style: bold;
        color: $text-accent;
        background: $panel;
    }
    VirtualTable > .vtable--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    VirtualTable > .vtable--cursor-blurred {
        background: $block-cursor-blurred-background;
    }
    VirtualTable > .vtable--marked {
        color: $text-warning;
    }
    VirtualTable > .vtable--hint {
        color: $text-muted;
        text-style: italic;
    }
    """
    HELP_GROUP = "In the table"
    COMPONENT_CLASSES = {"vtable--header", "vtable--cursor", "vtable--cursor-blurred",
                         "vtable--marked", "vtable--hint"}

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("g,home", "first", "First", show=False, id="table.first"),
        Binding("G,end", "last", "Last", show=False, id="table.last"),
        Binding("space", "toggle_mark", "Mark", id="table.mark"),
        Binding("enter", "activate", "Open", id="table.open"),
    ]

    class NeedRows(Message):
        """The owner should fetch rows: `where` is 'forward', 'backward', 'first' or 'last'."""

        def __init__(self, table: "VirtualTable", where: str, anchor: tuple | None,
                     generation: int, limit: int):
            super().__init__()
            self.table = table
            self.where = where
            self.anchor = anchor
            self.generation = generation
            self.limit = limit

    class Activated(Message):
        def __init__(self, table: "VirtualTable", row: Row):
            super().__init__()
            self.table = table
            self.row = row

    class CursorMoved(Message):
        def __init__(self, table: "VirtualTable", row: Row | None):
            super().__init__()
            self.table = table
            self.row = row

    class SortClicked(Message):
        def __init__(self, table: "VirtualTable", column: Column):
            super().__init__()
            self.table = table
            self.column = column

    class MarksChanged(Message):
        def __init__(self, table: "VirtualTable", count: int):
            super().__init__()
            self.table = table
            self.count = count

    sort_key: reactive[str | None] = reactive(None)
    sort_descending: reactive[bool] = reactive(False)
    loading_rows: reactive[bool] = reactive(False)

    def __init__(self, columns: list[Column], *, empty: str = "Nothing here.",
                 markable: bool = True, name: str | None = None, id: str | None = None,
                 classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.columns = columns
        self.empty = empty
        self.markable = markable
        self.rows: list[Row] = []
        self.cursor = 0  # index into rows
        self.top = 0  # index of the first visible row
        self.at_start = True  # rows[0] is the first row of the result
        self.at_end = True  # rows[-1] is the last row of the result
        self.start_index: int | None = 0  # absolute position of rows[0], when known
        self.generation = 0  # bumps on replace; answers for older generations are dropped
        self.marked: dict[int, Row] = {}
        self._pending: set[str] = set()  # directions asked for and not answered yet
        self._pending_move = 0  # cursor steps still to take when rows arrive
        self._col_layout: tuple[int, list[tuple[Column, int]]] | None = None

    # -- geometry ------------------------------------------------------------------------
    @property
    def page_size(self) -> int:
        return max(1, self.size.height - 1)

    @property
    def buffer_limit(self) -> int:
        return max(300, self.page_size * 8)

    def fetch_size(self) -> int:
        return max(50, self.page_size * 2)

    def _layout(self) -> list[tuple[Column, int]]:
        width = self.size.width
        if self._col_layout and self._col_layout[0] == width:
            return self._col_layout[1]
        avail = width - (2 if self.markable else 0)
        cols = list(self.columns)
        while len(cols) > 1 and sum(c.width for c in cols) + len(cols) - 1 > avail:
            worst = max(cols, key=lambda c: (c.drop, cols.index(c)))
            if worst.drop == 0:
                break
            cols.remove(worst)
        spare = max(0, avail - sum(c.width for c in cols) - (len(cols) - 1))
        flex_total = sum(c.flex for c in cols) or 1
        widths = []
        given = 0
        flexed = [c for c in cols if c.flex]
        for c in cols:
            extra = spare * c.flex // flex_total if c.flex else 0
            given += extra
            widths.append([c, c.width + extra])
        if flexed and spare - given > 0:  # rounding leftovers to the last flexible column
            for item in reversed(widths):
                if item[0].flex:
                    item[1] += spare - given
                    break
        result = [(c, w) for c, w in widths]
        self._col_layout = (width, result)
        return result

    def on_resize(self, event: events.Resize) -> None:
        self._col_layout = None
        self._scroll_to_cursor()
        self._maybe_fetch()

    # -- data from the owner --------------------------------------------------------------
    def replace(self, rows: list[Row], *, at_start: bool, at_end: bool, offset: int | None,
                cursor_id: int | None = None, cursor_index: int | None = None,
                top_index: int | None = None) -> None:
        """New rows (after a filter, sort, jump or refresh); keeps the cursor on `cursor_id`."""
        self.generation += 1
        self._pending.clear()
        self._pending_move = 0
        self.rows = rows
        self.at_start, self.at_end, self.start_index = at_start, at_end, offset
        index = None
        if cursor_id is not None:
            index = next((i for i, r in enumerate(rows) if r.id == cursor_id), None)
        if index is None:
            index = cursor_index if cursor_index is not None else 0
        self.cursor = max(0, min(index, len(rows) - 1))
        if top_index is not None:
            self.top = max(0, min(top_index, self.cursor))
        self.marked = {k: v for k, v in self.marked.items()}
        self.loading_rows = False
        self._scroll_to_cursor()
        self.refresh()
        self._cursor_moved()
        self._maybe_fetch()

    def append(self, rows: list[Row], *, at_end: bool, generation: int) -> None:
        if generation != self.generation:
            return
        self._pending.discard("forward")
        known = {r.id for r in self.rows[-len(rows) - 5:]} if rows else set()
        self.rows.extend(r for r in rows if r.id not in known)
        self.at_end = at_end
        self._trim(keep="end")
        if self._pending_move:
            step, self._pending_move = self._pending_move, 0
            self._move(step)
        self.refresh()
        self._maybe_fetch()

    def prepend(self, rows: list[Row], *, at_start: bool, generation: int) -> None:
        if generation != self.generation:
            return
        self._pending.discard("backward")
        known = {r.id for r in self.rows[: len(rows) + 5]}
        fresh = [r for r in rows if r.id not in known]
        self.rows[:0] = fresh
        self.cursor += len(fresh)
        self.top += len(fresh)
        if self.start_index is not None:
            self.start_index = max(0, self.start_index - len(fresh))
        self.at_start = at_start
        if at_start:
            self.start_index = 0
        self._trim(keep="start")
        if self._pending_move:
            step, self._pending_move = self._pending_move, 0
            self._move(step)
        self.refresh()
        self._maybe_fetch()

    def failed(self, where: str, generation: int) -> None:
        if generation == self.generation:
            self._pending.discard(where)
            self._pending_move = 0
            self.loading_rows = False

    def _trim(self, keep: str) -> None:
        limit = self.buffer_limit
        excess = len(self.rows) - limit
        if excess <= 0:
            return
        if keep == "end":  # dropped from the start, far above the cursor
            excess = min(excess, max(0, self.top - self.page_size))
            if excess:
                del self.rows[:excess]
                self.cursor -= excess
                self.top -= excess
                self.at_start = False
                if self.start_index is not None:
                    self.start_index += excess
        else:
            excess = min(excess, max(0, len(self.rows) - (self.top + 2 * self.page_size)))
            if excess:
                del self.rows[-excess:]
                self.at_end = False

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "toggle_mark":
            return self.markable
        return True

    # -- cursor ---------------------------------------------------------------------------
    @property
    def current(self) -> Row | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    def position_label(self) -> str:
        if not self.rows:
            return "0"
        if self.start_index is None:
            return f"{len(self.rows) - self.cursor:,} from the end" if self.at_end else "…"
        return f"{self.start_index + self.cursor + 1:,}"

    def _scroll_to_cursor(self) -> None:
        page = self.page_size
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + page:
            self.top = self.cursor - page + 1
        self.top = max(0, min(self.top, max(0, len(self.rows) - 1)))

    def _move(self, step: int) -> None:
        if not self.rows:
            return
        target = self.cursor + step
        if target >= len(self.rows):
            if not self.at_end:
                self._pending_move = target - (len(self.rows) - 1)
            target = len(self.rows) - 1
        elif target < 0:
            if not self.at_start:
                self._pending_move = target
            target = 0
        old = self.cursor
        self.cursor = target
        if step and abs(step) >= self.page_size:  # paging keeps the cursor's screen line
            line = old - self.top
            self.top = max(0, self.cursor - line)
        self._scroll_to_cursor()
        self.refresh()
        if old != self.cursor:
            self._cursor_moved()
        self._maybe_fetch()

    def _cursor_moved(self) -> None:
        self.post_message(self.CursorMoved(self, self.current))

    def _maybe_fetch(self) -> None:
        if not self.rows:
            return
        page = self.page_size
        if not self.at_end and "forward" not in self._pending and \
                len(self.rows) - (self.top + page) < 2 * page:
            self._pending.add("forward")
            self.post_message(self.NeedRows(self, "forward", self.rows[-1].anchor,
                                            self.generation, self.fetch_size()))
        if not self.at_start and "backward" not in self._pending and self.top < 2 * page:
            self._pending.add("backward")
            self.post_message(self.NeedRows(self, "backward", self.rows[0].anchor,
                                            self.generation, self.fetch_size()))

    def action_cursor(self, step: int) -> None:
        self._move(step)

    def action_page(self, direction: int) -> None:
        self._move(direction * self.page_size)

    def action_first(self) -> None:
        if self.at_start:
            self._move(-self.cursor)
            return
        self.loading_rows = True
        self.post_message(self.NeedRows(self, "first", None, self.generation, self.fetch_size()))

    def action_last(self) -> None:
        if self.at_end:
            self._move(len(self.rows) - 1 - self.cursor)
            return
        self.loading_rows = True
        self.post_message(self.NeedRows(self, "last", None, self.generation, self.fetch_size()))

    def action_activate(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Activated(self, row))

    def action_toggle_mark(self) -> None:
        row = self.current
        if row is None or not self.markable:
            return
        if row.id in self.marked:
            del self.marked[row.id]
        else:
            self.marked[row.id] = row
        self.post_message(self.MarksChanged(self, len(self.marked)))
        self._move(1)
        self.refresh()

    def mark_visible(self) -> None:
        for row in self.rows[self.top: self.top + self.page_size]:
            self.marked[row.id] = row
        self.post_message(self.MarksChanged(self, len(self.marked)))
        self.refresh()

    def clear_marks(self) -> None:
        self.marked.clear()
        self.post_message(self.MarksChanged(self, 0))
        self.refresh()

    def selection(self) -> list[Row]:
        """The marked rows, or the cursor row when nothing is marked."""
        if self.marked:
            return list(self.marked.values())
        return [self.current] if self.current else []

    # -- mouse ----------------------------------------------------------------------------
    def _column_at(self, x: int) -> Column | None:
        pos = 2 if self.markable else 0
        for column, width in self._layout():
            if pos <= x < pos + width + 1:
                return column
            pos += width + 1
        return None

    def on_click(self, event: events.Click) -> None:
        self.focus()
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None and column.sort:
                self.post_message(self.SortClicked(self, column))
            return
        index = self.top + event.y - 1
        if 0 <= index < len(self.rows):
            self._move(index - self.cursor)
            if event.chain >= 2:
                self.action_activate()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll_view(3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll_view(-3)

    def _scroll_view(self, step: int) -> None:
        if not self.rows:
            return
        page = self.page_size
        self.top = max(0, min(self.top + step, max(0, len(self.rows) - page)))
        if self.cursor < self.top:
            self.cursor = self.top
            self._cursor_moved()
        elif self.cursor >= self.top + page:
            self.cursor = self.top + page - 1
            self._cursor_moved()
        self.refresh()
        self._maybe_fetch()

    # -- painting -------------------------------------------------------------------------
    def watch_sort_key(self) -> None:
        self.refresh()

    def watch_sort_descending(self) -> None:
        self.refresh()

    def watch_loading_rows(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _line(self, texts: list[tuple[Text, Column, int]], style: Style, prefix: str) -> Strip:
        console = self.app.console
        line = Text(prefix, style=style, end="")
        first = True
        for text, column, width in texts:
            if not first:
                line.append(" ")
            first = False
            cell = text.copy()
            cell.no_wrap = True
            cell.truncate(width, overflow="ellipsis")
            pad = width - cell.cell_len
            if pad > 0:
                if column.align == "right":
                    cell = Text(" " * pad, end="") + cell
                else:
                    cell.append(" " * pad)
            line.append_text(cell)
        line.stylize_before(style)
        segments = list(line.render(console))
        strip = Strip(segments).adjust_cell_length(self.size.width, style)
        return strip

    def render_line(self, y: int) -> Strip:
        layout = self._layout()
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("vtable--header")
            texts = []
            for column, w in layout:
                label = column.label
                if column.sort and column.sort == self.sort_key:
                    label += " ▼" if self.sort_descending else " ▲"
                texts.append((Text(label), column, w))
            return self._line(texts, style, "  " if self.markable else "")
        index = self.top + y - 1
        if index >= len(self.rows):
            hint = self.get_component_rich_style("vtable--hint")
            if not self.rows and y == 2:
                message = "Loading…" if self.loading_rows else self.empty
                return Strip([Segment(("  " + message)[:width], base + hint)]) \
                    .adjust_cell_length(width, base)
            if self.rows and index == len(self.rows) and not self.at_end:
                return Strip([Segment("  …", base + hint)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        row = self.rows[index]
        style = base
        if row.id in self.marked:
            style += self.get_component_rich_style("vtable--marked")
        if index == self.cursor:
            style += self.get_component_rich_style(
                "vtable--cursor" if self.has_focus else "vtable--cursor-blurred")
        prefix = (MARK + " " if row.id in self.marked else "  ") if self.markable else ""
        index_of = {c.key: i for i, c in enumerate(self.columns)}
        texts = []
        for column, w in layout:
            i = index_of[column.key]
            texts.append((row.cells[i] if i < len(row.cells) else Text(""), column, w))
        return self._line(texts, style, prefix)
