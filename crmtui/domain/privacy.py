"""A person's data: export it (right of access / portability) or erase it (right to erasure).

A person is named by `lead:ID`, `contact:ID` or an email address. Their records are the
leads and contacts with that email (ignoring case), plus the contact a lead was converted
into and the lead a contact came from; their activities are those linked to any of them.

Around them sit records that are not theirs but may name them: an account that conversion
named after the person (a lead without a company becomes an account with the person's
name), their deals (those with one of their contacts as primary contact, the deal their
lead was converted into, and the deals of an account named after them), and the activities
on those deals and that account.

Erasing
- blanks every personal field of the person's leads and contacts (name becomes "(erased)",
  email, phone, title, notes, website, city, country, tags, imported extra columns; a
  company or external id holding their name or email), the subject, body and extra columns
  of their activities, and the old/new values of their edit history and import
  before-images;
- renames an account named after the person to "(erased)" and blanks its contact details
  (domain, website, phone, city, country, notes, tags, extra), its history values and
  before-images;
- replaces every mention of the person (their full name as "First Last" or "Last, First",
  or their email address; ignoring case and spacing)
  with "(erased)" in the text of the records around them -- a deal "Ada Lovelace: new
  business" becomes "(erased): new business" -- and in those records' edit history and
  import before-images, and in any history row recording the deletion or merge of a
  record under their name (a merged-away duplicate) or holding their email.
Deal figures (amounts, stages, stage history, dates, sources) stay, so reports stay right.
Everything erased gets a new version, so an app form still open on it cannot save the old
values back, and an import undo keeps it as it is. The search index is rebuilt from the
erased values and, on SQLite, merged so no old term survives; with `secure_delete` on (every SQLite
connection sets it) and a WAL checkpoint after the commit (`crm privacy erase` runs
`Store.checkpoint()`), the erased bytes are gone from the database file and its WAL.

Mentions are looked for only where the person's data is known to flow (their own records
and those around them, and history): another record that happens to carry the same name
may belong to a namesake and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from crmtui.domain import dates, records, refs
from crmtui.errors import Invalid, NotFound
from crmtui.store.models import (
    Account, Activity, ChangeLog, Contact, ImportChange, Lead, Opportunity, utcnow,
)

ERASED = "(erased)"
PERSONAL = ("email", "phone", "title", "notes", "tags", "extra")
LEAD_ONLY = ("website", "city", "country", "disqualify_reason")
ACCOUNT_PERSONAL = ("domain", "website", "phone", "city", "country", "notes", "tags", "extra")
DEAL_TEXT = ("name", "next_step", "lost_reason", "notes", "tags")
MENTION_TEXT = {"lead": ("company",), "contact": (), "activity": ("subject", "body"),
                "opportunity": DEAL_TEXT, "account": ()}


@dataclass
class Person:
    leads: list[Lead] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.leads and not self.contacts

    @property
    def names(self) -> set[str]:
        """Full names as stored ("First Last"), the form conversion copies into names."""
        out = set()
        for obj in self.leads + self.contacts:
            name = " ".join(f"{obj.first_name or ''} {obj.last_name or ''}".split())
            if name and name != ERASED:
                out.add(name)
        return out

    @property
    def written_names(self) -> set[str]:
        """The ways text names them: "First Last" and "Last, First"."""
        out = set(self.names)
        for obj in self.leads + self.contacts:
            first, last = " ".join((obj.first_name or "").split()), " ".join((obj.last_name or "").split())
            if first and last and last != ERASED:
                out.add(f"{last}, {first}")
        return out

    @property
    def emails(self) -> set[str]:
        return {o.email.strip().lower() for o in self.leads + self.contacts if o.email}


@dataclass
class Around:
    """Records that are not the person's but may carry their name."""

    accounts: list[Account] = field(default_factory=list)   # named after the person
    deals: list[Opportunity] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)


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


