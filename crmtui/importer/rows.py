"""Source rows -> store columns, unresolved references, `extra`, and the problems found.

Rows are converted a chunk at a time and column by column: each mapped column gets one
converter, chosen once per file (`convert`), and runs down the chunk's cells, so nothing is
dispatched per cell. The rules are the per-value rules of `domain.values`/`domain.dates`:
every value is checked (a row with three bad cells reports three problems, in column order);
empty cells mean "no value". CSV cells that crmtui's own export protected against
spreadsheet formulas (a leading `'`) are restored first, so an export imports back
unchanged; NUL characters are dropped, as `records.coerce` does.

A `Batch` holds a chunk column by column; `Row` is one row as a dict of store columns, for
the per-row work of entities with references (contacts, deals, activities) and for updates.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from crmtui.domain import values
from crmtui.domain.fields import ACTIVITY_KINDS, FieldSpec
from crmtui.domain.dates import utcnow
from crmtui.errors import CrmError, Invalid
from crmtui.importer import convert
from crmtui.importer.mapping import EXTRA_PREFIX, Plan, import_fields, norm
from crmtui.importer.options import ImportOptions, Problem, StopImport
from crmtui.importer.readers import JsonValue
from crmtui.textsafe import unneutralise

FUTURE_SLACK = timedelta(days=1)
HISTORY = ("created_at", "closed_at", "stage_entered_at", "converted_at")
CLOSE_MOMENT = "_close_moment"  # a deal's close date with its time of day (not a column)
DEAL_STATUS = "_deal_status"  # a deal's status column (open/won/lost; not a column either)


class Row:
    """One row as a dict of store columns (`cols`), for per-row rules and updates."""

    __slots__ = ("line", "cells", "cols", "refs", "extra", "problems", "record_id", "given")

    def __init__(self, line: int, cells: list, cols: dict | None = None,
                 refs: dict | None = None, extra: dict | None = None,
                 problems: list | None = None, given: set | None = None):
        self.line = line
        self.cells = cells
        self.cols = {} if cols is None else cols  # store column -> value
        self.refs = {} if refs is None else refs  # field name -> raw reference text
        self.extra = {} if extra is None else extra
        self.problems = [] if problems is None else problems
        self.record_id: int | None = None
        self.given = set() if given is None else given  # store columns the file set

    def bad(self, column: str | None, value: object, reason: str) -> None:
        self.problems.append(Problem(self.line, column, value, reason))


class Batch:
    """A chunk of rows, column by column.

    `cols[c][i]` is row i's value for store column c (None: not set); `texts[c][i]` is the
    cell it came from ("" when the file left it empty), which says whether the file *gave*
    the column (an update only changes given columns). `refs` holds raw reference texts,
    `extra` a dict (or None) per row, `problems` the problems of each bad row.
    """

    __slots__ = ("lines", "cells", "n", "cols", "texts", "refs", "extra", "problems",
                 "more_given", "ready")

    def __init__(self, lines: list[int], cells: list[list]):
        self.lines = lines
        self.cells = cells
        self.n = len(lines)
        self.cols: dict[str, list] = {}
        self.texts: dict[str, list] = {}
        self.refs: dict[str, list] = {}
        self.extra: list | None = None
        self.problems: dict[int, list[Problem]] = {}
        self.more_given: dict[int, set] = {}  # row -> columns given besides `texts`
        self.ready: dict | None = None  # the writer's work done ahead (keys, insert values)

    def bad(self, i: int, column: str | None, value: object, reason: str) -> None:
        self.problems.setdefault(i, []).append(Problem(self.lines[i], column, value, reason))

    def column(self, name: str) -> list:
        """Column `name`, created empty (all None) when absent."""
        col = self.cols.get(name)
        if col is None:
            col = self.cols[name] = [None] * self.n
        return col

    def given(self, i: int) -> set[str]:
        out = {c for c, texts in self.texts.items() if texts[i]}
        more = self.more_given.get(i)
        if more:
            out |= more
        return out

    def row(self, i: int) -> Row:
        """Row i as a `Row` (a dict of the columns it has)."""
        given = self.given(i)
        cols = {c: col[i] for c, col in self.cols.items() if col[i] is not None or c in given}
        refs = {name: col[i] for name, col in self.refs.items() if col[i] is not None}
        extra = self.extra[i] if self.extra is not None and self.extra[i] else {}
        return Row(self.lines[i], self.cells[i], cols, refs, dict(extra),
                   list(self.problems.get(i, ())), given)

    def take(self, keep: list[int]) -> "Batch":
        """A batch of rows `keep` (indexes into this one), in that order."""
        out = Batch([self.lines[i] for i in keep], [self.cells[i] for i in keep])
        out.cols = {c: [col[i] for i in keep] for c, col in self.cols.items()}
        out.texts = {c: [col[i] for i in keep] for c, col in self.texts.items()}
        out.refs = {c: [col[i] for i in keep] for c, col in self.refs.items()}
        if self.extra is not None:
            out.extra = [self.extra[i] for i in keep]
        where = {old: new for new, old in enumerate(keep)}
        out.problems = {where[i]: p for i, p in self.problems.items() if i in where}
        out.more_given = {where[i]: g for i, g in self.more_given.items() if i in where}
        return out

    @classmethod
    def of_rows(cls, rows: list[Row]) -> "Batch":
        """The batch of `rows` (after per-row work): every column any row has."""
        out = cls([r.line for r in rows], [r.cells for r in rows])
        names: dict[str, None] = {}
        for r in rows:
            names.update(dict.fromkeys(r.cols))
        out.cols = {c: [r.cols.get(c) for r in rows] for c in names}
        if any(r.extra for r in rows):
            out.extra = [r.extra or None for r in rows]
        out.problems = {i: r.problems for i, r in enumerate(rows) if r.problems}
        out.more_given = {i: r.given for i, r in enumerate(rows)}
        return out


class ColumnView:
    """Row `i` of a batch as a dict of its columns (None: absent), so that rules written for
    a dict of store columns (`rules.before_create`) run on a batch without copying rows."""

    __slots__ = ("cols", "batch", "i")

    def __init__(self, batch: Batch):
        self.batch = batch
        self.cols = batch.cols
        self.i = 0

    def get(self, key: str, default=None):
        col = self.cols.get(key)
        value = None if col is None else col[self.i]
        return default if value is None else value

    def __getitem__(self, key: str):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: str, value) -> None:
        self.batch.column(key)[self.i] = value

    def setdefault(self, key: str, default=None):
        value = self.get(key)
        if value is None:
            self[key] = value = default
        return value

    def pop(self, key: str, *default):
        value = self.get(key)
        if value is None:
            if default:
                return default[0]
            raise KeyError(key)
        self.cols[key][self.i] = None
        return value

    def keys(self):
        return [c for c, col in self.cols.items() if col[self.i] is not None]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def items(self):
        return [(c, col[self.i]) for c, col in self.cols.items() if col[self.i] is not None]


def reason_of(exc: CrmError, field_name: str, value: object = None) -> str:
    """An error's message without the `field: ` prefix (the column is reported beside it),
    a long value quoted in it shortened (the value is reported beside it too)."""
    text = exc.message
    if text.startswith(field_name + ": "):
        text = text[len(field_name) + 2:]
    if isinstance(value, str) and len(value) > 80 and len(text) > 200:
        text = text.replace(repr(value), repr(value[:59] + "…"))
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
                if self.entity == "opportunity" and spec.name == "close_date":
                    # a closed deal without closed_at closes at its close date, at the
                    # time of day the cell gives (00:00 local without one)
                    moment = FieldSpec(name="close_date", kind="datetime", column=CLOSE_MOMENT)
                    self.steps.append((i, src, "moment", moment, convert.DateColumn(
                        moment, src, i, fmt=self.fmt, excel=self.options.excel_dates,
                        infer=self.infer)))
            elif spec.kind in ("ref", "target"):
                self.steps.append((i, src, "ref", spec, None))
            elif spec.kind == "fullname":
                self.steps.append((i, src, "fullname", spec, None))
            elif self.entity == "opportunity" and spec.name == "probability" and \
                    fraction_header(src):
                self.steps.append((i, src, "value", spec, fraction_percent(
                    decimal_comma=self.options.decimal_comma)))
            elif self.entity == "activity" and spec.name in ("status", "kind"):
                read = activity_status if spec.name == "status" else activity_kind
                self.steps.append((i, src, "value", spec,
                                   lambda v, read=read, src=src: read(v, src)))
            elif self.entity == "opportunity" and spec.name == "amount":
                comma = self.options.decimal_comma
                self.steps.append((i, src, "money", spec, convert.comma_hint(
                    lambda v: values.parse_money_currency(v, "amount", decimal_comma=comma),
                    comma)))
            else:
                conv = convert.make(spec, decimal_comma=self.options.decimal_comma,
                                    entity=self.entity, column=src)
                self.steps.append((i, src, "value", spec, conv))
        self.width = len(self.plan.targets)

    def date_columns(self) -> list[tuple[int, str]]:
        return [(i, src) for i, src, how, spec, _ in self.steps
                if how == "value" and spec.kind in ("date", "datetime")]

    # -- a chunk at a time ---------------------------------------------------------------------
    def build(self, lines: list[int], cells: list[list]) -> Batch:
        """The chunk's values, column by column; rows with nothing in them are left out."""
        if len(self.plan.targets) > self.width:
            self._extend()
        width = self.width
        for row in cells:  # ragged rows: pad short ones, so every column has every row
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        columns = list(zip(*cells)) if cells else []
        texts = {i: self._clean(columns[i]) for i, *_ in self.steps}
        surplus = self._surplus(cells) if self.csv_like else {}
        keep = _non_empty(list(texts.values()), len(cells), surplus)
        if keep is not None:  # some rows are empty: build the rest
            lines = [lines[k] for k in keep]
            cells = [cells[k] for k in keep]
            texts = {i: [col[k] for k in keep] for i, col in texts.items()}
            where = {k: new for new, k in enumerate(keep)}
            surplus = {where[k]: n for k, n in surplus.items()}
        batch = Batch(lines, cells)
        for k, n in surplus.items():
            batch.bad(k, None, None, f"the row has {n} values but the header has {width} "
                                     "columns (an unquoted delimiter or line break?)")
        self.pending_marks = None
        for i, src, how, spec, conv in self.steps:
            self._column(batch, src, how, spec, conv, texts[i], i)
        if self.pending_marks is not None:
            self._amount_currency(batch, *self.pending_marks)
        self._row_rules(batch)
        return batch

    def _surplus(self, cells: list[list]) -> dict[int, int]:
        """Rows with non-blank values beyond the header: row -> number of values."""
        width = self.width
        out = {}
        for k, row in enumerate(cells):
            if len(row) > width and any(c.strip() for c in row[width:]):
                out[k] = len(row)
        return out

    def _clean(self, column: tuple) -> list[str]:
        """Cells stripped, formula protection undone (CSV), NUL characters dropped."""
        texts = [c.strip() for c in column]
        joined = "\n".join(texts)  # one scan of the chunk's column for the rare cases
        if self.csv_like and ("\n'" in joined or joined[:1] == "'"):
            texts = [unneutralise(t) if t[:1] == "'" else t for t in texts]
        if "\x00" in joined:  # as records.coerce: gone, then what is left is stripped
            texts = [t.replace("\x00", "").strip() if "\x00" in t else t for t in texts]
        return texts

    def _column(self, batch: Batch, src: str, how: str, spec, conv, texts: list[str],
                index: int) -> None:
        n = batch.n
        if how == "extra":
            if batch.extra is None:
                batch.extra = [None] * n
            extra = batch.extra
            cells = batch.cells
            for k, text in enumerate(texts):
                if text:
                    raw = cells[k][index]
                    value = raw.value if type(raw) is JsonValue else text  # JSON keeps types
                    if extra[k] is None:
                        extra[k] = {spec: value}
                    else:
                        extra[k][spec] = value
        elif how == "ref":
            batch.refs[spec.name] = [t or None for t in texts]
        elif how == "fullname":
            if not self.has_names:
                first, last = batch.column("first_name"), batch.column("last_name")
                for k, text in enumerate(texts):
                    if text:
                        first[k], last[k] = values.split_name(text)
                batch.texts["first_name"] = batch.texts["last_name"] = texts
        elif conv is None:
            batch.cols[spec.col] = [t or None for t in texts]
            batch.texts[spec.col] = texts
        elif how == "money":  # a deal's amount, and the currency it is written in
            out = [None] * n
            marks = None
            for k, text in enumerate(texts):
                if text:
                    try:
                        number, mark = conv(text)
                    except CrmError as exc:
                        batch.bad(k, src, text, reason_of(exc, spec.name, text))
                        continue
                    out[k] = values.to_minor(number)
                    if mark is not None:
                        if marks is None:
                            marks = [None] * n
                        marks[k] = mark
            batch.cols[spec.col] = out
            batch.texts[spec.col] = texts
            if marks is not None:  # settled once every column is read (`build`)
                self.pending_marks = (src, texts, marks)
        elif how == "moment":  # a second reading of a column read just before: no problems
            out = [None] * n
            for k, text in enumerate(texts):
                if text and k not in batch.problems:
                    try:
                        out[k] = conv(text)
                    except CrmError:
                        pass
            batch.cols[spec.col] = out
        else:
            out = [None] * n
            name = spec.name
            before = batch.cols.get(spec.col)  # an earlier column feeds it too (MERGED)
            for k, text in enumerate(texts):
                if before is not None and (before[k] is not None or batch.texts[spec.col][k]):
                    out[k] = before[k]
                elif text:
                    try:
                        out[k] = conv(text)
                    except StopImport:
                        raise
                    except CrmError as exc:
                        batch.bad(k, src, text, reason_of(exc, name, text))
            batch.cols[spec.col] = out
            batch.texts[spec.col] = texts if before is None else \
                [a or b for a, b in zip(batch.texts[spec.col], texts)]

    def _amount_currency(self, batch: Batch, src: str, texts: list, marks: list) -> None:
        """Amounts written with a currency (`1234 EUR`, `£12`): the deal's currency when the
        file gives none; a currency column that disagrees is a problem naming both."""
        column = self.plan.column_of("currency")
        given = batch.cols.get("currency") or [None] * batch.n
        currency = list(given)
        for k, mark in enumerate(marks):
            if mark is None:
                continue
            try:
                currency[k] = values.settle_currency(
                    "amount", texts[k], mark, given[k],
                    currency_label=f"{column!r} column" if column else "currency")
            except CrmError as exc:
                batch.bad(k, src, texts[k], reason_of(exc, "amount", texts[k]))
                continue
            if given[k] is None:
                batch.more_given.setdefault(k, set()).add("currency")
        batch.cols["currency"] = currency

    def _row_rules(self, batch: Batch) -> None:
        cols, problems = batch.cols, batch.problems
        for name in HISTORY:  # history cannot be in the future
            moments = cols.get(name)
            if moments is None or name not in batch.texts:
                continue
            limit = utcnow() + FUTURE_SLACK
            given = [v for v in moments if v is not None]
            if given and max(given) > limit:  # (checked row by row only when one is late)
                for k, value in enumerate(moments):
                    if value is not None and value > limit:
                        batch.bad(k, self.plan.column_of(name), batch.texts[name][k],
                                  f"{name} is in the future")
        entity = self.entity
        empty = [None] * batch.n
        if entity in ("lead", "contact"):
            first = cols.get("first_name", empty)
            last = cols.get("last_name", empty)
            email = cols.get("email", empty)
            if all(first) or all(last) or all(email):  # every row has one of them
                return
            for k in range(batch.n):
                if not (first[k] or last[k] or email[k]) and \
                        not any(p.column for p in problems.get(k, ())):
                    batch.bad(k, None, None, f"a {entity} needs a name or an email")
        elif entity == "account":
            names = cols.get("name", empty)
            column = self.plan.column_of("name")
            for k in range(batch.n):
                if not names[k] and not any(p.column for p in problems.get(k, ())):
                    batch.bad(k, column, None, "an account needs a name")
        elif entity == "activity":
            kinds = cols.get("kind", empty)
            column = self.plan.column_of("kind")
            for k in range(batch.n):
                if not kinds[k] and not any(p.column == column for p in problems.get(k, ())):
                    batch.bad(k, column, None,
                              "an activity needs a kind: call, email, meeting, note or task")


