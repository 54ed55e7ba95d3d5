"""The first screen: how the quarter is going, what needs doing today, what is going stale.

Figures come from the reports package (the same numbers as `crm report ...`) and the agenda;
each tile loads in its own worker, so a slow figure never holds up the others. Every tile
opens the list behind it (enter or click).
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical

from crmtui.screens import present as p
from crmtui.screens.base import CrmScreen
from crmtui.widgets.charts import BarChart, ColumnChart, Selectable, Tile
from crmtui.widgets.vtable import Column, VirtualTable


def _reports():
    try:
        from crmtui.reports import REPORTS, ReportOptions
    except ImportError:
        return None, None
    return REPORTS, ReportOptions


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def month_back(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _minor(amount: str | None) -> int:
    from decimal import Decimal

    return int(Decimal(amount or "0") * 100)


def forecast_tile(s, clock: p.Clock) -> dict:
    REPORTS, Options = _reports()
    result = REPORTS["forecast"].compute(s, Options(by="quarter", periods=1, now=clock.now()))
    row = result["rows"][0] if result["rows"] else {}
    return {"period": row.get("period", ""), "count": row.get("count", 0),
            "amount": _minor(row.get("amount")), "weighted": _minor(row.get("weighted")),
            "won": _minor(row.get("won")), "currency": result["currency"]}


WIN_RATE_DAYS = 90


def win_rate_range(clock: p.Clock) -> tuple[date, date]:
    """The days the win-rate tile counts (and the list behind it shows)."""
    today = clock.now().date()
    return today - timedelta(days=WIN_RATE_DAYS), today


def win_rate_tile(s, clock: p.Clock) -> dict:
    REPORTS, Options = _reports()
    start, end = win_rate_range(clock)
    result = REPORTS["win-rate"].compute(s, Options(date_from=start, date_to=end,
                                                    now=clock.now()))
    return {"rate": result.get("win_rate"), "won": result.get("won", 0),
            "lost": result.get("lost", 0)}


def pipeline_chart(s, clock: p.Clock) -> dict:
    REPORTS, Options = _reports()
    result = REPORTS["pipeline"].compute(s, Options(now=clock.now()))
    rows = [(r["stage"], r["count"], _minor(r["amount"]), _minor(r["weighted"]))
            for r in result["rows"]]
    total = result.get("total") or {}
    return {"rows": rows, "stale": total.get("stale") or 0, "open": total.get("count") or 0,
            "pipelines": result.get("pipelines") or []}


def won_chart(s, clock: p.Clock) -> list[tuple[str, int]]:
    REPORTS, Options = _reports()
    today = clock.now().date()
    start = month_back(today, 11)
    result = REPORTS["win-rate"].compute(s, Options(date_from=start, date_to=today, by="month",
                                                    now=clock.now()))
    by_period = {r["period"]: _minor(r["won_amount"]) for r in result.get("rows", [])}
    out = []
    for i in range(11, -1, -1):
        month = month_back(today, i)
        out.append((f"{month:%b}", by_period.get(f"{month:%Y-%m}", 0)))
    return out


def tasks_tile(s, clock: p.Clock) -> dict:
    from crmtui.domain import browse

    bounds = browse.agenda_bounds(clock.local_now(), 0)
    overdue, o_capped = browse.count(s, "activity", {"status": "open"},
                                     where=browse.due_between(None, bounds.start_today))
    today, t_capped = browse.count(s, "activity", {"status": "open"},
                                   where=browse.due_between(bounds.start_today,
                                                            bounds.start_tomorrow))
    return {"overdue": overdue, "overdue_capped": o_capped, "today": today,
            "today_capped": t_capped}


DUE_COLUMNS = [Column("when", "When", 14), Column("subject", "Task", 12, flex=2),
               Column("on", "About", 12, flex=2, drop=1)]
TOP_COLUMNS = [Column("name", "Deal", 14, flex=3), Column("stage", "Stage", 13, drop=1),
               Column("amount", "Amount", 12, align="right"), Column("close", "Close", 10)]


def due_rows(s, clock: p.Clock, limit: int):
    from crmtui.domain import browse
    from crmtui.screens.agenda import agenda_rows

    bounds = browse.agenda_bounds(clock.local_now(), 0)
    w = browse.window(s, "activity", {"status": "open"}, sort="due", limit=limit,
                      where=browse.due_between(None, bounds.start_tomorrow))
    rows = agenda_rows(s, w.rows, w.keys, clock, bounds)
    for row in rows:  # when, subject, about
        row.cells = (row.cells[0], row.cells[2], row.cells[3])
    return rows, w.more


def top_deals(s, clock: p.Clock, limit: int):
    from crmtui.domain import browse, savedfilters
    from crmtui.domain.serialize import Names
    from crmtui.widgets.vtable import Row

    filters = savedfilters.resolve({"status": "open", "closing_after": "@quarter_start",
                                    "closing_before": "@quarter_end"}, today=clock.today())
    w = browse.window(s, "opportunity", filters, sort="amount", descending=True, limit=limit)
    facts = p.facts(s, clock)
    names = Names(s)
    names.prefetch("stage", (o.stage_id for o in w.rows))
    rows = []
    for obj, key in zip(w.rows, w.keys):
        stage = names.obj("stage", obj.stage_id)
        overdue = facts.overdue(obj)
        rows.append(Row(id=obj.id, anchor=key, data={"target": ("opportunity", obj.id)},
                        cells=(p.t(obj.name, "bold"), p.t(stage.name if stage else ""),
                               Text(p.money(obj.amount_minor)),
                               p.date_text(obj.close_date, clock.today(), overdue=overdue))))
    return rows, w.more


TALL = 30  # rows: from here the due and biggest-deal lists share the space with the charts


class DashboardScreen(CrmScreen):
    MIN_RELOAD_INTERVAL = 3.0  # report queries: at most every few seconds while a script writes
    SECTION = "dashboard"
    DEFAULT_CSS = """
    DashboardScreen #tiles {
        grid-size: 4 1;
        grid-gutter: 0 1;
        height: 6;
        padding: 0 1;
    }
    DashboardScreen #charts {
        height: 1fr;
        padding: 0 1;
    }
    DashboardScreen #charts > * { width: 1fr; }
    DashboardScreen #charts > BarChart { margin-right: 1; }
    DashboardScreen.-narrow #tiles { grid-size: 2 2; height: 10; }
    DashboardScreen #lists { height: 1fr; padding: 0 1; display: none; }
    DashboardScreen.-tall #lists { display: block; }
    DashboardScreen #lists .panel {
        width: 1fr;
        border: round $primary 60%;
        border-title-color: $text-accent;
        border-title-style: bold;
    }
    DashboardScreen #lists .panel:focus-within { border: round $accent; }
    DashboardScreen #p-due { margin-right: 1; }
    """
    BINDINGS = [
        Binding("right,l", "app.focus_next", "Next", show=False, id="dashboard.next"),
        Binding("left,h", "app.focus_previous", "Previous", show=False, id="dashboard.previous"),
        Binding("down,j", "app.focus_next", "Next", show=False, id="dashboard.down"),
        Binding("up,k", "app.focus_previous", "Previous", show=False, id="dashboard.up"),
        Binding("escape", "back", "Back", show=False, id="dashboard.back"),
    ]

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        with Grid(id="tiles"):
            yield Tile("This quarter", id="t-forecast")
            yield Tile(f"Win rate {WIN_RATE_DAYS}d", id="t-winrate")
            yield Tile("Tasks", id="t-tasks")
            yield Tile("Stale deals", id="t-stale")
        with Horizontal(id="charts"):
            yield BarChart("Open pipeline by stage", id="c-pipeline")
            yield ColumnChart("Won by month", id="c-won")
        with Horizontal(id="lists"):
            with Vertical(classes="panel", id="p-due"):
                yield VirtualTable(DUE_COLUMNS, empty="Nothing due today.", markable=False,
                                   id="due")
            with Vertical(classes="panel", id="p-top"):
                yield VirtualTable(TOP_COLUMNS, empty="No open deals close this quarter.",
                                   markable=False, id="top")
        yield self.footer()

    def on_mount(self) -> None:
        self.query_one("#t-forecast").focus()
        self.query_one("#p-due").border_title = "Due today and overdue"
        self.query_one("#p-top").border_title = "Biggest open deals closing this quarter"
        self._narrow(self.size)
        self.reload()

    def on_resize(self, event) -> None:
        self._narrow(event.size)

    def _narrow(self, size) -> None:
        self.set_class(size.width < 76, "-narrow")
        tall = size.height >= TALL  # room for the lists below the charts
        if tall != self.has_class("-tall"):
            self.set_class(tall, "-tall")
            if tall:
                self._load_lists()

    def reload(self) -> None:
        self.mark_loaded()
        clock = self.crm.clock
        self.read(lambda s: tasks_tile(s, clock), self._tasks, group="d-tasks")
        if self.has_class("-tall"):
            self._load_lists()
        if _reports()[0] is None:
            note = Text("reports are not available yet in this version", style="dim")
            for tile_id in ("#t-forecast", "#t-winrate", "#t-stale"):
                self.query_one(tile_id, Tile).show(Text("—", style="dim"), note)
            self.query_one("#c-pipeline", BarChart).show([], note)
            self.query_one("#c-won", ColumnChart).show([], note)
            return
        self.read(lambda s: forecast_tile(s, clock), self._forecast, group="d-forecast",
                  error=lambda exc: self._failed("#t-forecast", exc))
        self.read(lambda s: win_rate_tile(s, clock), self._win_rate, group="d-winrate",
                  error=lambda exc: self._failed("#t-winrate", exc))
        self.read(lambda s: pipeline_chart(s, clock), self._pipeline, group="d-pipeline",
                  error=lambda exc: self._failed("#t-stale", exc))
        self.read(lambda s: won_chart(s, clock), self._won, group="d-won")

    def _failed(self, tile_id: str, exc) -> None:
        from crmtui.screens.base import error_text

        self.query_one(tile_id, Tile).show(Text("—", style="dim"),
                                           Text(error_text(exc), style="red"))

    def _load_lists(self) -> None:
        clock = self.crm.clock
        due, top = self.query_one("#due", VirtualTable), self.query_one("#top", VirtualTable)
        limit = max(10, self.size.height)

        def fill(table):
            def done(result):
                rows, more = result
                table.replace(rows, at_start=True, at_end=True, offset=0,
                              cursor_id=table.current.id if table.current else None)
            return done

        self.read(lambda s: due_rows(s, clock, limit), fill(due), group="d-due")
        self.read(lambda s: top_deals(s, clock, limit), fill(top), group="d-top")

    @on(VirtualTable.Activated)
    def _open_row(self, message: VirtualTable.Activated) -> None:
        target = message.row.data.get("target")
        if target:
            self.crm.open_record(*target)

    @on(VirtualTable.NeedRows)
    def _no_more(self, message: VirtualTable.NeedRows) -> None:
        message.stop()  # the panels show the top of each list; the lists behind them page

    # -- painting -------------------------------------------------------------------------
    def _forecast(self, data: dict) -> None:
        value = Text(p.short_money(data["amount"]), style="bold", end="")
        value.append(" open")
        detail = Text(f"{data['count']:,} deals\n{p.short_money(data['weighted'])} weighted\n",
                      end="")
        detail.append(f"{p.short_money(data['won'])} won", style="green")
        tile = self.query_one("#t-forecast", Tile)
        tile.border_title = f"{data['period'][-2:]} pipeline" if data["period"] else \
            "This quarter"
        tile.show(value, detail)

    def _win_rate(self, data: dict) -> None:
        rate = data["rate"]
        value = Text("—" if rate is None else f"{rate * 100:.0f}%", style="bold", end="")
        detail = Text(f"{data['won']} won", style="green", end="")
        detail.append("\n")
        detail.append(f"{data['lost']} lost", style="red")
        self.query_one("#t-winrate", Tile).show(value, detail)

    def _tasks(self, data: dict) -> None:
        def n(count, capped):
            return f"{count:,}+" if capped else f"{count:,}"

        value = Text(end="")
        value.append(f"{n(data['overdue'], data['overdue_capped'])} overdue",
                     style="bold red" if data["overdue"] else "bold")
        detail = Text(f"{n(data['today'], data['today_capped'])} due today", end="")
        detail.append("\nenter: agenda", style="dim")
        self.query_one("#t-tasks", Tile).show(value, detail)

    def _pipeline(self, data: dict) -> None:
        stale = data["stale"]
        value = Text(f"{stale:,}", style="bold yellow" if stale else "bold", end="")
        value.append(" stale")
        detail = Text(f"of {data['open']:,} open", end="")
        self.query_one("#t-stale", Tile).show(value, detail)
        bars = [(p.t(stage), amount, f"{p.short_money(amount)} · {count:,}", weighted)
                for stage, count, amount, weighted in data["rows"]]
        note = Text("█", style="cyan", end="")
        note.append(" weighted  ", style="dim")
        note.append("▒", style="cyan")
        note.append(" amount · deals", style="dim")
        if len(data["pipelines"]) > 1:
            note.append(" · all pipelines", style="dim")
        self.query_one("#c-pipeline", BarChart).show(
            bars, note if bars else Text("no open deals", style="dim"))

    def _won(self, months: list[tuple[str, int]]) -> None:
        columns = [(label, amount, p.short_money(amount)) for label, amount in months]
        self.query_one("#c-won", ColumnChart).show(columns)

    # -- jumps ----------------------------------------------------------------------------
    @on(Selectable.Selected)
    def _selected(self, message: Selectable.Selected) -> None:
        target = message.widget.id
        crm = self.crm
        if target == "t-forecast":
            crm.show_list("opportunity", {"status": "open", "closing_after": "@quarter_start",
                                          "closing_before": "@quarter_end"},
                          view="Open deals closing this quarter", sort="close_date",
                          descending=False)
        elif target == "t-winrate":
            start, end = win_rate_range(crm.clock)
            crm.show_list("opportunity", {"status": "closed", "closed_after": start.isoformat(),
                                          "closed_before": end.isoformat()},
                          view=f"Closed in the last {WIN_RATE_DAYS} days", sort="closed_at",
                          descending=True)
        elif target == "t-tasks":
            crm.go("agenda")
        elif target == "t-stale":
            crm.show_list("opportunity", {"stale": True}, view="Stale deals", sort="id",
                          descending=True)
        elif target == "c-pipeline":
            crm.go("board")
        elif target == "c-won":
            crm.show_list("opportunity", {"status": "won"}, view="Won deals", sort="closed_at",
                          descending=True)

    def action_back(self) -> None:
        self.crm.back()
