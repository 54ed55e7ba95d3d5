"""The app at scale (issue 6): does a million leads feel like a thousand?

    python benchmarks/tui_bench.py [--sizes 1000 1000000] [--cache DIR] [--runs 5]

For each size, a store with that many leads (and 0.6 deals per lead, plus accounts, contacts,
activities) is filled by the project's bulk path (`crmtui.domain.demo.generate`, seed 7, a
fixed "now") and cached in DIR (default /tmp/crmtui-bench) for the next run. Then a fresh
process opens the app headless (Textual's `run_test`, 120x40) on that store and measures:

- leads list, first paint: from the key that opens the section to the first rows in the table
  (mounting the screen, the keyset query, building the rows, painting them);
- page down: from the key to the next screenful shown (median of --runs presses);
- search keystroke: from a key typed in the search bar to the matching rows shown (median of
  three keystrokes; includes the 80 ms the bar waits for the next key);
- board, first paint: from the key to every column showing its first cards;
- peak memory: the process's peak resident set size.

Times are medians; the 1M/1k ratios are what matters on a noisy machine (goal: time ratios
under 1.3, and under 30 MB more memory for a million rows).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

NOW = datetime(2026, 3, 16, 15, 0, tzinfo=timezone.utc)
SIZE = (120, 40)


def store_for(size: int, cache: Path) -> Path:
    """The cached store with `size` leads, filled on first use."""
    from crmtui.domain import demo
    from crmtui.store.migrate import open_store

    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"leads-{size}.db"
    ready = path.with_suffix(".ready")
    if path.exists() and ready.exists():
        store = open_store(str(path))  # migrates an older cached store
        store.close()
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(str(path))
    try:
        start = time.perf_counter()
        counts = demo.generate(store, seed=7, leads=size, now=NOW)
        with store.write_connection() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"filled {path} in {time.perf_counter() - start:.0f} s: "
              + ", ".join(f"{n:,} {k}" for k, n in counts.items()), file=sys.stderr)
    finally:
        store.close()
    ready.touch()
    return path


async def until(condition, timeout: float = 60.0) -> float:
    """Seconds until `condition()` holds, letting the app's event loop run meanwhile."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.0005)
    return time.perf_counter() - start


def press(app, key: str) -> None:
    """Send a key the way the terminal driver does, without the test harness's idle waits
    (Pilot.press waits for the whole process to be idle, which would be timed too)."""
    from textual import events

    char = {"slash": "/"}.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def idle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await asyncio.sleep(0.05)


async def measure(path: str, runs: int) -> dict:
    from crmtui.screens.app import CrmApp
    from crmtui.screens.present import Clock
    from crmtui.store.migrate import open_store

    store = open_store(path)
    out: dict = {}
    app = CrmApp(store, clock=Clock(NOW), poll_interval=0, start="accounts")
    async with app.run_test(size=SIZE) as pilot:
        await idle(app, pilot)

        # leads list: first paint
        start = time.perf_counter()
        press(app, "3")
        await until(lambda: app.current_mode == "leads" and app.screen.is_mounted
                    and bool(app.screen.query("#table"))
                    and bool(app.screen.query_one("#table").rows))
        app.screen._compositor.render_strips()
        out["list_first_paint"] = time.perf_counter() - start
        table = app.screen.query_one("#table")
        await idle(app, pilot)

        # page down
        times = []
        for _ in range(runs):
            top_id = table.rows[table.top].id
            start = time.perf_counter()
            press(app, "pagedown")
            await until(lambda: table.rows[table.top].id != top_id
                        and len(table.rows) >= table.top + table.page_size)
            app.screen._compositor.render_strips()
            times.append(time.perf_counter() - start)
            await idle(app, pilot)
        out["page_down"] = statistics.median(times)
        out["rows_held"] = len(table.rows)

        # search keystrokes
        await pilot.press("slash")
        screen = app.screen
        times = []
        typed = ""
        for ch in "lov":
            typed += ch
            generation = table.generation
            start = time.perf_counter()
            press(app, ch)
            await until(lambda: screen.search_text == typed and table.generation != generation
                        and not table.loading_rows)
            app.screen._compositor.render_strips()
            times.append(time.perf_counter() - start)
            await idle(app, pilot)
        out["search_keystroke"] = statistics.median(times)
        out["search_rows"] = len(table.rows)
        await pilot.press("escape")
        await idle(app, pilot)

        # board: first paint
        start = time.perf_counter()
        press(app, "2")

        def board_ready():
            if app.current_mode != "board" or not app.screen.query("Board"):
                return False
            board = app.screen.query_one("Board")
            return bool(board.columns) and all(c.loaded for c in board.columns)

        await until(board_ready)
        app.screen._compositor.render_strips()
        out["board_first_paint"] = time.perf_counter() - start
        await idle(app, pilot)
        board = app.screen.query_one("Board")
        out["cards_held"] = sum(len(c.cards) for c in board.columns)
    store.close()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child(path: str, runs: int) -> None:
    print(json.dumps(asyncio.run(measure(path, runs))))


