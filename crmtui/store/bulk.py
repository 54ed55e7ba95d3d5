"""Bulk writes: Core executemany in chunks, never one ORM object per row (DESIGN.md 6).

Rows are dicts keyed by column name; datetimes must be aware (UTC). Callers pass an
iterable, so a million rows stream through in chunks instead of being held in memory.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection

CHUNK = 5_000


def chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict], *, size: int = CHUNK,
                progress=None) -> int:
    """Insert `rows` into `table` in chunks; returns the count. `progress(n)` after each chunk."""
    statement = insert(table)
    total = 0
    for batch in chunks(rows, size):
        conn.execute(statement, batch)
        total += len(batch)
        if progress:
            progress(len(batch))
    return total


def next_id(conn: Connection, table: Table) -> int:
    return (conn.scalar(select(func.max(table.c.id))) or 0) + 1
