"""stage history keeps stage names

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

`stage_change.from_stage_name` / `to_stage_name`: written when a stage is deleted, so a
deal's history still says which stage it was in (its id becomes NULL by ON DELETE SET
NULL). Two nullable columns are added; no table is rebuilt.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stage_change') as batch_op:
        batch_op.add_column(sa.Column('from_stage_name', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('to_stage_name', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stage_change') as batch_op:
        batch_op.drop_column('to_stage_name')
        batch_op.drop_column('from_stage_name')
