"""Leads: status flow, score, and (in `conversion`) turning a lead into customer records.

Status flow: new -> working -> qualified -> converted, or disqualified (with a reason) from
any open status; a disqualified lead can be reopened (back to working; `reopen` refuses any
other lead). A converted lead is final. Logging an activity on a new lead moves it to
working, recorded in the history with the source of the activity (cli, app, import).

Score (0-100), stored on the lead and recomputed whenever one of its inputs changes (its
fields, or an activity logged/removed on it) -- never on read:
- contact data, up to 40: email 12, phone 10, company 8, title 5, both names 5;
- source, up to 20: referral 20, partner 15, event 15, inbound/web/website 10, any other 5;
- fit, up to 20: title seniority (c-level, founder, owner, president, vp, head, director: 10;
  manager, lead: 5) + company size (1000+ employees 10, 200+ 7, 50+ 5, 10+ 2);
- engagement, up to 20: 2 per activity (at most 10) + recency of the last activity
  (within 7 days 10, 30 days 5, 90 days 2), measured when the score is recomputed.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import refs
from crmtui.errors import Conflict, Invalid
from crmtui.store.models import TABLES_BY_ENTITY, Activity, Lead, utcnow

OPEN = ("new", "working", "qualified")
TRANSITIONS = {
    "new": ("working", "qualified", "disqualified", "converted"),
    "working": ("new", "qualified", "disqualified", "converted"),
    "qualified": ("working", "disqualified", "converted"),
    "disqualified": ("working",),
    "converted": (),
}
SCORE_INPUTS = {"email", "phone", "company", "title", "first_name", "last_name", "source",
                "employees", "last_activity_at"}

_SOURCE_POINTS = {"referral": 20, "partner": 15, "event": 15, "inbound": 10, "web": 10,
                  "website": 10}
_SENIOR = re.compile(r"\b(c[a-z]o|chief|founder|co-founder|owner|president|vp|vice president|"
                     r"head|director|partner)\b", re.I)
_MIDDLE = re.compile(r"\b(manager|lead|principal)\b", re.I)


def score(lead: Lead, activity_count: int, last_activity_at: datetime | None,
          now: datetime | None = None) -> int:
    points = 0
    points += 12 if lead.email else 0
    points += 10 if lead.phone else 0
    points += 8 if lead.company else 0
    points += 5 if lead.title else 0
    points += 5 if lead.first_name and lead.last_name else 0
    if lead.source:
        points += _SOURCE_POINTS.get(lead.source.strip().lower(), 5)
    if lead.title:
        points += 10 if _SENIOR.search(lead.title) else 5 if _MIDDLE.search(lead.title) else 0
    size = lead.employees or 0
    points += 10 if size >= 1000 else 7 if size >= 200 else 5 if size >= 50 else 2 if size >= 10 else 0
    points += min(activity_count, 5) * 2
    if last_activity_at:
        days = ((now or utcnow()) - last_activity_at).days
        points += 10 if days <= 7 else 5 if days <= 30 else 2 if days <= 90 else 0
    return max(0, min(100, points))


def refresh_score(s: Session, lead: Lead) -> int:
    count, last = s.execute(
        select(func.count(Activity.id), func.max(func.coalesce(Activity.done_at, Activity.created_at)))
        .where(Activity.lead_id == lead.id)
    ).one()
    if isinstance(last, str):  # SQLite returns MAX() of a datetime column as text
        last = datetime.fromisoformat(last).replace(tzinfo=utcnow().tzinfo)
    lead.score = score(lead, count, last or lead.last_activity_at)
    return lead.score


def set_status(s: Session, lead_id: int, to: str, *, reason: str | None = None,
               expected_version: int | None = None, source: str = "cli") -> Lead:
    """The one gate for status changes (qualify, disqualify, reopen, work, convert)."""
    from crmtui.domain import records

    lead = refs.get(s, "lead", lead_id)
    records.check_version(s, "lead", lead, expected_version)
    check_transition(lead, to)
    cols: dict = {"status": to}
    if to == "disqualified":
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("disqualifying a lead needs a reason", field="reason",
                          hint="say why: --reason 'no budget'")
        cols["disqualify_reason"] = reason
    elif lead.disqualify_reason:
        cols["disqualify_reason"] = None
    return records.apply(s, "lead", lead, cols, source=source)


def reopen(s: Session, lead_id: int, *, expected_version: int | None = None,
           source: str = "cli") -> Lead:
    """A disqualified lead back to working; any other lead is refused, saying what to do."""
    lead = refs.get(s, "lead", lead_id)
    if lead.status in OPEN:
        name = f"{lead.first_name} {lead.last_name}".strip()
        hint = (f"to work on it, use `crm lead work {lead.id}`" if lead.status == "new"
                else None)
        raise Invalid(f"lead {lead.id} ({name}) is {lead.status}, not disqualified; only a "
                      "disqualified lead can be reopened", hint=hint)
    return set_status(s, lead_id, "working", expected_version=expected_version, source=source)


def check_transition(lead: Lead, to: str) -> None:
    name = f"{lead.first_name} {lead.last_name}".strip()
    if to == lead.status and to != "converted":
        raise Invalid(f"lead {lead.id} ({name}) is already {to}")
    if to in TRANSITIONS[lead.status]:
        return
    if lead.status == "converted":
        raise Conflict(
            f"lead {lead.id} ({name}) was already converted"
            + (f" on {lead.converted_at:%Y-%m-%d}" if lead.converted_at else ""),
            hint=_converted_links(lead))
    if lead.status == "disqualified":
        raise Conflict(
            f"lead {lead.id} ({name}) is disqualified ({lead.disqualify_reason or 'no reason'})",
            hint=f"reopen it first: `crm lead reopen {lead.id}`")
    raise Invalid(f"lead {lead.id} cannot go from {lead.status} to {to}",
                  hint="allowed next: " + ", ".join(TRANSITIONS[lead.status]))


def converted_into(s: Session, lead: Lead) -> list[dict]:
    """What a converted lead became: [{"type", "id", "name"}] for its account, contact and
    deal (a record deleted since is left out: its link was cleared)."""
    out = []
    for entity, record_id in (("account", lead.converted_account_id),
                              ("contact", lead.converted_contact_id),
                              ("opportunity", lead.converted_opportunity_id)):
        if record_id is None:
            continue
        obj = s.get(TABLES_BY_ENTITY[entity], record_id)
        if obj is not None:
            out.append({"type": entity, "id": record_id, "name": refs.display_name(obj)})
    return out


def _converted_links(lead: Lead) -> str | None:
    parts = []
    if lead.converted_account_id:
        parts.append(f"account {lead.converted_account_id}")
    if lead.converted_contact_id:
        parts.append(f"contact {lead.converted_contact_id}")
    if lead.converted_opportunity_id:
        parts.append(f"opportunity {lead.converted_opportunity_id}")
    return ("it became " + ", ".join(parts)) if parts else None
