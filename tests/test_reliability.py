"""Reliability under concurrent writers, crashes (SIGKILL) and live backups (issue 7).

The kill tests run each operation (an import, a merge, a lead conversion, a bulk stage move)
as its own process, kill it with SIGKILL at several points while its write transaction is
open, and check that the store holds all or none of the operation and passes SQLite's
integrity and foreign-key checks. CRMTUI_KILL_POINTS raises the number of kill points per
operation (default 3), CRMTUI_WRITER_ROUNDS the rounds of the two-writer test (default 6);
CI uses the defaults. No assertion depends on how fast the machine is.
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


# -- two writers at once -------------------------------------------------------------------
#
# The app process saves forms, moves deals on the board and bulk-moves marked deals, through
# the domain calls those screens make; the script process imports CSV files through the
# importer `crm import leads FILE` runs, adds leads and logs activities. They go in lockstep
# (the app's round i starts once the script's round i has begun, the script's next round once
# the app's round is done), so each app round runs beside the script's import of the same
# round and they contend for the write lock (with busy_timeout 0 the app gets "database is
# locked"). Nothing here measures time: the checks are that no error reached either side and
# that the store holds exactly what both wrote.

ROUNDS = int(os.environ.get("CRMTUI_WRITER_ROUNDS", "6"))
IMPORT_ROWS = 200
APP_LEADS = 3


def _wait_for(condition, what: str, timeout: float = 300) -> None:
    """Wait for the other process (a guard against a hang, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.002)


def _bulk_stage(i: int) -> str:
    return "Proposal" if i % 2 == 0 else "Qualification"


def _app_writer(target: str, rounds: int, lead_ids: list[int], board_deal: int,
                bulk_deals: list[int], script_started, app_done, queue) -> None:
    """Plays the app: a form save, a board move and a bulk move per round."""
    from crmtui.domain import bulkops, opportunities, records
    from crmtui.store.migrate import open_store
    from crmtui.store.models import Lead, Opportunity

    store = open_store(target)
    errors = []
    try:
        for i in range(rounds):
            _wait_for(lambda: script_started.value > i, f"the script's round {i}")
            try:
                lead_id = lead_ids[i % len(lead_ids)]
                with store.read() as s:  # the form shows the record ...
                    version = s.get(Lead, lead_id).version
                with store.write() as s:  # ... and saves with the version it showed
                    records.update(s, "lead", lead_id, {"notes": f"app edit {i}",
                                                        "title": f"Title {i}"},
                                   expected_version=version, source="app")
                with store.read() as s:
                    version = s.get(Opportunity, board_deal).version
                with store.write() as s:  # the board's move (screens/actions.move)
                    opportunities.move(s, board_deal, step=1 if i % 2 == 0 else -1,
                                       expected_version=version, source="app")
                with store.write() as s:  # the deals list: marked rows to a stage
                    bulkops.move_stage(s, bulk_deals, _bulk_stage(i), source="app")
            except Exception as exc:  # "database is locked" would land here
                errors.append(f"round {i}: {type(exc).__name__}: {exc}")
            app_done.value = i + 1
    finally:
        app_done.value = 1 << 30  # never leave the other side waiting
        store.close()
        queue.put(("app", errors))


def _script_writer(target: str, csvs: list[str], script_started, app_done, queue) -> None:
    """Plays a script: `crm import leads FILE`, `crm lead add`, `crm activity log` per round."""
    from crmtui.domain import activities, records
    from crmtui.importer import writer
    from crmtui.importer.options import ImportOptions
    from crmtui.store.migrate import open_store

    store = open_store(target)
    errors = []
    try:
        for i, path in enumerate(csvs):
            _wait_for(lambda: app_done.value >= i, f"the app's round {i - 1}")
            script_started.value = i + 1
            try:
                summary = writer.run(store, ImportOptions(entity="lead", source=path))
                if (summary.status, summary.inserted, summary.rejected) != (
                        "done", IMPORT_ROWS, 0):
                    errors.append(f"import {i}: {summary.status}, {summary.inserted} inserted, "
                                  f"{summary.problems[:3]}")
                with store.write() as s:
                    lead = records.create(s, "lead", {"first_name": "Added",
                                                      "last_name": f"By script {i}",
                                                      "email": f"added{i}@script.example"})
                with store.write() as s:
                    activities.add(s, "note", f"script note {i}", on=("lead", lead.id))
            except Exception as exc:
                errors.append(f"round {i}: {type(exc).__name__}: {exc}")
    finally:
        script_started.value = 1 << 30
        store.close()
        queue.put(("script", errors))


