"""`crm db ...`: where the store is, migrating, checking and backing it up."""

from pathlib import Path
from typing import Annotated

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonOpt, handle, open_store, state

app = typer.Typer(help="The database: path, migrate, check, backup, copy.", no_args_is_help=True)


@app.command("path", help="Print the database in use (after --db and CRMTUI_DB).")
@handle
def path():
    from crmtui.paths import resolve_db

    output.write(resolve_db(state.db))


@app.command("migrate", help="Create the database or upgrade it to this version's schema "
                             "(a backup is written beside an older database first).")
@handle
def migrate(json_: JsonOpt = False):
    from crmtui.store.migrate import HEAD, ensure_current, open_store as _open

    store = _open(state.db, migrate=False)
    try:
        backup = ensure_current(store)
    finally:
        store.close()
    if json_:
        output.write(output.dumps({"revision": HEAD, "backup": backup}))
        return
    output.note(f"schema at revision {HEAD}" + (f"; backup of the old store: {backup}"
                                                 if backup else ""))


@app.command("check", help="Run SQLite's integrity and foreign-key checks.")
@handle
def check(json_: JsonOpt = False):
    from crmtui.errors import StoreError
    from crmtui.store.health import check as run_check

    store = open_store()
    try:
        result = run_check(store)
    finally:
        store.close()
    if json_:
        output.write(output.dumps(result))
    else:
        output.write(f"integrity: {result['integrity'] if result['integrity'] == 'ok' else 'FAILED'}")
        if result["integrity"] != "ok":
            for line in result["integrity"][:20]:
                output.write(f"  {line}")
        output.write(f"foreign keys: {len(result['foreign_key_errors'])} broken")
        output.write(f"schema: {result['revision']} (expected {result['head']})")
    if not result["ok"]:
        raise StoreError("the database failed its checks",
                         hint="restore a backup (`crm db backup` makes one)")


@app.command("backup", help="Write a consistent copy of the database (SQLite backup API, "
                            "mode 0600) while others keep working.")
@handle
def backup(dest: Annotated[Path, typer.Argument(help="Backup file to create")],
           force: Annotated[bool, typer.Option("--force", help="Overwrite DEST")] = False):
    from crmtui.store.backup import backup_sqlite

    store = open_store()
    try:
        written = backup_sqlite(store.engine, dest, overwrite=force)
    finally:
        store.close()
    output.write(str(written))


@app.command("copy", help="Copy a whole store into an empty one, keeping every id and its "
                          "history (e.g. a SQLite file into a team PostgreSQL database); "
                          "verified by row counts and checksums.")
@handle
def copy(source: Annotated[str, typer.Option("--from", help="Source: a file path or URL")],
         target: Annotated[str, typer.Option("--to", help="Target: a file path or URL "
                                             "(created if it does not exist; must be empty)")],
         json_: JsonOpt = False):
    import sys

    from crmtui.store import copy as copier
    from crmtui.store.migrate import open_store as _open

    src, dst = _open(source, create=False), _open(target)
    try:
        if sys.stderr.isatty() and not json_:
            from rich.progress import Progress

            with Progress(console=output.console(stderr=True), transient=True) as bar:
                tasks: dict = {}

                def progress(name: str, n: int) -> None:
                    if name not in tasks:
                        tasks[name] = bar.add_task(name, total=None)
                    bar.advance(tasks[name], n)

                counts = copier.copy(src, dst, progress=progress)
        else:
            counts = copier.copy(src, dst)
        sums = copier.verify(src, dst)
    finally:
        src.close()
        dst.close()
    if json_:
        output.write(output.dumps({"rows": counts, "checksums": sums, "verified": True}))
        return
    for name, n in counts.items():
        output.write(f"{name:15s} {n:>10,}")
    output.note(f"copied {sum(counts.values()):,} rows; counts and checksums match")
