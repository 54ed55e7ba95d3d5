"""The pipeline board: one column per stage, deal cards in each, biggest deals first.

Like the list table, each column holds only a window of its cards and asks its owner for
more (`NeedCards`) as the cursor nears an end, so a stage holding 200,000 deals paints as
fast as one holding twenty. Cards are Rich `Text` built by the owner from visible store text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

CARD_HEIGHT = 4  # three lines of text and a gap
HEADER_HEIGHT = 3
MIN_COLUMN = 18


@dataclass
class Card:
    id: int
    version: int
    anchor: tuple
    lines: tuple[Text, Text, Text]
    data: dict = field(default_factory=dict)


@dataclass
class BoardColumn:
    stage_id: int
    name: str
    header: Text = field(default_factory=Text)
    cards: list[Card] = field(default_factory=list)
    top: int = 0
    cursor: int = 0
    at_start: bool = True
    at_end: bool = True
    loaded: bool = False
    pending: set = field(default_factory=set)
    generation: int = 0


class Board(Widget, can_focus=True):
    DEFAULT_CSS = """
    Board {
        height: 1fr;
        background: $surface;
    }
    Board > .board--header { text-style: bold; color: $text-accent; }
    Board > .board--header-current { text-style: bold reverse; color: $text-accent; }
    Board > .board--sub { color: $text-muted; }
    Board > .board--card { background: $boost; }
    Board > .board--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    Board > .board--cursor-blurred { background: $block-cursor-blurred-background; }
    Board > .board--rule { color: $primary 50%; }
    Board > .board--hint { color: $text-muted; text-style: italic; }
    """
    HELP_GROUP = "On the board"
    COMPONENT_CLASSES = {"board--header", "board--header-current", "board--sub", "board--card",
                         "board--cursor", "board--cursor-blurred", "board--rule", "board--hint"}

    BINDINGS = [
        Binding("left", "column(-1)", "Left", show=False, id="board.left"),
        Binding("right", "column(1)", "Right", show=False, id="board.right"),
        Binding("j,down", "card(1)", "Down", show=False, id="board.down"),
        Binding("k,up", "card(-1)", "Up", show=False, id="board.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="board.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="board.page_up"),
        Binding("g,home", "first", "First", show=False, id="board.first"),
        Binding("enter", "open", "Open", id="board.open"),
    ]

    class NeedCards(Message):
        def __init__(self, board: "Board", stage_id: int, where: str, anchor: tuple | None,
                     generation: int, limit: int):
            super().__init__()
            self.board = board
            self.stage_id = stage_id
            self.where = where
            self.anchor = anchor
            self.generation = generation
            self.limit = limit

    class Opened(Message):
        def __init__(self, board: "Board", card: Card):
            super().__init__()
            self.board = board
            self.card = card

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.columns: list[BoardColumn] = []
        self.current = 0
        self.first_column = 0
        self.empty = "This pipeline has no open stages."

    # -- geometry -------------------------------------------------------------------------
    @property
    def visible_cards(self) -> int:
        return max(1, (self.size.height - HEADER_HEIGHT) // CARD_HEIGHT)

    def fetch_size(self) -> int:
        return max(20, self.visible_cards * 3)

    def _shown(self) -> list[int]:
        n = len(self.columns)
        if not n:
            return []
        fit = max(1, min(n, (self.size.width + 1) // (MIN_COLUMN + 1)))
        if self.current < self.first_column:
            self.first_column = self.current
        elif self.current >= self.first_column + fit:
            self.first_column = self.current - fit + 1
        self.first_column = max(0, min(self.first_column, n - fit))
        return list(range(self.first_column, self.first_column + fit))

    def _widths(self, count: int) -> list[int]:
        total = self.size.width - (count - 1)
        base = total // count
        widths = [base] * count
        for i in range(total - base * count):
            widths[i] += 1
        return widths

    # -- data -----------------------------------------------------------------------------
    def set_columns(self, columns: list[BoardColumn], *, current_stage: int | None = None) -> None:
        self.columns = columns
        index = next((i for i, c in enumerate(columns) if c.stage_id == current_stage), None)
        self.current = index if index is not None else min(self.current, max(0, len(columns) - 1))
        self.refresh()

    def to_first_card(self) -> None:
        """The cursor on the first card of the first column that has one (after switching
        pipeline: the column it sat in may be empty there, and the keys would act on
        nothing)."""
        index = next((i for i, c in enumerate(self.columns) if c.cards), 0)
        self.current = index
        self.first_column = 0
        if self.columns:
            column = self.columns[index]
            column.cursor = column.top = 0
        self.refresh()

    def column(self, stage_id: int) -> BoardColumn | None:
        return next((c for c in self.columns if c.stage_id == stage_id), None)

    @property
    def current_column(self) -> BoardColumn | None:
        return self.columns[self.current] if 0 <= self.current < len(self.columns) else None

    @property
    def current_card(self) -> Card | None:
        column = self.current_column
        if column and 0 <= column.cursor < len(column.cards):
            return column.cards[column.cursor]
        return None

    def fill(self, stage_id: int, cards: list[Card], *, at_start: bool, at_end: bool,
             cursor_id: int | None = None, keep_line: int | None = None) -> None:
        column = self.column(stage_id)
        if column is None:
            return
        column.generation += 1
        column.pending.clear()
        column.cards = cards
        column.at_start, column.at_end, column.loaded = at_start, at_end, True
        index = next((i for i, c in enumerate(cards) if c.id == cursor_id), None)
        if index is None:
            index = min(keep_line or 0, max(0, len(cards) - 1))
        column.cursor = index
        column.top = 0 if cursor_id is None and keep_line is None else max(0, index - (keep_line or 0))
        self._scroll(column)
        self.refresh()
        self._maybe_fetch(column)

    def extend(self, stage_id: int, cards: list[Card], *, forward: bool, more: bool,
               generation: int) -> None:
        column = self.column(stage_id)
        if column is None or generation != column.generation:
            return
        known = {c.id for c in column.cards}
        fresh = [c for c in cards if c.id not in known]
        if forward:
            column.pending.discard("forward")
            column.cards.extend(fresh)
            column.at_end = not more
        else:
            column.pending.discard("backward")
            column.cards[:0] = fresh
            column.cursor += len(fresh)
            column.top += len(fresh)
            column.at_start = not more
        limit = max(200, self.visible_cards * 10)
        if len(column.cards) > limit:
            if forward:
                drop = min(len(column.cards) - limit, max(0, column.top - self.visible_cards))
                del column.cards[:drop]
                column.cursor -= drop
                column.top -= drop
                column.at_start = column.at_start and drop == 0
            else:
                drop = min(len(column.cards) - limit,
                           max(0, len(column.cards) - column.top - 2 * self.visible_cards))
                if drop:
                    del column.cards[-drop:]
                    column.at_end = False
        self.refresh()
        self._maybe_fetch(column)

    def set_header(self, stage_id: int, header: Text) -> None:
        column = self.column(stage_id)
        if column is not None:
            column.header = header
            self.refresh()

    def _maybe_fetch(self, column: BoardColumn) -> None:
        if not column.loaded or not column.cards:
            return
        page = self.visible_cards
        if not column.at_end and "forward" not in column.pending and \
                len(column.cards) - (column.top + page) < 2 * page:
            column.pending.add("forward")
            self.post_message(self.NeedCards(self, column.stage_id, "forward",
                                             column.cards[-1].anchor, column.generation,
                                             self.fetch_size()))
        if not column.at_start and "backward" not in column.pending and column.top < page:
            column.pending.add("backward")
            self.post_message(self.NeedCards(self, column.stage_id, "backward",
                                             column.cards[0].anchor, column.generation,
                                             self.fetch_size()))

    # -- moving ---------------------------------------------------------------------------
    def _scroll(self, column: BoardColumn) -> None:
        page = self.visible_cards
        if column.cursor < column.top:
            column.top = column.cursor
        elif column.cursor >= column.top + page:
            column.top = column.cursor - page + 1
        column.top = max(0, column.top)

    def action_column(self, step: int) -> None:
        if not self.columns:
            return
        self.current = max(0, min(len(self.columns) - 1, self.current + step))
        self.refresh()

    def action_card(self, step: int) -> None:
        column = self.current_column
        if not column or not column.cards:
            return
        column.cursor = max(0, min(len(column.cards) - 1, column.cursor + step))
        self._scroll(column)
        self.refresh()
        self._maybe_fetch(column)

    def action_page(self, step: int) -> None:
        self.action_card(step * self.visible_cards)

    def action_first(self) -> None:
        column = self.current_column
        if column is None:
            return
        if column.at_start:
            self.action_card(-column.cursor)
        else:
            column.generation += 1
            column.pending.clear()
            self.post_message(self.NeedCards(self, column.stage_id, "first", None,
                                             column.generation, self.fetch_size()))

    def action_open(self) -> None:
        card = self.current_card
        if card is not None:
            self.post_message(self.Opened(self, card))

    def focus_card(self, stage_id: int, card_id: int) -> None:
        for i, column in enumerate(self.columns):
            if column.stage_id == stage_id:
                self.current = i
                for j, card in enumerate(column.cards):
                    if card.id == card_id:
                        column.cursor = j
                        self._scroll(column)
                self.refresh()
                return

    # -- mouse ----------------------------------------------------------------------------
    def _hit(self, x: int, y: int) -> tuple[int, int | None]:
        shown = self._shown()
        widths = self._widths(len(shown))
        pos = 0
        for index, width in zip(shown, widths):
            if pos <= x < pos + width + 1:
                if y < HEADER_HEIGHT:
                    return index, None
                column = self.columns[index]
                card = column.top + (y - HEADER_HEIGHT) // CARD_HEIGHT
                return index, card if card < len(column.cards) else None
            pos += width + 1
        return -1, None

    def on_click(self, event: events.Click) -> None:
        self.focus()
        index, card = self._hit(event.x, event.y)
        if index < 0:
            return
        self.current = index
        if card is not None:
            self.columns[index].cursor = card
            if event.chain >= 2:
                self.action_open()
        self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._wheel(event.x, 1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._wheel(event.x, -1)

    def _wheel(self, x: int, step: int) -> None:
        index, _ = self._hit(x, HEADER_HEIGHT)
        if index < 0:
            return
        column = self.columns[index]
        page = self.visible_cards
        column.top = max(0, min(column.top + step, max(0, len(column.cards) - page)))
        column.cursor = max(column.top, min(column.cursor, column.top + page - 1))
        self.refresh()
        self._maybe_fetch(column)

    def on_resize(self, event) -> None:
        for column in self.columns:
            self._scroll(column)
            self._maybe_fetch(column)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- painting -------------------------------------------------------------------------
    def _cell(self, text: Text, width: int, style: Style) -> list[Segment]:
        cell = text.copy()
        cell.no_wrap = True
        cell.end = ""
        cell.truncate(width, overflow="ellipsis")
        if cell.cell_len < width:
            cell.append(" " * (width - cell.cell_len))
        cell.stylize_before(style)
        return list(cell.render(self.app.console))

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        width = self.size.width
        if not self.columns:
            if y == 1:
                hint = self.get_component_rich_style("board--hint")
                return Strip([Segment(f"  {self.empty}"[:width], base + hint)]) \
                    .adjust_cell_length(width, base)
            return Strip.blank(width, base)
        shown = self._shown()
        widths = self._widths(len(shown))
        rule = base + self.get_component_rich_style("board--rule")
        segments: list[Segment] = []
        for n, (index, w) in enumerate(zip(shown, widths)):
            if n:
                segments.append(Segment("│", rule))
            segments.extend(self._column_line(self.columns[index], index, y, w, base))
        return Strip(segments).adjust_cell_length(width, base)

    def _column_line(self, column: BoardColumn, index: int, y: int, width: int,
                     base: Style) -> list[Segment]:
        if y == 0:
            style = base + self.get_component_rich_style(
                "board--header-current" if index == self.current and self.has_focus
                else "board--header")
            more = "‹ " if index == self.first_column and index > 0 else " "
            return self._cell(Text(more + column.name), width, style)
        if y == 1:
            return self._cell(Text(" ", end="") + column.header, width,
                              base + self.get_component_rich_style("board--sub"))
        if y == 2:
            return [Segment("─" * width, base + self.get_component_rich_style("board--rule"))]
        row, line = divmod(y - HEADER_HEIGHT, CARD_HEIGHT)
        card_index = column.top + row
        if card_index >= len(column.cards):
            hint = base + self.get_component_rich_style("board--hint")
            if row == 0 and line == 0:
                message = " …" if not column.loaded else " no deals"
                return self._cell(Text(message), width, hint)
            if card_index == len(column.cards) and line == 0 and not column.at_end:
                return self._cell(Text("…"), width, hint)
            return [Segment(" " * width, base)]
        if line == CARD_HEIGHT - 1:
            return [Segment(" " * width, base)]
        card = column.cards[card_index]
        style = base + self.get_component_rich_style("board--card")
        if index == self.current and card_index == column.cursor:
            style = base + self.get_component_rich_style(
                "board--cursor" if self.has_focus else "board--cursor-blurred")
        return self._cell(Text(" ", end="") + card.lines[line], width, style)
