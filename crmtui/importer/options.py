"""What an import was asked to do, and what it did."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from crmtui.errors import Invalid

MAX_LISTED_ERRORS = 20
ON_CONFLICT = ("error", "update", "skip")
ON_ERROR = ("abort", "skip")
FORMATS = ("csv", "tsv", "json", "jsonl")
ENTITIES = ("lead", "account", "contact", "opportunity", "activity")


class StopImport(Invalid):
    """A problem with the whole file (not one row): the import stops, nothing is written."""


@dataclass
class ImportOptions:
    entity: str
    source: str  # a path, or "-" for stdin
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    maps: dict[str, str] = field(default_factory=dict)  # source column -> field, "-" or "extra"
    match: list[str] | None = None  # None: the entity's default match keys
    on_conflict: str = "error"
    on_error: str = "abort"
    rejects: str | None = None
    dry_run: bool = False
    create_missing: bool = False
    date_format: str | None = None
    excel_dates: bool = False
    decimal_comma: bool = False

    def as_json(self) -> dict:
        return {"format": self.format, "encoding": self.encoding, "delimiter": self.delimiter,
                "map": self.maps or None, "match": self.match, "on_conflict": self.on_conflict,
                "on_error": self.on_error, "create_missing": self.create_missing,
                "date_format": self.date_format, "excel_dates": self.excel_dates,
                "decimal_comma": self.decimal_comma}


@dataclass
class Problem:
    """One bad value (or bad row when `column` is None)."""

    line: int
    column: str | None
    value: object
    reason: str

    def as_json(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value,
                "reason": self.reason}

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        shown = "" if self.value in (None, "") else f": {_short(self.value)!r}"
        return f"{where}{shown}: {self.reason}"


def _short(value: object, limit: int = 60) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


@dataclass
class Summary:
    entity: str
    file: str
    format: str = ""
    encoding: str = ""
    delimiter: str | None = None
    dry_run: bool = False
    batch: int | None = None
    status: str = "running"  # done, failed, dry-run
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    created: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    ignored_columns: dict[str, str] = field(default_factory=dict)
    match: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)  # warnings and what was assumed
    rejects_file: str | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def problem(self, p: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_ERRORS:
            self.problems.append(p)

    def finish(self, status: str) -> None:
        self.status = status
        self.seconds = round(time.monotonic() - self.started, 3)

    def as_json(self) -> dict:
        return {
            "batch": self.batch, "status": self.status, "entity": self.entity,
            "file": self.file, "format": self.format, "encoding": self.encoding,
            "delimiter": self.delimiter, "dry_run": self.dry_run, "rows": self.rows,
            "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": self.skipped, "rejected": self.rejected, "created": self.created,
            "mapping": self.mapping, "extra_columns": self.extra_columns,
            "ignored_columns": self.ignored_columns, "match": self.match,
            "errors": [p.as_json() for p in self.problems],
            "more_errors": max(0, self.problem_count - len(self.problems)),
            "rejects_file": self.rejects_file, "notes": self.notes, "seconds": self.seconds,
        }