def test_two_processes_write_at_once_without_lock_errors(another_store, tmp_path, backend):
    from sqlalchemy import func, select

    from crmtui.domain import records
    from crmtui.store.migrate import open_store
    from crmtui.store.models import Activity, ImportBatch, Lead, Opportunity, Stage, StageChange

    target = another_store()
    store = open_store(target)
    with store.write() as s:
        lead_ids = [records.create(s, "lead", {"first_name": "App", "last_name": f"Lead {k}",
                                               "email": f"app{k}@app.example"}).id
                    for k in range(APP_LEADS)]
        deal_ids = [records.create(s, "opportunity", {"name": f"Deal {d}", "amount": "100"}).id
                    for d in range(4)]
    store.close()
    board_deal, bulk_deals = deal_ids[0], deal_ids[1:]
    csvs, expected = [], set()
    for i in range(ROUNDS):
        path = tmp_path / f"leads{i}.csv"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("First Name,Last Name,Email,Company,Lead Source\n")
            for j in range(IMPORT_ROWS):
                fh.write(f"Imp{i},Row {j},imp{i}.{j}@script.example,Company {j % 7},web\n")
                expected.add((f"Imp{i}", f"Row {j}", f"imp{i}.{j}@script.example"))
        expected.add(("Added", f"By script {i}", f"added{i}@script.example"))
        csvs.append(str(path))

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    script_started, app_done = ctx.Value("i", 0), ctx.Value("i", 0)
    procs = [ctx.Process(target=_app_writer, args=(target, ROUNDS, lead_ids, board_deal,
                                                   bulk_deals, script_started, app_done, queue)),
             ctx.Process(target=_script_writer, args=(target, csvs, script_started, app_done,
                                                      queue))]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert results == {"app": [], "script": []}
    assert [p.exitcode for p in procs] == [0, 0]

    store = open_store(target)
    try:
        with store.read() as s:
            # the script's part: every imported and added lead, once, with its own values
            rows = s.execute(select(Lead.first_name, Lead.last_name, Lead.email)).all()
            assert len(rows) == APP_LEADS + ROUNDS * (IMPORT_ROWS + 1)
            assert {tuple(r) for r in rows if r.email.endswith("@script.example")} == expected
            batches = s.execute(select(ImportBatch.id, ImportBatch.status, ImportBatch.inserted)
                                .order_by(ImportBatch.id)).all()
            assert [(b.status, b.inserted) for b in batches] == [("done", IMPORT_ROWS)] * ROUNDS
            for b in batches:
                assert s.scalar(select(func.count()).select_from(Lead)
                                .where(Lead.import_batch_id == b.id)) == IMPORT_ROWS
            notes = s.execute(select(Activity.subject, Lead.email)
                              .join(Lead, Lead.id == Activity.lead_id)).all()
            assert sorted(map(tuple, notes)) == sorted(
                (f"script note {i}", f"added{i}@script.example") for i in range(ROUNDS))
            # the app's part: the last save of each lead, every move
            for k, lead_id in enumerate(lead_ids):
                mine = [i for i in range(ROUNDS) if i % APP_LEADS == k]
                lead = s.get(Lead, lead_id)
                assert (lead.notes, lead.title, lead.version) == (
                    f"app edit {mine[-1]}", f"Title {mine[-1]}", 1 + len(mine))
            stage_names = dict(s.execute(select(Stage.id, Stage.name)).all())
            board = s.get(Opportunity, board_deal)
            assert stage_names[board.stage_id] == ("Qualification" if ROUNDS % 2 else
                                                   "Prospecting")
            for deal_id in bulk_deals:
                assert stage_names[s.get(Opportunity, deal_id).stage_id] == _bulk_stage(ROUNDS - 1)
            for deal_id in deal_ids:  # its creation, then one row per move
                assert s.scalar(select(func.count()).select_from(StageChange)
                                .where(StageChange.opportunity_id == deal_id)) == 1 + ROUNDS
    finally:
        store.close()
    if backend == "sqlite":
        sqlite_ok(Path(target))


