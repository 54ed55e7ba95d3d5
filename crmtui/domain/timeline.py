"""A record's timeline: its activities, stage changes and edits, newest first."""

from __future__ import annotations

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from crmtui.domain import dates
from crmtui.store.models import Activity, ChangeLog, Stage, StageChange

# a stage move also rewrites these columns; the "stage" event already tells the story
SHOWN_AS_STAGE_MOVES = {"stage_id", "stage_entered_at", "closed_at"}
LINK_COLUMN = {"lead": Activity.lead_id, "account": Activity.account_id,
               "contact": Activity.contact_id, "opportunity": Activity.opportunity_id}


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
            before = stage_names.get(c.from_stage_id, "-") if c.from_stage_id else "(new)"
            out.append((c.at, "stage", f"{before} -> {stage_names.get(c.to_stage_id, '?')}",
                        c.id))
    edits = s.scalars(
        select(ChangeLog).where(ChangeLog.entity == entity, ChangeLog.record_id == record_id)
        .order_by(desc(ChangeLog.id)).limit(limit)
    ).all()
    for e in edits:
        if entity == "opportunity" and e.field in SHOWN_AS_STAGE_MOVES:
            continue
        if e.action == "edit" and e.field:
            text = f"{e.field}: {e.old if e.old is not None else '-'} -> " \
                   f"{e.new if e.new is not None else '-'}"
        else:
            detail = e.new or e.old
            text = e.action + (f" {detail}" if detail else "")
        who = f" by {e.actor}" if e.actor else ""
        out.append((e.at, e.action, f"{text} (via {e.source}{who})", e.id))
    out.sort(key=lambda item: (item[0], item[3]), reverse=True)
    return [{"at": dates.iso(at), "type": kind, "text": text} for at, kind, text, _ in out[:limit]]




def history(s: Session, entity: str, record_id: int, limit: int | None = None) -> list[dict]:
    """Every recorded change of one record, newest first (the append-only edit history)."""
    query = (select(ChangeLog).where(ChangeLog.entity == entity, ChangeLog.record_id == record_id)
             .order_by(desc(ChangeLog.id)))
    if limit:
        query = query.limit(limit)
    return [{"at": dates.iso(c.at), "action": c.action, "field": c.field, "old": c.old,
             "new": c.new, "source": c.source, "actor": c.actor} for c in s.scalars(query)]
