"""A source row -> store columns, unresolved references, `extra`, and the problems found.

Every value is checked (a row with three bad cells reports three problems); empty cells mean
"no value". CSV cells that crmtui's own export protected against spreadsheet formulas (a
leading `'`) are restored first, so an export imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from crmtui.domain import values
from crmtui.domain.dates import utcnow
from crmtui.errors import CrmError
from crmtui.importer import convert
from crmtui.importer.mapping import EXTRA_PREFIX, Plan, import_fields
from crmtui.importer.options import ImportOptions, Problem, StopImport
from crmtui.textsafe import unneutralise

FUTURE_SLACK = timedelta(days=1)


@dataclass
class Row:
    line: int
    cells: list
    cols: dict = field(default_factory=dict)  # store column -> value
    refs: dict = field(default_factory=dict)  # field name -> raw reference text
    extra: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    record_id: int | None = None
    given: set = field(default_factory=set)  # store columns the file set (not defaults)

    def bad(self, column: str | None, value: object, reason: str) -> None:
        self.problems.append(Problem(self.line, column, value, reason))


def reason_of(exc: CrmError, field_name: str) -> str:
    """An error's message without the `field: ` prefix (the column is reported beside it)."""
    text = exc.message
    if text.startswith(field_name + ": "):
        text = text[len(field_name) + 2:]
    hint = getattr(exc, "hint", None)
    return f"{text} ({hint})" if hint and "--" in hint else text


class RowBuilder:
    def __init__(self, entity: str, plan: Plan, options: ImportOptions, *,
                 infer: Callable[[int], str], csv_like: bool):
        self.entity = entity
        self.plan = plan
        self.options = options
        self.infer = infer
        self.csv_like = csv_like
        self.specs = import_fields(entity)
        self.fmt = convert.strptime_format(options.date_format)
        self.steps: list[tuple] = []
        self.width = 0
        self.has_names = bool({"first_name", "last_name"} & plan.fields())
        self._extend()

    def _extend(self) -> None:
        """Steps for columns not planned yet (JSON files grow their header as they go)."""
        for i in range(self.width, len(self.plan.targets)):
            target = self.plan.targets[i]
            src = self.plan.header[i]
            if target is None:
                continue
            if target.startswith(EXTRA_PREFIX):
                self.steps.append((i, src, "extra", target[len(EXTRA_PREFIX):], None))
                continue
            spec = self.specs[target]
            if spec.kind in ("date", "datetime"):
                conv = convert.DateColumn(spec, src, i, fmt=self.fmt,
                                          excel=self.options.excel_dates, infer=self.infer)
                self.steps.append((i, src, "value", spec, conv))
            elif spec.kind in ("ref", "target"):
                self.steps.append((i, src, "ref", spec, None))
            elif spec.kind == "fullname":
                self.steps.append((i, src, "fullname", spec, None))
            else:
                conv = convert.make(spec, decimal_comma=self.options.decimal_comma)
                self.steps.append((i, src, "value", spec, conv))
        self.width = len(self.plan.targets)

    def date_columns(self) -> list[tuple[int, str]]:
        return [(i, src) for i, src, how, spec, _ in self.steps
                if how == "value" and spec.kind in ("date", "datetime")]

    def build(self, line: int, cells: list, header_len: int) -> Row | None:
        """The row's values, or None for a row with nothing in it."""
        if header_len > self.width:
            self._extend()
        row = Row(line, cells)
        n = len(cells)
        if self.csv_like and n > self.width:
            extra_cells = [c for c in cells[self.width:] if c.strip()]
            if extra_cells:
                row.bad(None, None, f"the row has {n} values but the header has {self.width} "
                                    "columns (an unquoted delimiter or line break?)")
        empty = True
        cols, refs, extra = row.cols, row.refs, row.extra
        for i, src, how, spec, conv in self.steps:
            if i >= n:
                continue
            text = cells[i]
            if not text:
                continue
            text = text.strip()
            if not text:
                continue
            if self.csv_like and text[0] == "'":
                text = unneutralise(text)
            if "\x00" in text:  # as records.coerce: NUL is never part of a real value
                text = text.replace("\x00", "")
                if not text:
                    continue
            empty = False
            if how == "extra":
                extra[spec] = text
            elif how == "ref":
                refs[spec.name] = text
            elif how == "fullname":
                if not self.has_names:
                    first, last = values.split_name(text)
                    cols["first_name"], cols["last_name"] = first, last
            elif conv is None:
                cols[spec.col] = text
            else:
                try:
                    cols[spec.col] = conv(text)
                except StopImport:
                    raise
                except CrmError as exc:
                    row.bad(src, text, reason_of(exc, spec.name))
        if empty:
            return None
        self._row_rules(row)
        return row

    def _row_rules(self, row: Row) -> None:
        cols = row.cols
        created = cols.get("created_at")
        if created is not None and created > utcnow() + FUTURE_SLACK:
            row.bad(self.plan.column_of("created_at"), created.isoformat(),
                    "created_at is in the future")
        entity = self.entity
        if entity in ("lead", "contact"):
            if not (cols.get("first_name") or cols.get("last_name") or cols.get("email")) \
                    and not any(p.column for p in row.problems):
                row.bad(None, None, f"a {entity} needs a name or an email")
        elif entity == "account":
            if not cols.get("name") and not any(p.column for p in row.problems):
                row.bad(self.plan.column_of("name"), None, "an account needs a name")
        elif entity == "activity":
            if not cols.get("kind") and not any(p.column == self.plan.column_of("kind")
                                                for p in row.problems):
                row.bad(self.plan.column_of("kind"), None,
                        "an activity needs a kind: call, email, meeting, note or task")
