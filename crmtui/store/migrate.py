"""Opening a store: create it by migration, or upgrade an older one after a backup.

A new database is created only by running the Alembic revisions (never `create_all`).
Opening a database at an older revision first writes an online backup beside it,
then upgrades in one transaction with foreign keys off, checks foreign keys, and commits.
"""

from __future__ import annotations

import os

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from crmtui.errors import StoreError
from crmtui.paths import data_dir, ensure_private_dir, is_url, resolve_db, touch_private
from crmtui.store.engine import WRITE_OPTION, Store, make_engine

# The newest revision under migrations/versions. tests/test_migrations.py checks that it
# matches Alembic's head, so opening an up-to-date store never has to load Alembic.
HEAD = "0005"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def current_revision(conn: Connection) -> str | None:
    if conn.dialect.name == "sqlite":  # cheaper than the inspector on every start-up
        found = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).scalar()
    else:
        found = inspect(conn).has_table("alembic_version")
    if not found:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _has_tables(store: Store) -> bool:
    with store.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        conn.rollback()
    return bool(names)


def _known_revisions() -> set[str]:
    return {p.stem.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py")}


def _alembic_config(connection: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(target: str, revision: str = "head") -> None:
    """Run the migrations up to `revision` in one transaction on `target`."""
    from alembic import command

    engine = make_engine(target, foreign_keys=False)
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # batch mode renames a rebuilt table into place; triggers of other tables
                # that name it must not make the rename fail half-way
                conn.exec_driver_sql("PRAGMA legacy_alter_table = ON")
                before = _tables_and_triggers(conn)
            command.upgrade(_alembic_config(conn), revision)
            if sqlite:
                _restore_rebuilt_triggers(conn, before)
                conn.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
                bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise StoreError(
                        f"migration left {len(bad)} broken references (first: {bad[0]}); "
                        "nothing was changed"
                    )
    finally:
        engine.dispose()


def _tables_and_triggers(conn: Connection) -> tuple[dict, list]:
    pages = dict(conn.exec_driver_sql(
        "SELECT name, rootpage FROM sqlite_master WHERE type = 'table'").fetchall())
    triggers = conn.exec_driver_sql(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    return pages, triggers


def _restore_rebuilt_triggers(conn: Connection, before: tuple[dict, list]) -> None:
    """A batch-mode rebuild (copy, drop, rename) drops the table's triggers with it, and with
    them the search index's sync. Put back every trigger of a rebuilt table that is gone."""
    pages, triggers = before
    now_pages, now_triggers = _tables_and_triggers(conn)
    present = {name for name, _, _ in now_triggers}
    rebuilt = {t for t, page in pages.items() if t in now_pages and now_pages[t] != page}
    for name, table, sql in triggers:
        if table in rebuilt and name not in present:
            conn.exec_driver_sql(sql)


def backup_path_for(db: Path, revision: str | None) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return db.with_name(f"{db.name}.before-{revision or 'unversioned'}-{stamp}.bak")


def prepare_file(path: Path) -> None:
    """Create the folder (0700) and an empty database file (0600) before SQLite does."""
    own_dir = path.parent.resolve() == data_dir().resolve()
    ensure_private_dir(path.parent, tighten=own_dir)
    if not path.exists():
        touch_private(path)


def open_store(target: str | None = None, *, migrate: bool = True, create: bool = True
               ) -> Store:
    """Open (creating or upgrading as needed) the store at `target`, `CRMTUI_DB` or the default.

    `create=False` (what the CLI's reading commands and the app pass): a database file the
    user named (`--db`, `CRMTUI_DB`) that does not exist is an error, so a mistyped path fails
    instead of answering from a new empty store. The default store is created on first use
    either way."""
    named = bool(target or os.environ.get("CRMTUI_DB"))
    target = resolve_db(target)
    if not is_url(target):
        path = Path(target).expanduser()
        if path.is_dir():
            raise StoreError(f"{path} is a folder; --db takes a database file")
        if not create and named and not path.exists():
            import shlex

            raise StoreError(f"there is no crmtui database at {path}",
                             hint="check the path (--db or CRMTUI_DB); to start a new store "
                                  f"there: crm --db {shlex.quote(str(path))} db migrate")
        try:
            prepare_file(path)
        except OSError as exc:
            raise StoreError(f"cannot create the database at {path}: {exc.strerror}") from exc
        target = str(path)
    store = Store(target, make_engine(target))
    if migrate:
        ensure_current(store)
    return store


def ensure_current(store: Store) -> str | None:
    """Bring the store to HEAD; returns the backup written first, if any."""
    try:
        with store.engine.connect() as conn:
            rev = current_revision(conn)
            conn.rollback()
    except Exception as exc:
        hint = None
        if "does not exist" in str(exc) and store.dialect == "postgresql":
            hint = "create the database first (e.g. `createdb NAME`), then run this again"
        raise StoreError(f"cannot read the database at {store.target}: "
                         f"{getattr(exc, 'orig', exc)}", hint=hint) from exc
    if rev == HEAD:
        return None
    if rev is None and _has_tables(store):
        raise StoreError(
            f"{store.target} holds tables but no crmtui schema version; it is not a crmtui "
            "database (pick another file with --db)"
        )
    if rev is not None and rev not in _known_revisions():
        raise StoreError(
            f"the database at {store.target} is at schema revision {rev}, newer than this crmtui "
            "knows; upgrade crmtui"
        )
    backup = None
    if rev is not None and store.path is not None:
        from crmtui.store.backup import backup_sqlite

        backup = backup_path_for(store.path, rev)
        backup_sqlite(store.engine, backup)
    upgrade(store.target)
    return str(backup) if backup else None
