"""Bulk writes: Core executemany in chunks, never one ORM object per row (DESIGN.md 6).

Rows are dicts keyed by column name; datetimes must be aware (UTC). Callers pass an
iterable, so a million rows stream through in chunks instead of being held in memory.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from contextlib import contextmanager
from itertools import islice, repeat
from typing import Callable, Iterable, Iterator

from sqlalchemy import JSON, Table, func, insert, select, text
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
    """The first id of a block of rows inserted with explicit ids, in a write transaction
    (which holds the writer lock, so nobody else inserts until it ends). On PostgreSQL the
    block starts past the id sequence too; `ids_used` moves the sequence past the block."""
    after_max = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
    if conn.dialect.name != "postgresql":
        return after_max
    nextval = conn.scalar(text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id'))"))
    return max(after_max, nextval)


def ids_used(conn: Connection, table: Table, last_id: int) -> None:
    """Rows up to `last_id` were inserted with explicit ids: later inserts that take their
    id from PostgreSQL's sequence must start after them (no-op elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                      "greatest(:last, (SELECT coalesce(max(id), 1) FROM "
                      f"{table.name})))"), {"last": last_id})


# -- driver-level bulk inserts (the import path) ------------------------------------------

def _fast_json(type_, dialect):
    """The bind processor of a JSON column, quicker for the common value of `extra`: a flat
    dict of strings, written exactly as json.dumps (the dialect's serializer) writes it."""
    import json

    if not isinstance(type_, JSON) or getattr(dialect, "_json_serializer", None) is not None:
        return None
    proc = type_._cached_bind_processor(dialect)
    if proc is None:
        return None
    quote = json.encoder.encode_basestring_ascii  # what json.dumps uses (ensure_ascii)

    def process(value):
        if type(value) is dict:
            try:
                return "{" + ", ".join([quote(k) + ": " + quote(v)
                                        for k, v in value.items()]) + "}"
            except TypeError:  # not all strings: the usual way
                pass
        return proc(value)

    return process


