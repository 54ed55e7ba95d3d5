"""The `crm` command: global options, one sub-command group per noun, and `crm` alone -> the app.

Only Typer and the light command modules load here; each command imports the store and the
domain when it runs, so `crm --help`, `crm --version` and shell completion stay fast and
never import sqlalchemy or textual.
"""

from typing import Annotated, Optional

import typer

from crmtui import __version__
from crmtui.commands import (
    account, activity, contact, db, demo, dupes, history, lead, opp, pipeline, privacy, search,
    task, user,
)
from crmtui.commands import export, imports
from crmtui.commands.common import handle, state

app = typer.Typer(
    name="crm",
    help="crmtui: a local-first CRM for the terminal. Run `crm` alone to open the app.",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)

app.add_typer(lead.app, name="lead")
app.add_typer(account.app, name="account")
app.add_typer(contact.app, name="contact")
app.add_typer(opp.app, name="opp")
app.add_typer(activity.app, name="activity")
app.add_typer(task.app, name="task")
app.command("agenda")(task.agenda)
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(pipeline.stage_app, name="stage")
app.add_typer(db.app, name="db")
app.add_typer(privacy.app, name="privacy")
app.add_typer(imports.app, name="import")
app.add_typer(export.app, name="export")
from crmtui.commands import report  # noqa: E402  (reports and quotas)
app.add_typer(report.app, name="report")
app.add_typer(report.quota_app, name="quota")
demo.register(app)
search.register(app)
dupes.register(app)
history.register(app)
user.register(app)


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
