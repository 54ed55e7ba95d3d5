"""`crm import ENTITY FILE|-`, `crm import history`, `crm import undo BATCH`.

Thin: options -> `crmtui.importer`, then the summary as a table (or --json). A Rich progress
bar runs on a terminal; nothing but the summary when piped. Ctrl-C and SIGTERM roll the
import back (exit 130).
"""

from __future__ import annotations

import signal
import sys
from typing import Annotated, List, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonOpt, YesOpt, handle, open_store

app = typer.Typer(help="Import records from CSV, TSV, JSON or JSON Lines files; list and undo "
                       "imports. See README 'Import and export'.", no_args_is_help=True)

ENTITIES = {"leads": "lead", "accounts": "account", "contacts": "contact",
            "opportunities": "opportunity", "activities": "activity"}
HIDDEN_ALIASES = {"lead": "lead", "account": "account", "contact": "contact", "opps": "opportunity",
                  "opp": "opportunity", "deals": "opportunity", "opportunity": "opportunity",
                  "activity": "activity"}


def _import_command(entity: str, name: str, hidden: bool) -> None:
    @handle
    def command(
        file: Annotated[str, typer.Argument(help="File to import; - reads stdin")],
        format_: Annotated[Optional[str], typer.Option(
            "--format", help="csv, tsv, json or jsonl (default: from the name, then sniffed)")] = None,
        map_: Annotated[Optional[List[str]], typer.Option(
            "--map", metavar="SRC=FIELD", help="Map a source column to a field (repeatable); "
            "FIELD '-' ignores the column, 'extra' keeps it in extra")] = None,
        match: Annotated[Optional[str], typer.Option(
            "--match", metavar="FIELD[,FIELD]", help="Fields that find the existing record a row "
            "is (parts of one key joined by +; 'none' turns matching off)")] = None,
        on_conflict: Annotated[str, typer.Option(
            "--on-conflict", help="A row matches an existing record: error, update or skip")] = "error",
        on_error: Annotated[str, typer.Option(
            "--on-error", help="abort (nothing is written if any row is bad) or skip (write the "
            "good rows, bad ones to --rejects)")] = "abort",
        rejects: Annotated[Optional[str], typer.Option(
            "--rejects", metavar="FILE", help="Where --on-error skip writes rejected rows "
            "(default: NAME.rejects.csv beside the input)")] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Check everything and show the mapping and what would happen; "
            "write nothing")] = False,
        create_missing: Annotated[bool, typer.Option(
            "--create-missing", help="Create referenced accounts and stages that do not exist")] = False,
        date_format: Annotated[Optional[str], typer.Option(
            "--date-format", metavar="FMT", help="How non-ISO dates are written: DD/MM/YYYY, "
            "MM/DD/YYYY HH:mm or strftime codes (%d.%m.%Y)")] = None,
        excel_dates: Annotated[bool, typer.Option(
            "--excel-dates", help="Read numbers in date columns as Excel serial dates")] = False,
        decimal_comma: Annotated[bool, typer.Option(
            "--decimal-comma", help="Numbers are written 1.234,56 (amounts, counts, "
            "percentages)")] = False,
        encoding: Annotated[Optional[str], typer.Option(
            "--encoding", help="The file's encoding (default: detected: UTF-8, UTF-16, cp1252)")] = None,
        delimiter: Annotated[Optional[str], typer.Option(
            "--delimiter", help="CSV delimiter: , ; | or tab (default: detected)")] = None,
        json_: JsonOpt = False,
    ):
        from crmtui.importer.options import FORMATS, ON_CONFLICT, ImportOptions
        from crmtui.errors import UsageError

        if format_ and format_.lower() not in FORMATS:
            raise UsageError(f"--format {format_}: use csv, tsv, json or jsonl")
        if on_conflict not in ON_CONFLICT:
            raise UsageError(f"--on-conflict {on_conflict}: use error, update or skip")
        if on_error not in ("abort", "skip"):
            raise UsageError(f"--on-error {on_error}: use abort or skip")
        from crmtui.importer.mapping import parse_maps

        options = ImportOptions(
            entity=entity, source=file, format=format_.lower() if format_ else None,
            encoding=encoding, delimiter=delimiter, maps=parse_maps(entity, map_ or []),
            match=[m.strip() for m in match.split(",") if m.strip()] if match is not None else None,
            on_conflict=on_conflict, on_error=on_error, rejects=rejects, dry_run=dry_run,
            create_missing=create_missing, date_format=date_format, excel_dates=excel_dates,
            decimal_comma=decimal_comma)
        run_import(options, json_)

    label = {"opportunity": "opportunities (deals)", "activity": "activities"}.get(entity,
                                                                                 entity + "s")
    app.command(name, hidden=hidden, help=f"Import {label} from FILE (or - for stdin).")(command)


