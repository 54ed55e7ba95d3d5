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


def crm_import(path: Path, db: Path, env: dict) -> tuple[float, float, str]:
    code = ("import resource, sys, time\n"
            "from crmtui.cli import main\n"
            "sys.argv = ['crm', '--db', sys.argv[1], 'import', 'leads', sys.argv[2], '--json']\n"
            "t = time.perf_counter()\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "print('ELAPSED', time.perf_counter() - t, file=sys.stderr)\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n")
    subprocess.run([sys.executable, "-m", "crmtui", "--db", str(db), "db", "migrate"], env=env,
                   check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", code, str(db), str(path)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"crm import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    elapsed = float(done.stderr.split("ELAPSED")[1].split()[0])
    rss_kb = float(done.stderr.split("MAXRSS")[1].split()[0])
    return elapsed, rss_kb / 1024, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="folder to keep the CSV and databases in")
    ap.add_argument("--skip-schema", action="store_true", help="skip the (c) reference run")
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
        a = baseline(csv_path, folder / "baseline.db")
        print(f"(a) sqlite3 executemany, unique email index : {n / a:>10,.0f} rows/s ({a:.1f} s)")
        b, rss, out = crm_import(csv_path, folder / "crm.db", env)
        print(f"(b) crm import leads                        : {n / b:>10,.0f} rows/s ({b:.1f} s)")
        if not args.skip_schema:
            c = schema_only(csv_path, folder / "schema.db", env)
            print(f"(c) sqlite3 into crmtui's lead table (ref.) : {n / c:>10,.0f} rows/s "
                  f"({c:.1f} s)")
        ratio = a / b
        print(f"ratio b/a: {ratio:.2f} (goal >= 0.5)")
        print(f"peak memory of b: {rss:.0f} MB (goal < 250 MB)")
        if '"inserted": ' + str(n) not in out.replace(",\n", "\n").replace(" ", " "):
            inserted = [line for line in out.splitlines() if '"inserted"' in line]
            print("import summary:", inserted)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
