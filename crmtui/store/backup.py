"""Online backups through SQLite's backup API (never a file copy of a live database).

Rules: the backup's folder must exist (it is never created: a typo should not leave a tree of
folders behind); a backup never goes onto the store itself (or its -wal/-shm/-journal), even
through a symlink or a hard link; an existing file is replaced only with `overwrite`, and only
once the new copy is complete (it is written beside it and renamed over it), so a failed
backup leaves the old one intact. File-system failures become StoreErrors naming the path.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine

from crmtui.errors import Conflict, Invalid, StoreError
from crmtui.paths import touch_private

STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def check_destination(engine: Engine, dest: Path, *, overwrite: bool) -> Path:
    """Refuse a backup path that cannot or must not be written; returns it expanded."""
    dest = Path(dest).expanduser()
    live = engine.url.database
    if live and live != ":memory:":
        for suffix in STORE_COMPANIONS:
            if _same_file(Path(live + suffix), dest):
                raise Conflict(f"{dest} is the database in use ({live}{suffix}); a backup "
                               "cannot overwrite the store itself",
                               hint="choose another path, e.g. crm-backup.db")
    if dest.is_dir():
        raise Invalid(f"{dest} is a folder", hint=f"name a file in it, e.g. "
                                                  f"{dest / 'crm-backup.db'}")
    folder = dest.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise Invalid(f"cannot write {dest}: the folder {folder} {what}",
                      hint="create the folder first, or choose a path in an existing folder")
    if dest.exists() and not overwrite:
        raise Conflict(f"{dest} already exists; choose another path or pass --force")
    return dest


def backup_sqlite(engine: Engine, dest: Path, *, overwrite: bool = False) -> Path:
    """Copy the live database behind `engine` to `dest` (mode 0600), consistently.

    The backup API copies a snapshot page by page while other processes keep writing;
    the result is a complete database on its own (no -wal needed).
    """
    if engine.dialect.name != "sqlite":
        raise StoreError("db backup works on SQLite stores; use pg_dump for a server database")
    dest = check_destination(engine, dest, overwrite=overwrite)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    raw = None
    try:
        touch_private(partial)
        raw = engine.raw_connection()
        source: sqlite3.Connection = raw.driver_connection
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
        os.replace(partial, dest)
        os.chmod(dest, 0o600)
    except sqlite3.Error as exc:
        raise StoreError(f"backup to {dest} failed: {exc}") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreError(f"cannot write the backup {dest}: {reason}",
                         hint="choose a writable folder") from exc
    finally:
        if raw is not None:
            raw.close()
        try:
            partial.unlink(missing_ok=True)
            Path(f"{partial}-journal").unlink(missing_ok=True)
        except OSError:
            pass
    return dest