class Prepared:
    """Rows to insert, bind-processed: `columns` (name -> a value per row) and `constants`
    (name -> the value of every row)."""

    def __init__(self, n: int):
        self.n = n
        self.columns: dict[str, list] = {}
        self.constants: dict[str, object] = {}

    def select(self, keep: list[int] | None, more: dict[str, list] | None,
               processors: dict) -> tuple[dict[str, list], dict[str, object], int]:
        columns, constants, n = self.columns, dict(self.constants), self.n
        if keep is not None and len(keep) != n:
            columns = {c: [col[i] for i in keep] for c, col in columns.items()}
            n = len(keep)
        if more:
            columns = dict(columns)
            for name, col in more.items():
                if len(col) != n:
                    raise ValueError(f"column {name}: {len(col)} values for {n} rows")
                proc = processors[name]
                columns[name] = col if proc is None else \
                    [None if v is None else proc(v) for v in col]
                constants.pop(name, None)
        return columns, constants, n


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
        self.table = table
        self.processors = [_fast_json(table.c[c].type, dialect) or
                           table.c[c].type._cached_bind_processor(dialect) for c in self.columns]
        self._proc = dict(zip(self.columns, self.processors))
        # PostgreSQL through psycopg: COPY ... FROM STDIN instead of executemany (5-10x)
        self.copy_sql = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quoted = ", ".join(dialect.identifier_preparer.quote(c) for c in order)
            self.copy_sql = (f"COPY {dialect.identifier_preparer.format_table(table)} "
                             f"({quoted}) FROM STDIN")

    def _send(self, params: list) -> None:
        """Rows in driver order, to the database: COPY where it can, else executemany."""
        if self.copy_sql is None:
            self.conn.exec_driver_sql(self.sql, params)
            return
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            with cursor.copy(self.copy_sql) as copy:
                for row in params:
                    copy.write_row(row)
        finally:
            cursor.close()

    def process(self, values: list) -> list:
        """Apply the bind processors to one row (in `columns` order), in place."""
        for i, proc in enumerate(self.processors):
            if proc is not None and values[i] is not None:
                values[i] = proc(values[i])
        return values

    def insert_columns(self, n: int, columns: dict[str, list], constants: dict[str, object],
                       *, ids: tuple[int, int] | None = None) -> int:
        """Insert `n` rows given column by column: `columns` maps a column to its n values,
        `constants` a column to the value every row gets. Values go through the columns'
        bind processors once per column (once per constant), not once per row and column.
        (`ids` is for `StagedInserter`'s signature.)"""
        return self.insert_prepared(self.prepare(n, columns, constants), ids=ids)

    def prepare(self, n: int, columns: dict[str, list], constants: dict[str, object]
                ) -> "Prepared":
        """The bind-processed values of `insert_columns`, ready to insert (all or some rows)
        later: the Python side of an insert, which needs no database."""
        names = [self.columns[i] for i in self.order]
        unknown = set(columns) - set(names)
        if unknown:
            raise ValueError(f"insert into {self.table.name}: no columns {sorted(unknown)}")
        out = Prepared(n)
        for name in names:
            proc = self._proc[name]
            if name in columns:
                col = columns[name]
                if len(col) != n:
                    raise ValueError(f"column {name}: {len(col)} values for {n} rows")
                out.columns[name] = col if proc is None else \
                    [None if v is None else proc(v) for v in col]
            else:
                value = constants.get(name)
                out.constants[name] = value if value is None or proc is None else proc(value)
        return out

    def insert_prepared(self, prepared: "Prepared", keep: list[int] | None = None, *,
                        more: dict[str, list] | None = None,
                        ids: tuple[int, int] | None = None) -> int:
        """Insert prepared rows: those of `keep` (indexes; default all), with `more` columns
        given for exactly those rows (e.g. the ids, known only once the rows are chosen)."""
        columns, constants, n = prepared.select(keep, more, self._proc)
        if not n:
            return 0
        names = [self.columns[i] for i in self.order]
        sequences = [columns[c] if c in columns else repeat(constants.get(c), n) for c in names]
        if self.positional or self.copy_sql:
            params = list(zip(*sequences))
        else:
            params = [dict(zip(names, row)) for row in zip(*sequences)]
        self._send(params)
        return n

    def wait(self) -> None:
        """Inserts here are synchronous (see `StagedInserter`)."""

    close = abort = wait

    def insert(self, rows: list[list]) -> int:
        """Insert processed rows (lists in `columns` order)."""
        if not rows:
            return 0
        order = self.order
        if self.positional or self.copy_sql:
            params = [tuple(row[i] for i in order) for row in rows] \
                if order != list(range(len(order))) else [tuple(row) for row in rows]
        else:
            params = [dict(zip(self.columns, row)) for row in rows]
        self._send(params)
        return len(rows)


_SIMPLE_TRIGGER = re.compile(
    r"^\s*CREATE\s+TRIGGER\s+(\S+)\s+AFTER\s+INSERT\s+ON\s+(\S+)\s+BEGIN\s+"
    r"(INSERT\s+INTO\s+[^;]*?\))\s*VALUES\s*\((.*)\)\s*;\s*END\s*$",
    re.IGNORECASE | re.DOTALL,
)


