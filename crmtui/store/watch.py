"""Noticing that the store changed: another process (a script importing leads) or our own writes.

SQLite keeps a per-connection counter, `PRAGMA data_version`, that moves whenever *another*
connection commits. A `Watcher` holds one dedicated connection and compares the counter, so
`changed()` costs a few microseconds, takes no lock and can be polled several times a second.

PostgreSQL: every transaction that writes takes a transaction id, so the upper bound of the
current snapshot (`pg_snapshot_xmax(pg_current_snapshot())`) moves when anyone starts writing;
polling it on a dedicated autocommit connection costs one tiny query and takes no xid itself.
(It may also move for writes to other databases of the server: a harmless extra refresh.)
"""

from __future__ import annotations

from crmtui.store.engine import Store


PG_TOKEN = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text"


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
        if store.dialect in ("sqlite", "postgresql"):
            self._conn = store.engine.raw_connection()
            self._raw = self._conn.driver_connection
            if store.dialect == "postgresql":
                self._conn.detach()  # ours alone: autocommit must not leak into the pool
                self._raw.rollback()
                self._raw.autocommit = True
            self._last = self._token()

    def _token(self):
        raw = self._raw
        if self.store.dialect == "sqlite":
            return data_version(raw)
        return raw.execute(PG_TOKEN).fetchone()[0]

    @property
    def supported(self) -> bool:
        return self._conn is not None

    def changed(self) -> bool:
        if self._conn is None:
            return False
        try:
            now = self._token()
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