def _around(s: Session, person: Person, own_activities: list[Activity]) -> Around:
    around = Around()
    names = {n.lower() for n in person.names}
    account_ids = {l.converted_account_id for l in person.leads if l.converted_account_id}
    account_ids |= {c.account_id for c in person.contacts if c.account_id}
    for account_id in sorted(account_ids):
        account = s.get(Account, account_id)
        if account is not None and " ".join(account.name.split()).lower() in names:
            around.accounts.append(account)
    conditions = []
    if person.contacts:
        conditions.append(Opportunity.contact_id.in_([c.id for c in person.contacts]))
    converted = [l.converted_opportunity_id for l in person.leads if l.converted_opportunity_id]
    if converted:
        conditions.append(Opportunity.id.in_(converted))
    if around.accounts:
        conditions.append(Opportunity.account_id.in_([a.id for a in around.accounts]))
    if conditions:
        around.deals = s.scalars(select(Opportunity).where(or_(*conditions))
                                 .order_by(Opportunity.id)).all()
    conditions = []
    if around.deals:
        conditions.append(Activity.opportunity_id.in_([d.id for d in around.deals]))
    if around.accounts:
        conditions.append(Activity.account_id.in_([a.id for a in around.accounts]))
    if conditions:
        own = {a.id for a in own_activities}
        around.activities = [a for a in s.scalars(select(Activity).where(or_(*conditions))
                                                  .order_by(Activity.id)).all()
                             if a.id not in own]
    return around


def _history(s: Session, entity: str, ids: list[int]) -> list[ChangeLog]:
    if not ids:
        return []
    return s.scalars(select(ChangeLog).where(ChangeLog.entity == entity,
                                             ChangeLog.record_id.in_(ids))
                     .order_by(ChangeLog.id)).all()


# -- mentions ------------------------------------------------------------------------------

class Mentions:
    """Finds and replaces the person's full names and email addresses in free text."""

    def __init__(self, names: Iterable[str], emails: Iterable[str]):
        # longest first, so "Ada Lovelace" wins over a shorter name inside it; a needle
        # under 3 characters would match too much to be a mention
        self.needles = sorted({n for n in (*names, *emails) if len(n) >= 3 and n != ERASED},
                              key=lambda n: (-len(n), n))
        parts = [r"\s+".join(re.escape(word) for word in needle.split())
                 for needle in self.needles]
        self.pattern = (re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
                        if parts else None)

    def __contains__(self, value: Any) -> bool:
        return self.replace(value) != value

    def replace(self, value: Any) -> Any:
        """`value` with every mention replaced (strings, and strings inside JSON values)."""
        if self.pattern is None or value is None:
            return value
        if isinstance(value, str):
            return self.pattern.sub(ERASED, value)
        if isinstance(value, dict):
            return {self.replace(k): self.replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.replace(v) for v in value]
        return value

    def like_any(self, column):
        """A prefilter for SQL: the column contains one of the needles (ignoring ASCII case)."""
        def escaped(needle: str) -> str:
            return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

        return or_(*[column.ilike(f"%{escaped(n)}%", escape="\\") for n in self.needles])


def _scrub(obj, columns: Iterable[str], mentions: Mentions) -> list[str]:
    """Replace the mentions in these columns of `obj`; returns the columns that changed."""
    changed = []
    for column in columns:
        value = getattr(obj, column)
        new = mentions.replace(value)
        if new != value:
            setattr(obj, column, new)
            changed.append(column)
    return changed


def _scrub_history(s: Session, rows: Iterable[ChangeLog], mentions: Mentions) -> int:
    return sum(1 for row in rows if _scrub(row, ("old", "new"), mentions))


def _scrub_before_images(s: Session, entity: str, ids: list[int], mentions: Mentions) -> None:
    if not ids:
        return
    for change in s.scalars(select(ImportChange).where(ImportChange.entity == entity,
                                                       ImportChange.record_id.in_(ids))):
        before = mentions.replace(change.before)
        if before != change.before:
            change.before = before  # a new object: JSON columns track assignment only


# -- export --------------------------------------------------------------------------------

def export(s: Session, target: str) -> dict:
    """Everything held about the person, as one JSON-ready dict."""
    person = find(s, target)
    acts = _activities(s, person)
    around = _around(s, person, acts)
    mentions = Mentions(person.written_names, person.emails)
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
        "accounts_named_after_person": [records.to_dict(s, "account", a)
                                        for a in around.accounts],
        "opportunities_mentioning_person": [
            records.to_dict(s, "opportunity", o) for o in around.deals
            if any(getattr(o, c) in mentions for c in DEAL_TEXT) or o.extra in mentions],
        "activities_mentioning_person": [
            records.to_dict(s, "activity", a) for a in around.activities
            if a.subject in mentions or a.body in mentions or a.extra in mentions],
        "history": history,
    }


