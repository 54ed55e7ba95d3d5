"""`crm account ...`: companies you sell to."""

import typer

from crmtui.commands.crud import crud

app = typer.Typer(help="Accounts: the companies you sell to.", no_args_is_help=True)
crud(app, "account", example='crm account add "Acme" --domain acme.com --industry Manufacturing')
