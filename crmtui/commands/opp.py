"""`crm opp ...`: opportunities (deals) and their stages."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonOpt, handle, store_session
from crmtui.commands.crud import crud

app = typer.Typer(help="Opportunities (deals): move them through stages, win or lose them.",
                  no_args_is_help=True)
crud(app, "opportunity", example='crm opp add "Acme renewal" --account Acme --amount 1234.50 '
                                 '--close-date 2026-12-31')

Ref = Annotated[str, typer.Argument(help="Deal id, external id or exact name")]
IfVersion = Annotated[Optional[int], typer.Option("--if-version",
                      help="Refuse unless the deal is still at this version")]


def _done(opp, s, json_: bool, message: str) -> None:
    from crmtui.domain import records

    record = records.to_dict(s, "opportunity", opp)
    if json_:
        output.write(output.dumps(record))
    else:
        output.note(message.format(**record))


@app.command("move", help="Move a deal to a stage (name or position), or --next / --prev.")
@handle
def move(ref: Ref,
         stage: Annotated[Optional[str], typer.Argument(help="Stage name or position")] = None,
         next_: Annotated[bool, typer.Option("--next", help="Move to the next stage")] = False,
         prev: Annotated[bool, typer.Option("--prev", help="Move to the previous stage")] = False,
         if_version: IfVersion = None, json_: JsonOpt = False):
    from crmtui.domain import opportunities, refs
    from crmtui.errors import UsageError

    if sum(bool(x) for x in (stage, next_, prev)) != 1:
        raise UsageError("give a STAGE, or --next, or --prev")
    step = 1 if next_ else -1 if prev else 0
    with store_session(write=True) as s:
        opp = refs.resolve(s, "opportunity", ref)
        try:
            opp = opportunities.move(s, opp.id, stage, step=step, expected_version=if_version)
        except opportunities.NoFurtherStage as exc:
            if exc.forward:
                exc.hint = f"use `crm opp win {opp.id}` or `crm opp lose {opp.id} --reason ...`"
            raise
        _done(opp, s, json_, "deal {id} ({name}) is now in {stage}")


@app.command("win", help="Mark a deal won.")
@handle
def win(ref: Ref, if_version: IfVersion = None, json_: JsonOpt = False):
    from crmtui.domain import opportunities, refs

    with store_session(write=True) as s:
        opp = refs.resolve(s, "opportunity", ref)
        opp = opportunities.win(s, opp.id, expected_version=if_version)
        _done(opp, s, json_, "deal {id} ({name}) won: {amount} {currency}")


@app.command("lose", help="Mark a deal lost; a reason is required.")
@handle
def lose(ref: Ref,
         reason: Annotated[str, typer.Option("--reason", "-r", help="Why it was lost")] = "",
         if_version: IfVersion = None, json_: JsonOpt = False):
    from crmtui.domain import opportunities, refs
    from crmtui.errors import Invalid

    with store_session(write=True) as s:
        opp = refs.resolve(s, "opportunity", ref)
        try:
            opp = opportunities.lose(s, opp.id, reason, expected_version=if_version)
        except Invalid as exc:
            if exc.field == "reason":
                exc.hint = "say why: --reason 'price too high'"
            raise
        _done(opp, s, json_, "deal {id} ({name}) lost: {lost_reason}")


@app.command("reopen", help="Reopen a won or lost deal (back to its last open stage).")
@handle
def reopen(ref: Ref,
           stage: Annotated[Optional[str], typer.Option("--stage",
                            help="Reopen into this stage instead")] = None,
           if_version: IfVersion = None, json_: JsonOpt = False):
    from crmtui.domain import opportunities, refs

    with store_session(write=True) as s:
        opp = refs.resolve(s, "opportunity", ref)
        opp = opportunities.reopen(s, opp.id, stage, expected_version=if_version)
        _done(opp, s, json_, "deal {id} ({name}) reopened in {stage}")
