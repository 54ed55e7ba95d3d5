"""Import history and undo.

Undo deletes the records a batch inserted (they carry its `import_batch_id`; stages it created
have ImportChange rows) and restores the columns it changed on the records it updated (their
before-images are ImportChange rows). A record edited since the import (its version moved on,
or another record now points at one the batch inserted) is never overwritten or deleted:
undo refuses, or with `force` keeps those records as they are and undoes the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import delete, func, select, update as sql_update
from sqlalchemy.orm import Session

from crmtui.domain import dates, pipelines, records, words
from crmtui.errors import Conflict, NotFound
from crmtui.store.models import (
    Activity, ChangeLog, Contact, ImportBatch, ImportChange, Lead, Opportunity, Stage,
    TABLES_BY_ENTITY, utcnow,
)

# Who may point at a record of each entity (child table, column).
CHILDREN = {
    "account": ((Contact, "account_id"), (Opportunity, "account_id"), (Activity, "account_id"),
                (Lead, "converted_account_id")),
    "contact": ((Opportunity, "contact_id"), (Activity, "contact_id"),
                (Lead, "converted_contact_id")),
    "lead": ((Activity, "lead_id"),),
    "opportunity": ((Activity, "opportunity_id"), (Lead, "converted_opportunity_id")),
    "activity": (),
}
ORDER = ("activity", "opportunity", "contact", "lead", "account")


def history(s: Session, *, limit: int = 20) -> list[dict]:
    rows = s.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)).all()
    return [batch_dict(b) for b in rows]


def batch_dict(b: ImportBatch) -> dict:
    extra = b.extra or {}
    return {"id": b.id, "created_at": dates.iso(b.created_at), "entity": b.entity,
            "file": b.source, "format": b.format, "status": b.status, "inserted": b.inserted,
            "updated": b.updated, "skipped": b.skipped, "rejected": b.rejected,
            "unchanged": extra.get("unchanged"), "created": extra.get("created") or {},
            "finished_at": dates.iso(b.finished_at), "undone_at": dates.iso(b.undone_at),
            "options": b.options or {}}


# What each record points at (entity, column): a record undo keeps keeps these too when the
# batch inserted them, or the delete would fail (or silently unlink the kept record).
PARENTS = {
    "contact": (("account", "account_id"),),
    "opportunity": (("account", "account_id"), ("contact", "contact_id"), ("stage", "stage_id")),
    "activity": (("lead", "lead_id"), ("account", "account_id"), ("contact", "contact_id"),
                 ("opportunity", "opportunity_id")),
    "lead": (("account", "converted_account_id"), ("contact", "converted_contact_id"),
             ("opportunity", "converted_opportunity_id")),
    "account": (),
    "stage": (),
}


@dataclass
class UndoPlan:
    batch: ImportBatch
    deletes: dict[str, int] = field(default_factory=dict)  # entity -> rows to delete
    restores: int = 0
    edited: list[tuple[str, int]] = field(default_factory=list)
    referenced: list[tuple[str, int, str]] = field(default_factory=list)
    # records the batch inserted that undo keeps (record -> why), and updated records it
    # leaves as they are (edited since)
    kept: dict[tuple[str, int], str] = field(default_factory=dict)
    unrestored: set[tuple[str, int]] = field(default_factory=set)

    @property
    def blocked(self) -> bool:
        return bool(self.edited or self.referenced)

    @property
    def keep(self) -> set[tuple[str, int]]:
        return set(self.kept) | self.unrestored

    def kept_shown(self, limit: int = 10) -> str:
        items = [f"{e} {i} ({why})" for (e, i), why in sorted(self.kept.items())]
        items += [f"{e} {i} (edited since)" for e, i in sorted(self.unrestored)]
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return ", ".join(items[:limit]) + more

    def blocked_message(self) -> str:
        parts = []
        if self.edited:
            shown = ", ".join(f"{e} {i}" for e, i in self.edited[:10])
            more = f" and {len(self.edited) - 10} more" if len(self.edited) > 10 else ""
            n = len(self.edited)
            parts.append(f"{words.count(n, 'record')} {'was' if n == 1 else 'were'} edited "
                         f"after import batch "
                         f"{self.batch.id}: {shown}{more}")
        if self.referenced:
            shown = ", ".join(f"{e} {i} ({why})" for e, i, why in self.referenced[:10])
            more = (f" and {len(self.referenced) - 10} more" if len(self.referenced) > 10
                    else "")
            n = len(self.referenced)
            parts.append(f"{words.count(n, 'imported record')} {'is' if n == 1 else 'are'} "
                         f"used by records added "
                         f"since: {shown}{more}")
        return "; ".join(parts)

    def question(self) -> str:
        what = ", ".join(f"delete {words.count(n, e)}" for e, n in self.deletes.items() if n)
        if self.restores:
            what = (what + ", " if what else "") + f"restore {words.count(self.restores, 'updated record')}"
        if self.keep:
            what = (what + ", " if what else "") + \
                f"keep {words.count(len(self.keep), 'record')} as they are: {self.kept_shown()}"
        return f"Undo import batch {self.batch.id} ({what or 'nothing to do'})?"


def _batch(s: Session, batch_id: int) -> ImportBatch:
    batch = s.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"import batch {batch_id} does not exist",
                       hint="see `crm import history`")
    if batch.status == "undone":
        raise Conflict(f"import batch {batch_id} was already undone on "
                       f"{dates.human(batch.undone_at)}")
    return batch


def _label(model) -> str:
    return next(k for k, v in TABLES_BY_ENTITY.items() if v is model)


def undo_plan(s: Session, batch_id: int) -> UndoPlan:
    batch = _batch(s, batch_id)
    plan = UndoPlan(batch)
    # updated records: restored (their before-image puts back these columns), or left as
    # they are when edited since
    restoring: dict[tuple[str, int], set[str]] = {}
    changes = s.scalars(select(ImportChange).where(ImportChange.batch_id == batch.id,
                                                   ImportChange.action == "update")).all()
    for change in changes:
        model = TABLES_BY_ENTITY[change.entity]
        current = s.scalar(select(model.version).where(model.id == change.record_id))
        if current is None:
            continue
        key = (change.entity, change.record_id)
        if current != change.version_after:
            plan.edited.append(key)
            plan.unrestored.add(key)
        else:
            plan.restores += 1
            restoring.setdefault(key, set()).update((change.before or {}).get("columns", {}))
    for key in plan.unrestored:  # (one record updated twice by the batch)
        restoring.pop(key, None)

    def reverted(entity: str, child_id: int, column: str) -> bool:
        """The child points at the batch's record only until undo restores it."""
        return column in restoring.get((entity, child_id), ())

    totals: dict[str, int] = {}
    for entity in ORDER:
        model = TABLES_BY_ENTITY[entity]
        mine = select(model.id).where(model.import_batch_id == batch.id)
        totals[entity] = s.scalar(select(func.count()).select_from(mine.subquery()))
        if not totals[entity]:
            continue
        for rid in s.scalars(mine.where(model.version != 1).limit(1000)):
            if _edited_since(s, entity, rid):
                plan.edited.append((entity, rid))
                plan.kept[(entity, rid)] = "edited since"
        for child, column in CHILDREN[entity]:
            col = getattr(child, column)
            label = _label(child)
            rows = s.execute(select(col, child.id).where(
                col.in_(mine), (child.import_batch_id.is_(None)) |
                (child.import_batch_id != batch.id)).order_by(child.id)).all()
            for parent_id, child_id in rows:
                if reverted(label, child_id, column):
                    continue
                if (entity, parent_id) not in plan.kept:
                    plan.referenced.append((entity, parent_id, f"{label} {child_id}"))
                    plan.kept[(entity, parent_id)] = f"used by {label} {child_id}"
    created = {stage.id: (stage, change) for stage, change in _created_stages(s, batch)}
    for stage, change in created.values():
        totals["stage"] = totals.get("stage", 0) + 1
        if stage.version != change.version_after:
            plan.edited.append(("stage", stage.id))
            plan.kept[("stage", stage.id)] = "edited since"
        users = s.scalars(select(Opportunity.id).where(
            Opportunity.stage_id == stage.id, (Opportunity.import_batch_id.is_(None)) |
            (Opportunity.import_batch_id != batch.id)).order_by(Opportunity.id)).all()
        for opp_id in users:
            if reverted("opportunity", opp_id, "stage_id"):
                continue
            if ("stage", stage.id) not in plan.kept:
                plan.referenced.append(("stage", stage.id, f"opportunity {opp_id}"))
                plan.kept[("stage", stage.id)] = f"used by opportunity {opp_id}"
    _keep_parents(s, plan, set(created))
    for entity, total in totals.items():
        plan.deletes[entity] = total - sum(1 for e, _ in plan.kept if e == entity)
    return plan