# -- SIGKILL in the middle of an operation -------------------------------------------------
#
# Each operation runs as its own process on a copy of a prepared store. A probe connection
# tries BEGIN IMMEDIATE without waiting: "locked" means the process holds SQLite's write
# lock, i.e. its one write transaction is open (each of these commands writes in exactly one
# transaction). Once that is seen, the process is left to run for an offset (the first at
# once, the others at seeded random points spread over how long a full run held the lock),
# then stopped (SIGSTOP); if the stopped process still holds the write lock, the SIGKILL
# that follows lands mid-transaction for certain. Afterwards the store must hold all or none
# of the operation and pass integrity and foreign-key checks, and at least one kill per
# operation must have landed mid-transaction. The full run that measures the window must
# end with all of the operation.

def _write_lock_held(db: Path) -> bool:
    con = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    else:
        con.execute("ROLLBACK")
        return False
    finally:
        con.close()


def _copy_store(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


class Operation:
    """A write operation run as its own process, and how to tell all of it from none."""

    def __init__(self, name: str, argv: list[str], outcome, tmp_path: Path):
        self.name, self.argv, self.outcome, self.tmp = name, argv, outcome, tmp_path
        self.template = tmp_path / f"{name}-template.db"
        self.runs = 0

    def store(self) -> Path:
        self.runs += 1
        db = self.tmp / f"{self.name}{self.runs}.db"
        _copy_store(self.template, db)
        return db

    def start(self, db: Path) -> subprocess.Popen:
        log = open(self.tmp / f"{db.name}.stderr", "wb")
        env = {**os.environ, "CRMTUI_DB": str(db)}
        try:
            return subprocess.Popen([sys.executable, *self.argv], env=env,
                                    stdout=subprocess.DEVNULL, stderr=log)
        finally:
            log.close()

    def stderr(self, db: Path) -> str:
        return (self.tmp / f"{db.name}.stderr").read_text(errors="replace")[-2000:]

    def calibrate(self) -> float:
        """Run to the end once: it must finish with all of it; returns how long it wrote."""
        db = self.store()
        proc = self.start(db)
        first = last = None
        while proc.poll() is None:
            if _write_lock_held(db):
                last = time.monotonic()
                first = first or last
            time.sleep(0.005)
        assert proc.returncode == 0, self.stderr(db)
        assert first is not None, f"{self.name}: never seen writing; make its store bigger"
        sqlite_ok(db)
        assert self.outcome(db) == "all"
        return last - first

    def kill_once(self, offset: float) -> tuple[bool, str]:
        """(whether the kill landed mid-transaction, 'none' or 'all')."""
        db = self.store()
        proc = self.start(db)
        landed = False
        try:
            deadline = time.monotonic() + 300
            while not _write_lock_held(db):
                if proc.poll() is not None:  # finished between two probes
                    break
                assert time.monotonic() < deadline, f"{self.name} never started writing"
                time.sleep(0.002)
            else:
                time.sleep(offset)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGSTOP)
                landed = _write_lock_held(db)  # a stopped process holding the write lock
                proc.kill()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if landed:
            assert proc.returncode == -signal.SIGKILL
        else:
            assert proc.returncode in (0, -signal.SIGKILL), self.stderr(db)
        sqlite_ok(db)
        return landed, self.outcome(db)

    def kill_at_points(self, seed: int) -> list[tuple[bool, str]]:
        duration = self.calibrate()
        rng = random.Random(seed)
        spread = max(KILL_POINTS - 1, 1)  # the others: one at random in each equal slice
        offsets = [0.0] + [(k + rng.random()) / spread * duration for k in range(spread)]
        offsets = offsets[:max(KILL_POINTS, 1)]
        results = [self.kill_once(offset) for offset in offsets]
        for _ in range(3):  # a kill at once lands unless the machine stalled right then
            if any(landed for landed, _ in results):
                break
            results.append(self.kill_once(0.0))
        assert any(landed for landed, _ in results), (self.name, results)
        print(f"\n{self.name}: wrote for {duration:.2f}s; offsets "
              f"{[round(o, 2) for o in offsets]}; (landed, outcome) {results}")
        return results


