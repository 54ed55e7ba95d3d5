"""Start-up cost of the CLI (issue 7): ratios against the imports it cannot avoid.

    python benchmarks/startup_bench.py [--db PATH] [--runs N]

Times, in one run and interleaved (the machines are noisy): `python -c "import typer"`,
`crm --help`, `crm --version`, `python -c "import sqlmodel"` and `crm lead list --limit 20
--json` on a store of 1,000,000 leads (built with `crm demo --rows 1000000` unless --db names
one). Prints medians and the ratios. Goals: --help and --version within 2.5x of `import
typer`; the list within 1.3x of `import sqlmodel` plus its query (the query timed in-process).

`crm` ends with gc.freeze() (the interpreter's exit-time collections over every object the
imports made cost ~100 ms), which `python -c "import sqlmodel"` does not; a second ratio
against `import sqlmodel` ending the same way shows crmtui's own start-up work alone.
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

PY = sys.executable
CRM = [PY, "-m", "crmtui"]


def run(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def query_time(db: str) -> float:
    """The list query itself, timed warm in-process (what the command adds to its imports)."""
    from crmtui.domain import listing, records
    from crmtui.domain.serialize import Names, prefetch_for
    from crmtui.store.migrate import open_store

    store = open_store(db)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        with store.read() as s:
            page = listing.page(s, listing.ListQuery("lead", limit=20))
            names = Names(s)
            prefetch_for(names, "lead", page.rows)
            [records.to_dict(s, "lead", r, names) for r in page.rows]
        times.append(time.perf_counter() - start)
    store.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="a store with many leads (default: build 1,000,000)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="crm-startup-")
    env = {**os.environ, "CRMTUI_HOME": home}
    # Measure what an installed user gets: up-to-date .pyc files. With PYTHONDONTWRITEBYTECODE
    # (set in some shells and CI) every run recompiles each module whose .pyc is missing or
    # stale (any edited file of a working tree), which is no user's start-up.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    db = args.db or str(Path(tempfile.gettempdir()) / f"crm-bench-{args.rows}.db")
    if not Path(db).exists():
        print(f"building {db} with {args.rows:,} leads ...", file=sys.stderr)
        subprocess.run(CRM + ["--db", db, "demo", "--rows", str(args.rows), "--no-open"],
                       env=env, check=True)
    env["CRMTUI_DB"] = db
    cases = {
        "import typer": [PY, "-c", "import typer"],
        "crm --help": CRM + ["--help"],
        "crm --version": CRM + ["--version"],
        "import sqlmodel": [PY, "-c", "import sqlmodel"],
        # crm skips the interpreter's exit-time garbage collections (gc.freeze in cli.main);
        # the same for the baseline shows how much of the ratio is crmtui's own work
        "import sqlmodel, exit as crm does": [PY, "-c", "import gc, sqlmodel; gc.freeze()"],
        "crm lead list --limit 20 --json": CRM + ["lead", "list", "--limit", "20", "--json"],
    }
    for cmd in cases.values():  # warm the page cache and .pyc files
        run(cmd, env)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, cmd in cases.items():
            samples[name].append(run(cmd, env))
    med = {name: statistics.median(values) for name, values in samples.items()}
    q = query_time(db)
    for name, value in med.items():
        print(f"{name:34s} {value * 1000:8.1f} ms")
    print(f"{'list query (in-process, warm)':34s} {q * 1000:8.1f} ms")
    print()
    print(f"crm --help / import typer          {med['crm --help'] / med['import typer']:6.2f}x  (goal <= 2.5)")
    print(f"crm --version / import typer       {med['crm --version'] / med['import typer']:6.2f}x  (goal <= 2.5)")
    base = med["import sqlmodel"] + q
    listed = med["crm lead list --limit 20 --json"]
    print(f"lead list / (import sqlmodel + q)  {listed / base:6.2f}x  (goal <= 1.3)")
    alike = med["import sqlmodel, exit as crm does"] + q
    print(f"  the same, baseline exiting as crm does: {listed / alike:6.2f}x  (crmtui's own "
          "start-up work)")


if __name__ == "__main__":
    main()
