"""Bulk writes: Core executemany in chunks, never one ORM object per row (DESIGN.md 6).

Rows are dicts keyed by column name; datetimes must be aware (UTC). Callers pass an
iterable, so a million rows stream through in chunks instead of being held in memory.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
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


# -- driver-level bulk inserts (the import path) ------------------------------------------

class RowInserter:
    """`executemany` of plain tuples straight to the driver, values converted by the columns' types.

    SQLAlchemy's own executemany of dicts costs about as much as SQLite itself; for a million
    rows the importer prepares tuples in `columns` order and lets this send them. Values go
    through each column type's bind processor, so what lands in the store is exactly what
    the ORM would have written (aware datetimes as UTC, JSON, dates).
    """

    def __init__(self, conn: Connection, table: Table, columns: list[str]):
        dialect = conn.dialect
        self.conn = conn
        self.columns = list(columns)
        compiled = insert(table).compile(dialect=dialect, column_keys=self.columns)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        order = list(compiled.positiontup) if self.positional else self.columns
        missing = [c for c in order if c not in self.columns]
        if missing:
            raise ValueError(f"insert into {table.name} needs values for {missing}")
        self.order = [self.columns.index(c) for c in order]
        self.processors = [table.c[c].type._cached_bind_processor(dialect) for c in self.columns]

    def process(self, values: list) -> list:
        """Apply the bind processors to one row (in `columns` order), in place."""
        for i, proc in enumerate(self.processors):
            if proc is not None and values[i] is not None:
                values[i] = proc(values[i])
        return values

    def insert(self, rows: list[list]) -> int:
        """Insert processed rows (lists in `columns` order)."""
        if not rows:
            return 0
        order = self.order
        if self.positional:
            params = [tuple(row[i] for i in order) for row in rows] \
                if order != list(range(len(order))) else [tuple(row) for row in rows]
        else:
            params = [dict(zip(self.columns, row)) for row in rows]
        self.conn.exec_driver_sql(self.sql, params)
        return len(rows)


_SIMPLE_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(\S+)\s+AFTER\s+INSERT\s+ON\s+(\S+)\s+BEGIN\s+"
    r"(INSERT\s+INTO\s+[^;]*?\))\s*VALUES\s*\((.*)\)\s*;\s*END\s*$",
    re.IGNORECASE | re.DOTALL,
)


@contextmanager
def deferred_insert_triggers(conn: Connection, table: Table):
    """Run the table's AFTER INSERT triggers once per id range instead of once per row.

    SQLite only (elsewhere the triggers simply keep firing). Inside the caller's transaction
    each trigger of the simple form `INSERT INTO x(...) VALUES (new....)` (the full-text
    index triggers) is dropped, and `replay(first_id, last_id)` runs the same statement as
    one INSERT ... SELECT over the rows inserted meanwhile. The triggers are re-created from
    their own SQL before the block ends, so a failure anywhere rolls everything back together.
    Per-row FTS5 triggers make a million-row insert about four times slower.
    """
    if conn.dialect.name != "sqlite":
        yield lambda first_id, last_id: None
        return
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
        (table.name,)).fetchall()
    deferred = []
    for name, sql in rows:
        m = _SIMPLE_TRIGGER.match(sql or "")
        if m and m.group(2).strip('"') == table.name:
            select_sql = (f"{m.group(3)} SELECT {m.group(4)} FROM {table.name} AS new "
                          "WHERE new.id BETWEEN ? AND ?")
            deferred.append((name, sql, select_sql))
    for name, _sql, _select in deferred:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')

    def replay(first_id: int, last_id: int) -> None:
        if last_id < first_id:
            return
        for _name, _sql, select_sql in deferred:
            conn.exec_driver_sql(select_sql, (first_id, last_id))

    def recreate() -> None:
        for _name, sql, _select in deferred:
            conn.exec_driver_sql(sql)

    try:
        yield replay
    except BaseException:
        try:  # the caller rolls back, which restores them anyway; this is belt and braces
            recreate()
        except Exception:
            pass
        raise
    recreate()
