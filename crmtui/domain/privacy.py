"""A person's data: export it (right of access / portability) or erase it (right to erasure).

A person is named by `lead:ID`, `contact:ID` or an email address. Their records are the
leads and contacts with that email (ignoring case), plus the contact a lead was converted
into and the lead a contact came from; their activities are those linked to any of them.

Erasing blanks every personal field of those leads and contacts (name becomes "(erased)",
email, phone, title, notes, website, city, country, tags, imported extra columns), the
subject and body of their activities, the old/new values of their edit history and import
before-images, and an account that conversion named after the person. Deal figures (amounts,
stages, dates, sources) stay, so reports stay right. The search index is rebuilt from the
erased values and, on SQLite, merged so no old term survives; with `secure_delete` on and a
WAL checkpoint afterwards (see `finish_erase`), the erased bytes are gone from the database
file and its WAL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crmtui.domain import dates, records, refs
from crmtui.errors import Invalid, NotFound
from crmtui.store.models import (
    Account, Activity, ChangeLog, Contact, ImportChange, Lead, Opportunity, utcnow,
)

ERASED = "(erased)"
PERSONAL = ("email", "phone", "title", "notes", "tags", "extra")
LEAD_ONLY = ("website", "city", "country", "disqualify_reason")


@dataclass
class Person:
    leads: list[Lead] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.leads and not self.contacts


def find(s: Session, target: str) -> Person:
    text = (target or "").strip()
    person = Person()
    emails: set[str] = set()
    if ":" in text and "@" not in text.split(":", 1)[0]:
        kind, ref = text.split(":", 1)
        entity = {"lead": "lead", "contact": "contact"}.get(kind.strip().lower())
        if entity is None:
            raise Invalid(f"{target!r}: name a person as lead:ID, contact:ID or an email address")
        obj = refs.resolve(s, entity, ref)
        (person.leads if entity == "lead" else person.contacts).append(obj)
        if obj.email:
            emails.add(obj.email.lower())
    elif "@" in text:
        emails.add(text.lower())
    else:
        raise Invalid(f"{target!r}: name a person as lead:ID, contact:ID or an email address")
    for email in emails:
        person.leads += s.scalars(select(Lead).where(func.lower(Lead.email) == email)).all()
        person.contacts += s.scalars(select(Contact).where(func.lower(Contact.email) == email)).all()
    for lead in list(person.leads):
        if lead.converted_contact_id:
            person.contacts.append(s.get(Contact, lead.converted_contact_id))
    contact_ids = [c.id for c in person.contacts if c is not None]
    if contact_ids:
        person.leads += s.scalars(select(Lead).where(Lead.converted_contact_id.in_(contact_ids))).all()
    person.leads = _unique(person.leads)
    person.contacts = _unique([c for c in person.contacts if c is not None])
    if person.empty:
        raise NotFound(f"no lead or contact matches {target!r}")
    return person


def _unique(items: list) -> list:
    seen, out = set(), []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            out.append(item)
    return sorted(out, key=lambda o: o.id)


def _activities(s: Session, person: Person) -> list[Activity]:
    conditions = []
    if person.leads:
        conditions.append(Activity.lead_id.in_([l.id for l in person.leads]))
    if person.contacts:
        conditions.append(Activity.contact_id.in_([c.id for c in person.contacts]))
    return s.scalars(select(Activity).where(or_(*conditions)).order_by(Activity.id)).all()


def _history(s: Session, entity: str, ids: list[int]) -> list[ChangeLog]:
    if not ids:
        return []
    return s.scalars(select(ChangeLog).where(ChangeLog.entity == entity,
                                             ChangeLog.record_id.in_(ids))
                     .order_by(ChangeLog.id)).all()


def export(s: Session, target: str) -> dict:
    """Everything held about the person, as one JSON-ready dict."""
    person = find(s, target)
    acts = _activities(s, person)
    deals = s.scalars(select(Opportunity).where(
        Opportunity.contact_id.in_([c.id for c in person.contacts]))).all() if person.contacts else []
    history = []
    for entity, objs in (("lead", person.leads), ("contact", person.contacts),
                         ("activity", acts)):
        for row in _history(s, entity, [o.id for o in objs]):
            history.append({"entity": entity, "record_id": row.record_id, "at": dates.iso(row.at),
                            "action": row.action, "field": row.field, "old": row.old,
                            "new": row.new, "source": row.source, "actor": row.actor})
    return {
        "subject": target,
        "generated_at": dates.iso(utcnow()),
        "leads": [records.to_dict(s, "lead", o) for o in person.leads],
        "contacts": [records.to_dict(s, "contact", o) for o in person.contacts],
        "activities": [records.to_dict(s, "activity", a) for a in acts],
        "opportunities_as_primary_contact": [records.to_dict(s, "opportunity", o) for o in deals],
        "history": history,
    }


def erase(s: Session, target: str, *, source: str = "cli") -> dict:
    """Blank the person's data in one transaction; returns what was erased (counts only)."""
    person = find(s, target)
    acts = _activities(s, person)
    names = {f"{o.first_name} {o.last_name}".strip() for o in person.leads + person.contacts}
    for obj in person.leads + person.contacts:
        blank = {"first_name": "", "last_name": ERASED, **{c: None for c in PERSONAL}}
        if isinstance(obj, Lead):
            blank.update({c: None for c in LEAD_ONLY})
        for column, value in blank.items():
            setattr(obj, column, value)
        obj.version += 1
        obj.updated_at = utcnow()
    for act in acts:
        act.subject, act.body = ERASED, None
        act.version += 1
    accounts = 0
    for lead in person.leads:
        account = s.get(Account, lead.converted_account_id) if lead.converted_account_id else None
        if account is not None and account.name in names:
            account.name = ERASED
            account.phone = account.website = account.domain = None
            accounts += 1
    s.flush()
    scrubbed = 0
    for entity, objs in (("lead", person.leads), ("contact", person.contacts),
                         ("activity", acts)):
        ids = [o.id for o in objs]
        if ids:
            scrubbed += s.execute(update(ChangeLog).where(
                ChangeLog.entity == entity, ChangeLog.record_id.in_(ids))
                .values(old=None, new=None)).rowcount
            s.execute(update(ImportChange).where(ImportChange.entity == entity,
                                                 ImportChange.record_id.in_(ids))
                      .values(before=None))
    for entity, objs in (("lead", person.leads), ("contact", person.contacts)):
        for obj in objs:
            records.log(s, entity, obj.id, "erase", source=source)
    from crmtui.store import search

    search.purge_deleted_terms(s, ("lead", "contact", "account"))
    return {"leads": len(person.leads), "contacts": len(person.contacts),
            "activities": len(acts), "accounts_renamed": accounts, "history_rows": scrubbed}