@pytest.fixture
def operation(tmp_path):
    from crmtui.store.migrate import open_store

    def make(name: str, argv: list[str], outcome, fill) -> Operation:
        op = Operation(name, argv, outcome, tmp_path)
        open_store(str(op.template)).close()
        fill(op.template)
        return op

    return make


def _crm(*args: str) -> list[str]:
    return ["-m", "crmtui", *args]


def _big_account_store(db: Path, contacts: int) -> None:
    """Two accounts; the second has many contacts and activities to move."""
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


def _deals_in_proposal(n: int):
    def fill(db: Path) -> None:
        con = sqlite3.connect(db)
        with con:
            con.executemany(
                "INSERT INTO opportunity (name, pipeline_id, stage_id, amount_minor, currency, "
                "created_at, updated_at, version, stage_entered_at) VALUES (?, 1, 3, 100, 'USD', "
                "'2026-01-01', '2026-01-01', 1, '2026-01-01')", [(f"deal {i}",) for i in range(n)])
        con.close()
    return fill


@pytest.mark.sqlite_only
def test_kill_during_merge_leaves_all_or_nothing(operation):
    n = 300

    def outcome(db: Path) -> str:
        other_exists = scalar(db, "SELECT count(*) FROM account WHERE id = 2")
        moved = scalar(db, "SELECT count(*) FROM contact WHERE account_id = 1")
        notes_moved = scalar(db, "SELECT count(*) FROM activity WHERE account_id = 1")
        merges = scalar(db, "SELECT count(*) FROM change_log WHERE action = 'merge' "
                        "AND field IS NULL")  # the event; not the dropped values
        if other_exists:
            assert (moved, notes_moved, merges) == (0, 0, 0)
            return "none"
        assert (moved, notes_moved, merges) == (n, n, 1)
        return "all"

    op = operation("merge", _crm("merge", "account", "1", "2", "--yes"), outcome,
                   lambda db: _big_account_store(db, n))
    op.kill_at_points(seed=1)


@pytest.mark.sqlite_only
def test_kill_during_conversion_leaves_all_or_nothing(operation):
    n = 400

    def fill(db: Path) -> None:
        con = sqlite3.connect(db)
        with con:
            con.execute("INSERT INTO lead (id, first_name, last_name, email, company, status, "
                        "score, created_at, updated_at, version) VALUES (1, 'Ada', 'Lovelace', "
                        "'ada@engines.example', 'Engines', 'qualified', 0, '2026-01-01', "
                        "'2026-01-01', 1)")
            con.executemany(
                "INSERT INTO activity (kind, subject, lead_id, created_at, updated_at, version, "
                "done_at) VALUES ('call', ?, 1, '2026-01-01', '2026-01-01', 1, '2026-01-01')",
                [(f"call {i}",) for i in range(n)])
        con.close()

    def outcome(db: Path) -> str:
        status = scalar(db, "SELECT status FROM lead WHERE id = 1")
        counts = [scalar(db, f"SELECT count(*) FROM {t}")
                  for t in ("account", "contact", "opportunity")]
        linked = scalar(db, "SELECT count(*) FROM activity WHERE contact_id IS NOT NULL")
        if status == "converted":
            assert counts == [1, 1, 1] and linked == n
            return "all"
        assert status == "qualified" and counts == [0, 0, 0] and linked == 0
        return "none"

    op = operation("convert", _crm("lead", "convert", "1", "--amount", "100"), outcome, fill)
    op.kill_at_points(seed=2)


def _stage_move_outcome(n: int, stage_deleted: bool):
    def outcome(db: Path) -> str:
        in_proposal = scalar(db, "SELECT count(*) FROM opportunity WHERE stage_id = 3")
        in_negotiation = scalar(db, "SELECT count(*) FROM opportunity WHERE stage_id = 4")
        moves = scalar(db, "SELECT count(*) FROM stage_change WHERE to_stage_id = 4")
        bumped = scalar(db, "SELECT count(*) FROM opportunity WHERE version > 1")
        stage_exists = scalar(db, "SELECT count(*) FROM stage WHERE id = 3")
        if in_proposal:
            assert (in_proposal, in_negotiation, moves, bumped, stage_exists) == (n, 0, 0, 0, 1)
            return "none"
        assert (in_negotiation, moves, bumped) == (n, n, n)
        assert stage_exists == (0 if stage_deleted else 1)
        return "all"
    return outcome


