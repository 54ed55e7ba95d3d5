"""`crm lead ...`: leads and their status flow."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonOpt, handle, store_session
from crmtui.commands.crud import crud

app = typer.Typer(help="Leads: people who might buy. Qualify, disqualify, convert.",
                  no_args_is_help=True)
crud(app, "lead", example='crm lead add "Ada Lovelace" --email ada@example.com '
                          '--company "Analytical Engines"')

Ref = Annotated[str, typer.Argument(help="Lead id, external id or exact name")]
IfVersion = Annotated[Optional[int], typer.Option("--if-version",
                      help="Refuse unless the lead is still at this version")]


def _status(ref: str, to: str, reason: str | None, if_version: int | None, json_: bool,
            *, reopen: bool = False) -> None:
    from crmtui.domain import leads, records, refs

    with store_session(write=True) as s:
        lead = refs.resolve(s, "lead", ref)
        if reopen:
            lead = leads.reopen(s, lead.id, expected_version=if_version)
        else:
            lead = leads.set_status(s, lead.id, to, reason=reason, expected_version=if_version)
        record = records.to_dict(s, "lead", lead)
    if json_:
        output.write(output.dumps(record))
    else:
        output.note(f"lead {record['id']} ({record['name']}) is now {to}")


@app.command("qualify", help="Mark a lead qualified (ready to convert).")
@handle
def qualify(ref: Ref, if_version: IfVersion = None, json_: JsonOpt = False):
    _status(ref, "qualified", None, if_version, json_)


@app.command("disqualify", help="Disqualify a lead; a reason is required.")
@handle
def disqualify(ref: Ref,
               reason: Annotated[str, typer.Option("--reason", "-r", help="Why")] = "",
               if_version: IfVersion = None, json_: JsonOpt = False):
    _status(ref, "disqualified", reason, if_version, json_)


@app.command("reopen", help="Reopen a disqualified lead (back to working).")
@handle
def reopen(ref: Ref, if_version: IfVersion = None, json_: JsonOpt = False):
    _status(ref, "working", None, if_version, json_, reopen=True)


@app.command("work", help="Mark a lead as being worked on.")
@handle
def work(ref: Ref, if_version: IfVersion = None, json_: JsonOpt = False):
    _status(ref, "working", None, if_version, json_)


@app.command("convert", help="Convert a lead into an account, a contact and a deal "
                             "(one transaction: all of it or nothing).")
@handle
def convert(ref: Ref,
            account: Annotated[Optional[str], typer.Option(
                "--account", help="Use this account (id, external id or name) instead of "
                "matching by email domain, then company name")] = None,
            contact: Annotated[Optional[str], typer.Option(
                "--contact", help="Convert into this existing contact (id, external id, email or "
                "name) instead of matching by email; only its empty fields are filled from the "
                "lead. Without --account the contact's own account is used; with --account the "
                "contact must be on that account (or on none, then it is attached)")] = None,
            opp_name: Annotated[Optional[str], typer.Option("--opp-name", help="Deal name")] = None,
            amount: Annotated[Optional[str], typer.Option("--amount", help="Deal amount")] = None,
            close_date: Annotated[Optional[str], typer.Option(
                "--close-date", help="Expected close date")] = None,
            stage: Annotated[Optional[str], typer.Option("--stage", help="Deal stage")] = None,
            pipeline: Annotated[Optional[str], typer.Option(
                "--pipeline", help="Deal pipeline (default: the default one)")] = None,
            no_opp: Annotated[bool, typer.Option("--no-opp", help="Create no deal")] = False,
            if_version: IfVersion = None, json_: JsonOpt = False):
    from crmtui.domain import records, refs
    from crmtui.domain.conversion import convert as run

    with store_session(write=True) as s:
        lead = refs.resolve(s, "lead", ref)
        result = run(s, lead.id, account=account, contact=contact, opp_name=opp_name, amount=amount,
                     close_date=close_date, stage=stage, pipeline=pipeline,
                     create_opportunity=not no_opp, expected_version=if_version)
        out = {
            "lead": records.to_dict(s, "lead", result.lead),
            "account": records.to_dict(s, "account", result.account),
            "contact": records.to_dict(s, "contact", result.contact),
            "opportunity": records.to_dict(s, "opportunity", result.opportunity)
            if result.opportunity is not None else None,
            "created_account": result.created_account,
            "created_contact": result.created_contact,
        }
    if json_:
        output.write(output.dumps(out))
        return
    acct, contact, opp = out["account"], out["contact"], out["opportunity"]
    output.note(f"converted lead {out['lead']['id']} ({out['lead']['name']}):")
    output.note(f"  account {acct['id']}: {acct['name']}"
                + (" (new)" if out["created_account"] else " (existing)"))
    output.note(f"  contact {contact['id']}: {contact['name']}"
                + (" (new)" if out["created_contact"] else " (existing)"))
    if opp:
        output.note(f"  opportunity {opp['id']}: {opp['name']} in {opp['stage']}")
