"""Converting a lead into an account, a contact and (optionally) an opportunity.

All of it happens in the caller's one write transaction, so either everything is created
and the lead is marked converted, or nothing changes.

Matching:
- account: `account` (id, external id or name) when given; otherwise an account whose domain
  is the lead's email domain (free-mail domains such as gmail.com never match), then an
  account whose name equals the lead's company (ignoring case); otherwise a new account
  named after the company (or the person, for a lead without one);
- contact: a contact with the lead's email (ignoring case); otherwise a new contact;
  a matched contact without an account is attached to the account;
- opportunity: unless `create_opportunity` is False, a new deal in `pipeline` (default
  pipeline) at `stage` (first open stage), named `opp_name` or "<account>: new business".
The lead's activities are linked to the new contact/account (and deal); the lead keeps its
own link, so its timeline stays complete. The lead becomes `converted` with links to all three.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import leads, records, refs, values
from crmtui.errors import Ambiguous
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


def convert(s: Session, lead_id: int, *, account: object = None, opp_name: str | None = None,
            amount: object = None, close_date: object = None, stage: object = None,
            pipeline: object = None, create_opportunity: bool = True,
            expected_version: int | None = None, source: str = "cli") -> Conversion:
    lead = refs.get(s, "lead", lead_id)
    records.check_version(s, "lead", lead, expected_version)
    leads.check_transition(lead, "converted")
    person = f"{lead.first_name} {lead.last_name}".strip()

    acct = refs.resolve(s, "account", account, field="account") if account not in (None, "") \
        else match_account(s, lead)
    created_account = acct is None
    if acct is None:
        domain = values.domain_of(lead.email)
        acct = records.create(s, "account", {
            "name": lead.company or person,
            "domain": domain if domain and domain not in FREE_MAIL else None,
            "website": lead.website, "industry": lead.industry, "employees": lead.employees,
            "city": lead.city, "country": lead.country, "owner": lead.owner,
        }, source=source)

    contact = match_contact(s, lead)
    created_contact = contact is None
    if contact is None:
        contact = records.create(s, "contact", {
            "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
            "phone": lead.phone, "title": lead.title, "account": acct.id, "owner": lead.owner,
        }, source=source)
    elif contact.account_id is None:
        records.apply(s, "contact", contact, {"account_id": acct.id}, source=source)

    opp = None
    if create_opportunity:
        raw = {"name": opp_name or f"{acct.name}: new business", "account": acct.id,
               "contact": contact.id, "source": lead.source, "owner": lead.owner,
               "amount": amount, "close_date": close_date, "pipeline": pipeline, "stage": stage}
        opp = records.create(s, "opportunity", {k: v for k, v in raw.items() if v not in (None, "")},
                             source=source)

    for activity in s.scalars(select(Activity).where(Activity.lead_id == lead.id)).all():
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
    return Conversion(lead=lead, account=acct, contact=contact, opportunity=opp,
                      created_account=created_account, created_contact=created_contact)
