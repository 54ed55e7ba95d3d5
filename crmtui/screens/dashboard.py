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
from textual.containers import Grid, Horizontal
from textual.widgets import Footer

from crmtui.screens import present as p
from crmtui.screens.base import CrmScreen
from crmtui.widgets.charts import BarChart, ColumnChart, Selectable, Tile


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


def win_rate_tile(s, clock: p.Clock) -> dict:
    REPORTS, Options = _reports()
    today = clock.now().date()
    result = REPORTS["win-rate"].compute(s, Options(date_from=today - timedelta(days=90),
                                                    date_to=today, now=clock.now()))
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


class DashboardScreen(CrmScreen):
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
    """
    BINDINGS = [
        Binding("right,l", "focus_next", "Next", show=False, id="dashboard.next"),
        Binding("left,h", "focus_previous", "Previous", show=False, id="dashboard.previous"),
        Binding("down,j", "focus_next", "Next", show=False, id="dashboard.down"),
        Binding("up,k", "focus_previous", "Previous", show=False, id="dashboard.up"),
        Binding("escape", "back", "Back", show=False, id="dashboard.back"),
    ]

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        with Grid(id="tiles"):
            yield Tile("This quarter", id="t-forecast")
            yield Tile("Win rate · 90 days", id="t-winrate")
            yield Tile("Tasks", id="t-tasks")
            yield Tile("Stale deals", id="t-stale")
        with Horizontal(id="charts"):
            yield BarChart("Open pipeline by stage", id="c-pipeline")
            yield ColumnChart("Won by month", id="c-won")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#t-forecast").focus()
        self._narrow(self.size.width)
        self.reload()

    def on_resize(self, event) -> None:
        self._narrow(event.size.width)

    def _narrow(self, width: int) -> None:
        self.set_class(width < 76, "-narrow")

    def reload(self) -> None:
        self.mark_loaded()
        clock = self.crm.clock
        self.read(lambda s: tasks_tile(s, clock), self._tasks, group="d-tasks")
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

    # -- painting -------------------------------------------------------------------------
    def _forecast(self, data: dict) -> None:
        value = Text(p.short_money(data["amount"]), style="bold", end="")
        value.append(f" open · {data['count']:,}", style="")
        detail = Text(f"weighted {p.short_money(data['weighted'])}\n", end="")
        detail.append(f"won {p.short_money(data['won'])}", style="green")
        detail.append(f" · {data['period']}", style="dim")
        self.query_one("#t-forecast", Tile).show(value, detail)

    def _win_rate(self, data: dict) -> None:
        rate = data["rate"]
        value = Text("—" if rate is None else f"{rate * 100:.0f}%", style="bold", end="")
        detail = Text(f"{data['won']} won", style="green", end="")
        detail.append(" · ")
        detail.append(f"{data['lost']} lost", style="red")
        self.query_one("#t-winrate", Tile).show(value, detail)

    def _tasks(self, data: dict) -> None:
        def n(count, capped):
            return f"{count:,}+" if capped else f"{count:,}"

        value = Text(end="")
        value.append(f"{n(data['overdue'], data['overdue_capped'])} overdue",
                     style="bold red" if data["overdue"] else "bold")
        detail = Text(f"{n(data['today'], data['today_capped'])} due today", end="")
        self.query_one("#t-tasks", Tile).show(value, detail)

    def _pipeline(self, data: dict) -> None:
        stale = data["stale"]
        value = Text(f"{stale:,}", style="bold yellow" if stale else "bold", end="")
        detail = Text(f"of {data['open']:,} open deals", end="")
        self.query_one("#t-stale", Tile).show(value, detail)
        bars = [(p.t(stage), amount, f"{p.short_money(amount)} · {count:,}")
                for stage, count, amount, _ in data["rows"]]
        note = None
        if len(data["pipelines"]) > 1:
            note = Text("all pipelines", style="dim")
        self.query_one("#c-pipeline", BarChart).show(
            bars, note or (Text("no open deals", style="dim") if not bars else None))

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
            crm.show_list("opportunity", {"status": "closed"}, view=None, sort="closed_at",
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