def driver_statement(conn: Connection, statement) -> tuple[str, Callable[..., tuple]]:
    """A Core statement as the driver's SQL (positional parameters, e.g. SQLite's) and a
    function of bind values by name (default: the statement's own) returning the driver's
    parameters, each through its type's bind processor -- for raw cursors (`StagedInserter`
    follow-ups) that run outside SQLAlchemy."""
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect)
    if not compiled.positional:
        raise ValueError("driver_statement needs a positional paramstyle")
    names = list(compiled.positiontup)
    binds = [compiled.binds[n] for n in names]
    procs = [b.type._cached_bind_processor(dialect) for b in binds]
    defaults = [b.effective_value for b in binds]

    def params(**given) -> tuple:
        out = []
        for name, default, proc in zip(names, defaults, procs):
            value = given[name] if name in given else default
            out.append(value if value is None or proc is None else proc(value))
        return tuple(out)

    return str(compiled), params


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Deferred:
    """The AFTER INSERT triggers `deferred_insert_triggers` dropped, as statements to replay."""

    def __init__(self, conn: Connection, table: Table, triggers: list[tuple[str, str, str, str]]):
        self.conn = conn
        self.table = table
        self.triggers = triggers  # (name, CREATE sql, INSERT INTO x(...) part, values part)

    def statements(self, source: str, where: str = "") -> list[str]:
        """Each trigger's INSERT as one INSERT ... SELECT over the rows of `source`, read as
        `new` (the table itself, or a table of the same columns holding the new rows)."""
        return [f"{insert} SELECT {values} FROM {source} AS new{where}"
                for _name, _sql, insert, values in self.triggers]

    def replay(self, first_id: int, last_id: int) -> None:
        """The triggers' work for the table's rows first_id..last_id, in one statement each."""
        if last_id < first_id:
            return
        for sql in self.statements(self.table.name, " WHERE new.id BETWEEN ? AND ?"):
            self.conn.exec_driver_sql(sql, (first_id, last_id))

    def __call__(self, first_id: int, last_id: int) -> None:
        self.replay(first_id, last_id)


@contextmanager
def deferred_insert_triggers(conn: Connection, table: Table):
    """Run the table's AFTER INSERT triggers once per batch of rows instead of once per row.

    SQLite only (elsewhere the triggers simply keep firing). Inside the caller's transaction
    each trigger of the simple form `INSERT INTO x(...) VALUES (new....)` (the full-text
    index triggers) is dropped; the block gets a `Deferred` whose `replay(first_id, last_id)`
    runs the same statement as one INSERT ... SELECT over the rows inserted meanwhile (or
    whose `statements(source)` read them from a staging table). The triggers are re-created
    from their own SQL before the block ends, so a failure anywhere rolls everything back
    together. Per-row FTS5 triggers make a million-row insert about four times slower.
    """
    if conn.dialect.name != "sqlite":
        yield Deferred(conn, table, [])
        return
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
        (table.name,)).fetchall()
    deferred = []
    for name, sql in rows:
        m = _SIMPLE_TRIGGER.match(sql or "")
        if m and m.group(2).strip('"') == table.name:
            deferred.append((name, sql, m.group(3), m.group(4)))
    for name, *_ in deferred:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')

    def recreate() -> None:
        for _name, sql, *_ in deferred:
            conn.exec_driver_sql(sql)

    try:
        yield Deferred(conn, table, deferred)
    except BaseException:
        try:  # the caller rolls back, which restores them anyway; this is belt and braces
            recreate()
        except Exception:
            pass
        raise
    recreate()


