"""Alembic environment: always run by crmtui.store.migrate on a connection it owns.

The caller opens the transaction (BEGIN IMMEDIATE on SQLite, with foreign keys OFF so
that batch-mode table rebuilds never cascade into child rows) and checks foreign keys
before it commits.
"""

from alembic import context

from crmtui.store.migrations_filter import include_name
from crmtui.store.models import SQLModel

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise SystemExit("run migrations with `crm db migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