def _keep_parents(s: Session, plan: UndoPlan, created_stages: set[int]) -> None:
    """What a kept record points at stays too when the batch inserted it (a kept deal's new
    account, contact or stage), and so on up: deleting it would fail or unlink the record."""
    batch_id = plan.batch.id
    todo = list(plan.keep)
    while todo:
        entity, record_id = todo.pop()
        parents = PARENTS.get(entity, ())
        if not parents:
            continue
        model = TABLES_BY_ENTITY[entity]
        row = s.execute(select(*(getattr(model, c) for _, c in parents))
                        .where(model.id == record_id)).first()
        if row is None:
            continue
        for (parent, _), parent_id in zip(parents, row):
            key = (parent, parent_id)
            if parent_id is None or key in plan.kept:
                continue
            if parent == "stage":
                ours = parent_id in created_stages
            else:
                parent_model = TABLES_BY_ENTITY[parent]
                ours = s.scalar(select(parent_model.import_batch_id)
                                .where(parent_model.id == parent_id)) == batch_id
            if ours:
                plan.kept[key] = f"used by kept {entity} {record_id}"
                todo.append(key)


def _edited_since(s: Session, entity: str, record_id: int) -> bool:
    """Changed by a person or a rule, or by a later import that is still in force."""
    by_hand = s.scalar(select(ChangeLog.id).where(
        ChangeLog.entity == entity, ChangeLog.record_id == record_id,
        ChangeLog.action == "edit", ChangeLog.source != "import").limit(1))
    if by_hand:
        return True
    later = s.scalar(select(ImportChange.id).join(ImportBatch, ImportBatch.id ==
                                                  ImportChange.batch_id).where(
        ImportChange.entity == entity, ImportChange.record_id == record_id,
        ImportChange.action == "update", ImportBatch.status != "undone").limit(1))
    return later is not None


