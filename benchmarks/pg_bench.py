"""Team mode speed on PostgreSQL (issue 8): import against COPY, reports against plain SQL.

    python benchmarks/pg_bench.py [--rows 100000] [--deals 200000] [--url postgresql+psycopg://...]

Without --url a throwaway cluster is started from the server binaries (tests/pgserver.py).
1. Import: the same generated CSV of leads (benchmarks/import_bench.generate), loaded
   (a) with COPY into a table with a unique email index (the practical limit) and
   (b) with `crm import leads FILE` (validation, dedupe, history, search vectors).
   Prints rows/s of each and b/a.
2. Reports: a store of --deals deals (crm demo, then the rows live on PostgreSQL), then
   pipeline, forecast and win-rate through `compute()` in-process against one hand-written
   SQL statement each, medians of 5; prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from import_bench import generate, tuples  # noqa: E402

HAND_SQL = {
    "pipeline": ("SELECT o.stage_id, count(*), sum(o.amount_minor), "
                 "sum(o.amount_minor * coalesce(o.probability, s.probability)) "
                 "FROM opportunity o JOIN stage s ON s.id = o.stage_id "
                 "WHERE s.kind = 'open' GROUP BY o.stage_id"),
    "forecast": ("SELECT to_char(o.close_date, 'YYYY-MM'), count(*), sum(o.amount_minor), "
                 "sum(o.amount_minor * coalesce(o.probability, s.probability)) "
                 "FROM opportunity o JOIN stage s ON s.id = o.stage_id "
                 "WHERE s.kind = 'open' GROUP BY 1"),
    "win-rate": ("SELECT to_char(o.closed_at, 'YYYY-\"Q\"Q'), s.kind, count(*), "
                 "sum(o.amount_minor) FROM opportunity o JOIN stage s ON s.id = o.stage_id "
                 "WHERE s.kind IN ('won', 'lost') GROUP BY 1, 2"),
}


def server_url(args) -> tuple[str, object]:
    if args.url:
        return args.url, None
    from tests import pgserver

    server = pgserver.Server(pgserver.find_bin_dir())
    server.start()
    return server.url("postgres"), server


def with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(sql)


def copy_baseline(url: str, csv_path: Path) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("CREATE TABLE lead (id bigserial PRIMARY KEY, first_name text, last_name "
                     "text, email text, phone text, company text, title text, source text, "
                     "industry text, employees text, city text, country text, created_at text, "
                     "extra text)")
        conn.execute("CREATE UNIQUE INDEX ux_lead_email ON lead(email)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy("COPY lead (first_name, last_name, email, phone, company, title, "
                          "source, industry, employees, city, country, created_at, extra) "
                          "FROM STDIN") as copy:
                for row in tuples(csv_path):
                    copy.write_row(row)
        conn.commit()
        return time.perf_counter() - start


def crm(url: str, *args: str, home: str) -> float:
    env = {**os.environ, "CRMTUI_HOME": home, "CRMTUI_DB": url}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crmtui", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def reports(url: str) -> None:
    from sqlalchemy import text

    from crmtui.reports import REPORTS, ReportOptions
    from crmtui.store.migrate import open_store

    store = open_store(url)
    try:
        for name, sql in HAND_SQL.items():
            spec = REPORTS[name]
            mine, hand = [], []
            for _ in range(5):
                with store.read() as s:
                    start = time.perf_counter()
                    spec.compute(s, ReportOptions())
                    mine.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    s.execute(text(sql)).all()
                    hand.append(time.perf_counter() - start)
            a, b = statistics.median(mine), statistics.median(hand)
            print(f"report {name:10s} crm {a * 1000:8.1f} ms   SQL {b * 1000:8.1f} ms   "
                  f"ratio {a / b:5.2f}")
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    url, server = server_url(args)
    home = tempfile.mkdtemp(prefix="crm-pgbench-")
    try:
        csv_path = Path(home) / "leads.csv"
        generate(csv_path, args.rows)
        for name in ("bench_copy", "bench_import", "bench_reports"):
            admin(url, f"DROP DATABASE IF EXISTS {name}")
            admin(url, f"CREATE DATABASE {name}")
        a = copy_baseline(with_db(url, "bench_copy"), csv_path)
        crm(with_db(url, "bench_import"), "db", "migrate", home=home)
        b = crm(with_db(url, "bench_import"), "import", "leads", str(csv_path), home=home)
        print(f"import {args.rows:,} leads: COPY {args.rows / a:9.0f} rows/s   "
              f"crm import {args.rows / b:9.0f} rows/s   ratio b/a {a / b:5.2f}")
        leads = max(10, args.deals * 5 // 3)
        t = crm(with_db(url, "bench_reports"), "--db", with_db(url, "bench_reports"), "demo",
                "--rows", str(leads), "--no-open", home=home)
        print(f"demo store with {args.deals:,} deals built in {t:.0f} s")
        reports(with_db(url, "bench_reports"))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
