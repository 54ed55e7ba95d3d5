"""The pipeline board: open stages as columns, deals as cards; move, win and lose from here."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from crmtui.domain import browse
from crmtui.screens import actions
from crmtui.screens import present as p
from crmtui.screens.base import CrmScreen
from crmtui.screens.dialogs import PickDialog
from crmtui.textsafe import visible
from crmtui.widgets.board import Board, BoardColumn, Card

SORT = "amount"  # biggest deals first; (stage_id, amount) is indexed


def card(obj, names, facts: p.Facts) -> Card:
    today = facts.clock.today()
    stale = facts.stale(obj)
    overdue = facts.overdue(obj)
    third = Text(end="")
    if stale:
        third.append("⚑", style="bold yellow")
    if overdue:
        third.append("!", style="bold red")
    if stale or overdue:
        third.append(" ")
    third.append(p.short_money(obj.amount_minor), style="bold")
    if obj.close_date:
        shown = f"{obj.close_date:%d %b}" if obj.close_date.year == today.year \
            else f"{obj.close_date:%b} '{obj.close_date:%y}"
        third.append(f" · {shown}", style="bold red" if overdue else "")
    return Card(id=obj.id, version=obj.version, anchor=(obj.amount_minor, obj.id),
                lines=(p.t(obj.name, "bold"), p.t(names.name("account", obj.account_id) or "—",
                                                    "dim"), third),
                data={"stale": stale, "overdue": overdue, "stage_id": obj.stage_id})


def cards_for(s, stage_id: int, filters: dict, facts: p.Facts, *, anchor=None,
              inclusive=False, backward=False, limit=30):
    from crmtui.domain.serialize import Names

    w = browse.window(s, "opportunity", filters, sort=SORT, descending=True, anchor=anchor,
                      inclusive=inclusive, backward=backward, limit=limit,
                      where=[browse.in_stage(stage_id)])
    names = Names(s)
    names.prefetch("account", (o.account_id for o in w.rows))
    return w, [card(o, names, facts) for o in w.rows]


class BoardScreen(CrmScreen):
    SECTION = "board"
    DEFAULT_CSS = """
    BoardScreen #boardbar {
        height: 1;
        background: $boost;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("greater_than_sign,full_stop,shift+right", "move(1)", "Next stage",
                id="board.next"),
        Binding("less_than_sign,comma,shift+left", "move(-1)", "Prev stage", id="board.prev"),
        Binding("w", "win", "Win", id="board.win"),
        Binding("l", "lose", "Lose", id="board.lose"),
        Binding("p", "pipeline", "Pipeline", id="board.pipeline"),
        Binding("n", "new", "New deal", id="board.new"),
        Binding("e", "edit", "Edit", id="board.edit", show=False),
        Binding("u", "mine", "Only mine", id="board.mine", show=False),
        Binding("escape", "back", "Back", id="board.back", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.pipeline_id: int | None = None
        self.pipeline_name = ""
        self.pipelines: list[tuple[int, str]] = []
        self.only_mine = False
        self.totals: dict = {}

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield Static("", id="boardbar")
        yield Board(id="board")
        yield self.footer()

    @property
    def board(self) -> Board:
        return self.query_one(Board)

    def on_mount(self) -> None:
        self.board.focus()
        self.load()

    def filters(self) -> dict:
        if self.only_mine:
            from crmtui import config

            user = config.user()
            if user:
                return {"owner": user}
        return {}

    # -- loading --------------------------------------------------------------------------
    def load(self, *, keep: bool = False, focus: tuple[int, int] | None = None,
             first_card: bool = False) -> None:
        """Fetch the columns (from the top, or around what is shown with `keep`);
        `focus` = (stage_id, deal_id) puts the cursor on that card, `first_card` on the
        first card of the board."""
        board = self.board
        clock = self.crm.clock
        filters = self.filters()
        pipeline_id = self.pipeline_id
        # what shows first; the board fetches more per column once it is painted
        on_screen = max(board.visible_cards, self.app.size.height // 4)  # 0x0 before layout
        limit = on_screen + 1 if not keep else board.fetch_size()
        anchors = {}
        if keep:
            for column in board.columns:
                if column.cards:
                    top = column.cards[min(column.top, len(column.cards) - 1)]
                    current = column.cards[min(column.cursor, len(column.cards) - 1)]
                    anchors[column.stage_id] = (top.anchor, current.id, column.cursor - column.top,
                                                column.at_start and column.top == 0)
        focus_anchor = None
        if focus is not None:
            for column in board.columns:
                for c in column.cards:
                    if c.id == focus[1]:
                        focus_anchor = c.anchor

        def fetch(s):
            from sqlalchemy import select

            from crmtui.domain import refs
            from crmtui.store.models import Opportunity, Pipeline

            pipeline = s.get(Pipeline, pipeline_id) if pipeline_id else None
            pipeline = pipeline or refs.default_pipeline(s)
            pipelines = [(pl.id, pl.name) for pl in s.scalars(select(Pipeline).order_by(Pipeline.id))]
            stages = browse.board_stages(s, pipeline.id)
            facts = p.facts(s, clock)
            focus_at = focus_anchor
            if focus is not None and focus_at is None:
                opp = s.get(Opportunity, focus[1])
                focus_at = (opp.amount_minor, opp.id) if opp else None
            columns = []
            for st in stages:
                if focus is not None and st.id == focus[0] and focus_at is not None:
                    before = browse.window(s, "opportunity", filters, sort=SORT, descending=True,
                                           anchor=focus_at, backward=True, limit=on_screen,
                                           where=[browse.in_stage(st.id)])
                    if len(before.rows) < on_screen:  # it shows from the top: keep the column so
                        w, cards = cards_for(s, st.id, filters, facts,
                                             limit=limit + len(before.rows))
                        columns.append((st, cards, True, not w.more, focus[1],
                                        len(before.rows)))
                    else:  # deep in the column: from the card (k scrolls back)
                        w, cards = cards_for(s, st.id, filters, facts, anchor=focus_at,
                                             inclusive=True, limit=limit)
                        columns.append((st, cards, False, not w.more, focus[1], 0))
                elif st.id in anchors:
                    anchor, cursor_id, line, at_top = anchors[st.id]
                    # at the top of a column, new deals show up there; else stay put
                    w, cards = cards_for(s, st.id, filters, facts,
                                         anchor=None if at_top else anchor,
                                         inclusive=True, limit=limit)
                    columns.append((st, cards, at_top, not w.more, cursor_id, line))
                else:
                    w, cards = cards_for(s, st.id, filters, facts, limit=limit)
                    columns.append((st, cards, True, not w.more, None, None))
            return pipeline.id, pipeline.name, pipelines, columns

        def done(result):
            pid, name, pipelines, columns = result
            self.pipeline_id, self.pipeline_name, self.pipelines = pid, name, pipelines
            old = {c.stage_id: c for c in board.columns}
            new_columns = []
            for st, cards, at_start, at_end, cursor_id, line in columns:
                column = old.get(st.id) or BoardColumn(stage_id=st.id, name=visible(st.name))
                column.name = visible(st.name)
                new_columns.append(column)
            board.set_columns(new_columns, current_stage=focus[0] if focus else None)
            for st, cards, at_start, at_end, cursor_id, line in columns:
                board.fill(st.id, cards, at_start=at_start, at_end=at_end, cursor_id=cursor_id,
                           keep_line=line)
            if focus:
                board.focus_card(*focus)
            elif first_card:
                board.to_first_card()
            self.mark_loaded()
            self._bar()
            self._load_totals()

        self.read(fetch, done, group="board")

    def _load_totals(self) -> None:
        board = self.board
        ids = [c.stage_id for c in board.columns]
        filters = self.filters()

        def done(totals):
            self.totals = totals
            for stage_id, t in totals.items():
                board.set_header(stage_id, Text(f"{t['count']:,} · {p.short_money(t['amount_minor'])}"))
            self._bar()

        self.read(lambda s: browse.stage_totals(s, ids, filters), done, group="totals")

    def _bar(self) -> None:
        out = Text("Pipeline ", style="dim", end="")
        out.append_text(p.t(self.pipeline_name, "bold"))
        if self.totals:
            n = sum(t["count"] for t in self.totals.values())
            amount = sum(t["amount_minor"] for t in self.totals.values())
            out.append(f"  ·  {n:,} open deals · {p.short_money(amount)}")
        if self.only_mine:
            out.append("  ·  only mine", style="bold")
        out.append("  ·  ")
        out.append("⚑", style="bold yellow")
        out.append(" stale ", style="dim")
        out.append("!", style="bold red")
        out.append(" overdue", style="dim")
        self.query_one("#boardbar", Static).update(out)

    def reload(self) -> None:
        self.load(keep=True)

    @on(Board.NeedCards)
    def _need_cards(self, message: Board.NeedCards) -> None:
        message.stop()
        board = self.board
        clock = self.crm.clock
        filters = self.filters()
        stage_id, where, anchor, generation, limit = (message.stage_id, message.where,
                                                      message.anchor, message.generation,
                                                      message.limit)

        def fetch(s):
            facts = p.facts(s, clock)
            if where == "first":
                return cards_for(s, stage_id, filters, facts, limit=limit)
            return cards_for(s, stage_id, filters, facts, anchor=anchor,
                             backward=where == "backward", limit=limit)

        def done(result):
            w, cards = result
            if where == "first":
                column = board.column(stage_id)
                if column is not None and column.generation == generation:
                    board.fill(stage_id, cards, at_start=True, at_end=not w.more)
                return
            board.extend(stage_id, cards, forward=where == "forward", more=w.more,
                         generation=generation)

        self.read(fetch, done, group=f"cards-{stage_id}-{where}")

    @on(Board.Opened)
    def _opened(self, message: Board.Opened) -> None:
        self.crm.open_record("opportunity", message.card.id)

    # -- actions --------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        card = self.board.current_card
        if card is None:
            return

        def moved(opp):
            self.load(keep=True, focus=(opp.stage_id, opp.id))

        actions.move(self, card.id, step, card.version, done=moved)

    def action_win(self) -> None:
        card = self.board.current_card
        if card is not None:
            actions.win(self, card.id, card.version, after=lambda: self.load(keep=True))

    def action_lose(self) -> None:
        card = self.board.current_card
        if card is not None:
            actions.lose(self, card.id, card.version, after=lambda: self.load(keep=True))

    def action_edit(self) -> None:
        card = self.board.current_card
        if card is not None:
            self.crm.edit_record("opportunity", card.id, after=lambda _: self.load(keep=True))

    def action_new(self) -> None:
        column = self.board.current_column
        preset = {"pipeline": self.pipeline_name}
        if column is not None:
            preset["stage"] = column.name
        self.crm.new_record("opportunity", preset=preset,
                            after=lambda _id: self.load(keep=True))

    def action_pipeline(self) -> None:
        if not self.pipelines:
            return

        def done(value):
            if value:
                self.pipeline_id = int(value)
                self.board.columns = []
                self.load(first_card=True)

        options = [(str(pid), Text(visible(name))) for pid, name in self.pipelines]
        self.app.push_screen(PickDialog("Pipeline", options, current=str(self.pipeline_id)),
                             done)

    def action_mine(self) -> None:
        from crmtui import config

        if not config.user():
            self.say("set `user = \"you\"` in config.toml (or CRMTUI_USER) to see only your deals")
            return
        self.only_mine = not self.only_mine
        self.load()

    def action_back(self) -> None:
        self.crm.back()
