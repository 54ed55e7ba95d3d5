"""How each report reads as tables: sections of columns over a result's rows, for people.

`sections(name, result)` gives the tables to show (title, columns, rows, total row), in
order; `notes(name, result)` the lines to print under them (left-out currencies, deals
outside the forecast, ...); `empty(name, result)` a helpful line when there is nothing to
show. Cells are formatted by the column kind with `cell()`:

    text   as is              int    1,234            money  12,345.67 (or 12,346 short)
    rate   62.5% (of 0..1)    pct    75% (of 0..100)      days   12.5
    attained  like rate, rounded down: 99.9% (0.9999), never 100.0% short of 1
    date   2026-11-25         bar    ████▌ (value / largest)
    spark  ▁▃█▅ (a list of numbers)

Columns carry a `drop` rank: when a table is too wide for the terminal the CLI drops the
highest ranks first (0: never). Pure Python; the CLI renders with Rich, the app as it likes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from crmtui.domain import words
from crmtui.reports import REPORTS, charts

RIGHT = {"int", "money", "rate", "attained", "pct", "days"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"
    drop: int = 0
    of: str | None = None  # bar: the key whose value the bar shows (default: `key`)
    labels: tuple[tuple[str, str], ...] = ()  # how values read for people (CSV: raw values)

    def shown(self, value):
        return dict(self.labels).get(value, value) if self.labels else value


@dataclass
class Section:
    title: str | None
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None
    main: bool = True  # the table CSV carries
    notes: list[str] = field(default_factory=list)


# -- formatting ---------------------------------------------------------------------------------

def money(value, *, cents: bool = True) -> str:
    """1,234.50; without cents rounded half-up (away from zero), as amounts are everywhere."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if cents:
        return f"{number.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return f"{number.quantize(Decimal(1), rounding=ROUND_HALF_UP):,.0f}"


def cell(value, kind: str, *, cents: bool = True) -> str:
    if value is None:
        return "–" if kind in RIGHT else ""
    if kind == "money":
        return money(value, cents=cents)
    if kind == "int":
        return f"{int(value):,}"
    if kind == "rate":
        return f"{float(value) * 100:,.1f}%"
    if kind == "attained":  # a quota reached: 99.96% is not 100.0% (the gap is not 0)
        shown = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
        return f"{shown:,.1f}%"
    if kind == "pct":
        return f"{int(value)}%"
    if kind == "date":
        return str(value)[:10]
    if kind == "days":
        return f"{float(value):,.1f}"
    if kind == "spark":
        return charts.sparkline(value)
    return str(value)


def formatted(section: Section, *, cents: bool = True, bar_width: int = 16) -> tuple[list, dict]:
    """Rows (and the total row) as strings keyed like the columns, bars drawn."""
    largest = {}
    for col in section.columns:
        if col.kind == "bar":
            source = col.of or col.key
            largest[col.key] = max((_number(r.get(source)) for r in section.rows), default=0)
    out = []
    for row in section.rows:
        line = {}
        for col in section.columns:
            if col.kind == "bar":
                line[col.key] = charts.bar(_number(row.get(col.of or col.key)), largest[col.key],
                                           bar_width)
            else:
                line[col.key] = cell(col.shown(row.get(col.key)), col.kind, cents=cents)
        out.append(line)
    total = None
    if section.total is not None:
        total = {col.key: ("" if col.kind == "bar" else
                           cell(col.shown(section.total.get(col.key)), col.kind, cents=cents)
                           if col.key in section.total else "")
                 for col in section.columns}
    return out, total


def _number(value) -> float:
    if value in (None, ""):
        return 0.0
    return float(Decimal(str(value)))


# -- titles and notes ---------------------------------------------------------------------------

def title(name: str, result: dict, extra: str = "") -> str:
    parts = [REPORTS[name].title]
    pipelines = result.get("pipelines")
    if result.get("pipeline"):
        parts.append(result["pipeline"])
    elif pipelines and len(pipelines) == 1:
        parts.append(pipelines[0])
    filters = result.get("filters", {})
    if filters.get("owner"):
        parts.append(f"owner {filters['owner']}")
    if extra:
        parts.append(extra)
    # a forecast states the periods it covers itself (`extra`): its range is not repeated
    if (filters.get("date_from") or filters.get("date_to")) and not (
            name == "forecast" and extra):
        parts.append(f"{filters.get('date_from', '…')} to {filters.get('date_to', '…')}")
    if result.get("as_of"):
        parts.append(f"as of {result['as_of']}")
    text = " · ".join(parts)
    if _has_money(name):
        text += f" ({result.get('currency')})"
    return text


