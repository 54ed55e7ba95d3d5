"""The `crm` command: global options, one sub-command group per noun, and `crm` alone -> the app.

Only Typer and `commands.common` load here: a command's module is imported when it is invoked
(`COMMANDS`), and it imports the store and the domain when it runs, so `crm --help`,
`crm --version` and shell completion stay fast and never import sqlalchemy or textual.
"""

import gc
from typing import Annotated, Optional

import typer

from crmtui import __version__
from crmtui.commands.common import handle, state
from typer.core import TyperGroup
from typer.models import CommandInfo

# name -> (module, attribute, one-line help) of every sub-command: a group (a Typer app) or a
# command (a function). Each is imported and built only when it is invoked (Typer inspects
# every parameter of every command it builds: ~1 ms a command), and `crm --help` lists them
# from here (tests/test_startup_cli.py checks a command's line against its own help).
COMMANDS = {
    "lead": ("crmtui.commands.lead", "app", "Leads: people who might buy. Qualify, disqualify, "
             "convert."),
    "account": ("crmtui.commands.account", "app", "Accounts: the companies you sell to."),
    "contact": ("crmtui.commands.contact", "app", "Contacts: people at your accounts."),
    "opp": ("crmtui.commands.opp", "app", "Opportunities (deals): move them through stages, "
            "win or lose them."),
    "activity": ("crmtui.commands.activity", "app", "Activities: calls, emails, meetings, "
                 "notes and tasks."),
    "task": ("crmtui.commands.task", "app", "Tasks: things to do, with due dates."),
    "pipeline": ("crmtui.commands.pipeline", "app", "Pipelines: ordered stages deals move "
                 "through."),
    "stage": ("crmtui.commands.pipeline", "stage_app", "Stages of a pipeline: add, rename, "
              "reorder, delete."),
    "import": ("crmtui.commands.imports", "app", "Import records from CSV/TSV/JSON/JSONL; "
               "history and undo."),
    "export": ("crmtui.commands.export", "app", "Export records to CSV/TSV/JSON/JSONL."),
    "report": ("crmtui.commands.report", "app", "Pipeline reports and forecasts."),
    "quota": ("crmtui.commands.report", "quota_app", "Sales quotas per owner and period."),
    "user": ("crmtui.commands.user", "app", "Users of the team: owners of records (team mode)."),
    "privacy": ("crmtui.commands.privacy", "app", "A person's data: export it, or erase it."),
    "db": ("crmtui.commands.db", "app", "The database: path, migrate, check, backup, copy."),
    "agenda": ("crmtui.commands.task", "agenda", "Overdue, today, and the next days: open "
               "tasks and planned activities."),
    "demo": ("crmtui.commands.demo", "demo", "Create (or reuse) the demo store (demo.db in the "
             "data folder, or --db) and open the app."),
    "search": ("crmtui.commands.search", "search", "Search names, emails, companies, phones, "
               "notes and activities (subject and body); each hit shows its type and id."),
    "dupes": ("crmtui.commands.dupes", "dupes", "List likely duplicates with a reason and a "
              "score (100 = same email)."),
    "merge": ("crmtui.commands.dupes", "merge", "Merge OTHER into KEEP: move everything "
              "related, fill empty fields, delete OTHER."),
    "history": ("crmtui.commands.history", "history", "Every change to a record: field, old "
                "and new value, when, from where and by whom."),
    "whoami": ("crmtui.commands.user", "whoami", "Who you are (CRMTUI_USER or `user` in "
               "config.toml) and whether the team knows you."),
}


class LazyGroup(TyperGroup):
    """The root group: sub-commands are imported and built on first use, not at every start."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS) + [name for name in self.commands if name not in COMMANDS]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attribute, _ = COMMANDS[cmd_name]
            target = getattr(importlib.import_module(module), attribute)
            if isinstance(target, typer.Typer):
                command = typer.main.get_command(target)
                command.name = cmd_name
            else:  # what `app.command(cmd_name)(target)` would build
                command = typer.main.get_command_from_info(
                    CommandInfo(name=cmd_name, callback=target),
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    rich_markup_mode=app.rich_markup_mode)
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def format_commands(self, ctx, formatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self.commands:
                rows.append((name, COMMANDS[name][2]))
            else:
                rows.append((name, self.get_command(ctx, name).get_short_help_str(200)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="crm",
    cls=LazyGroup,
    help="crmtui: a local-first CRM for the terminal. Run `crm` alone to open the app.",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crmtui {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db_: Annotated[Optional[str], typer.Option(
        "--db", metavar="PATH", help="Database file (or URL) to use; default: CRMTUI_DB, "
        "then crm.db in the data folder (CRMTUI_HOME moves it)")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit")] = False,
):
    state.db = db_
    if ctx.invoked_subcommand is None:
        open_app()


@handle
def open_app(db_path: Optional[str] = None) -> None:
    from crmtui.screens.app import run

    run(db_path or state.db)


@app.command("tui", help="Open the full-screen app (the same as `crm` alone).")
def tui():
    open_app()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        # The command is done and the process ends: the interpreter's teardown would now run
        # garbage collections over every object the imports made (sqlalchemy, pydantic, the
        # models), ~100 ms of a `crm lead list`. Frozen objects are left to the OS instead.
        gc.freeze()
