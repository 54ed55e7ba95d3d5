"""A person's data: export it (right of access / portability) or erase it (right to erasure).

A person is named by `lead:ID`, `contact:ID` or an email address. Their records are the
leads and contacts with that email (ignoring case), plus the contact a lead was converted
into and the lead a contact came from; their activities are those linked to any of them.
Records merged into theirs (a deleted duplicate, found through the `merge` rows of the kept
record's history, and in turn those merged into it) are theirs too: their history (up to
their deletion, so a later record SQLite gave the same id keeps its own) is exported and
erased. The names and emails they are known by are the ones their records hold now and have
held (edit history, the names merged-away records were deleted under).

Around them sit records that are not theirs but may name them: an account that conversion
named after the person (a lead without a company becomes an account with the person's
name), their deals (those with one of their contacts as primary contact, the deal their
lead was converted into, and the deals of an account named after them), and the activities
on those deals and on their accounts (the account their contacts belong to or their lead
was converted into -- their employer's -- as well as one named after them).

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
  or their email address; ignoring case, spacing and accents, "Zoë Müller" also written
  "Zoe Muller" or "Zoe Mueller")
  with "(erased)" in the text of the records around them -- a deal "Ada Lovelace: new
  business" becomes "(erased): new business" -- and in those records' edit history and
  import before-images, and in any history row recording the deletion or merge of a
  record under their name (a merged-away duplicate) or holding their email.
- blanks the old/new values of the history of records merged into theirs;
- recomputes their leads' scores from what is left.
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
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from crmtui.domain import dates, leads as lead_scores, records, refs
from crmtui.errors import Invalid, NotFound
from crmtui.store.models import (
    Account, Activity, ChangeLog, Contact, ImportChange, Lead, Opportunity, TABLES_BY_ENTITY,
    utcnow,
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
    # records merged into theirs (found through the merge rows of the kept record's history):
    # (entity, id) -> the ChangeLog ids (after, up to) that are that record's history, so an
    # id SQLite gave to a later record again does not bring that record's history along
    merged: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    # the name forms and emails their records (and the merged ones) have had, from history
    past_names: set[tuple[str, str]] = field(default_factory=set)   # (first, last)
    past_full_names: set[str] = field(default_factory=set)
    past_emails: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not self.leads and not self.contacts

    def _pairs(self) -> set[tuple[str, str]]:
        pairs = {(" ".join((o.first_name or "").split()), " ".join((o.last_name or "").split()))
                 for o in self.leads + self.contacts}
        return {(f, l) for f, l in pairs | self.past_names if l != ERASED and (f or l)}

    @property
    def names(self) -> set[str]:
        """Full names as stored ("First Last"), the form conversion copies into names."""
        out = {" ".join(f"{f} {l}".split()) for f, l in self._pairs()}
        out |= {" ".join(n.split()) for n in self.past_full_names}
        return {n for n in out if n and n != ERASED}

    @property
    def written_names(self) -> set[str]:
        """The ways text names them: "First Last" and "Last, First"."""
        out = set(self.names)
        out |= {f"{l}, {f}" for f, l in self._pairs() if f and l}
        return out

    @property
    def emails(self) -> set[str]:
        out = {o.email.strip().lower() for o in self.leads + self.contacts if o.email}
        return out | {e.strip().lower() for e in self.past_emails if e and "@" in e}


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
    _find_merged(s, person)
    _find_past_names(s, person)
    return person


MERGE_REF = re.compile(r"^\s*(lead|contact|account)\s+#?(\d+)\b", re.IGNORECASE)
MERGE_NAME = re.compile(r"^\s*(?:lead|contact|account)\s+#?\d+\s+\((.*)\)\s*$",
                        re.IGNORECASE | re.S)


def _merge_rows(s: Session, entity: str, record_id: int, window) -> list[ChangeLog]:
    query = select(ChangeLog).where(ChangeLog.entity == entity, ChangeLog.record_id == record_id,
                                    ChangeLog.action.ilike("merge%"))
    if window is not None:
        query = query.where(ChangeLog.id > window[0], ChangeLog.id <= window[1])
    return s.scalars(query.order_by(ChangeLog.id)).all()


def _window(s: Session, entity: str, record_id: int, merge_row_id: int):
    """The ChangeLog ids of the merged-away record's life: up to its deletion by the merge
    (the delete row nearest the merge row) and after any earlier deletion of that id."""
    deletes = s.scalars(select(ChangeLog.id).where(
        ChangeLog.entity == entity, ChangeLog.record_id == record_id,
        ChangeLog.action == "delete").order_by(ChangeLog.id)).all()
    if not deletes:
        return None  # the named record was never deleted: not a merged-away duplicate
    end = min(deletes, key=lambda d: (abs(d - merge_row_id), d))
    start = max([d for d in deletes if d < end], default=0)
    return (start, end)


def _find_merged(s: Session, person: Person) -> None:
    """Records merged into the person's (and, in turn, into those): each merge writes a row
    whose action starts with "merge" and whose old (or new) value names the record merged
    away as "<entity> <id> (...)". Other merge rows (values a merge dropped) are skipped."""
    queue = [("lead", o.id, None) for o in person.leads]
    queue += [("contact", o.id, None) for o in person.contacts]
    seen = {(entity, rid) for entity, rid, _ in queue}
    while queue:
        entity, rid, window = queue.pop(0)
        for row in _merge_rows(s, entity, rid, window):
            for value in (row.old, row.new):
                match = MERGE_REF.match(value) if isinstance(value, str) else None
                if not match or match.group(1).lower() != entity:
                    continue
                merged_id = int(match.group(2))
                if (entity, merged_id) in seen:
                    continue
                span = _window(s, entity, merged_id, row.id)
                if span is None:
                    continue
                seen.add((entity, merged_id))
                person.merged[(entity, merged_id)] = span
                queue.append((entity, merged_id, span))
                name = MERGE_NAME.match(value)
                if name and name.group(1).strip() and name.group(1).strip() != ERASED:
                    person.past_full_names.add(name.group(1).strip())


def _merged_history(s: Session, person: Person) -> list[ChangeLog]:
    rows = []
    for (entity, rid), (start, end) in sorted(person.merged.items()):
        rows += s.scalars(select(ChangeLog).where(
            ChangeLog.entity == entity, ChangeLog.record_id == rid,
            ChangeLog.id > start, ChangeLog.id <= end).order_by(ChangeLog.id)).all()
    return rows


def _find_past_names(s: Session, person: Person) -> None:
    """Names and emails the person's records and the merged ones held before (edit history),
    and the names merged-away records were deleted under."""
    groups: list[tuple[list[ChangeLog], tuple[str, str] | None]] = []
    for entity, objs in (("lead", person.leads), ("contact", person.contacts)):
        for obj in objs:
            groups.append((_history(s, entity, [obj.id]),
                           (obj.first_name or "", obj.last_name or "")))
    for (entity, rid), (start, end) in person.merged.items():
        groups.append((s.scalars(select(ChangeLog).where(
            ChangeLog.entity == entity, ChangeLog.record_id == rid,
            ChangeLog.id > start, ChangeLog.id <= end).order_by(ChangeLog.id)).all(), None))
    for rows, current in groups:
        firsts, lasts = set(), set()
        if current is not None:
            firsts.add(current[0])
            lasts.add(current[1])
        for row in rows:
            if row.field in ("first_name", "last_name", "email"):
                for value in (row.old, row.new):
                    if not value or value == ERASED:
                        continue
                    {"first_name": firsts, "last_name": lasts}.get(row.field,
                                                                  person.past_emails).add(value)
            elif row.action == "delete" and row.old and row.old != ERASED and current is None:
                person.past_full_names.add(row.old)
        firsts = {" ".join(f.split()) for f in firsts} or {""}
        lasts = {" ".join(l.split()) for l in lasts if " ".join(l.split()) != ERASED} or {""}
        if current is None and firsts == {""} and lasts == {""}:
            continue
        person.past_names |= {(f, l) for f in firsts for l in lasts if f and l}


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
    if account_ids:  # their own account(s): named after them, or their employer's
        conditions.append(Activity.account_id.in_(sorted(account_ids)))
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

TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe",
                                "Ü": "Ue", "ß": "ss"})


def _fold_char(ch: str) -> str:
    """One character without its accents, case-folded ("Ë" -> "e", "ß" -> "ss")."""
    return "".join(c for c in unicodedata.normalize("NFKD", ch)
                   if not unicodedata.combining(c)).casefold()


def _fold(text: str) -> tuple[str, list[int]]:
    """`text` folded, and for each folded character the index of the one it came from."""
    out, origin = [], []
    for index, ch in enumerate(text):
        folded = _fold_char(ch)
        out.append(folded)
        origin += [index] * len(folded)
    return "".join(out), origin


class Mentions:
    """Finds and replaces the person's full names and email addresses in free text, ignoring
    case, spacing and accents ("Zoë Müller" is also "ZOE MULLER"; "Zoe Mueller" too)."""

    def __init__(self, names: Iterable[str], emails: Iterable[str]):
        # longest first, so "Ada Lovelace" wins over a shorter name inside it; a needle
        # under 3 characters would match too much to be a mention
        given = {n for n in (*names, *emails) if n}
        given |= {n.translate(TRANSLITERATE) for n in given}
        self.needles = sorted({n for n in given if len(n) >= 3 and n != ERASED},
                              key=lambda n: (-len(n), n))
        folded = sorted({_fold(n)[0] for n in self.needles}, key=lambda n: (-len(n), n))
        parts = [r"\s+".join(re.escape(word) for word in needle.split()) for needle in folded]
        parts = [p for p in parts if p]
        self.pattern = (re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
                        if parts else None)

    def __contains__(self, value: Any) -> bool:
        return self.replace(value) != value

    def _sub(self, text: str) -> str:
        folded, origin = _fold(text)
        pieces, last = [], 0
        for match in self.pattern.finditer(folded):
            if match.end() == match.start():
                continue
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1  # an accent written as its own character stays with its letter
            if start < last:
                continue
            pieces += [text[last:start], ERASED]
            last = end
        if not pieces:
            return text
        return "".join(pieces) + text[last:]

    def replace(self, value: Any) -> Any:
        """`value` with every mention replaced (strings, and strings inside JSON values)."""
        if self.pattern is None or value is None:
            return value
        if isinstance(value, str):
            return self._sub(value)
        if isinstance(value, dict):
            return {self.replace(k): self.replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.replace(v) for v in value]
        return value

    def like_any(self, column):
        """A prefilter for SQL: the column contains one of the needles (ignoring ASCII case)."""
        def escaped(needle: str) -> str:
            return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

        needles = set(self.needles) | {_fold(n)[0] for n in self.needles}
        return or_(*[column.ilike(f"%{escaped(n)}%", escape="\\") for n in sorted(needles)])


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
    rows = []
    for entity, objs in (("lead", person.leads), ("contact", person.contacts),
                         ("activity", acts)):
        rows += _history(s, entity, [o.id for o in objs])
    rows += _merged_history(s, person)  # records merged into theirs
    for row in rows:
        history.append({"entity": row.entity, "record_id": row.record_id,
                        "at": dates.iso(row.at), "action": row.action, "field": row.field,
                        "old": row.old, "new": row.new, "source": row.source,
                        "actor": row.actor})
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
    # records merged into theirs: every history value of their life before the merge, and
    # their import before-images (only the mentions when a later record has the id again)
    for row in _merged_history(s, person):
        if row.old is not None or row.new is not None:
            row.old, row.new = None, None
            scrubbed += 1
    for entity, rid in sorted(person.merged):
        if s.get(TABLES_BY_ENTITY[entity], rid) is None:
            s.execute(update(ImportChange).where(ImportChange.entity == entity,
                                                 ImportChange.record_id == rid)
                      .values(before=None))
        else:
            _scrub_before_images(s, entity, [rid], mentions)
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

    for lead in person.leads:  # the score was computed from the erased data
        lead_scores.refresh_score(s, lead)
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
            "activities_scrubbed": len(renamed["activity"]), "history_rows": scrubbed,
            "merged_records": len(person.merged)}