def _has_money(name: str) -> bool:
    return name not in ("funnel", "cycle")


def notes(name: str, result: dict) -> list[str]:
    out = []
    for entry in result.get("excluded", []):
        out.append(f"Left out: {words.count(entry['count'], 'deal')} in {entry['currency']} "
                   f"({money(entry['amount'])} {entry['currency']}); add a rate under "
                   f"[rates] in config.toml, or pass --currency {entry['currency']}.")
    out.extend(_skipped_quotas(result.get("skipped_quotas") or []))
    return out


def _skipped_quotas(skipped: list[dict]) -> list[str]:
    """Attainment: quotas in a currency without a rate, per currency."""
    by_currency: dict = {}
    for q in skipped:
        by_currency.setdefault(q["currency"], []).append(q)
    out = []
    for currency, quotas in sorted(by_currency.items()):
        named = ", ".join(f"{q['owner']} {q['period']}" for q in quotas[:3])
        if len(quotas) > 3:
            named += f" and {len(quotas) - 3:,} more"
        amount = sum(Decimal(str(q["amount"] or 0)) for q in quotas)
        out.append(f"Left out: {words.count(len(quotas), 'quota')} in {currency} ({named}: "
                   f"{money(amount)} {currency}); add a rate for {currency} under [rates] in "
                   f"config.toml, or pass --currency {currency}.")
    return out


# -- the reports --------------------------------------------------------------------------------

def sections(name: str, result: dict) -> list[Section]:
    return _LAYOUTS[name](result)


def _pipeline(r: dict) -> list[Section]:
    multi = len(r.get("pipelines", [])) > 1
    cols = ([Column("pipeline", "Pipeline", drop=3)] if multi else []) + [
        Column("stage", "Stage"),
        Column("count", "Deals", "int"),
        Column("amount", "Amount", "money"),
        Column("weighted", "Weighted", "money"),
        Column("probability", "Prob", "pct", drop=2),
        Column("avg_age_days", "Avg days", "days", drop=4),
        Column("stale", "Stale", "int", drop=5),
        Column("bar", "", "bar", drop=6, of="amount"),
    ]
    rows = r["rows"]
    if r.get("as_of"):
        cols = [c for c in cols if c.key != "stale"]
    total = dict(r["total"], stage="Total")
    return [Section(None, cols, rows, total)]


def _forecast(r: dict) -> list[Section]:
    cols = [
        Column("period", "Period"),
        Column("count", "Deals", "int", drop=8),
        Column("amount", "Pipeline", "money", drop=5),
        Column("weighted", "Weighted", "money"),
        Column("commit", "Commit", "money"),
        Column("won", "Won", "money"),
        Column("worst_case", "Worst", "money", drop=7),
        Column("expected", "Expected", "money", drop=4),
        Column("best_case", "Best", "money", drop=6),
        Column("bar", "", "bar", drop=9, of="expected"),
    ]
    total = dict(r["total"], period="Total")
    return [Section(None, cols, r["rows"], total)]


def _forecast_notes(r: dict) -> list[str]:
    out = []
    for key, label in (("earlier", f"expected to close before {r['start']} (slipped)"),
                       ("later", f"expected to close after {r['end']}"),
                       ("undated", "without an expected close date")):
        part = r[key]
        if part["count"]:
            out.append(f"Also open: {words.count(part['count'], 'deal')} {label}: {money(part['amount'])} "
                       f"(weighted {money(part['weighted'])}).")
    if r["overdue"]["count"]:
        n = r["overdue"]["count"]
        out.append(f"{words.count(n, 'open deal')} {'is' if n == 1 else 'are'} past "
                   f"{'its' if n == 1 else 'their'} expected close date "
                   f"({money(r['overdue']['amount'])}); `crm opp list --overdue` lists "
                   f"{'it' if n == 1 else 'them'}.")
    rule = f"Commit: probability >= {r['commit_probability']}%"
    if r["commit_stages"]:
        rule += " or stage " + ", ".join(r["commit_stages"])
    out.append(rule + ". Worst case = won + commit; best case = won + pipeline; expected = "
                      "won + weighted.")
    return out


