"""Checking a store: SQLite's integrity and foreign-key checks, and the schema revision."""

from __future__ import annotations

from crmtui.store.engine import Store


def check(store: Store) -> dict:
    from crmtui.store.migrate import HEAD, current_revision

    with store.engine.connect() as conn:
        revision = current_revision(conn)
        result = {"revision": revision, "head": HEAD, "integrity": "ok", "foreign_key_errors": []}
        if store.dialect == "sqlite":
            rows = conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
            messages = [r[0] for r in rows]
            result["integrity"] = "ok" if messages == ["ok"] else messages
            result["foreign_key_errors"] = [
                {"table": r[0], "rowid": r[1], "parent": r[2]}
                for r in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            ]
        conn.rollback()
    result["ok"] = (result["integrity"] == "ok" and not result["foreign_key_errors"]
                    and revision == HEAD)
    return result
