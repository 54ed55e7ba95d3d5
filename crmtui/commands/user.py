"""`crm user ...` and `crm whoami`: the team whose members own records."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import CsvOpt, JsonlOpt, JsonOpt, handle, store_session

app = typer.Typer(help="Users of the team: owners of records (team mode).", no_args_is_help=True)
Name = Annotated[str, typer.Argument(help="User name, e.g. ada")]


@app.command("add", help="Add a user. Once a store has users, owners must be users and lists "
                         "show your own records by default (--team for everyone's).")
@handle
def add(name: Name,
        full_name: Annotated[Optional[str], typer.Option("--full-name", help="Display name")] = None,
        email: Annotated[Optional[str], typer.Option("--email", help="Email address")] = None,
        json_: JsonOpt = False):
    from crmtui.domain import users

    with store_session(write=True) as s:
        user = users.as_dict(users.add(s, name, full_name=full_name, email=email))
    if json_:
        output.write(output.dumps(user))
    else:
        output.write(str(user["id"]))
        output.note(f"added user {user['name']}")


@app.command("list", help="List the users (JSON: `active` true/false; table and CSV: yes/no).")
@handle
def list_(json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    from crmtui.domain import users

    fmt = output.pick(json_, jsonl, csv_)
    with store_session() as s:
        rows = [users.as_dict(u) for u in users.list_users(s)]
    if fmt in ("table", "csv"):
        rows = [dict(row, active="yes" if row["active"] else "no") for row in rows]
    output.emit(rows, fmt,
                [("id", "ID"), ("name", "Name"), ("full_name", "Full name"), ("email", "Email"),
                 ("active", "Active")], right={"id"},
                empty="No users: this store is in single-user mode (owners are free text).",
                all_keys=["id", "name", "full_name", "email", "active"])


def _set_active(name: str, active: bool) -> None:
    from crmtui.domain import users

    with store_session(write=True) as s:
        user = users.set_active(s, name, active)
        label = user.name
        left = {} if active else users.open_work(s, label)
    output.note(f"{label} is now {'active' if active else 'inactive'}")
    if any(left.values()):
        from crmtui.domain.words import count, plural

        owns = ", ".join(count(n, what) if what != "lead being worked" else
                         f"{n:,} {plural('lead', n)} being worked"
                         for what, n in left.items() if n)
        output.note(f"note: {label} still owns {owns}; give them to someone else (in the app: "
                    "mark the rows with space, then o; or `crm opp edit ID --owner NAME`)")


@app.command("deactivate", help="Deactivate a user (their records keep them as owner; new "
                                "records cannot be given to them).")
@handle
def deactivate(name: Name):
    _set_active(name, False)


@app.command("activate", help="Activate a user again.")
@handle
def activate(name: Name):
    _set_active(name, True)


@handle
def whoami(json_: JsonOpt = False):
    """Who you are (CRMTUI_USER or `user` in config.toml) and whether the team knows you."""
    from crmtui.domain import users

    with store_session() as s:
        me = users.whoami(s)
    if json_:
        output.write(output.dumps(me))
        return
    if me["user"] is None:
        output.write("nobody: set CRMTUI_USER or `user = \"name\"` in config.toml")
    else:
        output.write(me["user"])
    if me["user"] and me["team_mode"] and not me["known"]:
        output.note("warning: not a user of this team (see `crm user list`): give new records "
                    "an owner (--owner NAME); they cannot default to you")
    elif me["user"] and me["team_mode"] and not me["active"]:
        output.note(f"warning: {me['user']} is inactive (`crm user activate {me['user']}`): "
                    "give new records an owner (--owner NAME); they cannot default to you")