for _name, _entity in ENTITIES.items():
    _import_command(_entity, _name, hidden=False)
for _name, _entity in HIDDEN_ALIASES.items():
    _import_command(_entity, _name, hidden=True)


class _Terminated(KeyboardInterrupt):
    pass


def _on_sigterm(signum, frame):
    raise _Terminated()


def run_import(options, json_: bool) -> None:
    from crmtui.errors import CrmError

    try:
        summary, plan = _run(options)
    except CrmError as exc:
        if json_:  # a stop for the whole file: scripts still get an object on stdout
            output.write(output.dumps(_failure(options, exc)))
        raise
    render(summary, plan, json_)
    if summary.rejected or summary.status == "failed":
        raise typer.Exit(1)


def _run(options):
    from crmtui.importer import convert, writer

    convert.strptime_format(options.date_format)  # a bad --date-format: usage, up front
    store = open_store(create=True)  # importing into a new store makes it
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        plan_shown = {}

        def on_plan(inp, plan, keys):
            plan_shown["plan"] = plan

        if sys.stderr.isatty():
            summary = _with_progress(writer, store, options, on_plan)
        else:
            summary = writer.run(store, options, on_plan=on_plan)
    finally:
        signal.signal(signal.SIGTERM, previous)
        store.close()
    return summary, plan_shown.get("plan")


def _failure(options, exc) -> dict:
    """The --json answer when the import stopped before any row was judged."""
    from crmtui.errors import exit_code

    return {"batch": None, "status": "failed", "entity": options.entity,
            "file": "<stdin>" if options.source == "-" else options.source,
            "dry_run": options.dry_run, "rows": 0, "inserted": 0, "updated": 0,
            "unchanged": 0, "skipped": 0, "rejected": 0,
            "error": getattr(exc, "message", str(exc)), "hint": getattr(exc, "hint", None),
            "exit_code": exit_code(exc)}


