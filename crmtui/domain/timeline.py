"""A record's timeline: its activities, stage changes and edits, newest first.

The edit history stores store columns and their values as text (`amount_minor`, `2700000`);
everything that shows it goes through `field_label` and `shown_value`, so people read field
names and values as the rest of the app and the CLI print them (`amount`, `27,000.00`), and
`--json` gets the keys and forms of a record's JSON (`amount`, `"27000.00"`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session

from crmtui.domain import dates, values
from crmtui.domain.fields import FIELDS, FieldSpec
from crmtui.store.models import Activity, ChangeLog, Stage, StageChange

# a stage move also rewrites these columns; the "stage" event already tells the story
SHOWN_AS_STAGE_MOVES = {"stage_id", "stage_entered_at", "closed_at"}
LINK_COLUMN = {"lead": Activity.lead_id, "account": Activity.account_id,
               "contact": Activity.contact_id, "opportunity": Activity.opportunity_id}


def spec_of_column(entity: str, column: str | None) -> FieldSpec | None:
    """The field stored in `column` (`amount_minor` -> amount), if it is one."""
    for spec in FIELDS.get(entity, ()):
        if spec.col == column:
            return spec
    return None


def field_label(entity: str, column: str | None) -> str | None:
    """What people call the field stored in `column`: `amount`, `account`, `due`."""
    spec = spec_of_column(entity, column)
    return spec.name if spec is not None else column


def json_field(entity: str, column: str | None) -> str | None:
    """The key of a record's JSON that holds this column's value (`amount`, `account_id`)."""
    spec = spec_of_column(entity, column)
    if spec is None:
        return column
    return f"{spec.name}_id" if spec.kind == "ref" else spec.name


def _minor(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:  # written by something else: show it as it is
        return None


def json_value(entity: str, column: str | None, raw: str | None) -> str | None:
    """A logged value in the form of a record's JSON (amounts in the major unit)."""
    spec = spec_of_column(entity, column)
    if raw is None or spec is None or spec.kind != "money":
        return raw
    minor = _minor(raw)
    return values.money_str(minor) if minor is not None else raw


def _moment(raw: str) -> str:
    """A logged timestamp (ISO, UTC) as the CLI's tables show times: local, to the minute."""
    try:
        return dates.human(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        return raw


class Shown:
    """Turns logged values into what people read; names of referenced records fetched once."""

    def __init__(self, s: Session):
        from crmtui.domain.serialize import Names

        self.names = Names(s)

    def value(self, entity: str, column: str | None, raw: str | None) -> str:
        if raw is None or raw == "":
            return "-"
        spec = spec_of_column(entity, column)
        if spec is None:
            if column is not None and column.endswith("_at"):
                return _moment(raw)
            return raw
        if spec.kind == "money":
            minor = _minor(raw)
            return values.money_human(minor) if minor is not None else raw
        if spec.kind == "ref":
            record_id = _minor(raw)
            name = self.names.name(spec.ref, record_id) if record_id is not None else None
            return name if name is not None else f"#{raw}"
        if spec.kind == "datetime":
            return _moment(raw)
        if spec.kind == "percent":
            return f"{raw}%"
        return raw

    def change(self, entity: str, column: str | None, old: str | None,
               new: str | None) -> str:
        """`amount: 27,000.00 -> 26,000.00`"""
        return (f"{field_label(entity, column)}: {self.value(entity, column, old)} -> "
                f"{self.value(entity, column, new)}")


def events(s: Session, entity: str, record_id: int, limit: int = 30) -> list[dict]:
    """Plain dicts with `at` (ISO), `type` (activity, stage, edit, create, ...) and `text`."""
    out: list[tuple] = []
    if entity in LINK_COLUMN:
        acts = s.scalars(
            select(Activity).where(LINK_COLUMN[entity] == record_id)
            .order_by(desc(Activity.created_at)).limit(limit)
        ).all()
        for a in acts:
            when = a.done_at or a.created_at
            state = "done" if a.done_at else (f"due {dates.human(a.due_at)}" if a.due_at else "open")
            out.append((when, "activity", f"{a.kind}: {a.subject} ({state})", a.id))
    if entity == "opportunity":
        changes = s.scalars(
            select(StageChange).where(StageChange.opportunity_id == record_id)
            .order_by(desc(StageChange.at)).limit(limit)
        ).all()
        stage_names = {st.id: st.name for st in s.scalars(select(Stage))}
        for c in changes:
            before = _stage_name(stage_names, c.from_stage_id, c.from_stage_name, "(new)")
            after = _stage_name(stage_names, c.to_stage_id, c.to_stage_name, "?")
            out.append((c.at, "stage", f"{before} -> {after}", c.id))
    edits = s.scalars(
        select(ChangeLog).where(*_of_this_record(entity, record_id))
        .order_by(desc(ChangeLog.id)).limit(limit)
    ).all()
    shown = Shown(s)
    for e in edits:
        if entity == "opportunity" and e.field in SHOWN_AS_STAGE_MOVES:
            continue
        if e.action == "edit" and e.field:
            text = shown.change(entity, e.field, e.old, e.new)
        elif e.action == "merge" and e.field:  # a value the merged duplicate had, dropped
            text = f"merge dropped {e.field}: {e.old}"
        else:
            detail = e.new or e.old
            text = e.action + (f" {detail}" if detail else "")
        who = f" by {e.actor}" if e.actor else ""
        out.append((e.at, e.action, f"{text} (via {e.source}{who})", e.id))
    out.sort(key=lambda item: (item[0], item[3]), reverse=True)
    return [{"at": dates.iso(at), "type": kind, "text": text} for at, kind, text, _ in out[:limit]]




def history(s: Session, entity: str, record_id: int, limit: int | None = None, *,
            human: bool = False) -> list[dict]:
    """Every recorded change of one record, newest first (the append-only edit history).

    Fields and values as a record's JSON has them (`amount`, "27000.00"); with `human`, as
    people read them (`amount`, "27,000.00"; `account`, the account's name)."""
    query = (select(ChangeLog).where(*_of_this_record(entity, record_id))
             .order_by(desc(ChangeLog.id)))
    if limit:
        query = query.limit(limit)
    shown = Shown(s) if human else None
    out = []
    for c in s.scalars(query):
        if shown is not None and c.field:
            field, old, new = (field_label(entity, c.field),
                               shown.value(entity, c.field, c.old) if c.old is not None else None,
                               shown.value(entity, c.field, c.new) if c.new is not None else None)
        else:
            field, old, new = (json_field(entity, c.field), json_value(entity, c.field, c.old),
                               json_value(entity, c.field, c.new))
        out.append({"at": dates.iso(c.at), "action": c.action, "field": field, "old": old,
                    "new": new, "source": c.source, "actor": c.actor})
    return out


def _stage_name(names: dict[int, str], stage_id: int | None, kept: str | None,
                none: str) -> str:
    """A stage in a deal's history: its name now, or the name kept when it was deleted."""
    if stage_id is not None:
        return names.get(stage_id, "?")
    if kept is not None:
        return f"{kept} (deleted stage)"
    return none


def _of_this_record(entity: str, record_id: int) -> tuple:
    """The history rows of the record that has this id now. SQLite gives a new record the
    id of a deleted one when that was the highest, so rows from before the id's latest
    creation (`create`, or `import` of a new record) belong to the deleted record."""
    mine = (ChangeLog.entity == entity, ChangeLog.record_id == record_id)
    born = (select(func.coalesce(func.max(ChangeLog.id), 0))
            .where(*mine, ChangeLog.action.in_(("create", "import"))).scalar_subquery())
    return (*mine, ChangeLog.id >= born)
