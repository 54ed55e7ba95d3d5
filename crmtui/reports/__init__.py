"""Pipeline reports and forecasting: the numbers behind `crm report NAME` and the app's dashboard.

The contract both faces rely on:

- `REPORTS`: name as on the command line (``"win-rate"``) -> `ReportSpec` (title, description,
  the options it reads, the `--by` values it accepts);
- `ReportOptions`: every option a report may read, with defaults; a report ignores the ones
  its spec does not list;
- each report module (`crmtui.reports.win_rate`, ...) has ``compute(session, options) -> dict``,
  the JSON contract documented in README "Reports" (amounts are strings with two decimals,
  periods ``YYYY-Qn`` / ``YYYY-MM`` / ``YYYY-Www``, rates floats 0..1, days floats);
  ``REPORTS[name].compute(session, options)`` imports the module and calls it.

Reports aggregate in SQL (GROUP BY over the store, never every row in Python). Anything
SQLite-specific sits in `crmtui.reports.sql`. `crmtui.reports.layout` turns a result into
plain-text table sections that the CLI prints with Rich and the app can show as it likes.

This file imports nothing heavy (no sqlalchemy), so `crm --help` can list the reports;
the package imports no typer, rich or textual at all.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

# Names of the ReportOptions fields, as the CLI spells them (`date_from` is `--from`).
OPTION_FLAGS = {
    "date_from": "--from", "date_to": "--to", "owner": "--owner", "pipeline": "--pipeline",
    "as_of": "--as-of", "by": "--by", "periods": "--periods", "currency": "--currency",
    "days": "--days", "period": "--period", "limit": "--limit",
}


@dataclass
class ReportOptions:
    """What a report is asked. Dates are inclusive UTC calendar days; None means "not given"."""

    date_from: date | None = None
    date_to: date | None = None
    owner: str | None = None            # matched ignoring case
    pipeline: str | int | None = None   # name, id or external id
    as_of: date | datetime | None = None  # rebuild the state at the end of this day
    by: str | None = None               # grouping; the spec's first `by` value by default
    periods: int | None = None          # forecast: periods ahead; activity: weeks back
    currency: str | None = None         # report currency (default: settings, then USD)
    days: int | None = None             # activity: idle days; accounts: at-risk days
    period: str | None = None           # attainment: one quota period (2026-Q4, 2026-11)
    limit: int | None = None            # longest lists (idle deals, accounts): rows shown
    now: datetime | None = None         # the clock; tests pin it, default the current time

    def with_(self, **changes: Any) -> "ReportOptions":
        return replace(self, **changes)

    def given(self) -> dict[str, Any]:
        """The options that differ from the defaults (for the `filters` key of a result)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "now" and value is not None:
                out[f.name] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    description: str
    options: tuple[str, ...]
    module: str
    by: tuple[str, ...] = ()
    help: dict[str, str] = field(default_factory=dict)  # per-report help for an option

    def compute(self, session, options: ReportOptions | None = None) -> dict:
        module = importlib.import_module(f"crmtui.reports.{self.module}")
        return module.compute(session, options or ReportOptions())


_COMMON = ("date_from", "date_to", "owner", "pipeline", "currency")

