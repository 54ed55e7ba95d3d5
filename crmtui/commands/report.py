"""`crm report NAME` and `crm quota ...`: parse options, compute, print.

The commands are built from `crmtui.reports.REPORTS`: each report gets the options its spec
lists, plus --json / --jsonl / --csv / --md (see FORMATS_HELP). Numbers come from `crmtui.reports` (SQL over the store);
`crmtui.reports.layout` says how they read as tables; this module only prints them.
"""


import inspect
import sys
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import CsvOpt, JsonlOpt, JsonOpt, handle, store_session
from crmtui.reports import OPTION_FLAGS, REPORTS

app = typer.Typer(help="Pipeline reports and forecasts: pipeline, forecast, win-rate, velocity, "
                       "funnel, cycle, lost-reasons, sources, activity, accounts, attainment.",
                  no_args_is_help=True)
quota_app = typer.Typer(help="Quotas: what each owner should win per period "
                             "(for `crm report attainment`).", no_args_is_help=True)

# option name -> (type, default help)
OPTIONS: dict[str, tuple[Any, str]] = {
    "date_from": (Optional[str], "From this date, inclusive (ISO 8601 or e.g. '30 days ago')"),
    "date_to": (Optional[str], "To this date, inclusive"),
    "owner": (Optional[str], "Only this owner (ignoring case)"),
    "pipeline": (Optional[str], "Only this pipeline (name or id)"),
    "as_of": (Optional[str], "Rebuild the state at the end of this day from stage history"),
    "by": (Optional[str], "Group by"),
    "periods": (Optional[int], "Number of periods"),
    "currency": (Optional[str], "Report currency (default: `currency` in config.toml, else "
                                "USD); deals in others count only with a rate under \\[rates] in "
                                "config.toml"),
    "days": (Optional[int], "Days"),
    "period": (Optional[str], "One quota period: 2026-Q4 or 2026-11"),
    "limit": (Optional[int], "Longest lists show this many rows (default 20)"),
}
DATES = ("date_from", "date_to", "as_of")
MdOpt = Annotated[bool, typer.Option("--md", help="Print Markdown tables (to paste into an "
                                                  "email or chat)")]
ReportJsonlOpt = Annotated[bool, typer.Option(
    "--jsonl", help="Print JSON Lines: one JSON object per row of the main table (the "
                    "objects of --json's `rows`, same keys and values; velocity without "
                    "--by owner: one line of its figures); totals and notes are left out")]
FORMATS_HELP = ("Output: a table; --json the whole result (README \"Reports\"); --jsonl one "
                "JSON object per row of the main table, a line each (the objects of --json's "
                "`rows`); --csv the main table with raw values; --md Markdown tables.")


def _param(name: str, spec) -> inspect.Parameter:
    kind, default_help = OPTIONS[name]
    help_text = spec.help.get(name, default_help)
    extra = {}
    if name == "by":
        # a choice of the values in the report's spec (crmtui.reports.REPORTS, the one list
        # of them): anything else is a usage error (exit 2); matched ignoring case
        help_text = f"Group by (default {spec.by[0]})"
        kind = Optional[Enum(f"By_{spec.module}", {value: value for value in spec.by},
                             type=str)]
        extra["case_sensitive"] = False
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                             default=typer.Option(None, OPTION_FLAGS[name], help=help_text,
                                                  **extra))


def _format_params() -> list[inspect.Parameter]:
    def opt(name, annotation):
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                 default=False)
    return [opt("json_", JsonOpt), opt("jsonl", ReportJsonlOpt), opt("csv_", CsvOpt),
            opt("md", MdOpt)]


def _command(name: str):
    spec = REPORTS[name]

    def command(**kwargs):
        fmt = output.pick(kwargs.pop("json_"), kwargs.pop("jsonl"), kwargs.pop("csv_"),
                          kwargs.pop("md"))
        run(name, kwargs, fmt)

    params = [_param(option, spec) for option in spec.options] + _format_params()
    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = name.replace("-", "_")
    command.__doc__ = spec.description
    return handle(command)


for _name in REPORTS:
    app.command(_name, help=REPORTS[_name].description + "\n\n" + FORMATS_HELP)(
        _command(_name))