# Headers whose probabilities other CRMs write as fractions 0..1 (HubSpot's "Deal
# probability", hs_deal_stage_probability: 0.2 for 20%). The header decides for the whole
# column: there every plain number from 0 to 1 is a fraction, `1` and `1.0` being 100% and
# `0` 0% (never 1%); a number above 1 (`30`) can only be a percent and is read as one, and so
# is a value written with `%`. Pipedrive's "Deal - Probability" (the same letters once
# punctuation is ignored) holds percents 0..100, as do Salesforce's "Probability (%)" and a
# plain "Probability": those columns read `1` as 1%.
FRACTION_HEADERS = {"dealprobability", "hsdealstageprobability", "dealstageprobability"}
_NUMBER = re.compile(r"^(?:\d+\.?\d*|\.\d+)$")


def fraction_header(src: str) -> bool:
    """Whether column `src` holds probabilities as fractions (FRACTION_HEADERS)."""
    return norm(src) in FRACTION_HEADERS and not re.search(r"\s-\s", src)


def fraction_percent(*, decimal_comma: bool = False) -> Callable[[str], int]:
    """A reader of a fraction column (FRACTION_HEADERS): `0.2` -> 20, `1` -> 100, `0` -> 0;
    `30`, `20%` as percents."""
    def read(text: str) -> int:
        number = text.replace(",", ".", 1) if decimal_comma and text.count(",") == 1 \
            and "." not in text else text
        if _NUMBER.match(number):
            value = Decimal(number)
            if value <= 1:
                return int((value * 100).to_integral_value(ROUND_HALF_UP))
        return values.parse_percent(text, "probability")
    return read



