"""`crm db copy`: a whole store moves between backends with every id, history and batch."""

import os

from crmtui.store import copy as copier
from crmtui.store.migrate import open_store


def sums(target: str) -> dict:
    store = open_store(target)
    try:
        with store.engine.connect() as conn:
            return copier.checksums(conn)
    finally:
        store.close()


def test_copy_round_trip_keeps_everything(cli, tmp_path, backend):
    src = str(tmp_path / "src.db")
    cli("--db", src, "demo", "--rows", "60", "--no-open")
    cli("--db", src, "lead", "convert", "1", "--amount", "10")      # history rows
    middle = os.environ.get("CRMTUI_DB") or str(tmp_path / "middle.db")  # PostgreSQL or SQLite
    out = cli.json("db", "copy", "--from", src, "--to", middle)
    assert out["verified"] and out["rows"]["lead"] == 60 and out["rows"]["change_log"] > 0
    back = str(tmp_path / "back.db")
    cli("db", "copy", "--from", middle, "--to", back)
    assert sums(src) == sums(back)
    max_opp = max(r["id"] for r in cli.json("--db", middle, "opp", "list", "--limit", "1000"))
    new_id = int(cli("--db", middle, "opp", "add", "After the copy").stdout)
    assert new_id == max_opp + 1
    assert cli.json("--db", middle, "search", "after copy")[0]["id"] == new_id


def test_copy_refuses_a_non_empty_target(cli, tmp_path):
    src, dst = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    cli("--db", src, "lead", "add", "Ada Lovelace")
    cli("--db", dst, "lead", "add", "Someone")
    result = cli("db", "copy", "--from", src, "--to", dst, code=1)
    assert "not empty" in result.stderr
    assert [r["name"] for r in cli.json("--db", dst, "lead", "list")] == ["Someone"]


def test_demo_on_any_backend_leaves_ids_usable(cli, another_store):
    target = another_store()
    cli("--db", target, "demo", "--rows", "20", "--no-open")
    before = max(r["id"] for r in cli.json("--db", target, "lead", "list", "--limit", "100"))
    assert int(cli("--db", target, "lead", "add", "After Demo").stdout) == before + 1