def options_from(raw: dict):
    """Command-line values -> ReportOptions (dates parsed the way the rest of crm reads them)."""
    from crmtui.domain import dates
    from crmtui.reports import ReportOptions

    values = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key in DATES:
            field = OPTION_FLAGS[key].lstrip("-")
            value = dates.parse_date(value, field)
        elif key == "by":
            value = getattr(value, "value", value).strip().lower()
        values[key] = value
    return ReportOptions(**values)


@handle
def run(name: str, raw: dict, fmt: str) -> None:
    options = options_from(raw)
    with store_session() as s:
        result = REPORTS[name].compute(s, options)
    render(name, result, fmt)


# -- printing -----------------------------------------------------------------------------------

def render(name: str, result: dict, fmt: str) -> None:
    from crmtui.reports import layout

    if fmt == "json":
        output.write(output.dumps(result))
        return
    sections = layout.sections(name, result)
    if fmt == "jsonl":
        main = next((sec for sec in sections if sec.main), sections[0])
        for row in main.rows:
            sys.stdout.write(output.dumps(row, indent=None) + "\n")
        sys.stdout.flush()
        return
    if fmt == "csv":
        main = next((sec for sec in sections if sec.main), sections[0])
        rows, keys = _csv_rows(main, result)
        sys.stdout.write(output.csv_text(rows, keys, for_terminal=sys.stdout.isatty()))
        sys.stdout.flush()
        return
    empty = layout.empty(name, result)
    if fmt == "md":
        output.write(_markdown(name, result, sections, empty))
        return
    from rich.text import Text

    from crmtui.textsafe import visible

    con = output.console()
    con.print(Text(visible(layout.title(name, result, _extra(name, result))), style="bold"))
    if empty:
        con.print(Text(visible(empty)))
        for line in layout.notes(name, result):
            con.print(Text(visible(line), style="dim"))
        return
    for section in sections:
        if not section.rows:
            continue
        con.print(_table(section, con.width))
    for line in layout.all_notes(name, result):
        con.print(Text(visible(line), style="dim"))


def _extra(name: str, result: dict) -> str:
    if name == "forecast":
        return f"by {result['by']}, {result['start']} to {result['end']}"
    if name in ("win-rate", "velocity") and result.get("by") not in (None, "total"):
        return f"by {result['by']}"
    if name == "activity":
        return f"{len(result['weeks'])} weeks from {result['week_starts'][0]}"
    return ""


def _widths(section, rows, total, bar_width: int) -> int:
    width = 1
    for col in section.columns:
        cells = [len(r[col.key]) for r in rows] + [len(col.header)]
        if total is not None:
            cells.append(len(total.get(col.key, "")))
        natural = bar_width if col.kind == "bar" else max(cells)
        width += natural + 3
    return width


def _table(section, available: int):
    """Fit the section to the terminal: drop cents, then the least needed columns."""
    from dataclasses import replace

    from crmtui.reports import layout

    bar_width = 16 if available >= 100 else 10
    current = section
    cents = True
    while True:
        rows, total = layout.formatted(current, cents=cents, bar_width=bar_width)
        if _widths(current, rows, total, bar_width) <= available:
            break
        if cents and any(c.kind == "money" for c in current.columns):
            cents = False
            continue
        droppable = [c for c in current.columns if c.drop]
        if not droppable:
            break
        worst = max(droppable, key=lambda c: c.drop)
        current = replace(current, columns=[c for c in current.columns if c is not worst])
    columns = [(c.key, c.header) for c in current.columns]
    right = {c.key for c in current.columns if c.kind in layout.RIGHT}
    return output.table(rows, columns, title=current.title, right=right, footer=total,
                        width=available, limit=80)


