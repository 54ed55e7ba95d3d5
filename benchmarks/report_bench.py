"""Reports at scale (issue 5): each `crm report` against one hand-written SQL statement.

    python benchmarks/report_bench.py [--db PATH] [--deals N] [--runs N] [--only NAME ...]

Fills a store with N opportunities (default 1,000,000) with their stage history through the
project's bulk path (`crmtui.domain.demo.generate`: leads = N / 0.6, so also accounts,
contacts, leads and activities), unless --db names one already filled (it is reused; an
older schema is migrated first). Then, in one run, for each report:

- `cli`: `crm report NAME` (the human table), run in-process through the Typer app with
  imports warm: opening the store, the report's SQL, formatting and printing;
- `cold`: the same command as a new process (`python -m crmtui ...`), start-up included;
- `sql`: the same question asked as one hand-written statement through the `sqlite3`
  module on an open connection (the statements are below; they use the same indexes and
  the same month bucketing, so the ratio is what crmtui adds on top of the query).

Medians of --runs runs (default 3), interleaved. Goals: cli within 2x of sql for every
report; pipeline, forecast and win-rate under 1 s (cold). The start-up floor (a new
interpreter importing what every store command needs) is printed too: on a busy machine
it alone can approach a second. A few figures are cross-checked between
the report's JSON and the statement so both answer the same question.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

PY = sys.executable


def stamp(dt: datetime) -> str:
    """A UTC instant as stored by the store ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(db: str, deals: int) -> None:
    from crmtui.domain import demo
    from crmtui.store.migrate import open_store

    store = open_store(db)
    try:
        leads = -(-deals * 5 // 3)  # demo makes 0.6 deals per lead
        start = time.perf_counter()
        counts = demo.generate(store, seed=7, leads=leads)
        print(f"filled {db} in {time.perf_counter() - start:.0f} s: "
              + ", ".join(f"{n:,} {k}" for k, n in counts.items()), file=sys.stderr)
    finally:
        store.close()


def statements(now: datetime) -> dict[str, tuple[str, tuple]]:
    """The hand-written SQL: one statement per report, asking what the report answers."""
    today = now.date()
    idle = stamp(now - timedelta(days=14))
    month0 = today.replace(day=1)
    months_end = date(month0.year + (month0.month + 5) // 12, (month0.month + 5) % 12 + 1, 1)
    quarter0 = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    quarter_end = date(quarter0.year + (quarter0.month + 2) // 12,
                       (quarter0.month + 2) % 12 + 1, 1)
    weeks_start = today - timedelta(days=today.weekday() + 7 * 7)
    as_of = stamp(datetime.combine(today - timedelta(days=150), datetime.min.time(),
                                   timezone.utc))
    risk = stamp(now - timedelta(days=90))
    return {
        "pipeline": ("""
            SELECT s.position, s.name, count(o.id), sum(o.amount_minor),
                   sum(o.amount_minor * coalesce(o.probability, s.probability)) / 100.0,
                   avg(julianday(?) - julianday(o.stage_entered_at)),
                   sum(coalesce(o.last_activity_at, o.created_at) < ?
                       OR julianday(?) - julianday(o.stage_entered_at) > s.rot_days)
            FROM stage s JOIN opportunity o ON o.stage_id = s.id
            WHERE s.kind = 'open' AND o.currency = 'USD'
            GROUP BY s.id ORDER BY s.pipeline_id, s.position""",
                     (stamp(now), idle, stamp(now))),
        "forecast": ("""
            SELECT CASE WHEN s.kind = 'won' THEN substr(o.closed_at, 1, 7)
                        ELSE substr(o.close_date, 1, 7) END AS period,
                   sum(s.kind = 'open'), sum(CASE WHEN s.kind = 'open' THEN o.amount_minor END),
                   sum(CASE WHEN s.kind = 'open' THEN
                       o.amount_minor * coalesce(o.probability, s.probability) END) / 100.0,
                   sum(CASE WHEN s.kind = 'open' AND coalesce(o.probability, s.probability) >= 75
                       THEN o.amount_minor END),
                   sum(CASE WHEN s.kind = 'won' THEN o.amount_minor END)
            FROM opportunity o JOIN stage s ON s.id = o.stage_id
            WHERE o.currency = 'USD' AND (s.kind = 'open'
                  OR (s.kind = 'won' AND o.closed_at >= ? AND o.closed_at < ?))
            GROUP BY period ORDER BY period""", (month0.isoformat(), months_end.isoformat())),
        "win-rate": ("""
            SELECT substr(o.closed_at, 1, 4) || '-Q'
                   || ((CAST(substr(o.closed_at, 6, 2) AS INTEGER) + 2) / 3) AS period,
                   sum(s.kind = 'won'), sum(s.kind = 'lost'),
                   sum(CASE WHEN s.kind = 'won' THEN o.amount_minor END)
            FROM opportunity o JOIN stage s ON s.id = o.stage_id
            WHERE s.kind IN ('won', 'lost') AND o.currency = 'USD'
            GROUP BY period ORDER BY period""", ()),
        "velocity": ("""
            SELECT sum(s.kind = 'open'), sum(s.kind = 'won'), sum(s.kind = 'lost'),
                   sum(CASE WHEN s.kind = 'won' THEN o.amount_minor END),
                   avg(CASE WHEN s.kind = 'won' THEN julianday(o.closed_at) - julianday(o.created_at) END)
            FROM opportunity o JOIN stage s ON s.id = o.stage_id
            WHERE o.currency = 'USD'""", ()),
        "funnel": ("""
            WITH reach AS (
                SELECT sc.opportunity_id AS id, max(s.position) AS furthest
                FROM stage_change sc JOIN stage s ON s.id = sc.to_stage_id
                WHERE s.kind = 'open' GROUP BY sc.opportunity_id)
            SELECT cur.kind, reach.furthest, count(*)
            FROM opportunity o JOIN stage cur ON cur.id = o.stage_id
            LEFT JOIN reach ON reach.id = o.id
            GROUP BY cur.kind, reach.furthest""", ()),
        "cycle": ("""
            WITH closed AS (
                SELECT o.id, s.kind, julianday(o.closed_at) - julianday(o.created_at) AS days
                FROM opportunity o JOIN stage s ON s.id = o.stage_id
                WHERE s.kind IN ('won', 'lost')),
            stays AS (
                SELECT sc.opportunity_id AS id, sc.to_stage_id AS stage_id,
                       julianday(lead(sc.at) OVER (PARTITION BY sc.opportunity_id
                                                   ORDER BY sc.at, sc.id)) - julianday(sc.at) AS d
                FROM stage_change sc WHERE sc.opportunity_id IN (SELECT id FROM closed)),
            per_deal AS (
                SELECT stays.id, stays.stage_id AS k, sum(stays.d) AS v
                FROM stays JOIN stage s ON s.id = stays.stage_id
                WHERE s.kind = 'open' AND stays.d IS NOT NULL GROUP BY stays.id, stays.stage_id),
            vals AS (SELECT kind AS k, days AS v FROM closed
                     UNION ALL SELECT 'all', days FROM closed
                     UNION ALL SELECT k, v FROM per_deal),
            ranked AS (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v) AS rn,
                              count(*) OVER (PARTITION BY k) AS n FROM vals)
            SELECT k, count(*), avg(v),
                   avg(CASE WHEN rn BETWEEN (n + 1) / 2 AND (n + 2) / 2 THEN v END)
            FROM ranked GROUP BY k""", ()),
        "lost-reasons": ("""
            SELECT lower(trim(o.lost_reason)), count(*), sum(o.amount_minor)
            FROM opportunity o JOIN stage s ON s.id = o.stage_id
            WHERE s.kind = 'lost' AND o.currency = 'USD'
            GROUP BY 1 ORDER BY 2 DESC""", ()),
        "sources": ("""
            SELECT lower(trim(l.source)), count(*),
                   sum(l.status IN ('qualified', 'converted')), sum(l.status = 'converted'),
                   sum(s.kind = 'won'), sum(CASE WHEN s.kind = 'won' THEN o.amount_minor END)
            FROM lead l LEFT JOIN opportunity o ON o.id = l.converted_opportunity_id
            LEFT JOIN stage s ON s.id = o.stage_id
            GROUP BY 1""", ()),
        "activity": ("""
            SELECT a.owner, a.kind, date(a.done_at, '-6 days', 'weekday 1'), count(*)
            FROM activity a WHERE a.done_at >= ? GROUP BY 1, 2, 3
            UNION ALL
            SELECT 'idle', NULL, NULL, count(*) FROM opportunity o JOIN stage s ON s.id = o.stage_id
            WHERE s.kind = 'open' AND coalesce(o.last_activity_at, o.created_at) < ?""",
                     (weeks_start.isoformat(), idle)),
        "accounts": ("""
            WITH per AS (
                SELECT o.account_id AS id,
                       sum(CASE WHEN s.kind = 'won' THEN o.amount_minor ELSE 0 END) AS won,
                       sum(s.kind = 'open') AS open_n,
                       max(CASE WHEN s.kind IN ('won', 'lost') THEN o.closed_at END) AS closed
                FROM opportunity o JOIN stage s ON s.id = o.stage_id
                WHERE o.account_id IS NOT NULL AND o.currency = 'USD' GROUP BY o.account_id),
            ranked AS (
                SELECT id, won, open_n, closed,
                       sum(won) OVER (ORDER BY won DESC, id) - won AS before,
                       sum(won) OVER () AS total FROM per WHERE won > 0)
            SELECT CASE WHEN before < 0.8 * total THEN 'A'
                        WHEN before < 0.95 * total THEN 'B' ELSE 'C' END, count(*), sum(won)
            FROM ranked GROUP BY 1
            UNION ALL
            SELECT 'at risk', count(*), sum(won) FROM ranked
            WHERE open_n = 0 AND closed < ? AND NOT EXISTS (
                SELECT 1 FROM activity a WHERE a.account_id = ranked.id AND a.done_at >= ?)""",
                     (risk, risk)),
        "attainment": ("""
            SELECT q.owner, q.period, q.amount_minor,
                   (SELECT sum(o.amount_minor) FROM opportunity o JOIN stage s ON s.id = o.stage_id
                    WHERE s.kind = 'won' AND lower(o.owner) = lower(q.owner)
                      AND o.closed_at >= ? AND o.closed_at < ?),
                   (SELECT sum(o.amount_minor * coalesce(o.probability, s.probability)) / 100.0
                    FROM opportunity o JOIN stage s ON s.id = o.stage_id
                    WHERE s.kind = 'open' AND lower(o.owner) = lower(q.owner)
                      AND o.close_date >= ? AND o.close_date < ?)
            FROM quota q WHERE q.period = ?""",
                       (quarter0.isoformat(), quarter_end.isoformat(), quarter0.isoformat(),
                        quarter_end.isoformat(),
                        f"{quarter0.year}-Q{(quarter0.month + 2) // 3}")),
        "pipeline --as-of": ("""
            WITH last AS (
                SELECT opportunity_id, to_stage_id, row_number() OVER (
                    PARTITION BY opportunity_id ORDER BY at DESC, id DESC) AS rn
                FROM stage_change WHERE at < ?)
            SELECT s.name, count(*), sum(o.amount_minor)
            FROM last JOIN opportunity o ON o.id = last.opportunity_id
            JOIN stage s ON s.id = last.to_stage_id
            WHERE last.rn = 1 AND s.kind = 'open' AND o.currency = 'USD'
            GROUP BY s.id""", (as_of,)),
        "forecast --as-of": ("""
            WITH last AS (
                SELECT opportunity_id, to_stage_id, at, row_number() OVER (
                    PARTITION BY opportunity_id ORDER BY at DESC, id DESC) AS rn
                FROM stage_change WHERE at < ?)
            SELECT CASE WHEN s.kind = 'won' THEN substr(last.at, 1, 7)
                        ELSE substr(o.close_date, 1, 7) END AS period,
                   sum(s.kind = 'open'), sum(CASE WHEN s.kind = 'open' THEN o.amount_minor END),
                   sum(CASE WHEN s.kind = 'open' THEN
                       o.amount_minor * coalesce(o.probability, s.probability) END) / 100.0,
                   sum(CASE WHEN s.kind = 'won' THEN o.amount_minor END)
            FROM last JOIN opportunity o ON o.id = last.opportunity_id
            JOIN stage s ON s.id = last.to_stage_id
            WHERE last.rn = 1 AND o.currency = 'USD' AND s.kind IN ('open', 'won')
            GROUP BY period""", (as_of,)),
        "funnel --as-of": ("""
            WITH last AS (
                SELECT opportunity_id, to_stage_id, row_number() OVER (
                    PARTITION BY opportunity_id ORDER BY at DESC, id DESC) AS rn
                FROM stage_change WHERE at < ?),
            reach AS (
                SELECT sc.opportunity_id AS id, max(s.position) AS furthest
                FROM stage_change sc JOIN stage s ON s.id = sc.to_stage_id
                WHERE s.kind = 'open' AND sc.at < ? GROUP BY sc.opportunity_id)
            SELECT s.kind, reach.furthest, count(*)
            FROM last JOIN stage s ON s.id = last.to_stage_id
            LEFT JOIN reach ON reach.id = last.opportunity_id
            WHERE last.rn = 1 GROUP BY 1, 2""", (as_of, as_of)),
    }


def cli_args(name: str, now: datetime) -> list[str]:
    if name.endswith(" --as-of"):
        return ["report", name.split()[0], "--as-of",
                (now.date() - timedelta(days=151)).isoformat()]
    return ["report", name]


def run_in_process(db: str, args: list[str]) -> tuple[float, str]:
    from typer.main import get_command

    from crmtui.cli import app

    command = get_command(app)
    buffer = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        try:
            command.main(args=["--db", db, *args], standalone_mode=False)
        except SystemExit as exc:  # pragma: no cover
            if exc.code:
                raise
    return time.perf_counter() - start, buffer.getvalue()


def run_cold(db: str, args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([PY, "-m", "crmtui", "--db", db, *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_floor(env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([PY, "-c", "import typer, rich.table, crmtui.store.migrate, "
                    "crmtui.store.models"], env=env, check=True)
    return time.perf_counter() - start


def run_sql(con: sqlite3.Connection, sql: str, params: tuple) -> tuple[float, list]:
    start = time.perf_counter()
    rows = con.execute(sql, params).fetchall()
    return time.perf_counter() - start, rows


def cross_check(db: str, con: sqlite3.Connection, now: datetime) -> list[str]:
    """The report's JSON and the hand-written statements agree on a few figures."""
    out = []

    def report(*args):
        return json.loads(run_in_process(db, [*args, "--json"])[1])

    pipe = report("report", "pipeline")
    rows = run_sql(con, *statements(now)["pipeline"])[1]
    ok = pipe["total"]["count"] == sum(r[2] for r in rows) and \
        pipe["total"]["amount"] == f"{sum(r[3] for r in rows) / 100:.2f}"
    out.append(f"pipeline total count/amount: {'same' if ok else 'DIFFERENT'}")
    win = report("report", "win-rate")
    rows = run_sql(con, *statements(now)["win-rate"])[1]
    ok = (win["won"], win["lost"]) == (sum(r[1] for r in rows), sum(r[2] for r in rows))
    out.append(f"win-rate won/lost: {'same' if ok else 'DIFFERENT'}")
    funnel = report("report", "funnel")
    rows = run_sql(con, *statements(now)["funnel"])[1]
    ok = funnel["won"] == sum(r[2] for r in rows if r[0] == "won")
    out.append(f"funnel won: {'same' if ok else 'DIFFERENT'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a filled store to reuse (default: build one in /tmp)")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="just these reports")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="crm-report-bench-")
    os.environ["CRMTUI_HOME"] = home
    os.environ.setdefault("COLUMNS", "120")
    db = args.db or str(Path(tempfile.gettempdir()) / f"crm-report-bench-{args.deals}.db")
    if not Path(db).exists():
        fill(db, args.deals)
    from crmtui.store.migrate import open_store

    store = open_store(db)  # migrates an older store (adds the report indexes)
    store.close()
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM opportunity").fetchone()[0]
    changes = con.execute("SELECT count(*) FROM stage_change").fetchone()[0]
    quarter = date.today()
    period = f"{quarter.year}-Q{(quarter.month + 2) // 3}"
    for owner in ("ada", "grace", "alan", "katherine", "linus"):
        run_in_process(db, ["quota", "set", "--owner", owner, "--period", period,
                            "--amount", "2500000"])
    now = datetime.now(timezone.utc)
    sql = statements(now)
    names = [name for name in sql if not args.only or name in args.only]
    env = {**os.environ}
    print(f"{n:,} opportunities, {changes:,} stage changes; SQLite {sqlite3.sqlite_version}; "
          f"medians of {args.runs} runs", flush=True)
    for name in names:  # warm: page cache, imports, compiled statements
        run_in_process(db, cli_args(name, now))
        run_sql(con, *sql[name])
    samples = {name: {"cli": [], "cold": [], "sql": []} for name in names}
    for _ in range(args.runs):
        for name in names:
            samples[name]["sql"].append(run_sql(con, *sql[name])[0])
            samples[name]["cli"].append(run_in_process(db, cli_args(name, now))[0])
            samples[name]["cold"].append(run_cold(db, cli_args(name, now), env))
    floor = statistics.median(run_floor(env) for _ in range(args.runs))
    print()
    print(f"start-up floor (a new python importing typer, rich, sqlalchemy and the models): "
          f"{floor * 1000:.0f} ms: the part of `cold` that is not the report")
    print(f"{'report':18s} {'cli':>9s} {'cold':>9s} {'sql':>9s} {'cli/sql':>8s}  goal")
    failed = []
    for name in names:
        med = {k: statistics.median(v) for k, v in samples[name].items()}
        ratio = med["cli"] / med["sql"]
        goals = ["<= 2x"]
        ok = ratio <= 2.0
        if name in ("pipeline", "forecast", "win-rate"):
            goals.append("< 1 s")
            ok = ok and med["cold"] < 1.0
        if not ok:
            failed.append(name)
        print(f"{name:18s} {med['cli'] * 1000:7.0f}ms {med['cold'] * 1000:7.0f}ms "
              f"{med['sql'] * 1000:7.0f}ms {ratio:7.2f}x  {', '.join(goals)}"
              f"{'' if ok else '  MISSED'}", flush=True)
    print()
    for line in cross_check(db, con, now):
        print("cross-check:", line)
    con.close()
    if failed:
        print("goals missed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
