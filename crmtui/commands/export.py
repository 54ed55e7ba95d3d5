"""`crm export ENTITY [--format csv|tsv|json|jsonl] [-o FILE] [filters as in list]`.

Streams page by page; files are created 0600; CSV/TSV cells that a spreadsheet would run as
a formula get a leading `'` unless --raw.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import handle, open_store
from crmtui.commands.crud import BOOL_FILTERS, FILTER_HELP, _make, _opt

app = typer.Typer(help="Export records as CSV, TSV, JSON or JSON Lines (all fields, extra "
                       "columns, ids), with the filters of `list`.", no_args_is_help=True)

ENTITIES = {"leads": "lead", "accounts": "account", "contacts": "contact",
            "opportunities": "opportunity", "activities": "activity"}
HIDDEN = {"lead": "lead", "account": "account", "contact": "contact", "opp": "opportunity",
          "opps": "opportunity", "deals": "opportunity", "opportunity": "opportunity",
          "activity": "activity"}


def _export_command(entity: str, name: str, hidden: bool) -> None:
    from crmtui.domain.fields import FILTERS

    filters = FILTERS[entity]

    @handle
    def command(**kwargs):
        export(entity, {f: kwargs.get(f) for f in filters}, kwargs["format_"], kwargs["out"],
               raw=kwargs["raw"], bom=kwargs["bom"])

    params = []
    for f in filters:
        if f in BOOL_FILTERS:
            params.append(_opt(f, bool, False, "--" + f.replace("_", "-"), help=FILTER_HELP[f]))
        else:
            params.append(_opt(f, Optional[str], None, "--" + f.replace("_", "-"),
                               help=FILTER_HELP[f]))
    params += [
        _opt("format_", Optional[str], None, "--format", "-f",
             help="csv, tsv, json or jsonl (default: from -o's name, else csv)"),
        _opt("out", Optional[str], None, "--output", "-o",
             help="File to write (created 0600); default: stdout"),
        _opt("raw", bool, False, "--raw",
             help="Do not prefix formula-like cells with ' (for machines, not spreadsheets)"),
        _opt("bom", bool, False, "--bom", help="Start the file with a UTF-8 BOM (for Excel)"),
    ]
    label = {"opportunity": "opportunities", "activity": "activities"}.get(entity, entity + "s")
    app.command(name, hidden=hidden, help=f"Export {label}.")(_make(command, params))


for _name, _entity in ENTITIES.items():
    _export_command(_entity, _name, hidden=False)
for _name, _entity in HIDDEN.items():
    _export_command(_entity, _name, hidden=True)


def export(entity: str, filters: dict, fmt: str | None, out: str | None, *, raw: bool,
           bom: bool) -> None:
    from pathlib import Path

    from crmtui.errors import UsageError
    from crmtui.importer import export as ex
    from crmtui.paths import open_private

    if fmt is None:
        suffix = Path(out).suffix.lower() if out and out != "-" else ""
        fmt = {".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
               ".ndjson": "jsonl"}.get(suffix, "csv")
    fmt = fmt.lower()
    if fmt not in ("csv", "tsv", "json", "jsonl"):
        raise UsageError(f"--format {fmt}: use csv, tsv, json or jsonl")
    to_file = bool(out) and out != "-"
    store = open_store()
    stream = None
    try:
        with store.read() as s:
            total = ex.count(s, entity, filters)
            extras = ex.extra_keys(s, entity, filters) if fmt in ("csv", "tsv") else []
            if to_file:
                stream = open_private(Path(out).expanduser(), "w",
                                      encoding="utf-8-sig" if bom else "utf-8", newline="")
            else:
                stream = sys.stdout
                if bom:
                    stream.write("\ufeff")
            written = _write(stream, fmt, ex, s, entity, filters, extras, raw=raw,
                             terminal=not to_file and sys.stdout.isatty(), total=total,
                             progress=to_file and sys.stderr.isatty())
    finally:
        if to_file and stream is not None:
            stream.close()
        store.close()
    if to_file:
        from crmtui.domain.words import count

        output.note(f"exported {count(written, entity + ' record')} to {out}")


def _write(stream, fmt, ex, s, entity, filters, extras, *, raw, terminal, total, progress):
    rows = ex.records(s, entity, filters)
    bar = None
    if progress and total:
        from rich.progress import Progress

        bar = Progress(console=output.console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("exporting", total=total)

        def counted(it):
            for n, row in enumerate(it, 1):
                if n % 1000 == 0:
                    bar.update(task, completed=n)
                yield row

        rows = counted(rows)
    try:
        if fmt in ("csv", "tsv"):
            first = next(rows, None)
            columns, named = ex.csv_columns(entity, first, extras)

            def flat_rows():
                if first is not None:
                    yield ex.flat(first, named)
                for row in rows:
                    yield ex.flat(row, named)

            import csv

            from crmtui.textsafe import neutralise_formula, visible

            delimiter = "\t" if fmt == "tsv" else ","
            header = [c if raw else neutralise_formula(c) for c in columns]  # headers too
            if terminal:
                header = [visible(c) for c in header]
            csv.writer(stream, delimiter=delimiter, lineterminator="\n").writerow(header)
            return output.write_csv(stream, flat_rows(), columns, delimiter=delimiter,
                                    neutralise=not raw, for_terminal=terminal, header=False)
        n = 0
        if fmt == "json":
            stream.write("[")
            for row in rows:
                stream.write(("," if n else "") + "\n" + output.dumps(row, indent=None))
                n += 1
            stream.write("\n]\n" if n else "]\n")
        else:
            for row in rows:
                stream.write(output.dumps(row, indent=None) + "\n")
                n += 1
        return n
    finally:
        if bar is not None:
            bar.stop()
        stream.flush()
