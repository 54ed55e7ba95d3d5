"""Import speed: `crm import leads` against plain sqlite3 executemany of the same rows.

    python benchmarks/import_bench.py [--rows 1000000] [--keep DIR]

1. Generates a CSV of realistic leads (unique emails, E.164 and formatted phones, titles,
   companies, sources, ISO created dates, one column that goes to `extra`), streamed to disk.
2. (a) baseline: Python's sqlite3 reads nothing but the prepared tuples and executemany's
   them in one transaction into a table with a unique index on email (WAL, synchronous=FULL,
   like crmtui's store).
3. (b) `crm import leads FILE` in a subprocess on a fresh store: decoding, sniffing, mapping,
   validation of every value, dedupe against the store and within the file, bulk insert with
   every index and the full-text index, history and the batch record. Its peak memory
   (ru_maxrss of the child) is reported.
4. (c) for reference: sqlite3 executemany of the same tuples into crmtui's real lead table
   (all its indexes and FTS triggers): what the schema alone costs.

Prints rows/s of each, the ratio b/a and b's peak memory. Goal: ratio >= 0.5, memory < 250 MB.

`--repeat N` runs (a) and (b) N times, alternating, and prints the median ratio (the machine
is noisy; a ratio from one pair can be off by a third). `--variants` times (b) again on
scratch stores whose schema was changed after `db migrate` -- full-text options, fewer
indexes -- to measure what a schema change would buy; it never touches a real store or the
migrations (those variants are measurements, not proposals already made).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

FIRST = ("Ada Grace Alan Edsger Barbara Donald Margaret Ken Dennis Linus Guido Bjarne Frances "
         "Katherine Tim Vint Radia Hedy Sophie John Mary Anita Jean Carol Zoë François Łukasz "
         "Mateo Chiara Kofi Amara Yuki Hana Priya Omar Lena").split()
LAST = ("Lovelace Hopper Turing Dijkstra Liskov Knuth Hamilton Thompson Ritchie Torvalds Rossum "
        "Stroustrup Allen Johnson Cerf Perlman Lamarr Müller Okafor Rossi Sato Haddad Novak "
        "García Mensah Patel Chen Kim O'Brien").split()
COMPANIES = ("Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Hooli Vandelay "
             "Aperture Nakatomi Dunder Prestige Bluth Sterling Virtucon Nimbus Quantum").split()
SUFFIX = ("Inc", "GmbH", "Ltd", "Labs", "Systems", "Group", "SA", "Corp")
TITLES = ("CEO", "CTO", "VP Sales", "Head of Operations", "IT Director", "Procurement Manager",
          "Engineering Manager", "Analyst", "Founder", "")
SOURCES = ("web", "referral", "event", "partner", "outbound", "inbound", "webinar")
HEADER = ["First Name", "Last Name", "Email", "Phone", "Company", "Title", "Lead Source",
          "Industry", "Employees", "City", "Country", "Created Date", "Favourite Colour"]


def generate(path: Path, n: int, seed: int = 1) -> None:
    r = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            first, last = r.choice(FIRST), r.choice(LAST)
            company = f"{r.choice(COMPANIES)} {r.choice(SUFFIX)}"
            domain = company.split()[0].lower() + ".example"
            roll = r.random()
            if roll < 0.6:
                phone = f"+1{r.randint(201, 989)}{r.randint(200, 999)}{r.randint(0, 9999):04d}"
            elif roll < 0.8:
                phone = f"+44 20 7946 {r.randint(0, 9999):04d}"
            else:
                phone = ""
            created = start + timedelta(seconds=r.randint(0, 700 * 86400))
            w.writerow([first, last, f"{first.lower()}.{i}@{domain}".replace("'", ""), phone,
                        company, r.choice(TITLES), r.choice(SOURCES),
                        r.choice(("Software", "Retail", "Finance", "Health")),
                        r.choice(("", "10", "50", "200", "1000")),
                        r.choice(("Berlin", "London", "Austin", "Paris")),
                        r.choice(("Germany", "United Kingdom", "United States", "France")),
                        created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        r.choice(("red", "green", "blue"))])


def tuples(path: Path):
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            yield row


def baseline(path: Path, db: Path) -> float:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE lead (id INTEGER PRIMARY KEY, first_name, last_name, email, phone, "
                "company, title, source, industry, employees, city, country, created_at, extra)")
    con.execute("CREATE UNIQUE INDEX ux_lead_email ON lead(email)")
    t = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO lead (first_name, last_name, email, phone, company, title, "
                    "source, industry, employees, city, country, created_at, extra) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", tuples(path))
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def schema_only(path: Path, db: Path, env: dict) -> float:
    """The same tuples into crmtui's real lead table, triggers and indexes included."""
    subprocess.run([sys.executable, "-m", "crmtui", "--db", str(db), "db", "migrate"], env=env,
                   check=True, capture_output=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=FULL")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = ((*row[:12], '{"Favourite Colour": "%s"}' % row[12], now, 1, "new", 0)
            for row in tuples(path))
    t = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO lead (first_name, last_name, email, phone, company, title, "
                    "source, industry, employees, city, country, created_at, extra, updated_at, "
                    "version, status, score) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def sql_side(path: Path, db: Path) -> float:
    """The database's share of (b) on a (variant) schema: the same tuples executemany'd into
    crmtui's lead table with the full-text trigger deferred, the index then filled in one
    INSERT ... SELECT, as the importer does; no Python work per row besides the driver's."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA cache_size=-65536")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = ((*row[:12], '{"Favourite Colour": "%s"}' % row[12], now, 1, "new", 0)
            for row in tuples(path))
    t = time.perf_counter()
    con.execute("BEGIN")
    trigger = con.execute("SELECT sql FROM sqlite_master WHERE name = 'lead_fts_ai'").fetchone()
    if trigger:
        con.execute("DROP TRIGGER lead_fts_ai")
    con.executemany("INSERT INTO lead (first_name, last_name, email, phone, company, title, "
                    "source, industry, employees, city, country, created_at, extra, updated_at, "
                    "version, status, score) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    if trigger:
        body = trigger[0]
        insert = body[body.index("INSERT INTO"):body.index("VALUES")]
        values = body[body.index("VALUES") + len("VALUES"):body.rindex("; END")].strip()[1:-1]
        con.execute(f"{insert} SELECT {values} FROM lead AS new")
        con.execute(trigger[0])
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def crm_import(path: Path, db: Path, env: dict, *, migrate: bool = True
               ) -> tuple[float, float, str]:
    code = ("import resource, sys, time\n"
            "from crmtui.cli import main\n"
            "sys.argv = ['crm', '--db', sys.argv[1], 'import', 'leads', sys.argv[2], '--json']\n"
            "t = time.perf_counter()\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "print('ELAPSED', time.perf_counter() - t, file=sys.stderr)\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n")
    if migrate:
        subprocess.run([sys.executable, "-m", "crmtui", "--db", str(db), "db", "migrate"],
                       env=env, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", code, str(db), str(path)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"crm import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    elapsed = float(done.stderr.split("ELAPSED")[1].split()[0])
    rss_kb = float(done.stderr.split("MAXRSS")[1].split()[0])
    return elapsed, rss_kb / 1024, done.stdout


# Schema variants for --variants: SQL run on a freshly migrated scratch store before (b).
_FTS_COLUMNS = "name, email, company, phone, notes"
_FTS_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def _fts(options: str = "") -> list[str]:
    return ["DROP TABLE lead_fts",
            f"CREATE VIRTUAL TABLE lead_fts USING fts5({_FTS_COLUMNS}, {_FTS_TOKENIZE}{options})"]


def _phone_as_typed(con: sqlite3.Connection) -> None:
    sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'lead_fts_ai'").fetchone()[0]
    start = sql.index("coalesce(new.phone, '')")
    end = sql.index(", new.notes); END")
    con.execute("DROP TRIGGER lead_fts_ai")
    con.execute(sql[:start] + "new.phone" + sql[end:])


VARIANTS = {
    "fts detail=column": _fts(", detail=column"),
    "fts detail=none": _fts(", detail=none"),
    "fts contentless (content='')": _fts(", content=''"),
    "fts phone as typed only (no digit forms)": _phone_as_typed,
    "no full-text index at all": ["DROP TRIGGER lead_fts_ai"],
    "without ix_lead_report": ["DROP INDEX ix_lead_report"],
    "without ix_lead_status, ix_lead_score, ix_lead_owner": [
        "DROP INDEX ix_lead_status", "DROP INDEX ix_lead_score", "DROP INDEX ix_lead_owner"],
}


def variant_store(db: Path, env: dict, change) -> None:
    subprocess.run([sys.executable, "-m", "crmtui", "--db", str(db), "db", "migrate"], env=env,
                   check=True, capture_output=True)
    con = sqlite3.connect(db, isolation_level=None)
    if callable(change):
        change(con)
    else:
        for sql in change:
            con.execute(sql)
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="folder to keep the CSV and databases in")
    ap.add_argument("--skip-schema", action="store_true", help="skip the (c) reference run")
    ap.add_argument("--repeat", type=int, default=1, help="(a)/(b) pairs to run; median ratio")
    ap.add_argument("--variants", action="store_true",
                    help="also time (b) on scratch stores with schema variants")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CRMTUI_HOME": str(folder / "home")}
    try:
        csv_path = folder / "leads.csv"
        t = time.perf_counter()
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} leads ({size:.0f} MB) in {time.perf_counter() - t:.1f} s")
        n = args.rows
        ratios, peaks = [], []
        for run in range(max(1, args.repeat)):
            for name in ("baseline.db", "crm.db"):
                for ext in ("", "-wal", "-shm"):
                    (folder / (name + ext)).unlink(missing_ok=True)
            a = baseline(csv_path, folder / "baseline.db")
            print(f"(a) sqlite3 executemany, unique email index : {n / a:>10,.0f} rows/s "
                  f"({a:.1f} s)")
            b, rss, out = crm_import(csv_path, folder / "crm.db", env)
            print(f"(b) crm import leads                        : {n / b:>10,.0f} rows/s "
                  f"({b:.1f} s)")
            ratios.append(a / b)
            peaks.append(rss)
            if args.repeat > 1:
                print(f"    run {run + 1}: ratio {a / b:.2f}, peak {rss:.0f} MB")
        if not args.skip_schema:
            c = schema_only(csv_path, folder / "schema.db", env)
            print(f"(c) sqlite3 into crmtui's lead table (ref.) : {n / c:>10,.0f} rows/s "
                  f"({c:.1f} s)")
        ratio = sorted(ratios)[len(ratios) // 2]
        rss = max(peaks)
        print(f"ratio b/a: {ratio:.2f}" + (" (median)" if len(ratios) > 1 else "")
              + " (goal >= 0.5)")
        print(f"peak memory of b: {rss:.0f} MB (goal < 250 MB)")
        if args.variants:
            print("schema variants on scratch stores (measurements only): the database's "
                  "share alone, then (b)")
            for label, change in [("as migrated", [])] + list(VARIANTS.items()):
                db = folder / "variant.db"
                times = []
                for measure in ("sql", "import"):
                    for ext in ("", "-wal", "-shm"):
                        Path(str(db) + ext).unlink(missing_ok=True)
                    variant_store(db, env, change)
                    times.append(sql_side(csv_path, db) if measure == "sql" else
                                 crm_import(csv_path, db, env, migrate=False)[0])
                print(f"    {label:<52}: database {n / times[0]:>8,.0f} rows/s "
                      f"({times[0]:.1f} s); crm import {n / times[1]:>7,.0f} rows/s "
                      f"({times[1]:.1f} s)")
        if '"inserted": ' + str(n) not in out.replace(",\n", "\n").replace(" ", " "):
            inserted = [line for line in out.splitlines() if '"inserted"' in line]
            print("import summary:", inserted)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
