"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Every table of DESIGN.md section 2, the edit history and import bookkeeping, full-text
search on SQLite, and the default "Sales" pipeline.
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('field', sa.String(), nullable=True),
    sa.Column('old', sa.String(), nullable=True),
    sa.Column('new', sa.String(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('actor', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_entity_record_id', ['entity', 'record_id'], unique=False)

    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('entity', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('format', sa.String(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch')),
    sa.UniqueConstraint('external_id', name=op.f('uq_import_batch_external_id'))
    )
    op.create_table('pipeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline')),
    sa.UniqueConstraint('external_id', name=op.f('uq_pipeline_external_id')),
    sa.UniqueConstraint('name', name=op.f('uq_pipeline_name'))
    )
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('domain', sa.String(), nullable=True),
    sa.Column('industry', sa.String(), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('revenue_minor', sa.BigInteger(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('website', sa.String(), nullable=True),
    sa.Column('city', sa.String(), nullable=True),
    sa.Column('country', sa.String(), nullable=True),
    sa.Column('owner', sa.String(), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.Column('tags', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_account_import_batch_id_import_batch'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('external_id', name=op.f('uq_account_external_id'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_owner'), ['owner'], unique=False)

    op.create_table('import_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('version_after', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_change_batch_id_import_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_change'))
    )
    with op.batch_alter_table('import_change', schema=None) as batch_op:
        batch_op.create_index('ix_import_change_batch_id', ['batch_id'], unique=False)

    op.create_table('stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('rot_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipeline.id'], name=op.f('fk_stage_pipeline_id_pipeline'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage')),
    sa.UniqueConstraint('external_id', name=op.f('uq_stage_external_id'))
    )
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.create_index('ix_stage_pipeline_id_position', ['pipeline_id', 'position'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sa.String(), nullable=False),
    sa.Column('last_name', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=True),
    sa.Column('owner', sa.String(), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.Column('tags', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_contact_account_id_account')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_contact_import_batch_id_import_batch'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('external_id', name=op.f('uq_contact_external_id'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_owner'), ['owner'], unique=False)

    op.create_table('opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(), nullable=False),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(), nullable=True),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('next_step', sa.String(), nullable=True),
    sa.Column('lost_reason', sa.String(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stage_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.Column('tags', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_opportunity_account_id_account')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_opportunity_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_opportunity_import_batch_id_import_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipeline.id'], name=op.f('fk_opportunity_pipeline_id_pipeline')),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_opportunity_stage_id_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity')),
    sa.UniqueConstraint('external_id', name=op.f('uq_opportunity_external_id'))
    )
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunity_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_opportunity_close_date', ['close_date'], unique=False)
        batch_op.create_index('ix_opportunity_closed_at', ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_pipeline_id'), ['pipeline_id'], unique=False)
        batch_op.create_index('ix_opportunity_stage_id_amount_minor', ['stage_id', 'amount_minor'], unique=False)

    op.create_table('lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sa.String(), nullable=False),
    sa.Column('last_name', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('company', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=True),
    sa.Column('industry', sa.String(), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('website', sa.String(), nullable=True),
    sa.Column('city', sa.String(), nullable=True),
    sa.Column('country', sa.String(), nullable=True),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(), nullable=True),
    sa.Column('disqualify_reason', sa.String(), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('converted_account_id', sa.Integer(), nullable=True),
    sa.Column('converted_contact_id', sa.Integer(), nullable=True),
    sa.Column('converted_opportunity_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.String(), nullable=True),
    sa.Column('tags', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['converted_account_id'], ['account.id'], name=op.f('fk_lead_converted_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['converted_contact_id'], ['contact.id'], name=op.f('fk_lead_converted_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['converted_opportunity_id'], ['opportunity.id'], name=op.f('fk_lead_converted_opportunity_id_opportunity'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_lead_import_batch_id_import_batch'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead')),
    sa.UniqueConstraint('external_id', name=op.f('uq_lead_external_id'))
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_score'), ['score'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_status'), ['status'], unique=False)

    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['from_stage_id'], ['stage.id'], name=op.f('fk_stage_change_from_stage_id_stage'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_stage_change_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_stage_id'], ['stage.id'], name=op.f('fk_stage_change_to_stage_id_stage'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change')),
    sa.UniqueConstraint('external_id', name=op.f('uq_stage_change_external_id'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index('ix_stage_change_opportunity_id_at', ['opportunity_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_change_to_stage_id'), ['to_stage_id'], unique=False)

    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('body', sa.String(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_activity_account_id_account')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_activity_contact_id_contact')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_activity_import_batch_id_import_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_activity_lead_id_lead')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_activity_opportunity_id_opportunity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity')),
    sa.UniqueConstraint('external_id', name=op.f('uq_activity_external_id'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_activity_done_at_due_at', ['done_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_owner'), ['owner'], unique=False)

    op.create_index("ix_lead_email_lower", "lead", [sa.text("lower(email)")])
    op.create_index("ix_contact_email_lower", "contact", [sa.text("lower(email)")])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _postgres_search_ddl():
            op.execute(statement)
    _seed_default_pipeline()


def _seed_default_pipeline() -> None:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    common = {"created_at": now, "updated_at": now, "version": 1}
    pipeline = sa.table(
        "pipeline", sa.column("id"), sa.column("name"), sa.column("is_default"),
        sa.column("created_at"), sa.column("updated_at"), sa.column("version"),
    )
    stage = sa.table(
        "stage", sa.column("pipeline_id"), sa.column("name"), sa.column("position"),
        sa.column("probability"), sa.column("kind"), sa.column("rot_days"),
        sa.column("created_at"), sa.column("updated_at"), sa.column("version"),
    )
    op.bulk_insert(pipeline, [{"name": "Sales", "is_default": True, **common}])
    pipeline_id = op.get_bind().execute(sa.text("SELECT id FROM pipeline WHERE name = 'Sales'")).scalar()
    op.bulk_insert(stage, [
        {"pipeline_id": pipeline_id, "name": name, "position": pos, "probability": prob, "kind": kind,
         "rot_days": rot, **common}
        for pos, (name, prob, kind, rot) in enumerate([
            ("Prospecting", 10, "open", 14),
            ("Qualification", 25, "open", 21),
            ("Proposal", 50, "open", 21),
            ("Negotiation", 75, "open", 14),
            ("Won", 100, "won", None),
            ("Lost", 0, "lost", None),
        ], start=1)
    ])


def _phone_terms(col: str) -> str:
    """A phone as typed, as bare digits, and its last 10 and 7 digits (so local numbers match)."""
    digits = f"coalesce({col}, '')"
    for ch in " -().+/":
        digits = f"replace({digits}, '{ch}', '')"
    return (f"coalesce({col}, '') || ' ' || {digits} || ' ' || substr({digits}, -10) || ' ' "
            f"|| substr({digits}, -7)")


# Full-text search (SQLite FTS5): one index per searchable table, rowid = the record's id,
# kept in sync by triggers so every writer (CLI, app, import, raw SQL) keeps it right.
# A phone is indexed as typed and as digits (whole, last 10, last 7), so "555-0132" and
# "4155550132" both find "+1 (415) 555-0132".
_FTS = {
    "lead": (
        ["name", "email", "company", "phone", "notes"],
        lambda r: [f"{r}.first_name || ' ' || {r}.last_name", f"{r}.email", f"{r}.company",
                   _phone_terms(f"{r}.phone"), f"{r}.notes"],
    ),
    "contact": (
        ["name", "email", "phone", "title", "notes"],
        lambda r: [f"{r}.first_name || ' ' || {r}.last_name", f"{r}.email",
                   _phone_terms(f"{r}.phone"), f"{r}.title",
                   f"{r}.notes"],
    ),
    "account": (
        ["name", "domain", "phone", "city", "notes"],
        lambda r: [f"{r}.name", f"coalesce({r}.domain, '') || ' ' || coalesce({r}.website, '')",
                   _phone_terms(f"{r}.phone"), f"{r}.city",
                   f"{r}.notes"],
    ),
    "opportunity": (
        ["name", "account", "next_step", "notes"],
        lambda r: [f"{r}.name", f"(SELECT name FROM account WHERE id = {r}.account_id)",
                   f"{r}.next_step", f"{r}.notes"],
    ),
}
_WATCHED = {
    "lead": "first_name, last_name, email, company, phone, notes",
    "contact": "first_name, last_name, email, phone, title, notes",
    "account": "name, domain, website, phone, city, notes",
    "opportunity": "name, account_id, next_step, notes",
}


def _search_ddl() -> list[str]:
    ddl = []
    for table, (cols, exprs) in _FTS.items():
        fts = f"{table}_fts"
        collist = ", ".join(cols)
        values = ", ".join(exprs("new"))
        ddl += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({collist}, "
            "tokenize = 'unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {collist}) VALUES (new.id, {values}); END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {_WATCHED[table]} ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts}(rowid, {collist}) VALUES (new.id, {values}); END",
        ]
    ddl.append(
        "CREATE TRIGGER opportunity_fts_account_name AFTER UPDATE OF name ON account BEGIN "
        "UPDATE opportunity_fts SET account = new.name "
        "WHERE rowid IN (SELECT id FROM opportunity WHERE account_id = new.id); END"
    )
    return ddl


SQLITE_SEARCH = _search_ddl()

# PostgreSQL twin: a `search_vec` tsvector column per table, kept by a BEFORE trigger,
# with a GIN index. Punctuation becomes spaces before indexing so words split as FTS5's
# unicode61 tokenizer splits them; weights: name A, email/domain B, company/phone/title C,
# notes D (ts_rank on these weights orders results like bm25's column weights).
_PG_DOCS = {
    "lead": [("A", "NEW.first_name || ' ' || NEW.last_name"), ("B", "NEW.email"),
             ("C", "NEW.company"), ("C", "{phone}"), ("D", "NEW.notes")],
    "contact": [("A", "NEW.first_name || ' ' || NEW.last_name"), ("B", "NEW.email"),
                ("C", "{phone}"), ("C", "NEW.title"), ("D", "NEW.notes")],
    "account": [("A", "NEW.name"), ("B", "coalesce(NEW.domain, '') || ' ' || "
                 "coalesce(NEW.website, '')"), ("C", "{phone}"), ("C", "NEW.city"),
                ("D", "NEW.notes")],
    "opportunity": [("A", "NEW.name"),
                    ("B", "(SELECT name FROM account WHERE id = NEW.account_id)"),
                    ("C", "NEW.next_step"), ("D", "NEW.notes")],
}


def _pg_words(expr: str) -> str:
    return f"regexp_replace(coalesce({expr}, ''), '[^[:alnum:]]+', ' ', 'g')"


def _postgres_search_ddl() -> list[str]:
    digits = "regexp_replace(coalesce(NEW.phone, ''), '[^0-9]', '', 'g')"
    phone = f"coalesce(NEW.phone, '') || ' ' || {digits} || ' ' || right({digits}, 10) || ' ' || right({digits}, 7)"
    ddl = []
    for table, parts in _PG_DOCS.items():
        vector = " || ".join(
            f"setweight(to_tsvector('simple', {_pg_words(expr.format(phone=phone))}), '{w}')"
            for w, expr in parts)
        ddl += [
            f"ALTER TABLE {table} ADD COLUMN search_vec tsvector",
            f"CREATE INDEX ix_{table}_search_vec ON {table} USING gin (search_vec)",
            f"CREATE FUNCTION {table}_search_vec() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN NEW.search_vec := {vector}; RETURN NEW; END $$",
            f"CREATE TRIGGER {table}_search_vec BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_search_vec()",
        ]
    ddl += [
        "CREATE FUNCTION account_name_to_opportunities() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE opportunity SET name = name WHERE account_id = NEW.id; RETURN NULL; END $$",
        "CREATE TRIGGER account_name_to_opportunities AFTER UPDATE OF name ON account "
        "FOR EACH ROW EXECUTE FUNCTION account_name_to_opportunities()",
    ]
    return ddl


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _FTS:
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS account_name_to_opportunities ON account")
        op.execute("DROP FUNCTION IF EXISTS account_name_to_opportunities()")
    for table in ["activity", "stage_change", "lead", "opportunity", "contact", "stage",
                  "import_change", "account", "pipeline", "import_batch", "change_log"]:
        op.drop_table(table)