# -- erase ---------------------------------------------------------------------------------

def _bump(obj) -> None:
    obj.version += 1
    obj.updated_at = utcnow()


def erase(s: Session, target: str, *, source: str = "cli") -> dict:
    """Blank the person's data in one transaction; returns what was erased (counts only)."""
    person = find(s, target)
    acts = _activities(s, person)
    around = _around(s, person, acts)
    mentions = Mentions(person.written_names, person.emails)

    for obj in person.leads + person.contacts:
        blank = {"first_name": "", "last_name": ERASED, **{c: None for c in PERSONAL}}
        if isinstance(obj, Lead):
            blank.update({c: None for c in LEAD_ONLY})
            blank["company"] = mentions.replace(obj.company)
        if obj.external_id in mentions:
            blank["external_id"] = None
        for column, value in blank.items():
            setattr(obj, column, value)
        _bump(obj)
    for act in acts:
        act.subject, act.body, act.extra = ERASED, None, None
        if act.external_id in mentions:
            act.external_id = None
        _bump(act)
    for account in around.accounts:
        account.name = ERASED
        for column in ACCOUNT_PERSONAL:
            setattr(account, column, None)
        if account.external_id in mentions:
            account.external_id = None
        _bump(account)
    renamed: dict[str, dict[int, list[str]]] = {"opportunity": {}, "activity": {}}
    for entity, objs in (("opportunity", around.deals), ("activity", around.activities)):
        for obj in objs:
            changed = _scrub(obj, MENTION_TEXT[entity] + ("extra",), mentions)
            if obj.external_id in mentions:
                obj.external_id = None
                changed.append("external_id")
            if changed:
                _bump(obj)
                renamed[entity][obj.id] = changed
    s.flush()

    scrubbed = 0
    # the person's own records and the account named after them: every history value
    for entity, objs in (("lead", person.leads), ("contact", person.contacts),
                         ("activity", acts), ("account", around.accounts)):
        ids = [o.id for o in objs]
        if ids:
            scrubbed += s.execute(update(ChangeLog).where(
                ChangeLog.entity == entity, ChangeLog.record_id.in_(ids))
                .values(old=None, new=None)).rowcount
            s.execute(update(ImportChange).where(ImportChange.entity == entity,
                                                 ImportChange.record_id.in_(ids))
                      .values(before=None))
    # records around them: only the mentions, so deal figures keep their history
    for entity, objs in (("opportunity", around.deals), ("activity", around.activities)):
        ids = [o.id for o in objs]
        scrubbed += _scrub_history(s, _history(s, entity, ids), mentions)
        _scrub_before_images(s, entity, ids, mentions)
    # anywhere else: deletions and merges under their name (a merged-away duplicate), and
    # any history value holding their email
    if mentions.needles:
        by_name = and_(ChangeLog.action.in_(("delete", "merge")),
                       or_(mentions.like_any(ChangeLog.old), mentions.like_any(ChangeLog.new)))
        emails = Mentions((), person.emails)
        condition = by_name if not emails.needles else or_(
            by_name, emails.like_any(ChangeLog.old), emails.like_any(ChangeLog.new))
        scrubbed += _scrub_history(s, s.scalars(select(ChangeLog).where(condition)), mentions)

    for entity, objs in (("lead", person.leads), ("contact", person.contacts),
                         ("account", around.accounts)):
        for obj in objs:
            records.log(s, entity, obj.id, "erase", source=source)
    for entity, changed in renamed.items():  # which fields lost a mention (not the values)
        for record_id, columns in changed.items():
            for column in columns:
                records.log(s, entity, record_id, "erase", field=column, source=source)
    s.flush()
    from crmtui.store import search

    search.purge_deleted_terms(s, search.SEARCHABLE)
    return {"leads": len(person.leads), "contacts": len(person.contacts),
            "activities": len(acts), "accounts_renamed": len(around.accounts),
            "opportunities_renamed": len(renamed["opportunity"]),
            "activities_scrubbed": len(renamed["activity"]), "history_rows": scrubbed}
