"""Activities are searchable like every other record (migration 0005)."""

from __future__ import annotations

from pathlib import Path

from crmtui.store import migrate


def test_activities_are_found_by_subject_and_body(cli, store):
    cli("lead", "add", "Ada Lovelace")
    cli("activity", "log", "call", "--on", "lead:1", "--subject", "Pricing call",
        "--body", "She asked about the Zanzibar rollout")
    cli("activity", "log", "note", "--on", "lead:1", "--subject", "Intro")
    assert [a["id"] for a in cli.json("activity", "list", "--search", "zanzib")] == [1]
    assert [a["id"] for a in cli.json("activity", "list", "--search", "pricing")] == [1]
    hits = cli.json("search", "zanzibar")
    assert [(h["type"], h["id"]) for h in hits] == [("activity", 1)]
    assert hits[0]["detail"].startswith("call") and "Ada Lovelace" in hits[0]["detail"]
    # edits and deletes keep the index right
    cli("activity", "edit", "1", "--body", "nothing special")
    assert cli.json("activity", "list", "--search", "zanzib") == []
    cli("activity", "delete", "1", "--yes")
    assert cli.json("search", "pricing") == []


def test_upgrading_indexes_the_activities_already_there(tmp_path, backend, cli):
    if backend == "postgresql":
        from tests.conftest import _pg_server

        target = _pg_server().empty_database()
    else:
        target = str(tmp_path / "old.db")
        migrate.prepare_file(Path(target))
    migrate.upgrade(target, "0004")
    from sqlalchemy import create_engine, text

    from crmtui.store.engine import make_engine

    engine = make_engine(target) if backend == "postgresql" else create_engine(
        f"sqlite:///{target}")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO activity (kind, subject, body, created_at, updated_at, version) "
            "VALUES ('call', 'Old call', 'about quokkas', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00', 1)"))
    engine.dispose()
    assert [a["subject"] for a in cli.json("--db", target, "activity", "list", "--search",
                                           "quokka")] == ["Old call"]