def _win_rate(r: dict) -> list[Section]:
    by = r["by"]
    if by == "stage-lost-at":
        cols = [Column("stage", "Reached stage"), Column("won", "Won", "int"),
                Column("lost", "Lost", "int"), Column("win_rate", "Win rate", "rate"),
                Column("lost_here", "Lost here", "int"),
                Column("lost_here_amount", "Lost here amount", "money", drop=2),
                Column("bar", "", "bar", drop=3, of="win_rate")]
        total = None
    else:
        key = "period" if by in ("quarter", "month") else by
        cols = [Column(key, key.capitalize()), Column("won", "Won", "int"),
                Column("lost", "Lost", "int"), Column("win_rate", "Win rate", "rate"),
                Column("won_amount", "Won amount", "money"),
                Column("lost_amount", "Lost amount", "money", drop=2),
                Column("bar", "", "bar", drop=3, of="win_rate")]
        total = {key: "Total", "won": r["won"], "lost": r["lost"], "win_rate": r["win_rate"],
                 "won_amount": r["won_amount"], "lost_amount": r["lost_amount"]}
    return [Section(None, cols, r["rows"], total)]


def _velocity(r: dict) -> list[Section]:
    cols = [Column("open_deals", "Open deals", "int"),
            Column("avg_won_amount", "Avg won", "money"),
            Column("win_rate", "Win rate", "rate"),
            Column("avg_cycle_days", "Cycle days", "days"),
            Column("velocity", "Per day", "money"),
            Column("velocity_30d", "Per 30 days", "money", drop=2)]
    figures = {k: r[k] for k in ("open_deals", "won", "lost", "win_rate", "won_amount",
                                 "avg_won_amount", "avg_cycle_days", "velocity", "velocity_30d")}
    if r["by"] == "owner":
        return [Section(None, [Column("owner", "Owner")] + cols
                        + [Column("bar", "", "bar", drop=3, of="velocity")],
                        r["rows"], dict(figures, owner="Total"))]
    return [Section(None, cols, [figures])]


def _funnel(r: dict) -> list[Section]:
    cols = [Column("stage", "Stage"), Column("reached", "Reached", "int"),
            Column("share_of_start", "Of start", "rate", drop=3),
            Column("to_next", "To next", "rate"), Column("to_won", "To won", "rate"),
            Column("open", "Open here", "int", drop=2), Column("lost", "Lost here", "int", drop=2),
            Column("bar", "", "bar", drop=4, of="reached")]
    return [Section(None, cols, r["rows"])]


def _cycle(r: dict) -> list[Section]:
    labels = (("won", "Won"), ("lost", "Lost"), ("all", "All closed"))
    outcome = [Column("outcome", "Closed", labels=labels), Column("count", "Deals", "int"),
               Column("avg_days", "Avg days", "days"), Column("median_days", "Median", "days"),
               Column("min_days", "Min", "days", drop=2), Column("max_days", "Max", "days", drop=2)]
    stages = [Column("stage", "Time in stage"), Column("deals", "Deals", "int"),
              Column("avg_days", "Avg days", "days"), Column("median_days", "Median", "days"),
              Column("bar", "", "bar", drop=2, of="avg_days")]
    if len({row["pipeline"] for row in r["stages"]}) > 1:
        stages.insert(0, Column("pipeline", "Pipeline", drop=3))
    return [Section(None, outcome, r["rows"]),
            Section("Time in each stage (deals above)", stages, r["stages"], main=False)]


def _lost_reasons(r: dict) -> list[Section]:
    cols = [Column("reason", "Reason"), Column("count", "Deals", "int"),
            Column("share", "Share", "rate"), Column("amount", "Amount", "money"),
            Column("amount_share", "Of amount", "rate", drop=2),
            Column("bar", "", "bar", drop=3, of="count")]
    total = {"reason": "Total", "count": r["lost"], "amount": r["lost_amount"],
             "share": 1.0 if r["lost"] else None,
             "amount_share": 1.0 if r["lost"] else None}
    return [Section(None, cols, r["rows"], total)]


