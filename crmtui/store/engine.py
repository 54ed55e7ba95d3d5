"""Engines, connections and sessions.

Every SQLite connection gets WAL, a busy timeout, foreign keys and synchronous=FULL.
Transactions are begun by us, not by the driver: readers get a plain `BEGIN`, writers
`BEGIN IMMEDIATE` so that two writers queue on the busy timeout instead of failing with
"database is locked" when a deferred read lock cannot be upgraded (DESIGN.md 5.1).

PostgreSQL gets the same rule: a write transaction first takes one transaction-level
advisory lock, so writers queue (for at most the busy timeout) instead of racing. Without
it two edits of one record read the same version and the second fails as a conflict
although nobody was stale, and a bulk import could not know which ids are its own.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crmtui.errors import StoreError
from crmtui.paths import is_url

BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "crmtui_write"
WRITER_LOCK = 0x63726D74  # "crmt": the one advisory lock every PostgreSQL writer takes


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path)}"


def make_engine(target: str, *, foreign_keys: bool = True) -> Engine:
    """An engine for a file path or a SQLAlchemy URL, with crmtui's connection rules."""
    url = target if is_url(target) else sqlite_url(target)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _install_sqlite_rules(engine, foreign_keys=foreign_keys)
        return engine
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # unknown dialect, missing driver
        raise StoreError(f"cannot use database {target!r}: {exc}") from exc
    if engine.dialect.name == "postgresql":
        _install_postgresql_rules(engine)
    return engine


def _install_postgresql_rules(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


def _install_sqlite_rules(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA secure_delete = ON")  # deleted personal data is zeroed, not left
        cur.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """One database: read sessions, write sessions and the raw engine for bulk work."""

    def __init__(self, target: str, engine: Engine):
        self.target = target
        self.engine = engine
        self.write_engine = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        return None if is_url(self.target) else Path(self.target)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read snapshot; nothing is committed. Objects stay readable after it closes."""
        with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE on SQLite): all of it commits or none."""
        with Session(self.write_engine, expire_on_commit=False, autoflush=True) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_connection(self):
        """A Core connection in one write transaction, for bulk inserts."""
        with self.write_engine.begin() as conn:
            yield conn

    def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it (SQLite), e.g. after an erase."""
        if self.dialect != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()
