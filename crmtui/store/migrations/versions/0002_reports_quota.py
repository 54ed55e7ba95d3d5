"""reports: quotas and covering indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

- `quota`: an owner's target amount for a period (`crm quota set`, `crm report attainment`);
- covering indexes that let the reports aggregate from an index instead of the tables
  (benchmarks/report_bench.py): deals by stage (pipeline, forecast, win rate, velocity,
  cycle, accounts), in (stage, currency, close date) order so the pipeline and forecast
  group without sorting, and in (stage, currency, closed_at) order so the win rate reads
  each period as an index range; stage history in (deal, time, id) order (as-of views, funnel,
  time in stage); activities by day and by account; leads by source. The history index
  starts with (opportunity_id, at), so it replaces ix_stage_change_opportunity_id_at.

Only tables and indexes are added: no existing table is rebuilt, so the upgrade keeps every
row and trigger as it is.
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_opportunity_report", "opportunity",
     ["stage_id", "currency", "close_date", "amount_minor", "probability", "closed_at",
      "stage_entered_at", "last_activity_at", "created_at", "owner", "source", "pipeline_id",
      "account_id"]),
    ("ix_opportunity_closed", "opportunity",
     ["stage_id", "currency", "closed_at", "amount_minor", "owner"]),
    ("ix_stage_change_history", "stage_change",
     ["opportunity_id", "at", "id", "to_stage_id", "from_stage_id"]),
    ("ix_activity_report", "activity", ["done_at", "owner", "kind"]),
    ("ix_activity_account_id_done_at", "activity", ["account_id", "done_at"]),
    ("ix_lead_report", "lead",
     ["source", "status", "created_at", "owner", "converted_opportunity_id"]),
]


def upgrade() -> None:
    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('owner', sa.String(), nullable=False),
    sa.Column('period', sa.String(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota')),
    sa.UniqueConstraint('external_id', name=op.f('uq_quota_external_id')),
    sa.UniqueConstraint('owner', 'period', name=op.f('uq_quota_owner_period'))
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.drop_index('ix_stage_change_opportunity_id_at', table_name='stage_change')


def downgrade() -> None:
    op.create_index('ix_stage_change_opportunity_id_at', 'stage_change', ['opportunity_id', 'at'],
                    unique=False)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('quota')