REPORTS: dict[str, ReportSpec] = {spec.name: spec for spec in (
    ReportSpec(
        "pipeline", "Pipeline by stage",
        "Open deals per stage in pipeline order: count, amount, weighted amount "
        "(amount x probability), average days in stage, stale deals.",
        _COMMON + ("as_of",), "pipeline",
        help={"date_from": "Only deals expected to close on or after this date",
              "date_to": "Only deals expected to close on or before this date"}),
    ReportSpec(
        "forecast", "Forecast",
        "Open deals by expected close period: amount, weighted, commit, best and worst case, "
        "and what was already won in each period.",
        _COMMON + ("as_of", "by", "periods"), "forecast", by=("month", "quarter"),
        help={"periods": "Number of periods from the current one (default 6 months or "
                         "4 quarters)",
              "date_from": "First period: the one holding this date (instead of the current)",
              "date_to": "Last period: the one holding this date (instead of --periods)"}),
    ReportSpec(
        "win-rate", "Win rate",
        "Won / (won + lost) over deals closed in the range, with counts and amounts.",
        _COMMON + ("by",), "win_rate",
        by=("quarter", "month", "owner", "source", "pipeline", "stage-lost-at"),
        help={"date_from": "Only deals closed on or after this date",
              "date_to": "Only deals closed on or before this date"}),
    ReportSpec(
        "velocity", "Sales velocity",
        "Open deals x average won amount x win rate / average days from created to won: "
        "the amount the pipeline turns into revenue per day.",
        _COMMON + ("by",), "velocity", by=("total", "owner"),
        help={"date_from": "Closed deals (win rate, won amount, cycle) from this date",
              "date_to": "Closed deals up to this date"}),
    ReportSpec(
        "funnel", "Stage funnel",
        "For each stage, how many deals reached it and what share went on to the next stage "
        "and to won (from stage history; a skipped stage counts as passed).",
        ("date_from", "date_to", "owner", "pipeline", "as_of"), "funnel",
        help={"date_from": "Only deals created on or after this date",
              "date_to": "Only deals created on or before this date"}),
    ReportSpec(
        "cycle", "Sales cycle",
        "Average and median days from created to closed (won, lost, all) and the time deals "
        "spent in each stage.",
        ("date_from", "date_to", "owner", "pipeline"), "cycle",
        help={"date_from": "Only deals closed on or after this date",
              "date_to": "Only deals closed on or before this date"}),
    ReportSpec(
        "lost-reasons", "Lost reasons",
        "Lost deals and their amount by reason.",
        _COMMON, "lost_reasons",
        help={"date_from": "Only deals lost on or after this date",
              "date_to": "Only deals lost on or before this date"}),
    ReportSpec(
        "sources", "Lead sources",
        "Leads by source -> qualified -> converted -> won, with conversion rates and the "
        "won amount.",
        ("date_from", "date_to", "owner", "currency"), "sources",
        help={"date_from": "Only leads created on or after this date",
              "date_to": "Only leads created on or before this date"}),
    ReportSpec(
        "activity", "Activity",
        "Done activities by owner and kind per week, and open deals without activity "
        "for N days.",
        ("date_from", "date_to", "owner", "pipeline", "periods", "days", "limit", "currency"),
        "activity",
        help={"periods": "Weeks to show, ending with the current week (default 8)",
              "days": "Idle deals: no activity for this many days (default: stale_days, 14)",
              "date_from": "Activities done on or after this date (instead of --periods)",
              "date_to": "Activities done on or before this date"}),
    ReportSpec(
        "accounts", "Accounts",
        "Customer value per account (won to date, open pipeline, last activity), an A/B/C "
        "segment by share of won revenue, and customers at risk.",
        _COMMON + ("days", "limit"), "accounts",
        help={"days": "At risk: no open deal, no activity and nothing closed for this many "
                      "days (default 90)",
              "owner": "Only accounts of this owner",
              "date_from": "Count deals won on or after this date",
              "date_to": "Count deals won on or before this date"}),
    ReportSpec(
        "attainment", "Quota attainment",
        "Quota per owner and period against the amount won, the gap, and the weighted "
        "pipeline expected to close in the period.",
        ("date_from", "date_to", "owner", "pipeline", "currency", "period"), "attainment",
        help={"date_from": "Quotas whose period ends on or after this date",
              "date_to": "Quotas whose period starts on or before this date"}),
)}


def spec(name: str) -> ReportSpec:
    try:
        return REPORTS[name]
    except KeyError:
        from crmtui.errors import NotFound

        raise NotFound(f"no report named {name!r}",
                       hint="reports: " + ", ".join(REPORTS)) from None


__all__ = ["REPORTS", "ReportOptions", "ReportSpec", "OPTION_FLAGS", "spec"]