# Activity (task) statuses other CRMs export -> ours, compared ignoring case, spaces and
# punctuation (as lead statuses are, see convert.LEAD_STATUS_MAP):
#
# | exported by            | value                                            | becomes |
# |------------------------|--------------------------------------------------|---------|
# | Salesforce (Task)      | Completed                                        | done    |
# | Salesforce (Task)      | Not Started, In Progress, Waiting on someone     | open    |
# |                        | else, Deferred                                   |         |
# | HubSpot (task status)  | COMPLETED                                        | done    |
# | HubSpot (task status)  | NOT_STARTED, IN_PROGRESS, WAITING, DEFERRED      | open    |
# | common                 | Done, Complete, Closed                           | done    |
# | common                 | Open, To do, Not done, Pending, Scheduled        | open    |
ACTIVITY_STATUS_MAP = {
    "done": "done", "completed": "done", "complete": "done", "closed": "done",
    "open": "open", "notstarted": "open", "inprogress": "open", "waiting": "open",
    "waitingonsomeoneelse": "open", "deferred": "open", "todo": "open", "notdone": "open",
    "pending": "open", "scheduled": "open",
}

# Activity types other CRMs export -> our kinds (call, email, meeting, note, task), compared
# as statuses are. Salesforce's default Task/Event Type picklist is Call, Email, Meeting,
# Other (Other: a task); HubSpot's engagement types include INCOMING_EMAIL and
# FORWARDED_EMAIL; Salesforce's task subtypes List Email; Pipedrive's activity types include
# Deadline (a task) and Lunch (a meeting).
ACTIVITY_KIND_MAP = {
    "call": "call", "phonecall": "call", "logacall": "call",
    "email": "email", "incomingemail": "email", "forwardedemail": "email",
    "listemail": "email", "emailmessage": "email",
    "meeting": "meeting", "lunch": "meeting",
    "note": "note",
    "task": "task", "todo": "task", "deadline": "task", "other": "task",
}


