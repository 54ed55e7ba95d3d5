"""Changing many records at once: assign an owner, add a tag, move deals to a stage, delete.

Each function is meant to run inside one write transaction (the caller's `store.write()`).
Every record goes through the same path as a single edit -- `records.update` (validation,
history rows, version bump), `opportunities.move` (a StageChange row per deal) and
`records.delete` -- so either every record changes or, when one of them is refused, none
does and the error names the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.domain import opportunities, records, refs, values, words
from crmtui.domain.fields import FIELDS
from crmtui.errors import CrmError, Invalid
from crmtui.store.models import Opportunity, Stage

MAX_RECORDS = 5_000
Progress = Callable[[int, int], None] | None  # called with (done, total) after each record


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)

    def summary(self, verb: str, noun: str) -> str:
        text = f"{verb} {len(self.changed)} {noun}{'' if len(self.changed) == 1 else 's'}"
        if self.unchanged:
            text += f" ({len(self.unchanged)} already so)"
        return text


def _ids(ids: Iterable[int]) -> list[int]:
    out = list(dict.fromkeys(int(i) for i in ids))
    if not out:
        raise Invalid("nothing selected", hint="mark records first")
    if len(out) > MAX_RECORDS:
        raise Invalid(f"{len(out):,} records are too many for one change (at most {MAX_RECORDS:,})",
                      hint="narrow the filter")
    return out


def _about(entity: str, obj) -> str:
    return f"{refs.LABELS[entity]} {obj.id} ({refs.display_name(obj)})"


def _each(s: Session, entity: str, ids: Iterable[int], change,
          progress: Progress = None) -> BulkResult:
    result = BulkResult()
    ids = _ids(ids)
    for n, record_id in enumerate(ids, start=1):
        obj = refs.get(s, entity, record_id)
        before = obj.version
        try:
            obj = change(obj)
        except CrmError as exc:
            exc.message = f"{_about(entity, obj)}: {exc.message}; nothing was changed"
            raise
        (result.changed if obj.version != before else result.unchanged).append(record_id)
        if progress is not None:
            progress(n, len(ids))
    return result


def _has_field(entity: str, name: str) -> None:
    if name not in {f.name for f in FIELDS[entity]}:
        plural = words.plural(entity)
        raise Invalid(f"{plural} have no {name}")


def assign_owner(s: Session, entity: str, ids: Iterable[int], owner: str, *,
                 source: str = "cli", progress: Progress = None) -> BulkResult:
    _has_field(entity, "owner")
    owner = values.clean_text(owner)
    if owner is None:
        raise Invalid("owner: give a user name", field="owner")
    return _each(s, entity, ids, lambda obj: records.update(
        s, entity, obj.id, {"owner": owner}, obj=obj, source=source), progress)


def add_tag(s: Session, entity: str, ids: Iterable[int], tag: str, *,
            source: str = "cli", progress: Progress = None) -> BulkResult:
    _has_field(entity, "tags")
    new = values.parse_tags(tag)
    if new is None:
        raise Invalid("tag: give a tag", field="tag")

    def change(obj):
        merged = ",".join(t for t in (obj.tags, new) if t)
        return records.update(s, entity, obj.id, {"tags": merged}, obj=obj, source=source)

    return _each(s, entity, ids, change, progress)


def move_stage(s: Session, ids: Iterable[int], stage: object, *,
               source: str = "cli", progress: Progress = None) -> BulkResult:
    """Move deals to the stage named `stage` in each deal's own pipeline (not a lost stage:
    losing needs a reason per deal). Deals already there are left as they are."""

    def change(obj):
        target = refs.resolve_stage(s, obj.pipeline_id, stage)
        if target.id == obj.stage_id:
            return obj
        if target.kind == "won":
            return opportunities.win(s, obj.id, source=source)
        # by name: resolve_stage reads a number as a position before an id
        return opportunities.move(s, obj.id, target.name, source=source)

    return _each(s, "opportunity", ids, change, progress)


def stage_names(s: Session, ids: Iterable[int]) -> list[str]:
    """Stage names a bulk move of these deals can target (their pipelines' stages, lost last)."""
    pipeline_ids = set(s.scalars(select(Opportunity.pipeline_id)
                                 .where(Opportunity.id.in_(_ids(ids)))).all())
    names: dict[str, Stage] = {}
    for pipeline_id in sorted(pipeline_ids):
        for st in refs.stages_of(s, pipeline_id):
            names.setdefault(st.name.lower(), st)
    return [st.name for st in names.values() if st.kind != "lost"]


def delete_preview(s: Session, entity: str, ids: Iterable[int]) -> dict[str, int]:
    """What deleting these records would also touch: related record counts, summed."""
    totals: dict[str, int] = {}
    for record_id in _ids(ids):
        for label, n in records.related_counts(s, entity, record_id).items():
            totals[label] = totals.get(label, 0) + n
    return totals


def delete_many(s: Session, entity: str, ids: Iterable[int], *, related: str | None = None,
                source: str = "cli", progress: Progress = None) -> BulkResult:
    """Delete records; `related` ('delete' or 'detach') says what happens to what refers to them."""
    result = BulkResult()
    ids = _ids(ids)
    for n, record_id in enumerate(ids, start=1):
        obj = refs.get(s, entity, record_id)
        about = _about(entity, obj)
        try:
            records.delete(s, entity, record_id, related=related, source=source)
        except CrmError as exc:
            exc.message = f"{about}: {exc.message}; nothing was deleted"
            raise
        result.changed.append(record_id)
        if progress is not None:
            progress(n, len(ids))
    return result