def run_child(path: Path, runs: int) -> dict:
    env = dict(os.environ, TZ="UTC", CRMTUI_HOME=str(path.parent / "home"))
    result = subprocess.run([sys.executable, __file__, "--child", str(path), "--runs",
                             str(runs)], capture_output=True, text=True, env=env, check=False)
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"benchmark run on {path} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


METRICS = [("list_first_paint", "leads list, first paint", "s"),
           ("page_down", "page down", "s"),
           ("search_keystroke", "search keystroke", "s"),
           ("board_first_paint", "board, first paint", "s"),
           ("peak_rss_mb", "peak memory (RSS)", "MB")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/crmtui-bench"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5,
                        help="fresh processes per size (medians are reported)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return
    paths = {size: store_for(size, args.cache) for size in args.sizes}
    runs: dict[int, list[dict]] = {size: [] for size in args.sizes}
    for _ in range(args.repeat):  # interleaved, so both sizes see the same machine load
        for size in args.sizes:
            runs[size].append(run_child(paths[size], args.runs))
    results: dict[int, dict] = {}
    for size in args.sizes:
        results[size] = {k: statistics.median(r[k] for r in runs[size]) for k in runs[size][0]}
        print(f"{size:>9,} leads: " + ", ".join(
            f"{key}={results[size][key]:.3f}" for key, _, _ in METRICS), file=sys.stderr)
    sizes = sorted(results)
    header = f"{'':28}" + "".join(f"{f'{s:,} leads':>16}" for s in sizes)
    if len(sizes) > 1:
        header += f"{'ratio':>10}"
    print(header)
    for key, label, unit in METRICS:
        line = f"{label:28}"
        for s in sizes:
            value = results[s][key]
            line += f"{value * 1000:>13.1f} ms" if unit == "s" else f"{value:>13.1f} MB"
        if len(sizes) > 1:
            low, high = results[sizes[0]][key], results[sizes[-1]][key]
            line += f"{high / low:>10.2f}" if unit == "s" else f"{high - low:>+9.1f}M"
        print(line)
    for s in sizes:
        print(f"{s:,} leads: rows held by the list {results[s]['rows_held']:.0f}, cards held by "
              f"the board {results[s]['cards_held']:.0f}, search results shown "
              f"{results[s]['search_rows']:.0f}")
    if len(sizes) > 1:
        worst = max(results[sizes[-1]][k] / results[sizes[0]][k] for k, _, u in METRICS
                    if u == "s")
        growth = results[sizes[-1]]["peak_rss_mb"] - results[sizes[0]]["peak_rss_mb"]
        print(f"worst time ratio {worst:.2f} (goal < 1.3); memory growth {growth:+.1f} MB "
              f"(goal < 30 MB)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
