"""`crm task ...` and `crm agenda`: tasks with due dates, and what is due."""

from typing import Annotated

import typer

from crmtui.commands import output
from crmtui.commands.activity import Body, Due, On, Owner, add_activity
from crmtui.commands.common import CsvOpt, JsonlOpt, JsonOpt, handle, store_session

app = typer.Typer(help="Tasks: things to do, with due dates.", no_args_is_help=True)


@app.command("add", help='Add a task, e.g. crm task add "Send proposal" --on opp:45 '
                         '--due "next friday"')
@handle
def add(subject: Annotated[str, typer.Argument(help="What to do")], on: On = None,
        due: Due = None, body: Body = None, owner: Owner = None, json_: JsonOpt = False):
    add_activity("task", subject, on, body, due, owner, False, json_)


@app.command("done", help="Mark a task done.")
@handle
def done(task_id: Annotated[int, typer.Argument(help="Task id")], json_: JsonOpt = False):
    from crmtui.domain import activities, records

    with store_session(write=True) as s:
        record = records.to_dict(s, "activity", activities.complete(s, task_id))
    if json_:
        output.write(output.dumps(record))
    else:
        output.note(f"done: {record['subject']}")


@app.command("snooze", help="Move a task's due date, e.g. --until tomorrow or --until +3d.")
@handle
def snooze(task_id: Annotated[int, typer.Argument(help="Task id")],
           until: Annotated[str, typer.Option("--until", "-u", help="New due date/time")],
           json_: JsonOpt = False):
    from crmtui.domain import activities, dates, records

    with store_session(write=True) as s:
        act = activities.snooze(s, task_id, until)
        record = records.to_dict(s, "activity", act)
        when = dates.human(act.due_at)
    if json_:
        output.write(output.dumps(record))
    else:
        output.note(f"snoozed: {record['subject']} now due {when}")


@app.command("list", help="List open tasks, soonest first.")
@handle
def list_(owner: Owner = None, all_: Annotated[bool, typer.Option("--all", help="Include done "
                                                                  "tasks")] = False,
          limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many")] = 50,
          json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    from crmtui.commands.crud import TABLE_COLUMNS, display_row
    from crmtui.domain import listing, records
    from crmtui.domain.serialize import Names, keys, prefetch_for

    fmt = output.pick(json_, jsonl, csv_)
    filters = {"kind": "task", "owner": owner, "status": None if all_ else "open"}
    with store_session() as s:
        page = listing.page(s, listing.ListQuery("activity", filters, sort="due", limit=limit))
        names = Names(s)
        prefetch_for(names, "activity", page.rows)
        rows = [records.to_dict(s, "activity", r, names) for r in page.rows]
    output.emit([display_row(r, "activity") for r in rows] if fmt == "table" else rows, fmt,
                TABLE_COLUMNS["activity"], empty="No open tasks.", right={"id"},
                all_keys=keys("activity"))
    if page.more and fmt == "table":
        output.note(f"{page.more_label()} more; --limit shows more")


@handle
def agenda(days: Annotated[int, typer.Option("--days", min=0,
                                              help="How many days ahead (0: today only)")] = 7,
           owner: Owner = None,
           mine: Annotated[bool, typer.Option("--mine", help="Only my tasks (CRMTUI_USER)")] = False,
           team: Annotated[bool, typer.Option("--team", help="Everyone's tasks (in team mode "
                                              "the agenda shows yours by default)")] = False,
           json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    """Overdue, today, and the next days: open tasks and planned activities.

    --json gives {"overdue": [...], "today": [...], "upcoming": [...], "days": N};
    --jsonl and --csv give one row per activity with its `group` first."""
    from crmtui.domain import activities, dates, records
    from crmtui.domain.identity import current_user
    from crmtui.domain.serialize import Names, keys, prefetch_for
    from crmtui.errors import Invalid, UsageError

    fmt = output.pick(json_, jsonl, csv_)
    if mine:
        if owner is not None or team:
            raise UsageError("--mine cannot be combined with --owner or --team")
        owner = current_user()
        if not owner:
            raise Invalid("--mine: nobody is set as the current user",
                          hint="set CRMTUI_USER=NAME (or user = \"NAME\" in config.toml); "
                               "`crm whoami` shows who you are")
    with store_session() as s:
        if owner is None and not team:
            from crmtui.domain.users import mine_filter

            owner = mine_filter(s)
        result = activities.agenda(s, days=days, owner=owner)
        names = Names(s)
        groups = []
        for key, (title, items) in zip(("overdue", "today", "upcoming"), result.groups()):
            prefetch_for(names, "activity", items)
            rows = [records.to_dict(s, "activity", a, names) for a in items]
            for row, act in zip(rows, items):
                row["due_display"] = dates.human(act.due_at)
            groups.append((key, title, rows))
    if fmt == "json":
        out = {key: [{k: v for k, v in r.items() if k != "due_display"} for r in rows]
               for key, _, rows in groups}
        output.write(output.dumps({**out, "days": days}))
        return
    if fmt in ("jsonl", "csv"):
        flat = [{"group": key, **{k: v for k, v in r.items() if k != "due_display"}}
                for key, _, rows in groups for r in rows]
        output.emit(flat, fmt, [], all_keys=["group"] + keys("activity"))
        return
    if not any(rows for _, _, rows in groups):
        output.note(f"Nothing due in the next {days} days.")
        return
    con = output.console()
    columns = [("id", "ID"), ("due_display", "Due"), ("kind", "Kind"), ("subject", "Subject"),
               ("on", "On"), ("owner", "Owner")]
    for _, title, rows in groups:
        if rows:
            con.print(output.table(rows, columns, title=f"{title} ({len(rows)})", right={"id"}))