def _sources(r: dict) -> list[Section]:
    cols = [Column("source", "Source"), Column("leads", "Leads", "int"),
            Column("qualified", "Qualified", "int", drop=3),
            Column("qualified_rate", "Qual %", "rate", drop=4),
            Column("converted", "Converted", "int"),
            Column("converted_rate", "Conv %", "rate", drop=5),
            Column("won", "Won", "int"), Column("won_amount", "Won amount", "money"),
            Column("lead_to_won", "Lead→won", "rate", drop=2),
            Column("bar", "", "bar", drop=6, of="won_amount")]
    total = {"source": "Total", **{c.key: r.get(c.key) for c in cols[1:] if c.kind != "bar"}}
    return [Section(None, cols, r["rows"], total)]


def _activity(r: dict) -> list[Section]:
    kinds = r["kinds"]
    short = {"meeting": "Meet"}
    cols = ([Column("owner", "Owner")]
            + [Column(k, short.get(k, k.capitalize()), "int", drop=2) for k in kinds]
            + [Column("total", "Total", "int"), Column("per_week", "Weekly", "spark", drop=1)])
    total = dict(r["total"], owner="Total")
    out = [Section(None, cols, r["rows"], total)]
    if r["idle"]:
        idle_cols = [Column("id", "ID", "int"), Column("name", "Idle deal"),
                     Column("owner", "Owner", drop=3), Column("stage", "Stage", drop=2),
                     Column("amount", "Amount", "money", drop=4),
                     Column("days_idle", "Idle days", "days")]
        more = r["idle_deals"] - len(r["idle"])
        out.append(Section(
            f"Open deals without activity for {r['idle_days']} days: {r['idle_deals']:,} "
            f"({money(r['idle_amount'])})" + (f"; the {len(r['idle'])} longest idle" if more > 0
                                              else ""),
            idle_cols, r["idle"], main=False))
    return out


def _accounts(r: dict) -> list[Section]:
    seg_cols = [Column("segment", "Segment"), Column("accounts", "Accounts", "int"),
                Column("won_amount", "Won", "money"), Column("share", "Share", "rate"),
                Column("bar", "", "bar", drop=2, of="won_amount")]
    seg_total = {"segment": "Customers", "accounts": r["customers"],
                 "won_amount": r["won_amount"], "share": 1.0 if r["customers"] else None}
    cols = [Column("account", "Account"), Column("segment", "Seg"),
            Column("won_amount", "Won", "money"), Column("won_deals", "Deals", "int", drop=3),
            Column("cumulative_share", "Cum %", "rate", drop=4),
            Column("open_amount", "Open", "money", drop=2),
            Column("last_activity_at", "Last activity", "date", drop=5)]
    rows = r["rows"]
    out = [Section(None, seg_cols, r["segments"], seg_total, main=False),
           Section(f"Top {len(rows)} customers by won amount", cols, rows, main=True)]
    if r["at_risk"]:
        risk = r["at_risk_rows"]
        risk_cols = [Column("account", "Account"), Column("segment", "Seg"),
                     Column("won_amount", "Won", "money"),
                     Column("last_closed_at", "Last closed", "date", drop=2),
                     Column("last_activity_at", "Last activity", "date", drop=1)]
        out.append(Section(
            f"At risk: {words.count(r['at_risk'], 'customer')} with no open deal, activity or close in "
            f"{r['at_risk_days']} days ({money(r['at_risk_amount'])} won)", risk_cols, risk,
            main=False))
    return out


def _attainment(r: dict) -> list[Section]:
    cols = [Column("owner", "Owner"), Column("period", "Period"),
            Column("quota", "Quota", "money"), Column("won", "Won", "money"),
            Column("attainment", "Attained", "attained"), Column("gap", "Gap", "money"),
            Column("weighted", "Weighted pipe", "money", drop=2),
            Column("coverage", "Coverage", "rate", drop=3),
            Column("bar", "", "bar", drop=4, of="attainment")]
    total = dict(r["total"], owner="Total", period="")
    return [Section(None, cols, r["rows"], total if len(r["rows"]) > 1 else None)]


