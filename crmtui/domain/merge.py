"""Merging two duplicate records into one, in one transaction.

`merge(s, entity, keep, other)`:
- every record pointing at OTHER is moved to KEEP (contacts, deals, activities, converted-lead
  links; for leads their activities);
- KEEP's empty fields are filled from OTHER (with `prefer="other"`, OTHER's non-empty values
  win); tags are united; when both have notes, OTHER's are appended; imported `extra`
  columns are combined (KEEP's win on a clash); KEEP takes OTHER's external id if it has none;
- nothing is dropped silently: every field where both have a different value is a *conflict*
  (`conflicts(...)`, also in the result): the value that loses (OTHER's, or KEEP's with
  `prefer="other"`) is written to KEEP's history as a `merge` row (field, old = the dropped
  value) unless the `edit` row of the change already holds it; so are an external id and
  imported `extra` values that lose a clash, and a lead's status;
- the merge is written to KEEP's history (each filled field, and a `merge` event naming OTHER),
  then OTHER is deleted;
- a lead that got OTHER's activities then follows the rules of logging an activity
  (`activities.touch_targets`): its last activity time, new -> working, its score.
A converted lead cannot be merged into an unconverted one (merge the other way round).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.domain import leads, records, refs, values
from crmtui.domain.fields import FIELDS
from crmtui.domain.words import plural
from crmtui.errors import Conflict, Invalid
from crmtui.store.models import Account, Activity, Contact, Lead, Opportunity

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


def _same(spec, a, b) -> bool:
    if spec is not None and spec.kind == "email" and isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


def _shown(s: Session, spec, value) -> str:
    """A value as people read it in a merge summary (an account by its name, money as money)."""
    if spec is not None and spec.kind == "ref":
        account = s.get(Account, value)
        return f"{account.name} (#{value})" if account is not None else f"#{value}"
    if spec is not None and spec.kind == "money":
        return values.money_str(value) or ""
    return str(value)


def _plan(s: Session, entity: str, keep, other, prefer: str) -> tuple[dict, list[dict]]:
    """(changes to KEEP, conflicts); each conflict: field, column, kept, dropped (as shown),
    the dropped raw value, and whether the edit row of a change records it already."""
    changes: dict = {}
    found: list[dict] = []

    def conflict(name, column, spec, kept, dropped, logged):
        found.append({"field": name, "kept": _shown(s, spec, kept),
                      "dropped": _shown(s, spec, dropped), "_column": column,
                      "_raw": dropped, "_logged": logged})

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
            if not _empty(mine) and mine != theirs:
                conflict(spec.name, spec.col, spec, mine, theirs, False)
        elif _empty(mine):
            changes[spec.col] = theirs
        elif not _same(spec, mine, theirs):
            if prefer == "other":
                changes[spec.col] = theirs
                conflict(spec.name, spec.col, spec, theirs, mine, True)
            else:
                conflict(spec.name, spec.col, spec, mine, theirs, False)
    if entity == "lead":
        # OTHER's done activities will move KEEP from new to working, as logging one does
        status = keep.status
        if status == "new" and s.scalar(select(Activity.id).where(
                Activity.lead_id == other.id, Activity.done_at.is_not(None)).limit(1)):
            status = "working"
        if status != other.status:
            conflict("status", "status", None, status, other.status, False)
    if _empty(keep.external_id) and not _empty(other.external_id):
        changes["external_id"] = other.external_id
    mine_extra, theirs_extra = keep.extra or {}, other.extra or {}
    for key in sorted(theirs_extra):
        if key in mine_extra and mine_extra[key] != theirs_extra[key] \
                and not _empty(theirs_extra[key]):
            conflict(f"extra.{key}", f"extra.{key}", None, mine_extra[key], theirs_extra[key],
                     False)
    extra = {**theirs_extra, **mine_extra}
    if extra != mine_extra:
        changes["extra"] = extra
    return changes, found


def _public(found: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if not k.startswith("_")} for c in found]


def describe(conflict: dict) -> str:
    """`email: kept ada@engines.io, dropped ada.l@gmail.com` (CLI and app alike)."""
    return f"{conflict['field']}: kept {conflict['kept']}, dropped {conflict['dropped']}"


def _load(s: Session, entity: str, keep_id: int, other_id: int, prefer: str):
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
    return keep, other


def conflicts(s: Session, entity: str, keep_id: int, other_id: int, *,
              prefer: str = "keep") -> list[dict]:
    """What a merge would drop, changing nothing: [{field, kept, dropped}] (for a prompt)."""
    keep, other = _load(s, entity, keep_id, other_id, prefer)
    return _public(_plan(s, entity, keep, other, prefer)[1])


def merge(s: Session, entity: str, keep_id: int, other_id: int, *, prefer: str = "keep",
          source: str = "cli") -> dict:
    keep, other = _load(s, entity, keep_id, other_id, prefer)
    changes, found = _plan(s, entity, keep, other, prefer)

    moved: dict[str, int] = {}
    moved_activities: list[Activity] = []
    for model, column in LINKS[entity]:
        child = ENTITY_OF[model]
        for row in s.scalars(select(model).where(getattr(model, column) == other.id)).all():
            records.apply(s, child, row, {column: keep.id}, source=source)
            moved[child] = moved.get(child, 0) + 1
            if model is Activity:
                moved_activities.append(row)

    if "external_id" in changes:
        other.external_id = None
        s.flush()
    records.apply(s, entity, keep, changes, source=source)
    if entity == "lead":
        _touch_lead(s, keep, moved_activities, source=source)
    name = refs.display_name(other)
    for c in found:  # what KEEP does not take from OTHER (or gave up for it) stays on record
        if not c["_logged"]:
            records.log(s, entity, keep.id, "merge", field=c["_column"], old=c["_raw"],
                        source=source)
    records.log(s, entity, keep.id, "merge", old=f"{entity} {other.id} ({name})", source=source)
    records.delete(s, entity, other.id, source=source)
    return {"kept": keep.id, "merged": other_id, "merged_name": name,
            "filled": sorted(k for k in changes if k != "extra"), "moved": moved,
            "conflicts": _public(found)}


def _touch_lead(s: Session, lead: Lead, moved: list[Activity], *, source: str) -> None:
    """The lead's activities grew: the rules of logging one (last activity time, new ->
    working, score) run for the latest done activity it got; the score is refreshed anyway."""
    from crmtui.domain import activities

    done = [a for a in moved if a.done_at is not None]
    if done:
        activities.touch_targets(s, max(done, key=lambda a: a.done_at), source=source)
    leads.refresh_score(s, lead)
