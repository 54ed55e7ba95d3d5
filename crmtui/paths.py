"""Where crmtui keeps its data.

Nothing here touches the file system at import time; folders are created by
`ensure_private_dir` when a store is first opened.

- `CRMTUI_HOME` moves the whole data folder (database, backups, demo store).
- `CRMTUI_DB` (or the global `--db` option) picks the database file or URL.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "crmtui"
DB_FILENAME = "crm.db"
DEMO_FILENAME = "demo.db"


def data_dir() -> Path:
    home = os.environ.get("CRMTUI_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def demo_db_path() -> Path:
    return data_dir() / DEMO_FILENAME


def config_path() -> Path:
    return data_dir() / "config.toml"


def resolve_db(explicit: str | None = None) -> str:
    """The database the user asked for: `--db`, then `CRMTUI_DB`, then the default file."""
    chosen = explicit or os.environ.get("CRMTUI_DB")
    if chosen:
        return chosen
    return str(default_db_path())


def is_url(target: str) -> bool:
    return "://" in target


def ensure_private_dir(path: Path, *, tighten: bool = True) -> None:
    """Create `path` (and parents) with mode 0700.

    With `tighten`, an existing folder that we own is set to 0700 as well; that is right
    for crmtui's own data folder and wrong for a folder the user chose (`--db /tmp/x.db`).
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if tighten:
        try:
            if path.stat().st_uid == os.getuid():
                os.chmod(path, 0o700)
        except OSError:
            pass


def touch_private(path: Path) -> None:
    """Create an empty file with mode 0600 if it does not exist yet (never truncates)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def open_private(path: Path, mode: str = "w", **kwargs):
    """Open a file for writing whose permissions are 0600 from its first byte."""
    flags = os.O_CREAT | os.O_WRONLY | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.chmod(path, 0o600)
    return os.fdopen(fd, mode, **kwargs)
