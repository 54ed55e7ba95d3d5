"""`crm demo`: a separate demo store full of realistic data, then the app on it."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import handle, state

DEFAULT_SEED = 7
DEFAULT_ROWS = 1000
MARKER = "demo"  # history row (entity and action "demo") saying how the store was filled


@handle
def demo(
    seed: Annotated[Optional[int], typer.Option(
        "--seed", help="Random seed: same seed, same data [default: 7]")] = None,
    rows: Annotated[Optional[int], typer.Option(
        "--rows", help="Number of leads; the other records scale with it (accounts rows/5, "
        "deals rows*0.6, ...) [default: 1000]")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Delete and rebuild the demo store")] = False,
    no_open: Annotated[bool, typer.Option("--no-open", help="Only fill the store; do not "
                                          "open the app")] = False,
):
    """Create (or reuse) the demo store (demo.db in the data folder, or --db) and open the app."""
    from pathlib import Path

    from crmtui.domain import demo as demo_data
    from crmtui.errors import Invalid
    from crmtui.paths import demo_db_path
    from crmtui.store.migrate import open_store

    asked_seed, asked_rows = seed, rows
    seed = DEFAULT_SEED if seed is None else seed
    rows = DEFAULT_ROWS if rows is None else rows
    if rows < 10:
        raise Invalid("--rows must be at least 10")
    target = state.db or str(demo_db_path())
    path = Path(target)
    if reset and "://" not in target:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(target)
    try:
        with store.read() as s:
            from sqlalchemy import func, select

            from crmtui.store.models import Lead

            existing = s.scalar(select(func.count()).select_from(Lead))
            built = _built_with(s)
        if existing:
            _check_reuse(target, built, asked_seed, asked_rows)
            output.note(f"reusing the demo store at {target} ({existing:,} leads"
                        + (f", seed {built['seed']}" if built else "") + "); --reset rebuilds it")
        else:
            counts = _fill(store, demo_data, seed, rows)
            with store.write() as s:
                from crmtui.domain import records

                records.log(s, MARKER, 0, MARKER, new=f"seed {seed}, {rows} leads",
                            source="system")
            output.note("demo store ready at " + target + ": "
                        + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    finally:
        store.close()
    if not no_open:
        from crmtui.cli import open_app

        open_app(target)


def _built_with(s) -> dict | None:
    """The seed and size the demo store was filled with (a history row written then)."""
    import re

    from sqlalchemy import select

    from crmtui.store.models import ChangeLog

    text = s.scalar(select(ChangeLog.new).where(ChangeLog.entity == MARKER)
                    .order_by(ChangeLog.id.desc()).limit(1))
    found = re.fullmatch(r"seed (-?\d+), (\d+) leads", text or "")
    return {"seed": int(found[1]), "rows": int(found[2])} if found else None


def _check_reuse(target: str, built: dict | None, seed: int | None, rows: int | None) -> None:
    """Asking for a seed or size other than the existing demo store's is refused."""
    from crmtui.errors import Conflict

    if seed is None and rows is None:
        return
    asked = " and ".join(x for x in (f"seed {seed}" if seed is not None else "",
                                     f"{rows} leads" if rows is not None else "") if x)
    if built is None:
        raise Conflict(f"the demo store at {target} already holds data, built without a "
                       f"record of its seed; you asked for {asked}",
                       hint="pass --reset to rebuild it, or leave out --seed/--rows to reuse it")
    if (seed is not None and seed != built["seed"]) or (rows is not None
                                                        and rows != built["rows"]):
        raise Conflict(f"the demo store at {target} was built with seed {built['seed']} and "
                       f"{built['rows']} leads; you asked for {asked}",
                       hint="pass --reset to rebuild it, or leave out --seed/--rows to reuse it")


def _fill(store, demo_data, seed: int, rows: int) -> dict:
    import sys

    if not sys.stderr.isatty():
        return demo_data.generate(store, seed=seed, leads=rows)
    from rich.progress import Progress

    with Progress(console=output.console(stderr=True), transient=True) as bar:
        tasks: dict = {}

        def progress(label: str, n: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=None)
            bar.advance(tasks[label], n)

        return demo_data.generate(store, seed=seed, leads=rows, progress=progress)
