"""`crm contact ...`: people at accounts."""

import typer

from crmtui.commands.crud import crud

app = typer.Typer(help="Contacts: people at your accounts.", no_args_is_help=True)
crud(app, "contact", example='crm contact add "Grace Hopper" --account Acme '
                             '--email grace@acme.com')
