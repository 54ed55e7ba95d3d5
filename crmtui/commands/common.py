"""What every command shares: the chosen database, error handling, output options.

Commands stay thin: parse options, open the store, call the domain, print. Heavy modules
(sqlalchemy, the domain) are imported inside command bodies so `crm --help` stays fast.
"""

from __future__ import annotations

import errno
import functools
import sys
from contextlib import contextmanager
from typing import Annotated, Callable, Iterator

import typer

from crmtui import errors


class State:
    db: str | None = None
    source: str = "cli"


state = State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable keys, see README)")]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="Print JSON Lines: one object per line")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV with a header row")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")]


def open_store(create: bool = False):
    """The store the command works on. A named file (--db, CRMTUI_DB) that does not exist is
    created only by commands that write (`create`): a read from a mistyped path is an error,
    not an answer from a new empty store (see `store.migrate.open_store`)."""
    from crmtui.store.migrate import open_store as _open

    return _open(state.db, create=create)


@contextmanager
def store_session(write: bool = False) -> Iterator:
    store = open_store(create=write)
    try:
        with (store.write() if write else store.read()) as session:
            yield session
    finally:
        store.close()


def print_error(error: BaseException) -> None:
    """`error: message` and the hint on stderr, unwrapped; red/yellow only on a terminal."""
    from crmtui.textsafe import visible

    message = visible(getattr(error, "message", str(error)), multiline=True)
    hint = getattr(error, "hint", None)
    colour = sys.stderr.isatty()
    lines = [f"\x1b[1;31merror:\x1b[0m {message}" if colour else f"error: {message}"]
    if hint:
        hint = visible(hint, multiline=True)
        lines.append(f"\x1b[33m{hint}\x1b[0m" if colour else hint)
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


# File-system failures a user can fix (permission denied, no such file or folder, read-only
# or full file system): a message naming the path instead of a traceback.
_FILE_ERRNOS = frozenset(getattr(errno, name) for name in (
    "EACCES", "EPERM", "ENOENT", "ENOTDIR", "EISDIR", "EROFS", "ENOSPC", "EDQUOT")
    if hasattr(errno, name))


def _translate(exc: Exception) -> errors.CrmError | None:
    """Driver and file errors a user can act on, as CrmErrors (locked, read-only, disk full,
    corrupt, permission denied, no such file)."""
    if isinstance(exc, OSError) and exc.errno in _FILE_ERRNOS:
        where = f" ({exc.filename})" if exc.filename else ""
        return errors.StoreError(f"{exc.strerror or exc}{where}",
                                 hint="check the path and its permissions")
    module = type(exc).__module__
    if not module.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        return None
    text = str(getattr(exc, "orig", exc))
    if "locked" in text or "busy" in text or "lock timeout" in text:
        return errors.StoreError(f"the database stayed busy too long: {text}",
                                 hint="another program holds a long write; try again")
    if "readonly" in text or "read-only" in text:
        return errors.StoreError(f"the database cannot be written: {text}")
    if "malformed" in text or "not a database" in text:
        return errors.StoreError(f"the database file is damaged or not a database: {text}",
                                 hint="run `crm db check`; restore a backup if it fails")
    if "disk" in text and "full" in text:
        return errors.StoreError(f"the disk is full: {text}")
    if "could not connect" in text or "connection refused" in text.lower() \
            or "server closed the connection" in text:
        return errors.StoreError(f"cannot reach the database server: {text}",
                                 hint="check the --db / CRMTUI_DB URL and that the server runs")
    return None


def handle(fn: Callable) -> Callable:
    """Turn CrmErrors into a message on stderr and the mapped exit code; Ctrl-C into 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except errors.CrmError as exc:
            print_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            raise typer.Exit(errors.INTERRUPTED) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except Exception as exc:
            translated = _translate(exc)
            if translated is None:
                raise
            print_error(translated)
            raise typer.Exit(translated.exit_code) from None

    return wrapper


def confirm(question: str, yes: bool) -> None:
    """Ask on a terminal; refuse (without --yes) when nobody can answer."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise errors.UsageError(f"{question} -- pass --yes to confirm when not on a terminal")
    from crmtui.textsafe import visible

    if not typer.confirm(visible(question), default=False):
        raise errors.CrmError("cancelled; nothing was changed")


def read_text_arg(value: str | None) -> str | None:
    """`-` means: read the text from stdin."""
    if value == "-":
        return sys.stdin.read()
    return value
