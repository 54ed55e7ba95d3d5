"""Activities and tasks: logging calls, emails, meetings and notes; tasks; the agenda.

- An activity is about one record, written `lead:12`, `account:Acme`, `contact:7`, `opp:45`.
  An activity on a deal or contact is also linked to its account, so the account's timeline
  shows it.
- Logged activities (call, email, meeting, note) are done when logged, unless given a due
  date in the future (a planned meeting). Tasks are open until completed.
- Logging (or completing) an activity updates the record's `last_activity_at` (which the
  stale-deal rule reads) and moves a new lead to working; any activity on a lead
  recomputes its score.
- The agenda groups open tasks and planned activities by local day: overdue (due before
  today), today, and upcoming (the next N days, default 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.domain import dates, leads, records, refs
from crmtui.domain.fields import ACTIVITY_KINDS, entity_name
from crmtui.errors import Invalid
from crmtui.store.models import Activity, Contact, Lead, Opportunity, utcnow

TARGETS = ("lead", "account", "contact", "opportunity")


def parse_target(s: Session, text: object) -> tuple[str, int]:
    """`opp:45`, `account:Acme`, `lead:ada@example.com`... -> ("opportunity", 45)."""
    raw = str(text or "").strip()
    if ":" not in raw:
        raise Invalid(f"on: {raw!r} does not say what the activity is about",
                      field="on", value=raw, hint="write TYPE:REF, e.g. lead:12, account:Acme, "
                                                  "opp:45, contact:7")
    kind, ref = raw.split(":", 1)
    entity = entity_name(kind)
    if entity not in TARGETS:
        raise Invalid(f"on: activities can be on a lead, account, contact or opp, not {kind!r}",
                      field="on", value=raw)
    return entity, refs.resolve(s, entity, ref, field="on").id


def _links(s: Session, entity: str, record_id: int) -> dict[str, int | None]:
    links = {f"{t}_id": None for t in TARGETS}
    links[f"{entity}_id"] = record_id
    if entity == "opportunity":
        links["account_id"] = s.get(Opportunity, record_id).account_id
    elif entity == "contact":
        links["account_id"] = s.get(Contact, record_id).account_id
    return links


def add(s: Session, kind: str, subject: str, *, on: str | tuple[str, int] | None = None,
        body: str | None = None, due: object = None, owner: str | None = None,
        done: bool | None = None, source: str = "cli") -> Activity:
    raw: dict = {"kind": kind, "subject": subject, "body": body, "owner": owner, "due": due}
    activity = records.create(s, "activity", raw, source=source)
    if on is not None:
        entity, record_id = on if isinstance(on, tuple) else parse_target(s, on)
        for column, value in _links(s, entity, record_id).items():
            setattr(activity, column, value)
    if done is None:
        done = activity.kind != "task" and (activity.due_at is None or activity.due_at <= utcnow())
    if done:
        activity.done_at = utcnow()
    s.flush()
    touch_targets(s, activity, source=source)
    return activity


def touch_targets(s: Session, activity: Activity, *, source: str) -> None:
    """Record-level effects of an activity: last activity time, lead status and score."""
    when = activity.done_at
    if activity.opportunity_id and when:
        opp = s.get(Opportunity, activity.opportunity_id)
        if opp.last_activity_at is None or opp.last_activity_at < when:
            opp.last_activity_at = when
    if activity.lead_id:
        lead = s.get(Lead, activity.lead_id)
        if when and (lead.last_activity_at is None or lead.last_activity_at < when):
            lead.last_activity_at = when
        if when and lead.status == "new":
            leads.set_status(s, lead.id, "working", source=source)
        leads.refresh_score(s, lead)


def complete(s: Session, activity_id: int, *, source: str = "cli") -> Activity:
    activity = refs.get(s, "activity", activity_id)
    if activity.done_at is not None:
        raise Invalid(f"activity {activity.id} was already done on {dates.human(activity.done_at)}")
    records.log(s, "activity", activity.id, "edit", field="done_at", old=None, new=utcnow(),
                source=source)
    activity.done_at = utcnow()
    records.touch(s, "activity", activity)
    touch_targets(s, activity, source=source)
    return activity


def reopen(s: Session, activity_id: int, *, source: str = "cli") -> Activity:
    activity = refs.get(s, "activity", activity_id)
    if activity.done_at is None:
        raise Invalid(f"activity {activity.id} is not done")
    return records.apply(s, "activity", activity, {"done_at": None}, source=source)


def snooze(s: Session, activity_id: int, until: object, *, source: str = "cli") -> Activity:
    activity = refs.get(s, "activity", activity_id)
    if activity.done_at is not None:
        raise Invalid(f"activity {activity.id} is already done; nothing to snooze")
    when = dates.parse_when(until, "until")
    if when <= utcnow():
        raise Invalid(f"until: {until!r} is in the past", field="until", value=until,
                      hint="snooze to a later time, e.g. 'tomorrow' or '+3d'")
    return records.apply(s, "activity", activity, {"due_at": when}, source=source)


@dataclass
class Agenda:
    overdue: list[Activity]
    today: list[Activity]
    upcoming: list[Activity]
    days: int

    def groups(self) -> list[tuple[str, list[Activity]]]:
        return [("Overdue", self.overdue), ("Today", self.today),
                (f"Next {self.days} days", self.upcoming)]


def agenda(s: Session, *, days: int = 7, owner: str | None = None,
           now: datetime | None = None) -> Agenda:
    """Open activities with a due date up to the end of the `days`-th local day from today."""
    if days < 0:
        raise Invalid(f"days: {days} is negative; give 0 (today only) or more", field="days",
                      value=days)
    now = now or dates.local_now()
    today = now.date()
    start_today = dates.start_of_local_day(today)
    start_tomorrow = dates.start_of_local_day(today + timedelta(days=1))
    end = dates.start_of_local_day(today + timedelta(days=days + 1))
    query = (select(Activity).where(Activity.done_at.is_(None), Activity.due_at.is_not(None),
                                    Activity.due_at < end)
             .order_by(Activity.due_at, Activity.id))
    if owner:
        query = query.where(Activity.owner == owner)
    items = s.scalars(query).all()
    return Agenda(
        overdue=[a for a in items if a.due_at < start_today],
        today=[a for a in items if start_today <= a.due_at < start_tomorrow],
        upcoming=[a for a in items if a.due_at >= start_tomorrow],
        days=days,
    )


def check_kind(kind: str) -> str:
    if kind not in ACTIVITY_KINDS:
        raise Invalid(f"kind: {kind!r} is not valid; expected one of " + ", ".join(ACTIVITY_KINDS))
    return kind