def _with_progress(writer, store, options, on_plan):
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    with Progress(TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=output.console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        return writer.run(store, options, progress=progress, on_plan=on_plan)


def render(summary, plan, json_: bool) -> None:
    from crmtui.importer import mapping

    if json_:
        output.write(output.dumps(summary.as_json()))
        return
    from rich.table import Table
    from rich.text import Text

    from crmtui.domain.words import plural
    from crmtui.textsafe import visible

    con = output.console(stderr=True)
    if summary.dry_run and plan is not None:
        t = Table(title=Text(f"Mapping of {visible(summary.file)} ({summary.format}, "
                             f"{summary.encoding}" + (f", delimiter {summary.delimiter!r}"
                                                      if summary.delimiter else "") + ")"),
                  title_justify="left", header_style="bold")
        t.add_column("column")
        t.add_column("goes to")
        for src, target in mapping.describe(plan):
            t.add_row(Text(visible(src)), Text(visible(target)))
        con.print(t)
        if summary.match:
            con.print(Text("existing records are matched on: " + ", ".join(summary.match)))
    verb = {"dry-run": "would be", "failed": "nothing was", "done": ""}.get(summary.status, "")
    t = Table(title=Text(_headline(summary)), title_justify="left", show_header=False)
    t.add_column()
    t.add_column(justify="right")
    counts = [("inserted", summary.inserted), ("updated", summary.updated),
              ("unchanged", summary.unchanged), ("skipped (matched)", summary.skipped),
              ("rejected", summary.rejected)]
    for label, n in counts:
        if n or label in ("inserted", "rejected"):
            t.add_row(Text(label + (f" ({verb})" if verb and summary.status == "dry-run" else "")),
                      Text(f"{n:,}"))
    for kind, n in summary.created.items():
        t.add_row(Text(f"{plural(kind)} created"), Text(f"{n:,}"))
    if summary.extra_columns:
        t.add_row(Text("kept in extra"), Text(visible(", ".join(summary.extra_columns),
                                                      limit=60)))
    if summary.ignored_columns:
        t.add_row(Text("ignored columns"), Text(visible(", ".join(summary.ignored_columns),
                                                        limit=60)))
    t.add_row(Text("time"), Text(f"{summary.seconds:.1f} s"))
    con.print(t)
    for note in summary.notes:
        con.print(Text(visible("note: " + note), style="yellow"))
    if summary.problems:
        lines = [str(p) for p in summary.problems]
        more = summary.problem_count - len(summary.problems)
        if more:
            lines.append(f"... and {more:,} more")
        con.print(Text(visible("\n".join(lines), multiline=True), style="red"))
    if summary.status == "failed":
        from crmtui.domain.words import count

        con.print(Text(f"{count(summary.rejected, 'bad row')}: nothing was imported. Fix "
                       f"{'it' if summary.rejected == 1 else 'them'}, or pass --on-error skip "
                       "to import the good rows.", style="bold red"))
    elif summary.rejects_file:
        con.print(Text(visible(f"rejected rows written to {summary.rejects_file}")))
    if summary.batch and summary.status == "done":
        output.write(str(summary.batch))


def _headline(summary) -> str:
    from crmtui.textsafe import visible

    what = {"opportunity": "opportunities", "activity": "activities"}.get(summary.entity,
                                                                         summary.entity + "s")
    if summary.status == "dry-run":
        return f"Dry run: importing {what} from {visible(summary.file)} (nothing written)"
    if summary.status == "failed":
        return f"Import of {what} from {visible(summary.file)} stopped"
    return f"Import batch {summary.batch}: {what} from {visible(summary.file)}"


@app.command("history", help="List past imports (newest first).")
@handle
def history(limit: Annotated[int, typer.Option("--limit", "-n", help="How many")] = 20,
            json_: JsonOpt = False):
    from crmtui.importer import batches

    store = open_store()
    try:
        with store.read() as s:
            rows = batches.history(s, limit=limit)
    finally:
        store.close()
    output.emit(rows, "json" if json_ else "table",
                [("id", "Batch"), ("created_at", "When"), ("entity", "Entity"),
                 ("file", "File"), ("inserted", "Inserted"), ("updated", "Updated"),
                 ("unchanged", "Unchanged"), ("skipped", "Skipped"), ("rejected", "Rejected"),
                 ("status", "Status")],
                right=("id", "inserted", "updated", "unchanged", "skipped", "rejected"),
                empty="No imports yet.")


@app.command("undo", help="Undo an import: delete the records it inserted, restore the ones it "
                          "updated. Refuses (or asks) when those records were edited since.")
@handle
def undo(batch: Annotated[int, typer.Argument(help="Batch id (see `crm import history`)")],
         force: Annotated[bool, typer.Option("--force", help="Undo what can be undone and keep "
                                             "records edited since as they are")] = False,
         dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what undo would delete, "
                                               "restore and keep; change nothing")] = False,
         yes: YesOpt = False, json_: JsonOpt = False):
    from crmtui.commands.common import confirm
    from crmtui.importer import batches

    store = open_store()
    try:
        with store.read() as s:
            plan = batches.undo_plan(s, batch)
            if dry_run:
                shown = batches.plan_dict(plan)
                text = plan.question().removesuffix("?").replace("Undo import", "Would undo "
                                                                 "import", 1)
                if plan.blocked and not force:
                    text = (f"Undo of import batch {plan.batch.id} would be refused: "
                            f"{plan.blocked_message()} (with --force: "
                            f"{text.split('(', 1)[1]}")
        if dry_run:
            if json_:
                output.write(output.dumps(shown))
            else:
                output.note(text)
            return
        if plan.blocked and not force:
            from crmtui.errors import Conflict

            raise Conflict(plan.blocked_message(), hint="pass --force to undo the rest and keep "
                                                        "those records as they are now")
        confirm(plan.question(), yes or json_ or not sys.stdin.isatty())
        with store.write() as s:
            result = batches.undo(s, batch, force=force)
    finally:
        store.close()
    if json_:
        output.write(output.dumps(result))
    else:
        output.note(batches.describe_undo(result))
