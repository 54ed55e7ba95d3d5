"""Noticing that the store changed: another process (a script importing leads) or our own writes.

SQLite keeps a per-connection counter, `PRAGMA data_version`, that moves whenever *another*
connection commits. A `Watcher` holds one dedicated connection and compares the counter, so
`changed()` costs a few microseconds, takes no lock and can be polled several times a second.

Other backends have no such counter; there `Watcher.supported` is False and `changed()` is
always False (a PostgreSQL twin would LISTEN for a NOTIFY sent by a trigger).
"""

from __future__ import annotations

from crmtui.store.engine import Store


def data_version(dbapi_connection) -> int:
    """SQLite's data_version for this connection."""
    cursor = dbapi_connection.cursor()
    try:
        return int(cursor.execute("PRAGMA data_version").fetchone()[0])
    finally:
        cursor.close()


class Watcher:
    """Tells whether anything was committed to the store since the last call."""

    def __init__(self, store: Store):
        self.store = store
        self._conn = None
        self._last: int | None = None
        if store.dialect == "sqlite":
            self._conn = store.engine.raw_connection()
            self._last = data_version(self._conn.driver_connection)

    @property
    def supported(self) -> bool:
        return self._conn is not None

    def changed(self) -> bool:
        if self._conn is None:
            return False
        try:
            now = data_version(self._conn.driver_connection)
        except Exception:  # the file went away or is locked for a schema change: try later
            return False
        if now != self._last:
            self._last = now
            return True
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
