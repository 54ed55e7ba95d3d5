"""Reliability under concurrent writers, crashes (SIGKILL) and live backups (issue 7).

The kill tests run a real `crm` process on a store big enough for the operation to take a
while, kill it with SIGKILL at several points, and check that the store holds all or none
of the operation and passes SQLite's integrity and foreign-key checks. CRMTUI_KILL_POINTS
raises the number of kill points (default 3 per operation; CI uses the default).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


KILL_POINTS = int(os.environ.get("CRMTUI_KILL_POINTS", "3"))


def sqlite_ok(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def scalar(path: Path, sql: str):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def crm_process(db: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CRMTUI_DB": str(db)}
    return subprocess.Popen([sys.executable, "-m", "crmtui", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# -- two writers at once -------------------------------------------------------------------

def _app_writer(db: str, n: int, queue) -> None:
    """Plays the app: edits and stage moves through the domain, as the app does."""
    from crmtui.domain import opportunities, records
    from crmtui.errors import CrmError
    from crmtui.store.migrate import open_store

    store = open_store(db)
    errors = []
    for i in range(n):
        try:
            with store.read() as s:
                version = s.get(__import__("crmtui.store.models", fromlist=["Lead"]).Lead, 1).version
            with store.write() as s:
                records.update(s, "lead", 1, {"notes": f"app edit {i}"}, expected_version=version,
                               source="app")
            with store.write() as s:
                opportunities.move(s, 1, step=1 if i % 2 == 0 else -1, source="app")
        except CrmError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # "database is locked" would land here
            errors.append(f"{type(exc).__name__}: {exc}")
    store.close()
    queue.put(("app", errors))


def _script_writer(db: str, n: int, queue) -> None:
    """Plays a script: adds leads and activities as fast as it can."""
    from crmtui.domain import activities, records
    from crmtui.store.migrate import open_store

    store = open_store(db)
    errors = []
    for i in range(n):
        try:
            with store.write() as s:
                records.create(s, "lead", {"first_name": "Script", "last_name": f"Lead {i}",
                                           "email": f"s{i}@example.com"}, source="import")
            with store.write() as s:
                activities.add(s, "note", f"script note {i}", on=("opportunity", 1))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    store.close()
    queue.put(("script", errors))


@pytest.mark.sqlite_only
def test_two_processes_write_at_once_without_lock_errors(tmp_path):
    from crmtui.domain import records
    from crmtui.store.migrate import open_store

    db = tmp_path / "shared.db"
    store = open_store(str(db))
    with store.write() as s:
        records.create(s, "lead", {"last_name": "Edited by app"})
        records.create(s, "opportunity", {"name": "Moved by app"})
    store.close()
    n = 40
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_app_writer, args=(str(db), n, queue)),
             ctx.Process(target=_script_writer, args=(str(db), n, queue))]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert results == {"app": [], "script": []}
    assert scalar(db, "SELECT count(*) FROM lead") == n + 1
    assert scalar(db, "SELECT count(*) FROM activity WHERE kind = 'note'") == n
    assert scalar(db, "SELECT notes FROM lead WHERE id = 1") == f"app edit {n - 1}"
    assert scalar(db, "SELECT version FROM lead WHERE id = 1") == n + 1
    assert scalar(db, "SELECT count(*) FROM stage_change WHERE opportunity_id = 1") == n + 1
    sqlite_ok(db)


# -- SIGKILL in the middle of an operation -------------------------------------------------

def _big_account_store(db: Path, contacts: int = 1500) -> None:
    """Two accounts; the second has many contacts, deals and activities to move."""
    con = sqlite3.connect(db)
    with con:
        con.execute("INSERT INTO account (id, name, created_at, updated_at, version) VALUES "
                    "(1, 'Keep', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1), "
                    "(2, 'Other', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)")
        con.executemany(
            "INSERT INTO contact (account_id, first_name, last_name, email, created_at, "
            "updated_at, version) VALUES (2, 'C', ?, ?, '2026-01-01', '2026-01-01', 1)",
            [(f"Person {i}", f"p{i}@other.example") for i in range(contacts)])
        con.executemany(
            "INSERT INTO activity (kind, subject, account_id, created_at, updated_at, version, "
            "done_at) VALUES ('note', ?, 2, '2026-01-01', '2026-01-01', 1, '2026-01-01')",
            [(f"note {i}",) for i in range(contacts)])
    con.close()


def _kill_at_random(db: Path, args: list[str], seed: int) -> int:
    proc = crm_process(db, *args)
    time.sleep(random.Random(seed).uniform(0.4, 2.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc.returncode


@pytest.fixture
def fresh_store(tmp_path):
    from crmtui.store.migrate import open_store

    def make(name: str) -> Path:
        db = tmp_path / name
        open_store(str(db)).close()
        return db

    return make


@pytest.mark.sqlite_only
@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_kill_during_merge_leaves_all_or_nothing(fresh_store, point):
    db = fresh_store(f"merge{point}.db")
    _big_account_store(db)
    _kill_at_random(db, ["merge", "account", "1", "2", "--yes"], seed=point)
    sqlite_ok(db)
    other_exists = scalar(db, "SELECT count(*) FROM account WHERE id = 2")
    moved = scalar(db, "SELECT count(*) FROM contact WHERE account_id = 1")
    notes_moved = scalar(db, "SELECT count(*) FROM activity WHERE account_id = 1")
    if other_exists:
        assert (moved, notes_moved) == (0, 0)
    else:
        assert (moved, notes_moved) == (1500, 1500)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_kill_during_conversion_leaves_all_or_nothing(fresh_store, point):
    db = fresh_store(f"convert{point}.db")
    con = sqlite3.connect(db)
    with con:
        con.execute("INSERT INTO lead (id, first_name, last_name, email, company, status, score, "
                    "created_at, updated_at, version) VALUES (1, 'Ada', 'Lovelace', "
                    "'ada@engines.example', 'Engines', 'qualified', 0, '2026-01-01', "
                    "'2026-01-01', 1)")
        con.executemany(
            "INSERT INTO activity (kind, subject, lead_id, created_at, updated_at, version, "
            "done_at) VALUES ('call', ?, 1, '2026-01-01', '2026-01-01', 1, '2026-01-01')",
            [(f"call {i}",) for i in range(3000)])
    con.close()
    _kill_at_random(db, ["lead", "convert", "1", "--amount", "100"], seed=10 + point)
    sqlite_ok(db)
    status = scalar(db, "SELECT status FROM lead WHERE id = 1")
    counts = [scalar(db, f"SELECT count(*) FROM {t}") for t in ("account", "contact", "opportunity")]
    linked = scalar(db, "SELECT count(*) FROM activity WHERE contact_id IS NOT NULL")
    if status == "converted":
        assert counts == [1, 1, 1] and linked == 3000
    else:
        assert status == "qualified" and counts == [0, 0, 0] and linked == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_kill_during_bulk_stage_move_leaves_all_or_nothing(fresh_store, point):
    db = fresh_store(f"stage{point}.db")
    con = sqlite3.connect(db)
    with con:
        con.executemany(
            "INSERT INTO opportunity (name, pipeline_id, stage_id, amount_minor, currency, "
            "created_at, updated_at, version, stage_entered_at) VALUES (?, 1, 3, 100, 'USD', "
            "'2026-01-01', '2026-01-01', 1, '2026-01-01')", [(f"deal {i}",) for i in range(2500)])
    con.close()
    _kill_at_random(db, ["stage", "delete", "Proposal", "--move-to", "Negotiation", "--yes"],
                    seed=20 + point)
    sqlite_ok(db)
    in_proposal = scalar(db, "SELECT count(*) FROM opportunity WHERE stage_id = 3")
    in_negotiation = scalar(db, "SELECT count(*) FROM opportunity WHERE stage_id = 4")
    stage_exists = scalar(db, "SELECT count(*) FROM stage WHERE id = 3")
    moves = scalar(db, "SELECT count(*) FROM stage_change")
    if stage_exists:
        assert (in_proposal, in_negotiation, moves) == (2500, 0, 0)
    else:
        assert (in_proposal, in_negotiation, moves) == (0, 2500, 2500)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_kill_during_import_leaves_all_or_nothing(fresh_store, tmp_path, point):
    db = fresh_store(f"import{point}.db")
    csv_path = tmp_path / f"leads{point}.csv"
    with open(csv_path, "w", encoding="utf-8") as fh:
        fh.write("First Name,Last Name,Email,Company,Lead Source\n")
        for i in range(40_000):
            fh.write(f"Ada{i},Lovelace{i},ada{i}@engines{i % 97}.example,Engines {i % 300},web\n")
    _kill_at_random(db, ["import", "leads", str(csv_path)], seed=30 + point)
    sqlite_ok(db)
    leads = scalar(db, "SELECT count(*) FROM lead")
    indexed = scalar(db, "SELECT count(*) FROM lead_fts")
    batches = scalar(db, "SELECT count(*) FROM import_batch WHERE status = 'done'")
    assert (leads, indexed, batches) in ((0, 0, 0), (40_000, 40_000, 1))
    triggers = scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                          "AND tbl_name = 'lead'")
    assert triggers == 3  # the import's deferred search triggers are back either way


# -- a backup while another process writes ------------------------------------------------

def _keep_writing(db: str, seconds: float) -> None:
    from crmtui.domain import records
    from crmtui.store.migrate import open_store

    store = open_store(db)
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        with store.write() as s:
            records.create(s, "lead", {"last_name": f"W{i}", "notes": "x" * 2000})
        i += 1
    store.close()


@pytest.mark.sqlite_only
def test_backup_while_another_process_writes(tmp_path, fresh_store):
    from crmtui.store.backup import backup_sqlite
    from crmtui.store.migrate import open_store

    db = fresh_store("live.db")
    ctx = mp.get_context("spawn")
    writer = ctx.Process(target=_keep_writing, args=(str(db), 4.0))
    writer.start()
    time.sleep(1.0)
    store = open_store(str(db))
    backups = []
    for i in range(3):
        backups.append(backup_sqlite(store.engine, tmp_path / f"backup{i}.db"))
        time.sleep(0.4)
    store.close()
    writer.join(timeout=60)
    counts = []
    for path in backups:
        sqlite_ok(path)
        counts.append(scalar(path, "SELECT count(*) FROM lead"))
        assert (path.stat().st_mode & 0o777) == 0o600
    assert counts == sorted(counts) and counts[-1] > 0
    check = open_store(str(backups[-1]))
    check.close()


# -- several writers racing on the same record (both backends) ----------------------------

def _incrementer(target: str, n: int, queue) -> None:
    """Read-modify-write with the version read; on a conflict read again and retry."""
    from crmtui.domain import records
    from crmtui.errors import Conflict
    from crmtui.store.migrate import open_store
    from crmtui.store.models import Account

    store = open_store(target)
    done = conflicts = 0
    errors = []
    while done < n:
        try:
            with store.read() as s:
                account = s.get(Account, 1)
                version, value = account.version, account.employees
            with store.write() as s:
                records.update(s, "account", 1, {"employees": value + 1},
                               expected_version=version, source="app")
            done += 1
        except Conflict:
            conflicts += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            break
    store.close()
    queue.put((done, conflicts, errors))


def test_several_writers_lose_no_update(cli, another_store):
    target = another_store()
    cli("--db", target, "account", "add", "Counter", "--employees", "0")
    workers, n = 3, 25
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_incrementer, args=(target, n, queue)) for _ in range(workers)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [r[2] for r in results] == [[]] * workers
    assert sum(r[0] for r in results) == workers * n
    final = cli.json("--db", target, "account", "show", "1")
    assert final["employees"] == workers * n          # every increment kept: none lost
    assert final["version"] == 1 + workers * n
