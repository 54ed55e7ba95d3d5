"""Online backups through SQLite's backup API (never a file copy of a live database)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine

from crmtui.errors import Conflict, StoreError
from crmtui.paths import touch_private


def backup_sqlite(engine: Engine, dest: Path, *, overwrite: bool = False) -> Path:
    """Copy the live database behind `engine` to `dest` (mode 0600), consistently.

    The backup API copies a snapshot page by page while other processes keep writing;
    the result is a complete database on its own (no -wal needed).
    """
    if engine.dialect.name != "sqlite":
        raise StoreError("db backup works on SQLite stores; use pg_dump for a server database")
    dest = Path(dest).expanduser()
    if dest.exists() and not overwrite:
        raise Conflict(f"{dest} already exists; choose another path or pass --force")
    if dest.exists():
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    touch_private(dest)
    raw = engine.raw_connection()
    try:
        source: sqlite3.Connection = raw.driver_connection
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise StoreError(f"backup to {dest} failed: {exc}") from exc
    finally:
        raw.close()
    return dest
