"""Merging two duplicate records into one, in one transaction.

`merge(s, entity, keep, other)`:
- every record pointing at OTHER is moved to KEEP (contacts, deals, activities, converted-lead
  links; for leads their activities);
- KEEP's empty fields are filled from OTHER (with `prefer="other"`, OTHER's non-empty values
  win); tags are united; when both have notes, OTHER's are appended; imported `extra`
  columns are combined (KEEP's win on a clash); KEEP takes OTHER's external id if it has none;
- the merge is written to KEEP's history (each filled field, and a `merge` event naming OTHER),
  then OTHER is deleted.
A converted lead cannot be merged into an unconverted one (merge the other way round).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.domain import leads, records, refs, values
from crmtui.domain.fields import FIELDS
from crmtui.domain.words import plural
from crmtui.errors import Conflict, Invalid
from crmtui.store.models import Activity, Contact, Lead, Opportunity

LINKS = {
    "account": ((Contact, "account_id"), (Opportunity, "account_id"), (Activity, "account_id"),
                (Lead, "converted_account_id")),
    "contact": ((Opportunity, "contact_id"), (Activity, "contact_id"),
                (Lead, "converted_contact_id")),
    "lead": ((Activity, "lead_id"),),
}
ENTITY_OF = {Contact: "contact", Opportunity: "opportunity", Activity: "activity", Lead: "lead"}


def _empty(value) -> bool:
    return value is None or value == ""


def merge(s: Session, entity: str, keep_id: int, other_id: int, *, prefer: str = "keep",
          source: str = "cli") -> dict:
    if entity not in LINKS:
        raise Invalid(f"merge works on accounts, contacts and leads, not {plural(entity)}")
    if prefer not in ("keep", "other"):
        raise Invalid("prefer must be 'keep' or 'other'", field="prefer", value=prefer)
    if keep_id == other_id:
        raise Invalid("cannot merge a record with itself")
    keep = refs.get(s, entity, keep_id)
    other = refs.get(s, entity, other_id)
    if entity == "lead" and other.status == "converted" and keep.status != "converted":
        raise Conflict(f"lead {other.id} is converted and lead {keep.id} is not",
                       hint=f"merge the other way round: crm merge lead {other.id} {keep.id}")

    moved: dict[str, int] = {}
    for model, column in LINKS[entity]:
        child = ENTITY_OF[model]
        for row in s.scalars(select(model).where(getattr(model, column) == other.id)).all():
            records.apply(s, child, row, {column: keep.id}, source=source)
            moved[child] = moved.get(child, 0) + 1

    changes: dict = {}
    for spec in FIELDS[entity]:
        if not spec.settable or spec.kind == "ref" and spec.col not in ("account_id",):
            continue
        mine, theirs = getattr(keep, spec.col), getattr(other, spec.col)
        if _empty(theirs):
            continue
        if spec.kind == "tags":
            united = values.parse_tags(f"{mine or ''},{theirs}")
            if united != mine:
                changes[spec.col] = united
        elif spec.name == "notes" and not _empty(mine) and mine != theirs:
            changes[spec.col] = f"{mine}\n\n{theirs}"
        elif spec.name == "external_id":
            continue
        elif _empty(mine) or (prefer == "other" and mine != theirs):
            changes[spec.col] = theirs
    if _empty(keep.external_id) and not _empty(other.external_id):
        changes["external_id"] = other.external_id
        other.external_id = None
        s.flush()
    extra = {**(other.extra or {}), **(keep.extra or {})}
    if extra != (keep.extra or {}):
        changes["extra"] = extra
    records.apply(s, entity, keep, changes, source=source)
    name = refs.display_name(other)
    records.log(s, entity, keep.id, "merge", old=f"{entity} {other.id} ({name})", source=source)
    records.delete(s, entity, other.id, source=source)
    if entity == "lead":
        leads.refresh_score(s, keep)
    return {"kept": keep.id, "merged": other_id, "merged_name": name,
            "filled": sorted(k for k in changes if k != "extra"), "moved": moved}