@pytest.mark.sqlite_only
def test_kill_during_stage_delete_with_move_leaves_all_or_nothing(operation):
    n = 300
    op = operation("stage-delete",
                   _crm("stage", "delete", "Proposal", "--move-to", "Negotiation", "--yes"),
                   _stage_move_outcome(n, stage_deleted=True), _deals_in_proposal(n))
    op.kill_at_points(seed=3)


BULK_MOVE = """
import os, sys
from crmtui.domain import bulkops
from crmtui.store.migrate import open_store

store = open_store(os.environ["CRMTUI_DB"])
with store.write() as s:  # as the deals list's bulk move runs it (screens/lists.py)
    bulkops.move_stage(s, range(1, int(sys.argv[1]) + 1), "Negotiation", source="app")
store.close()
"""


@pytest.mark.sqlite_only
def test_kill_during_bulk_stage_move_leaves_all_or_nothing(operation):
    n = 300
    op = operation("bulk-move", ["-c", BULK_MOVE, str(n)],
                   _stage_move_outcome(n, stage_deleted=False), _deals_in_proposal(n))
    op.kill_at_points(seed=4)


@pytest.mark.sqlite_only
def test_kill_during_import_leaves_all_or_nothing(operation, tmp_path):
    n = 10_000
    csv_path = tmp_path / "leads.csv"
    with open(csv_path, "w", encoding="utf-8") as fh:
        fh.write("First Name,Last Name,Email,Company,Lead Source\n")
        for i in range(n):
            fh.write(f"Ada{i},Lovelace{i},ada{i}@engines{i % 97}.example,Engines {i % 300},web\n")

    def outcome(db: Path) -> str:
        leads = scalar(db, "SELECT count(*) FROM lead")
        indexed = scalar(db, "SELECT count(*) FROM lead_fts")
        batches = scalar(db, "SELECT count(*) FROM import_batch WHERE status = 'done'")
        triggers = scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                              "AND tbl_name = 'lead'")
        assert triggers == 3  # the import's deferred search triggers are back either way
        if leads:
            assert (leads, indexed, batches) == (n, n, 1)
            return "all"
        assert (indexed, batches) == (0, 0)
        return "none"

    op = operation("import", _crm("import", "leads", str(csv_path)), outcome, lambda db: None)
    op.kill_at_points(seed=5)


# -- a backup while another process writes ------------------------------------------------

def _keep_writing(db: str, stop, written) -> None:
    from crmtui.domain import records
    from crmtui.store.migrate import open_store

    store = open_store(db)
    i = 0
    while not stop.is_set():
        with store.write() as s:
            records.create(s, "lead", {"last_name": f"W{i}", "notes": "x" * 2000})
        i += 1
        written.value = i
    store.close()


@pytest.mark.sqlite_only
def test_backup_while_another_process_writes(tmp_path):
    from crmtui.store.backup import backup_sqlite
    from crmtui.store.migrate import open_store

    db = tmp_path / "live.db"
    open_store(str(db)).close()
    ctx = mp.get_context("spawn")
    stop, written = ctx.Event(), ctx.Value("i", 0)
    writer = ctx.Process(target=_keep_writing, args=(str(db), stop, written))
    writer.start()
    store = open_store(str(db))
    backups = []
    try:
        seen = 0
        for i in range(3):
            # each backup starts after the writer committed again since the last one ended
            _wait_for(lambda: written.value > seen or not writer.is_alive(), "the writer")
            assert writer.is_alive()
            backups.append(backup_sqlite(store.engine, tmp_path / f"backup{i}.db"))
            seen = written.value
    finally:
        stop.set()
        store.close()
        writer.join(timeout=60)
    assert writer.exitcode == 0
    counts = []
    for path in backups:
        sqlite_ok(path)
        counts.append(scalar(path, "SELECT count(*) FROM lead"))
        assert (path.stat().st_mode & 0o777) == 0o600
    assert counts[0] > 0 and counts == sorted(set(counts))  # each holds more than the last
    assert scalar(db, "SELECT count(*) FROM lead") >= counts[-1]
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
