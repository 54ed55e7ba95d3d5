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


def _status(ref: str, to: str, reason: str | None, if_version: int | None, json_: bool) -> None:
    from crmtui.domain import leads, records, refs

    with store_session(write=True) as s:
        lead = refs.resolve(s, "lead", ref)
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
    _status(ref, "working", None, if_version, json_)


@app.command("work", help="Mark a lead as being worked on.")
@handle
def work(ref: Ref, if_version: IfVersion = None, json_: JsonOpt = False):
    _status(ref, "working", None, if_version, json_)