_LAYOUTS = {
    "pipeline": _pipeline, "forecast": _forecast, "win-rate": _win_rate,
    "velocity": _velocity, "funnel": _funnel, "cycle": _cycle,
    "lost-reasons": _lost_reasons, "sources": _sources, "activity": _activity,
    "accounts": _accounts, "attainment": _attainment,
}
def _velocity_notes(r: dict) -> list[str]:
    if r["velocity"] is None and r["open_deals"]:
        return ["Velocity needs a deal won in the range (for the average won amount, the win "
                "rate and the cycle)."]
    return []


_NOTES = {"forecast": _forecast_notes, "velocity": _velocity_notes}


def all_notes(name: str, result: dict) -> list[str]:
    return _NOTES.get(name, lambda r: [])(result) + notes(name, result)


def empty(name: str, result: dict) -> str | None:
    """A helpful line when the report has nothing to show, else None."""
    scope = _scope(result)
    if name == "pipeline" and not result["total"]["count"]:
        return (f"No open deals{scope}. Add one with `crm opp add NAME --amount 1000`, "
                "or try `crm demo`.")
    if name == "forecast":
        r = result
        if not (r["total"]["count"] or r["total"]["won_count"] or r["earlier"]["count"]
                or r["later"]["count"] or r["undated"]["count"]):
            return (f"No open deals and nothing won{scope} from {r['start']} to {r['end']}. "
                    "Give deals an expected close date with `crm opp edit ID --close-date ...`.")
    if name == "win-rate" and not (result["won"] + result["lost"]):
        return (f"No deals were won or lost{scope}: a win rate needs closed deals "
                "(`crm opp win ID`, `crm opp lose ID --reason ...`).")
    if name == "velocity" and not (result["open_deals"] or result["won"] or result["lost"]):
        return f"No deals{scope}: velocity needs open deals and won ones."
    if name == "funnel" and not result["deals"]:
        return f"No deals in {result['pipeline']}{scope}."
    if name == "cycle" and not result["rows"][-1]["count"]:
        return f"No deals were closed{scope}: cycle times need won or lost deals."
    if name == "lost-reasons" and not result["lost"]:
        return f"No deals were lost{scope}."
    if name == "sources" and not result["leads"]:
        return f"No leads{scope}. Add one with `crm lead add NAME --source web`."
    if name == "activity" and not (result["total"]["total"] or result["idle_deals"]):
        return (f"No activities done from {result['week_starts'][0]}{scope} and no idle open "
                "deals. Log one with `crm activity log call --on opp:ID --subject ...`.")
    if name == "accounts" and not result["customers"]:
        if not result["accounts"]:
            return f"No accounts{scope}. Add one with `crm account add NAME`."
        return f"No account has a won deal yet{scope}; segments need won revenue."
    if name == "attainment" and not result["rows"]:
        if not result["has_quotas"]:
            return ("No quotas set. Set one: `crm quota set --owner ada --period 2026-Q4 "
                    "--amount 50000`.")
        period = result.get("filters", {}).get("period")
        when = f"for {period}" if period else "for this period"
        if result.get("skipped_quotas"):  # the note below names them and the fix
            return (f"No quota in {result['currency']} {when}{scope}: the quotas found are "
                    "in other currencies.")
        if period:  # --period was given: do not suggest it again
            return (f"No quota {when}{scope}; `crm quota list` shows the quotas set.")
        return (f"No quota {when}{scope}; `crm quota list` shows the quotas set, "
                "`--period 2026-Q4` picks one.")
    return None


def _scope(result: dict) -> str:
    filters = result.get("filters", {})
    parts = []
    if filters.get("owner"):
        parts.append(f"owner {filters['owner']}")
    if result.get("pipeline") or filters.get("pipeline"):
        parts.append(f"pipeline {result.get('pipeline') or filters.get('pipeline')}")
    if filters.get("date_from") or filters.get("date_to"):
        parts.append(f"{filters.get('date_from', '…')} to {filters.get('date_to', '…')}")
    if filters.get("as_of"):
        parts.append(f"as of {filters['as_of']}")
    if result.get("excluded"):
        parts.append(f"in {result['currency']}")
    return (" (" + ", ".join(parts) + ")") if parts else ""