def undo(s: Session, batch_id: int, *, force: bool = False) -> dict:
    plan = undo_plan(s, batch_id)
    batch = plan.batch
    if plan.blocked and not force:
        raise Conflict(plan.blocked_message(), hint="pass --force to keep those records")
    keep = plan.keep
    result = {"batch": batch.id, "deleted": {}, "restored": 0, "kept": len(keep),
              "kept_records": [f"{e} {i}" for e, i in sorted(keep)][:50],
              "kept_why": _kept_why(plan)}
    now = utcnow()
    # restore updated records first (newest change first), while they still exist
    changes = s.scalars(select(ImportChange).where(ImportChange.batch_id == batch.id,
                                                   ImportChange.action == "update")
                        .order_by(ImportChange.id.desc())).all()
    for change in changes:
        if (change.entity, change.record_id) in keep:
            continue
        model = TABLES_BY_ENTITY[change.entity]
        obj = s.get(model, change.record_id)
        if obj is None:
            continue
        before = (change.before or {}).get("columns", {})
        _restore_record(s, change.entity, obj, before, now, batch)
        result["restored"] += 1
    for entity in ORDER:
        model = TABLES_BY_ENTITY[entity]
        kept_ids = [i for e, i in keep if e == entity]
        condition = model.import_batch_id == batch.id
        if kept_ids:
            condition = condition & model.id.not_in(kept_ids)
        ids = select(model.id).where(condition)
        n = s.scalar(select(func.count()).select_from(ids.subquery()))
        if not n:
            continue
        s.execute(ChangeLog.__table__.insert().from_select(
            ["entity", "record_id", "action", "new", "at", "source"],
            select(_lit(entity), model.id, _lit("undo"), _lit(f"batch {batch.id}"),
                   _lit(now, ChangeLog.__table__.c.at.type), _lit("import")).where(condition)))
        _detach_own_children(s, entity, batch.id, condition)
        s.execute(delete(model).where(condition).execution_options(synchronize_session=False))
        result["deleted"][entity] = n
    for stage, _ in _created_stages(s, batch):
        if ("stage", stage.id) in keep:
            continue
        in_use = s.scalar(select(func.count()).select_from(Opportunity)
                          .where(Opportunity.stage_id == stage.id))
        if in_use:
            result["kept"] += 1
            result["kept_records"].append(f"stage {stage.id}")
            result["kept_why"][f"stage {stage.id}"] = "in use"
            continue
        pipelines.delete_stage(s, stage, source="import")
        result["deleted"]["stage"] = result["deleted"].get("stage", 0) + 1
    if batch.entity == "activity":
        _recompute_last_activity(s)
    batch.status = "undone"
    batch.undone_at = now
    s.flush()
    s.expire_all()
    return result


def _kept_why(plan: UndoPlan, limit: int = 50) -> dict[str, str]:
    why = {f"{e} {i}": reason for (e, i), reason in sorted(plan.kept.items())}
    why.update({f"{e} {i}": "edited since" for e, i in sorted(plan.unrestored)})
    return dict(sorted(why.items())[:limit])


