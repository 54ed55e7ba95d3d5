"""`crm activity ...`: calls, emails, meetings, notes and tasks."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonOpt, handle, read_text_arg, store_session
from crmtui.commands.crud import crud

app = typer.Typer(help="Activities: calls, emails, meetings, notes and tasks.",
                  no_args_is_help=True)
crud(app, "activity", example="", verbs=("list", "show", "edit", "delete"))

On = Annotated[Optional[str], typer.Option("--on", help="What it is about: lead:12, "
                                           "account:Acme, contact:7, opp:45")]
Body = Annotated[Optional[str], typer.Option("--body", "-b", help="Details ('-' reads stdin)")]
Due = Annotated[Optional[str], typer.Option("--due", help="Due: ISO date/time, 'today', "
                                            "'tomorrow 3pm', '+3d', 'next friday'")]
Owner = Annotated[Optional[str], typer.Option("--owner", help="Owner (default: you)")]


def add_activity(kind: str, subject: str, on, body, due, owner, done, json_: bool) -> None:
    from crmtui.domain import activities, dates, records

    activities.check_kind(kind)
    body = read_text_arg(body)
    with store_session(write=True) as s:
        act = activities.add(s, kind, subject, on=on, body=body, due=due, owner=owner, done=done)
        record = records.to_dict(s, "activity", act)
        due_local = dates.human(act.due_at)
    if json_:
        output.write(output.dumps(record))
    else:
        output.write(str(record["id"]))
        state = "done" if record["done_at"] else f"due {due_local}" if record["due"] else "open"
        output.note(f"added {kind} {record['id']}: {subject} ({state})")


@app.command("add", help="Add an activity of any kind: call, email, meeting, note or task.")
@handle
def add(kind: Annotated[str, typer.Argument(help="call, email, meeting, note or task")],
        subject: Annotated[str, typer.Argument(help="Subject")],
        on: On = None, body: Body = None, due: Due = None, owner: Owner = None,
        done: Annotated[Optional[bool], typer.Option("--done/--open",
                        help="Done now, or open (default: tasks and future items are open)")] = None,
        json_: JsonOpt = False):
    add_activity(kind.lower(), subject, on, body, due, owner, done, json_)


@app.command("log", help="Log a call, email, meeting or note that happened.")
@handle
def log(kind: Annotated[str, typer.Argument(help="call, email, meeting or note")],
        on: On = None,
        subject: Annotated[str, typer.Option("--subject", "-s", help="Subject")] = "",
        body: Body = None, owner: Owner = None, json_: JsonOpt = False):
    from crmtui.errors import UsageError

    if kind.lower() == "task":
        raise UsageError("tasks are added with `crm task add SUBJECT --due ...`")
    add_activity(kind.lower(), subject or kind.capitalize(), on, body, None, owner, True, json_)


@app.command("done", help="Mark an activity or task done.")
@handle
def done(activity_id: Annotated[int, typer.Argument(help="Activity id")], json_: JsonOpt = False):
    from crmtui.domain import activities, records

    with store_session(write=True) as s:
        act = activities.complete(s, activity_id)
        record = records.to_dict(s, "activity", act)
    if json_:
        output.write(output.dumps(record))
    else:
        output.note(f"done: {record['subject']}")


@app.command("reopen", help="Mark a done activity open again.")
@handle
def reopen(activity_id: Annotated[int, typer.Argument(help="Activity id")]):
    from crmtui.domain import activities

    with store_session(write=True) as s:
        act = activities.reopen(s, activity_id)
        subject = act.subject
    output.note(f"open again: {subject}")