def _translated(table: dict[str, str], field_name: str, choices: tuple[str, ...],
                text: str, column: str | None):
    found = table.get(norm(text))
    if found is not None:
        return found
    where = f"--map '{column}=extra'" if column else "--map 'COLUMN=extra'"
    raise Invalid(f"{field_name}: {text!r} is not an activity {field_name}; expected one of "
                  + ", ".join(choices) + " (or a Salesforce, HubSpot or Pipedrive one)",
                  field=field_name, value=text,
                  hint=f"if the column is something else, keep it in extra: {where}")


def activity_status(text: str, column: str | None = None) -> str:
    """An activity status as ours or as another CRM exports it (`ACTIVITY_STATUS_MAP`)."""
    return _translated(ACTIVITY_STATUS_MAP, "status", ("open", "done"), text, column)


def activity_kind(text: str, column: str | None = None) -> str:
    """An activity kind as ours or as another CRM's type (`ACTIVITY_KIND_MAP`)."""
    return _translated(ACTIVITY_KIND_MAP, "kind", ACTIVITY_KINDS, text, column)


def clean_cell(text: str, csv_like: bool) -> str:
    """One cell as `RowBuilder` cleans it (for scans that read cells one at a time)."""
    text = text.strip()
    if csv_like and text[:1] == "'":
        text = unneutralise(text)
    if "\x00" in text:
        text = text.replace("\x00", "").strip()
    return text


def _non_empty(columns: list[list[str]], n: int, surplus: dict[int, int]) -> list[int] | None:
    """Indexes of the rows with a value in some column (None: all of them)."""
    if not columns:
        keep = sorted(surplus)
    elif any(all(col) for col in columns):  # a column with a value in every row
        return None
    elif len(columns) == 1:
        keep = [k for k, t in enumerate(columns[0]) if t or k in surplus]
    else:
        keep = [k for k, row in enumerate(zip(*columns)) if any(row) or k in surplus]
    return None if len(keep) == n else keep
