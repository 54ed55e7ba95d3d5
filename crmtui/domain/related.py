"""What a record page shows besides its fields: related records and the timeline."""

from __future__ import annotations

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session

from crmtui.domain import records, timeline
from crmtui.domain.serialize import Names, prefetch_for
from crmtui.store.models import Activity, Contact, Opportunity, Stage

RELATED_LIMIT = 20


def _dicts(s: Session, entity: str, rows: list, names: Names) -> list[dict]:
    prefetch_for(names, entity, rows)
    return [records.to_dict(s, entity, r, names) for r in rows]


def _listing(s: Session, entity: str, model, where, order, names: Names) -> dict:
    total = s.scalar(select(func.count()).select_from(model).where(where))
    rows = s.scalars(select(model).where(where).order_by(*order).limit(RELATED_LIMIT)).all()
    return {"count": total, "items": _dicts(s, entity, rows, names)}


def for_record(s: Session, entity: str, obj) -> dict:
    names = Names(s)
    out: dict = {}
    open_stage = select(Stage.id).where(Stage.kind == "open")
    if entity == "account":
        out["contacts"] = _listing(s, "contact", Contact, Contact.account_id == obj.id,
                                   [Contact.last_name, Contact.id], names)
        out["open_opportunities"] = _listing(
            s, "opportunity", Opportunity,
            (Opportunity.account_id == obj.id) & Opportunity.stage_id.in_(open_stage),
            [Opportunity.close_date, Opportunity.id], names)
        out["closed_opportunities"] = _listing(
            s, "opportunity", Opportunity,
            (Opportunity.account_id == obj.id) & ~Opportunity.stage_id.in_(open_stage),
            [desc(Opportunity.closed_at), desc(Opportunity.id)], names)
    elif entity == "contact":
        out["opportunities"] = _listing(s, "opportunity", Opportunity,
                                        Opportunity.contact_id == obj.id,
                                        [desc(Opportunity.id)], names)
    if entity in timeline.LINK_COLUMN:
        column = timeline.LINK_COLUMN[entity]
        out["open_tasks"] = _listing(s, "activity", Activity,
                                     (column == obj.id) & Activity.done_at.is_(None),
                                     [Activity.due_at.asc().nulls_last(), Activity.id], names)
        out["recent_activities"] = _listing(s, "activity", Activity,
                                            (column == obj.id) & Activity.done_at.is_not(None),
                                            [desc(Activity.done_at), desc(Activity.id)], names)
        out["timeline"] = timeline.events(s, entity, obj.id)
    return out
