"""Fill a store at any schema revision with demo rows, and fingerprint its tables.

Used by the migration tests: rows come from the demo generator, trimmed to the columns the
old schema has, so one populator serves every revision and both backends (a file path or a
SQLAlchemy URL).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone


from sqlalchemy import MetaData, create_engine, insert, select, text

from crmtui.domain.demo import Demo


def _engine(target):
    target = str(target)
    return create_engine(target if "://" in target else f"sqlite:///{target}")


def populate(target, leads: int = 60) -> None:
    engine = _engine(target)
    meta = MetaData()
    meta.reflect(engine)
    demo = Demo(seed=3, n_leads=leads, now=datetime(2026, 6, 1, tzinfo=timezone.utc))
    naive = engine.dialect.name == "sqlite"

    def rows(table: str, source):
        columns = set(meta.tables[table].c.keys()) - {"search_vec"}
        for row in source:
            yield {k: (v.replace(tzinfo=None) if naive and isinstance(v, datetime) else v)
                   for k, v in row.items() if k in columns}

    with engine.begin() as conn:
        if naive:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        stages = conn.execute(text(
            "SELECT id, pipeline_id, kind FROM stage WHERE pipeline_id = "
            "(SELECT min(id) FROM pipeline) ORDER BY position")).fetchall()

        class St:
            def __init__(self, row):
                self.id, self.pipeline_id, self.kind = row

        for table, source in (("account", demo.accounts()), ("contact", demo.contacts()),
                              ("lead", demo.leads())):
            conn.execute(insert(meta.tables[table]), list(rows(table, source)))
        opp_rows, changes = [], []
        opps = list(demo.opportunities([St(r) for r in stages], opp_rows, changes))
        conn.execute(insert(meta.tables["opportunity"]), list(rows("opportunity", opps)))
        conn.execute(insert(meta.tables["stage_change"]), list(rows("stage_change", changes)))
        conn.execute(insert(meta.tables["activity"]),
                     list(rows("activity", demo.activities(opp_rows))))
        if engine.dialect.name == "postgresql":
            for table in meta.sorted_tables:
                if "id" in table.c:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
    engine.dispose()


def _normal(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def checksums(target, columns: dict[str, list[str]] | None = None) -> dict[str, str]:
    """table -> digest of its rows (columns in name order, in id order), every user table.

    `columns` (table -> names) limits each table to the columns it had before a change, so
    a migration that adds a column still proves the rows it kept are the same."""
    engine = _engine(target)
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if "_fts" in table.name or table.name == "alembic_version":
                continue
            if columns is not None and table.name not in columns:
                continue  # a table the change added
            keep = None if columns is None else set(columns[table.name])
            cols = sorted((c for c in table.c if c.name != "search_vec"
                           and (keep is None or c.name in keep)), key=lambda c: c.name)
            order = [table.c.id] if "id" in table.c else cols
            digest = hashlib.sha256()
            n = 0
            for row in conn.execute(select(*cols).order_by(*order)):
                digest.update(repr(tuple(_normal(v) for v in row)).encode())
                n += 1
            out[table.name] = f"{n}:{digest.hexdigest()}"
    engine.dispose()
    return out


def column_names(target) -> dict[str, list[str]]:
    """table -> its column names, as the database has them now."""
    engine = _engine(target)
    meta = MetaData()
    meta.reflect(engine)
    engine.dispose()
    return {table.name: [c.name for c in table.c] for table in meta.sorted_tables}
