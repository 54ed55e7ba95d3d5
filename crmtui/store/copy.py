"""Copying a whole store between backends (SQLite file <-> PostgreSQL), keeping every id.

Both stores are brought to the same schema revision first; the target must be empty (only
the default pipeline its migration seeded, which is replaced). Tables are copied in
foreign-key order in chunks inside one transaction on the target; the backend's own search
index is rebuilt by its triggers as rows arrive; PostgreSQL sequences are moved past the
copied ids. Afterwards every table's row count and content checksum are compared.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Callable

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection

from crmtui.errors import Conflict, StoreError
from crmtui.store.engine import Store
from crmtui.store.models import SQLModel

CHUNK = 2_000


def tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def _normal(value):
    """A backend-independent form of a value, for checksums."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def checksums(conn: Connection) -> dict[str, str]:
    """table -> "rows:sha256" over every row in id order, columns in name order."""
    out = {}
    for table in tables():
        cols = sorted(table.c, key=lambda c: c.name)
        digest = hashlib.sha256()
        n = 0
        for row in conn.execute(select(*cols).order_by(table.c.id)).yield_per(CHUNK):
            digest.update(repr(tuple(_normal(v) for v in row)).encode())
            n += 1
        out[table.name] = f"{n}:{digest.hexdigest()}"
    return out


def _ensure_empty(conn: Connection) -> None:
    for table in tables():
        if table.name in ("pipeline", "stage"):
            continue
        if conn.scalar(select(func.count()).select_from(table)):
            raise Conflict(f"the target store is not empty (table {table.name} has rows)",
                           hint="copy into a new, empty database")


def reset_sequences(conn: Connection) -> None:
    """Move PostgreSQL's id sequences past rows inserted with explicit ids (no-op elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"))


def copy(source: Store, target: Store, *, progress: Callable[[str, int], None] | None = None
         ) -> dict[str, int]:
    """Copy everything from `source` into the empty `target`; returns rows per table."""
    counts: dict[str, int] = {}
    with source.engine.connect() as src, target.write_connection() as dst:
        _ensure_empty(dst)
        dst.execute(text("DELETE FROM stage"))
        dst.execute(text("DELETE FROM pipeline"))
        for table in tables():
            n = 0
            batch: list[dict] = []
            for row in src.execute(select(table).order_by(table.c.id)).yield_per(CHUNK):
                batch.append(dict(row._mapping))
                if len(batch) >= CHUNK:
                    dst.execute(insert(table), batch)
                    n += len(batch)
                    batch = []
                    if progress:
                        progress(table.name, CHUNK)
            if batch:
                dst.execute(insert(table), batch)
                n += len(batch)
                if progress:
                    progress(table.name, len(batch))
            counts[table.name] = n
        reset_sequences(dst)
        src.rollback()
    return counts


def verify(source: Store, target: Store) -> dict[str, str]:
    """Compare every table of the two stores; raises StoreError naming the tables that differ."""
    with source.engine.connect() as a, target.engine.connect() as b:
        left, right = checksums(a), checksums(b)
        a.rollback()
        b.rollback()
    differ = [name for name in left if left[name] != right.get(name)]
    if differ:
        raise StoreError("the copy differs from the source in: " + ", ".join(differ),
                         hint="nothing else was changed in the source; drop the target and retry")
    return left
