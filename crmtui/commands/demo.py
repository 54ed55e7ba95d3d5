"""`crm demo`: a separate demo store full of realistic data, then the app on it."""

from typing import Annotated

import typer

from crmtui.commands import output
from crmtui.commands.common import handle, state


@handle
def demo(
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data")] = 7,
    rows: Annotated[int, typer.Option("--rows", help="Number of leads; the other records "
                                      "scale with it (accounts rows/5, deals rows*0.6, ...)")] = 1000,
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
        if existing:
            output.note(f"reusing the demo store at {target} ({existing:,} leads); "
                        "--reset rebuilds it")
        else:
            counts = _fill(store, demo_data, seed, rows)
            output.note("demo store ready at " + target + ": "
                        + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    finally:
        store.close()
    if not no_open:
        from crmtui.cli import open_app

        open_app(target)


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


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


