"""The rules of crmtui. Both faces (the CLI and the app) call these; neither adds rules.

Modules here import sqlalchemy/sqlmodel but never textual, typer or rich; they raise
`crmtui.errors.CrmError`s and never print or exit.
"""
