"""Printing results: Rich tables for people, JSON / JSON Lines / CSV for scripts.

Everything that came from the store goes through `textsafe` first: tables get `Text`
cells (never markup) with control characters made visible; JSON escapes C1 and bidi
controls; CSV neutralises spreadsheet formulas and, on a terminal, shows controls visibly.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from decimal import Decimal
from typing import Any, Iterable, Sequence

from crmtui.textsafe import json_safe, neutralise_formula, visible

FORMATS = ("table", "json", "jsonl", "csv")


def pick(json_: bool = False, jsonl: bool = False, csv_: bool = False, md: bool = False) -> str:
    chosen = [name for name, on in (("json", json_), ("jsonl", jsonl), ("csv", csv_),
                                    ("md", md)) if on]
    if len(chosen) > 1:
        from crmtui.errors import UsageError

        raise UsageError("choose one output format: " + ", ".join("--" + c for c in chosen))
    return chosen[0] if chosen else "table"


def _default(value: Any):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(value: Any, *, indent: int | None = 2) -> str:
    return json_safe(json.dumps(value, ensure_ascii=False, indent=indent, default=_default))


def write(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text)
    if not text.endswith("\n"):
        stream.write("\n")
    stream.flush()


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def cell(value: Any) -> str:
    """A value as one line of table/CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=_default) if value else ""
    return str(value)


def csv_text(rows: Sequence[dict], columns: Sequence[str] | None = None, *, delimiter: str = ",",
             neutralise: bool = True, for_terminal: bool = False) -> str:
    buffer = io.StringIO()
    write_csv(buffer, rows, columns, delimiter=delimiter, neutralise=neutralise,
              for_terminal=for_terminal)
    return buffer.getvalue()


def write_csv(stream, rows: Iterable[dict], columns: Sequence[str] | None = None, *,
              delimiter: str = ",", neutralise: bool = True, for_terminal: bool = False,
              header: bool = True) -> int:
    writer = None
    n = 0
    for row in rows:
        if writer is None:
            columns = list(columns or row.keys())
            writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
            if header:
                writer.writerow(columns)
        values = []
        for key in columns:
            text = cell(row.get(key))
            if neutralise:
                text = neutralise_formula(text)
            if for_terminal:
                text = visible(text)
            values.append(text)
        writer.writerow(values)
        n += 1
    if writer is None and columns and header:
        csv.writer(stream, delimiter=delimiter, lineterminator="\n").writerow(columns)
    return n


def markdown(rows: Sequence[dict], columns: Sequence[tuple[str, str]]) -> str:
    def esc(value: Any) -> str:
        return visible(cell(value)).replace("|", "\\|")

    lines = ["| " + " | ".join(header for _, header in columns) + " |",
             "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(esc(row.get(key)) for key, _ in columns) + " |")
    return "\n".join(lines)


def fit_widths(natural: list[int], fixed: set[int], available: int) -> list[int]:
    """Column widths that fit `available`: shrink the widest shrinkable columns first."""
    widths = list(natural)
    while sum(widths) > available:
        candidates = [i for i in range(len(widths)) if i not in fixed and widths[i] > 6]
        if not candidates:
            candidates = [i for i in range(len(widths)) if widths[i] > 3]
            if not candidates:
                break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def table(rows: Sequence[dict], columns: Sequence[tuple[str, str]], *, title: str | None = None,
          right: Iterable[str] = (), footer: dict | None = None, limit: int = 60,
          width: int | None = None):
    """A Rich table of `rows`, one line per row; values are shown literally, long ones cut."""
    from rich.table import Table
    from rich.text import Text

    right = set(right)
    texts = [[visible(cell(row.get(key)), limit=limit) for key, _ in columns] for row in rows]
    foot = [visible(cell((footer or {}).get(key))) for key, _ in columns]
    natural = [max([len(header), len(foot[i])] + [len(r[i]) for r in texts])
               for i, (_, header) in enumerate(columns)]
    fixed = {i for i, (key, _) in enumerate(columns) if key in right or natural[i] <= 16}
    available = (width or console().width) - 3 * len(columns) - 1
    widths = fit_widths(natural, fixed, available)
    t = Table(title=Text(visible(title)) if title else None, show_footer=footer is not None,
              header_style="bold", title_justify="left", expand=False)
    for i, (key, header) in enumerate(columns):
        t.add_column(Text(header), justify="right" if key in right else "left",
                     footer=Text(foot[i]), overflow="ellipsis", no_wrap=True, width=widths[i])
    for row in texts:
        t.add_row(*(Text(value) for value in row))
    return t


def human_times(rows: Sequence[dict], keys: Sequence[str] = ("at",)) -> list[dict]:
    """Copies of `rows` with ISO timestamps under `keys` shown as local 'YYYY-MM-DD HH:MM'."""
    from datetime import datetime

    from crmtui.domain.dates import human

    out = []
    for row in rows:
        row = dict(row)
        for key in keys:
            value = row.get(key)
            if isinstance(value, str) and "T" in value:
                row[key] = human(datetime.fromisoformat(value.replace("Z", "+00:00")))
        out.append(row)
    return out


def emit(rows: Sequence[dict], fmt: str, columns: Sequence[tuple[str, str]], *,
         title: str | None = None, right: Iterable[str] = (), empty: str = "Nothing to show.",
         all_keys: Sequence[str] | None = None) -> None:
    """Print rows in the chosen format (`columns` shape the table; JSON carries every key)."""
    if fmt == "json":
        write(dumps(list(rows)))
    elif fmt == "jsonl":
        for row in rows:
            sys.stdout.write(dumps(row, indent=None) + "\n")
        sys.stdout.flush()
    elif fmt == "csv":  # the header even without rows: `all_keys`, else the table's keys
        header = all_keys if all_keys is not None or rows else [key for key, _ in columns]
        sys.stdout.write(csv_text(rows, header, for_terminal=sys.stdout.isatty()))
        sys.stdout.flush()
    elif fmt == "md":
        write(markdown(rows, columns))
    elif not rows:
        note(empty)
    else:
        console().print(table(rows, columns, title=title, right=right))


def note(message: str) -> None:
    """A line for people on stderr (so stdout stays clean for pipes); dim on a terminal."""
    text = visible(message, multiline=True)
    if sys.stderr.isatty():
        text = f"\x1b[2m{text}\x1b[0m"
    write(text, err=True)


def fields_panel(pairs: Sequence[tuple[str, Any]], title: str):
    """`show` output: a two-column grid of label and value."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in pairs:
        if value is None or value is False or value in ("", [], {}):
            continue
        grid.add_row(Text(label), Text(visible(cell(value), multiline=True)))
    from rich.panel import Panel

    return Panel(grid, title=Text(visible(title)), title_align="left", expand=False)
