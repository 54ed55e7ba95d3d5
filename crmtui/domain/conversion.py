"""Converting a lead into an account, a contact and (optionally) an opportunity.

All of it happens in the caller's one write transaction, so either everything is created
and the lead is marked converted, or nothing changes.

Matching:
- account: `account` (id, external id or name) when given; otherwise an account whose domain
  is the lead's email domain (free-mail domains such as gmail.com never match), then an
  account whose name equals the lead's company (ignoring case); otherwise a new account
  named after the company (or the person, for a lead without one);
- contact: `contact` (id, external id, email or name) when given; otherwise a contact with
  the lead's email (ignoring case); otherwise a new contact. An existing contact (named or
  matched) keeps what it has: only its EMPTY fields (names, email, phone, title, owner) are
  filled from the lead, each an edit in its history; one without an account is attached to
  the account. A named contact decides the account when `account` is not given (its own
  account, if it has one); with both given, the contact must be on that account (or on
  none), otherwise the conversion is refused naming both;
- opportunity: unless `create_opportunity` is False, a new deal in `pipeline` (default
  pipeline) at `stage` (first open stage), named `opp_name` or "<account>: new business".
The lead's activities are linked to the new contact/account (and deal); the lead keeps its
own link, so its timeline stays complete, and the records they move to get the same
`last_activity_at` logging them there would have given (activities' own rule). The lead
becomes `converted` with links to all three.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import activities, leads, records, refs, values
from crmtui.errors import Ambiguous, Invalid
from crmtui.store.models import Account, Activity, Contact, Lead, Opportunity, utcnow

FREE_MAIL = frozenset("""gmail.com googlemail.com yahoo.com yahoo.co.uk hotmail.com outlook.com
live.com msn.com aol.com icloud.com me.com mac.com proton.me protonmail.com gmx.de gmx.net
web.de mail.com yandex.ru mail.ru zoho.com fastmail.com hey.com""".split())


@dataclass
class Conversion:
    lead: Lead
    account: Account
    contact: Contact
    opportunity: Opportunity | None
    created_account: bool
    created_contact: bool


def match_account(s: Session, lead: Lead) -> Account | None:
    domain = values.domain_of(lead.email)
    if domain and domain not in FREE_MAIL:
        found = s.scalars(select(Account).where(func.lower(Account.domain) == domain)
                          .order_by(Account.id).limit(6)).all()
        if len(found) > 1:
            listing = "\n".join(f"  {a.id}: {a.name} ({a.domain})" for a in found[:5])
            raise Ambiguous(f"several accounts have the domain {domain}:\n{listing}",
                            hint="pick one with --account ID")
        if found:
            return found[0]
    if lead.company:
        found = s.scalars(select(Account).where(func.lower(Account.name) == lead.company.lower())
                          .order_by(Account.id).limit(6)).all()
        if len(found) > 1:
            listing = "\n".join(f"  {a.id}: {a.name}" for a in found[:5])
            raise Ambiguous(f"several accounts are named {lead.company!r}:\n{listing}",
                            hint="pick one with --account ID")
        if found:
            return found[0]
    return None


def match_contact(s: Session, lead: Lead) -> Contact | None:
    if not lead.email:
        return None
    return s.scalars(select(Contact).where(func.lower(Contact.email) == lead.email.lower())
                     .order_by(Contact.id).limit(1)).first()


# A contact's fields a lead fills when the contact has none (never overwritten).
FILL_FIELDS = ("first_name", "last_name", "email", "phone", "title", "owner")


def resolve_contact(s: Session, ref: object) -> Contact:
    """A contact by id, external id, email (ignoring case) or name."""
    text = str(ref).strip()
    if "@" in text and not text.isdigit():
        found = s.scalars(select(Contact).where(func.lower(Contact.email) == text.lower())
                          .order_by(Contact.id).limit(6)).all()
        if len(found) > 1:
            listing = "\n".join(f"  {c.id}: {refs.display_name(c)} <{c.email}>"
                                 for c in found[:5])
            raise Ambiguous(f"contact: several contacts have the email {text}:\n{listing}",
                            hint="pick one with --contact ID")
        if found:
            return found[0]
    return refs.resolve(s, "contact", text, field="contact")


def _fill_from_lead(s: Session, contact: Contact, lead: Lead, *, source: str) -> None:
    cols = {}
    for column in FILL_FIELDS:
        mine, theirs = getattr(contact, column), getattr(lead, column)
        if (mine is None or str(mine).strip() == "") and theirs not in (None, ""):
            cols[column] = theirs
    if cols:
        records.apply(s, "contact", contact, cols, source=source)


def convert(s: Session, lead_id: int, *, account: object = None, contact: object = None,
            opp_name: str | None = None,
            amount: object = None, close_date: object = None, stage: object = None,
            pipeline: object = None, create_opportunity: bool = True,
            expected_version: int | None = None, source: str = "cli") -> Conversion:
    lead = refs.get(s, "lead", lead_id)
    records.check_version(s, "lead", lead, expected_version)
    leads.check_transition(lead, "converted")
    person = f"{lead.first_name} {lead.last_name}".strip()

    named = resolve_contact(s, contact) if contact not in (None, "") else None
    if account not in (None, ""):
        acct = refs.resolve(s, "account", account, field="account")
        if named is not None and named.account_id not in (None, acct.id):
            own = s.get(Account, named.account_id)
            raise Invalid(
                f"contact: {refs.display_name(named)} (#{named.id}) is on account {own.name} "
                f"(#{own.id}), not on {acct.name} (#{acct.id})", field="contact", value=contact,
                hint=f"convert into account {own.id} (--account {own.id}), or pick a contact "
                     f"of {acct.name}")
    elif named is not None and named.account_id is not None:
        acct = s.get(Account, named.account_id)
    else:
        acct = match_account(s, lead)
    created_account = acct is None
    if acct is None:
        domain = values.domain_of(lead.email)
        acct = records.create(s, "account", {
            "name": lead.company or person,
            "domain": domain if domain and domain not in FREE_MAIL else None,
            "website": lead.website, "industry": lead.industry, "employees": lead.employees,
            "city": lead.city, "country": lead.country, "owner": lead.owner,
        }, source=source)

    contact = named if named is not None else match_contact(s, lead)
    created_contact = contact is None
    if contact is None:
        contact = records.create(s, "contact", {
            "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
            "phone": lead.phone, "title": lead.title, "account": acct.id, "owner": lead.owner,
        }, source=source)
    else:
        _fill_from_lead(s, contact, lead, source=source)
        if contact.account_id is None:
            records.apply(s, "contact", contact, {"account_id": acct.id}, source=source)

    opp = None
    if create_opportunity:
        raw = {"name": opp_name or f"{acct.name}: new business", "account": acct.id,
               "contact": contact.id, "source": lead.source, "owner": lead.owner,
               "amount": amount, "close_date": close_date, "pipeline": pipeline, "stage": stage}
        opp = records.create(s, "opportunity", {k: v for k, v in raw.items() if v not in (None, "")},
                             source=source)

    moved = s.scalars(select(Activity).where(Activity.lead_id == lead.id)
                      .order_by(Activity.id)).all()
    for activity in moved:
        links = {"account_id": acct.id, "contact_id": contact.id}
        if opp is not None and activity.opportunity_id is None:
            links["opportunity_id"] = opp.id
        records.apply(s, "activity", activity, links, source=source)

    records.apply(s, "lead", lead, {
        "status": "converted", "converted_at": utcnow(), "converted_account_id": acct.id,
        "converted_contact_id": contact.id,
        "converted_opportunity_id": opp.id if opp is not None else None,
    }, source=source)
    records.log(s, "lead", lead.id, "convert", source=source,
                new=f"account {acct.id}, contact {contact.id}"
                    + (f", opportunity {opp.id}" if opp is not None else ""))
    # Activities' own rule for the records they are now on (the deal's last activity, which
    # the stale-deal rule reads); the lead is converted by now, so its status stays.
    for activity in moved:
        activities.touch_targets(s, activity, source=source)
    return Conversion(lead=lead, account=acct, contact=contact, opportunity=opp,
                      created_account=created_account, created_contact=created_contact)
