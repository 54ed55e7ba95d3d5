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


@pytest.mark.parametrize("revision", revisions_oldest_first()[:-1] or [None])
def test_upgrade_from_every_earlier_revision_keeps_rows(tmp_path, revision):
    if revision is None:
        pytest.skip("only one schema revision so far")
    from tests.populate import checksums, populate

    path = tmp_path / "old.db"
    migrate.prepare_file(path)
    migrate.upgrade(str(path), revision)
    populate(path)
    before = checksums(path)
    store = migrate.open_store(str(path))
    store.close()
    backups = list(tmp_path.glob("old.db.before-*.bak"))
    assert len(backups) == 1 and checksums(backups[0]) == before
    after = checksums(path)
    for table, digest in before.items():
        assert after[table] == digest, table
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


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
