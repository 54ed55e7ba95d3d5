"""activities are searchable

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

The activity list gets the same incremental search as the other lists: SQLite an FTS5
table `activity_fts` (subject, body) kept by triggers; PostgreSQL a trigger-kept
`search_vec` tsvector with a GIN index (subject weight A, body D), as the first revision
built for leads, contacts, accounts and deals. Existing activities are indexed here.
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COLS = "subject, body"
_WORDS = "regexp_replace(coalesce({0}, ''), '[^[:alnum:]]+', ' ', 'g')"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for sql in (
            f"CREATE VIRTUAL TABLE activity_fts USING fts5({_COLS}, "
            "tokenize = 'unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER activity_fts_ai AFTER INSERT ON activity BEGIN "
            f"INSERT INTO activity_fts(rowid, {_COLS}) VALUES (new.id, new.subject, new.body); "
            "END",
            "CREATE TRIGGER activity_fts_ad AFTER DELETE ON activity BEGIN "
            "DELETE FROM activity_fts WHERE rowid = old.id; END",
            f"CREATE TRIGGER activity_fts_au AFTER UPDATE OF {_COLS} ON activity BEGIN "
            "DELETE FROM activity_fts WHERE rowid = old.id; "
            f"INSERT INTO activity_fts(rowid, {_COLS}) VALUES (new.id, new.subject, new.body); "
            "END",
            f"INSERT INTO activity_fts(rowid, {_COLS}) SELECT id, subject, body FROM activity",
        ):
            op.execute(sql)
    elif dialect == "postgresql":
        vector = (f"setweight(to_tsvector('simple', {_WORDS.format('NEW.subject')}), 'A') || "
                  f"setweight(to_tsvector('simple', {_WORDS.format('NEW.body')}), 'D')")
        for sql in (
            "ALTER TABLE activity ADD COLUMN search_vec tsvector",
            "CREATE FUNCTION activity_search_vec() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN NEW.search_vec := {vector}; RETURN NEW; END $$",
            "CREATE TRIGGER activity_search_vec BEFORE INSERT OR UPDATE ON activity "
            "FOR EACH ROW EXECUTE FUNCTION activity_search_vec()",
            "UPDATE activity SET subject = subject",  # the trigger fills search_vec
            "CREATE INDEX ix_activity_search_vec ON activity USING gin (search_vec)",
        ):
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("activity_fts_ai", "activity_fts_ad", "activity_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS activity_fts")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS activity_search_vec ON activity")
        op.execute("DROP FUNCTION IF EXISTS activity_search_vec()")
        op.execute("DROP INDEX IF EXISTS ix_activity_search_vec")
        op.execute("ALTER TABLE activity DROP COLUMN IF EXISTS search_vec")
