"""Several writers on one store: ids after bulk imports, imports at once, edits at once.

Run on both backends. On PostgreSQL these failed before writers took the writer lock and
imports moved the id sequence past the ids they wrote (issue 8: "safe under many writers").
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text


def _crm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crmtui", *args], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300)


def _leads_csv(path, prefix: str, n: int) -> str:
    rows = ["First Name,Last Name,Email"] + [f"{prefix}{i},Person,{prefix}{i}@example.com"
                                             for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_adding_after_an_import_takes_the_next_free_id(cli, tmp_path, store):
    cli("import", "leads", _leads_csv(tmp_path / "a.csv", "a", 3))
    added = cli.json("lead", "add", "After Import")
    assert added["id"] == 4
    deals = tmp_path / "d.csv"
    deals.write_text("name,account,amount\nD1,Acme,10\nD2,Acme,20\n", encoding="utf-8")
    cli("import", "opportunities", str(deals), "--create-missing")
    assert cli.json("opp", "add", "After deals", "--account", "Acme")["id"] == 3
    assert cli.json("account", "add", "Globex")["id"] == 2
    # and again after more imports: the sequence moved past every block
    cli("import", "leads", _leads_csv(tmp_path / "b.csv", "b", 2))
    assert cli.json("lead", "add", "Later")["id"] == 7


def test_ids_never_go_back_below_the_sequence_after_deletes(cli, tmp_path, store):
    for name in ("One", "Two", "Three"):
        cli("lead", "add", name)
    cli("lead", "delete", "3", "--yes")
    cli("import", "leads", _leads_csv(tmp_path / "a.csv", "a", 2))
    ids = sorted(row["id"] for row in cli.json("lead", "list", "--team"))
    assert ids == [1, 2, 3, 4] or ids == [1, 2, 4, 5]
    assert cli.json("lead", "add", "Next")["id"] == ids[-1] + 1


def test_two_imports_at_once_both_land(tmp_path, store):
    files = [_leads_csv(tmp_path / f"{p}.csv", p, 2000) for p in ("left", "right")]
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda f: _crm("import", "leads", f, "--json"), files))
    for result in done:
        assert result.returncode == 0, result.stderr
    with store.read() as s:
        assert s.execute(text("SELECT count(*), count(DISTINCT email) FROM lead")).one() == \
            (4000, 4000)
    assert _crm("lead", "add", "After both").returncode == 0


def test_edits_at_once_without_a_version_all_succeed(cli, store):
    cli("opp", "add", "Busy deal")
    with ThreadPoolExecutor(6) as pool:
        done = list(pool.map(lambda i: _crm("opp", "edit", "1", "--next-step", f"step {i}"),
                             range(6)))
    assert [r.returncode for r in done] == [0] * 6, [r.stderr for r in done]
    deal = cli.json("opp", "show", "1")
    assert deal["version"] == 7                      # six edits, none lost
    assert deal["next_step"].startswith("step ")


def test_a_stale_version_is_still_a_conflict(cli, store):
    cli("opp", "add", "Watched deal")
    cli("opp", "edit", "1", "--next-step", "first")
    result = cli("opp", "edit", "1", "--next-step", "late", "--if-version", "1", code=None)
    assert result.exit_code != 0
    assert "changed" in result.stderr
    assert cli.json("opp", "show", "1")["next_step"] == "first"


def test_a_postgresql_write_holds_the_writer_lock(store, backend):
    if backend != "postgresql":
        pytest.skip("SQLite's writer lock is BEGIN IMMEDIATE: test_writers_begin_immediate")
    from crmtui.store.engine import WRITER_LOCK

    with store.write() as s:
        s.execute(text("SELECT 1"))
        with store.engine.connect() as other:
            assert other.scalar(text(f"SELECT pg_try_advisory_xact_lock({WRITER_LOCK})")) \
                is False
    with store.engine.connect() as other:
        assert other.scalar(text(f"SELECT pg_try_advisory_xact_lock({WRITER_LOCK})")) is True