def _markdown(name: str, result: dict, sections, empty: str | None) -> str:
    from crmtui.reports import layout
    from crmtui.textsafe import visible

    def esc(text: str) -> str:
        return visible(text).replace("|", "\\|")

    lines = [f"**{esc(layout.title(name, result, _extra(name, result)))}**", ""]
    if empty:
        return "\n".join(lines + [esc(empty)])
    for section in sections:
        if not section.rows:
            continue
        cols = [c for c in section.columns if c.kind not in ("bar", "spark")]
        rows, total = layout.formatted(section)
        if section.title:
            lines += [esc(section.title), ""]
        lines.append("| " + " | ".join(esc(c.header) for c in cols) + " |")
        lines.append("|" + "|".join(" ---: " if c.kind in layout.RIGHT else " --- "
                                    for c in cols) + "|")
        for row in rows + ([total] if total else []):
            lines.append("| " + " | ".join(esc(row.get(c.key, "")) for c in cols) + " |")
        lines.append("")
    lines += [esc(line) for line in layout.all_notes(name, result)]
    return "\n".join(lines).rstrip() + "\n"


def _csv_rows(section, result: dict) -> tuple[list[dict], list[str]]:
    """The main table with raw values (amounts "1234.50", rates 0.625); lists become columns."""
    keys: list[str] = []
    for col in section.columns:
        if col.kind == "bar":
            continue
        if col.kind == "spark":
            labels = result.get("weeks") or []
            keys += [f"{col.key}:{label}" for label in labels]
        else:
            keys.append(col.key)
    rows = []
    for row in section.rows:
        flat = {}
        for col in section.columns:
            value = row.get(col.key)
            if col.kind == "spark":
                for label, item in zip(result.get("weeks") or [], value or []):
                    flat[f"{col.key}:{label}"] = item
            elif col.kind != "bar":
                flat[col.key] = value
        rows.append(flat)
    return rows, keys


# -- quotas -------------------------------------------------------------------------------------

QUOTA_COLUMNS = [("owner", "Owner"), ("period", "Period"), ("start", "From"), ("end", "To"),
                 ("amount_display", "Quota"), ("id", "ID")]
OwnerOpt = Annotated[str, typer.Option("--owner", help="Owner (a user name)")]
PeriodOpt = Annotated[str, typer.Option("--period", help="Quarter (2026-Q4) or month (2026-11)")]


@quota_app.command("set", help="Set (or replace) an owner's quota for a period, e.g. crm quota "
                               "set --owner ada --period 2026-Q4 --amount 50000")
@handle
def quota_set(owner: OwnerOpt, period: PeriodOpt,
              amount: Annotated[str, typer.Option("--amount", help="Target amount, e.g. 50000")],
              currency: Annotated[Optional[str], typer.Option(
                  "--currency", help="Currency (default: the reports' currency)")] = None,
              json_: JsonOpt = False):
    from crmtui.reports import quotas

    with store_session(write=True) as s:
        quota, created = quotas.set_quota(s, owner, period, amount, currency)
        record = quotas.to_dict(quota)
    if json_:
        output.write(output.dumps(record))
    else:
        from crmtui.reports.layout import money

        output.note(f"{'set' if created else 'updated'} quota for {record['owner']} in "
                    f"{record['period']}: {money(record['amount'])} {record['currency']}")


@quota_app.command("list", help="List quotas (by period, then owner).")
@handle
def quota_list(owner: Annotated[Optional[str], typer.Option("--owner", help="Only this owner")]
               = None,
               period: Annotated[Optional[str], typer.Option("--period",
                                                             help="Only this period")] = None,
               json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    from crmtui.reports import quotas
    from crmtui.reports.layout import money

    fmt = output.pick(json_, jsonl, csv_)
    with store_session() as s:
        rows = [quotas.to_dict(q) for q in quotas.list_quotas(s, owner=owner, period=period)]
    if fmt == "table":
        for row in rows:
            row["amount_display"] = f"{money(row['amount'])} {row['currency']}"
    output.emit(rows, fmt, QUOTA_COLUMNS, title="Quotas", right={"amount_display", "id"},
                empty="No quotas. Set one: crm quota set --owner ada --period 2026-Q4 "
                      "--amount 50000",
                all_keys=["id", "owner", "period", "start", "end", "amount", "currency",
                          "created_at", "updated_at", "version"])


@quota_app.command("delete", help="Delete an owner's quota for a period.")
@handle
def quota_delete(owner: OwnerOpt, period: PeriodOpt):
    from crmtui.reports import quotas

    with store_session(write=True) as s:
        quota = quotas.delete_quota(s, owner, period)
        label = f"{quota.owner} in {quota.period}"
    output.note(f"deleted the quota for {label}")
