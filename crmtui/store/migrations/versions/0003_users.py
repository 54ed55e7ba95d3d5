"""users: the team whose members own records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

`crm_user` ("user" is reserved on PostgreSQL): name (unique), full name, email, active.
Only a table is added; no existing table is rebuilt.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'crm_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('extra', sa.JSON(), nullable=True),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('full_name', sa.String(), nullable=True),
        sa.Column('email', sa.String(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_user')),
        sa.UniqueConstraint('external_id', name=op.f('uq_crm_user_external_id')),
        sa.UniqueConstraint('name', name=op.f('uq_crm_user_name')),
    )


def downgrade() -> None:
    op.drop_table('crm_user')
