"""Schema by migration only; upgrades keep every row; backups before upgrading."""

import sqlite3
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.config import Config

from crmtui.store import migrate
from crmtui.store.engine import make_engine
from crmtui.store.models import SQLModel


def script_dir():
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def revisions_oldest_first():
    return [r.revision for r in reversed(list(script_dir().walk_revisions()))]


@pytest.mark.sqlite_only
def test_head_constant_matches_alembic():
    assert migrate.HEAD == script_dir().get_current_head()


def test_new_store_is_created_by_migrations(store):
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD
        from crmtui.store.migrations_filter import include_name

        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        with warnings.catch_warnings():  # SQLite cannot reflect expression indexes
            warnings.simplefilter("ignore")
            diffs = compare_metadata(context, SQLModel.metadata)
    # expression indexes (lower(email)) cannot be reflected by SQLite; everything else matches
    assert [d for d in diffs if not (d[0] == "add_index" and "lower" in str(d[1]))] == []
    with store.read() as s:
        from crmtui.domain import refs

        stages = [(st.name, st.probability, st.kind) for st in refs.stages_of(s, 1)]
    assert stages == [("Prospecting", 10, "open"), ("Qualification", 25, "open"),
                      ("Proposal", 50, "open"), ("Negotiation", 75, "open"),
                      ("Won", 100, "won"), ("Lost", 0, "lost")]


@pytest.mark.sqlite_only
def test_connection_pragmas(store):
    with store.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 2
        assert pragma("busy_timeout") >= 5000


@pytest.mark.sqlite_only
def test_writers_begin_immediate(store):
    """A write session holds the write lock from its first statement."""
    with store.write() as s:
        s.execute(__import__("sqlalchemy").text("SELECT 1"))
        other = sqlite3.connect(store.target, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


@pytest.mark.sqlite_only
def test_not_a_crmtui_database_is_refused(tmp_path, cli):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    result = cli("--db", str(path), "lead", "list", code=1)
    assert "not a crmtui database" in result.stderr


def test_newer_schema_is_refused(store, cli):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    result = cli("lead", "list", code=1)
    assert "newer than this crmtui" in result.stderr


EARLIER = revisions_oldest_first()[:-1]


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_every_earlier_revision_keeps_rows(tmp_path, revision, backend):
    """A populated store at every earlier revision upgrades with every row intact."""
    from tests.populate import checksums, column_names, populate

    if backend == "postgresql":
        from tests.conftest import _pg_server

        target = _pg_server().empty_database()
    else:
        target = str(tmp_path / "old.db")
        migrate.prepare_file(Path(target))
    migrate.upgrade(target, revision)
    populate(target)
    before = checksums(target)
    columns = column_names(target)
    store = migrate.open_store(target)
    store.close()
    after = checksums(target, columns)          # the columns each table had before
    for table, digest in before.items():
        assert after[table] == digest, table
    if backend == "sqlite":
        backups = list(tmp_path.glob("old.db.before-*.bak"))
        assert len(backups) == 1 and checksums(backups[0]) == before
        con = sqlite3.connect(target)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        con.close()


def _extra_revision(tmp_path, body: str) -> Path:
    """A copy of the migrations with one more revision "9000" whose upgrade() is `body`."""
    import shutil

    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "9000_extra.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = '9000'\ndown_revision = {migrate.HEAD!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n")
    return folder


@pytest.mark.sqlite_only
def test_batch_rebuild_keeps_cascade_children(tmp_path, monkeypatch):
    """A batch-mode rebuild of `opportunity` (copy, drop, rename) must not cascade into its
    ON DELETE CASCADE children (stage history): foreign keys are off while migrating."""
    from tests.populate import checksums, populate

    path = tmp_path / "rebuild.db"
    migrate.open_store(str(path)).close()
    populate(path)
    before = checksums(path)
    folder = _extra_revision(tmp_path, (
        "    with op.batch_alter_table('opportunity', recreate='always') as batch:\n"
        "        batch.add_column(sa.Column('probe', sa.Integer(), nullable=True))"))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    monkeypatch.setattr(migrate, "HEAD", "9000")
    migrate.open_store(str(path)).close()
    after = checksums(path)
    assert int(before["stage_change"].split(":")[0]) > 0
    for table in ("stage_change", "activity", "lead", "contact", "account"):
        assert after[table] == before[table], table
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM opportunity").fetchone()[0] == \
        int(before["opportunity"].split(":")[0])
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    triggers = {r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'opportunity'")}
    con.close()
    assert triggers == {"opportunity_fts_ai", "opportunity_fts_ad", "opportunity_fts_au"}
    store = migrate.open_store(str(path))
    try:
        from crmtui.domain import records
        from crmtui.store import search

        with store.write() as s:
            new_id = records.create(s, "opportunity", {"name": "Zanzibar probe"}).id
        with store.read() as s:
            assert [i for i, _ in search.ranked(s, "opportunity", "zanzibar")] == [new_id]
    finally:
        store.close()


def test_failed_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch, backend,
                                                     another_store):
    """A revision that fails half-way changes nothing: same revision, same rows, usable."""
    from tests.populate import checksums, populate

    target = another_store()
    migrate.open_store(target).close()
    populate(target)
    before = checksums(target)
    folder = _extra_revision(tmp_path, (
        "    op.create_table('half_done', sa.Column('id', sa.Integer(), primary_key=True))\n"
        "    op.add_column('lead', sa.Column('probe', sa.Integer(), nullable=True))\n"
        "    raise RuntimeError('boom in the middle of a migration')"))
    real_dir, real_head = migrate.MIGRATIONS_DIR, migrate.HEAD
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    monkeypatch.setattr(migrate, "HEAD", "9000")
    with pytest.raises(RuntimeError, match="boom"):
        migrate.open_store(target)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", real_dir)
    monkeypatch.setattr(migrate, "HEAD", real_head)
    assert checksums(target) == before
    store = migrate.open_store(target)
    try:
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == real_head
            names = __import__("sqlalchemy").inspect(conn).get_table_names()
        assert "half_done" not in names
        from crmtui.domain import records

        with store.write() as s:
            records.create(s, "lead", {"last_name": "Still works"})
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_upgrade_needs_backup_path_beside_db(tmp_path):
    path = tmp_path / "x.db"
    name = migrate.backup_path_for(path, "0001").name
    assert name.startswith("x.db.before-0001-") and name.endswith(".bak")
    assert Path(tmp_path / name).parent == tmp_path


@pytest.mark.sqlite_only
def test_engine_for_url_without_driver_is_a_clear_error():
    from crmtui.errors import StoreError

    with pytest.raises(StoreError):
        make_engine("nosuchdialect://x/y")