class StagedInserter:
    """SQLite bulk inserts that overlap the database's work with the caller's next rows.

    `insert_columns` executemany's the batch's varying columns into a TEMP table (no indexes,
    no triggers: cheap) on the caller's thread; then a worker thread moves the rows into the
    table with one INSERT ... SELECT (constant columns bound once), and replays the deferred
    triggers (the full-text index) over the new ids. SQLite runs a statement without holding
    Python's GIL, so the caller reads and checks the next rows meanwhile. One connection, one
    transaction: a rollback undoes everything, and SQLite serialises the two threads' use of
    the connection. `wait()` before the caller uses the connection again (it re-raises the
    worker's error); `close()` at the end; `abort()` on the way out of a failure.
    """

    STAGE = "crmtui_import_stage"

    def __init__(self, conn: Connection, table: Table, columns: list[str],
                 deferred: Deferred | None = None, follow_ups: list | None = None):
        self.conn = conn
        self.table = table
        self.rows = RowInserter(conn, table, columns)
        self.raw = conn.connection.driver_connection
        # statements run after each move, given the first and last id of its rows
        self.after: list[tuple[str, Callable[[int, int], tuple]]] = []
        if deferred is not None:
            self.after += [(sql, lambda first, last: (first, last)) for sql in
                           deferred.statements(_q(table.name), " WHERE new.id BETWEEN ? AND ?")]
        self.after += list(follow_ups or ())
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.STAGE}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {self.STAGE} AS SELECT * FROM {_q(table.name)} "
                             "WHERE 0")
        self.thread = None
        self.error: BaseException | None = None

    def insert_columns(self, n: int, columns: dict[str, list], constants: dict[str, object],
                       *, ids: tuple[int, int] | None = None) -> int:
        """As `RowInserter.insert_columns`; the rows reach the table in the background.
        `ids`: the first and last id of the rows (the id column's values), for the triggers."""
        return self.insert_prepared(self.prepare(n, columns, constants), ids=ids)

    def prepare(self, n: int, columns: dict[str, list], constants: dict[str, object]
                ) -> Prepared:
        return self.rows.prepare(n, columns, constants)

    def insert_prepared(self, prepared: Prepared, keep: list[int] | None = None, *,
                        more: dict[str, list] | None = None,
                        ids: tuple[int, int] | None = None) -> int:
        """As `RowInserter.insert_prepared`; the rows reach the table in the background."""
        columns, constants, n = prepared.select(keep, more, self.rows._proc)
        if not n:
            return 0
        self.wait()
        rows = self.rows
        names = [rows.columns[i] for i in rows.order]
        staged = [c for c in names if c in columns]
        fixed = [c for c in names if c not in columns]
        stage = f"temp.{self.STAGE}"
        stage_sql = (f"INSERT INTO {stage} ({', '.join(_q(c) for c in staged)}) "
                     f"VALUES ({', '.join('?' for _ in staged)})")
        move_sql = (f"INSERT INTO {_q(self.table.name)} "
                    f"({', '.join(_q(c) for c in staged + fixed)}) "
                    f"SELECT {', '.join([_q(c) for c in staged] + ['?'] * len(fixed))} "
                    f"FROM {stage}")
        work = [(move_sql, tuple(constants.get(c) for c in fixed))]
        if self.after:
            if ids is None:
                raise ValueError("the ids of the rows are needed for the follow-up statements")
            work += [(sql, params(*ids)) for sql, params in self.after]
        cursor = self.raw.cursor()
        try:
            cursor.execute(f"DELETE FROM {stage}")
            cursor.executemany(stage_sql, zip(*(columns[c] for c in staged)))
        finally:
            cursor.close()
        self._start(work)
        return n

    def _start(self, work: list[tuple[str, tuple]]) -> None:
        """Start the worker with Ctrl-C and SIGTERM held back until `self.thread` is set (an
        interrupt inside Thread.start() would leave a running worker that abort() cannot
        join); a signal that came meanwhile is handled right after."""
        thread = threading.Thread(target=self._move, args=(work,),
                                  name="crmtui-import-writer", daemon=True)
        held = _hold_signals()
        try:
            self.thread = thread
            thread.start()
        finally:
            _release_signals(held)

    def _move(self, work: list[tuple[str, tuple]]) -> None:
        cursor = self.raw.cursor()
        try:
            for sql, params in work:
                cursor.execute(sql, params)
        except BaseException as exc:  # handed to the caller's thread by wait()
            self.error = exc
        finally:
            cursor.close()

    def wait(self) -> None:
        """Until the rows handed over so far are in the table; re-raises the worker's error."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        self.wait()
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{self.STAGE}")

    def abort(self) -> None:
        """Stop the worker's statement (the caller is rolling back) and wait for it."""
        thread = self.thread
        if thread is not None:
            try:
                self.raw.interrupt()
            except Exception:
                pass
            for _ in range(1000):
                try:
                    thread.join()
                    break
                except RuntimeError:  # interrupted inside start() where signals cannot be held
                    time.sleep(0.005)
            self.thread = None
        self.error = None


def _hold_signals():
    """Block SIGINT/SIGTERM for this thread (POSIX); None where that cannot be done."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not \
            threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _release_signals(previous) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