def plan_dict(plan: UndoPlan) -> dict:
    """What undo would do (--dry-run)."""
    return {"batch": plan.batch.id, "blocked": plan.blocked,
            "blocked_reason": plan.blocked_message() or None,
            "delete": {e: n for e, n in plan.deletes.items() if n}, "restore": plan.restores,
            "keep": len(plan.keep), "kept_why": _kept_why(plan)}


def _detach_own_children(s: Session, entity: str, batch_id: int, condition) -> None:
    """Rows of this batch that point at each other (a deal at an account it created)."""
    model = TABLES_BY_ENTITY[entity]
    for child, column in CHILDREN.get(entity, ()):
        if child is Lead:
            col = getattr(child, column)
            s.execute(sql_update(child).where(col.in_(select(model.id).where(condition)))
                      .values({column: None}).execution_options(synchronize_session=False))


def _recompute_last_activity(s: Session) -> None:
    for table, column in (("opportunity", "opportunity_id"), ("lead", "lead_id")):
        s.connection().exec_driver_sql(
            f"UPDATE {table} SET last_activity_at = (SELECT max(done_at) FROM activity "
            f"WHERE activity.{column} = {table}.id) WHERE last_activity_at IS NOT NULL")


def _lit(value, type_=None):
    from sqlalchemy import literal

    return literal(value, type_=type_) if type_ is not None else literal(value)


def _restore_record(s: Session, entity: str, obj, before: dict, now, batch) -> None:
    """Put back the column values an import overwrote (history rows say so). A deal's stage
    history goes back too: the StageChange rows the batch added are removed, not answered by
    a move back, so reports read the deal's history as if the import had not happened."""
    model = type(obj)
    for column, stored in before.items():
        value = _restore(model, column, stored)
        current = getattr(obj, column)
        if current == value:
            continue
        records.log(s, entity, obj.id, "edit", field=column,
                    old=current if column != "extra" else None,
                    new=value if column != "extra" else None, source="import")
        if column == "stage_id" and entity == "opportunity":
            if not _drop_stage_changes(s, obj.id, batch):
                from crmtui.store.models import StageChange

                # (no row of the batch's move is found: record the move back instead)
                s.add(StageChange(opportunity_id=obj.id, from_stage_id=current,
                                  to_stage_id=value, at=now, source="import"))
        setattr(obj, column, value)
    records.touch(s, entity, obj)


def _drop_stage_changes(s: Session, opp_id: int, batch: ImportBatch) -> int:
    """Delete the StageChange rows the batch's update of a deal added: the importer writes
    them with source "import" while the batch runs (their created_at lies between the batch's
    start and finish; their `at` may be moved to the file's close time)."""
    from crmtui.store.models import StageChange

    when = StageChange.created_at >= batch.created_at
    if batch.finished_at is not None:
        when = when & (StageChange.created_at <= batch.finished_at)
    result = s.execute(delete(StageChange).where(
        StageChange.opportunity_id == opp_id, StageChange.source == "import", when)
        .execution_options(synchronize_session=False))
    return result.rowcount


def _restore(model, column: str, value):
    if value is None:
        return None
    if column == "extra":
        return value
    column_type = model.__table__.c[column].type
    python_type = column_type.python_type
    impl = getattr(column_type, "impl", None)  # UTCDateTime says `object`; its impl knows
    if python_type is object and impl is not None:
        python_type = impl.python_type
    if python_type is datetime:
        value = datetime.fromisoformat(value)
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if python_type is date:
        return date.fromisoformat(value)
    return value


def describe_undo(result: dict) -> str:
    parts = [f"deleted {words.count(n, e)}" for e, n in result["deleted"].items()]
    if result["restored"]:
        parts.append(f"restored {words.count(result['restored'], 'record')}")
    text = f"undid import batch {result['batch']}: " + (", ".join(parts) or "nothing to undo")
    if result["kept"]:
        why = result.get("kept_why") or {}
        text += f"; kept {words.count(result['kept'], 'record')} edited or used since: " + \
            ", ".join(f"{r} ({why[r]})" if r in why else r for r in result["kept_records"][:10])
    return text


def _created_stages(s: Session, batch: ImportBatch):
    """(stage, its insert record) for each stage the batch created that still exists."""
    for change in s.scalars(select(ImportChange).where(ImportChange.batch_id == batch.id,
                                                       ImportChange.action == "insert",
                                                       ImportChange.entity == "stage")):
        stage = s.get(Stage, change.record_id)
        if stage is not None:
            yield stage, change
