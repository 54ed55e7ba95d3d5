"""A throwaway PostgreSQL server for the test session.

The server binaries come from the machine (Debian's postgresql package puts them in
/usr/lib/postgresql/<version>/bin). The cluster lives in a temp folder, listens only on a
Unix socket there, and runs without fsync; it is stopped at the end of the session. Run as
root, the cluster belongs to the `postgres` system user (initdb refuses root).

Every test gets its own database, cloned from a template that is migrated once.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

DRIVER = "postgresql+psycopg"


def find_bin_dir() -> Path | None:
    explicit = os.environ.get("CRMTUI_PG_BIN")
    candidates = [explicit] if explicit else sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                                     reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def driver_available() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


class Server:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="crmtui-pg-"))
        self.data = self.root / "data"
        self.socket = self.root
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._names = itertools.count(1)
        self.template = None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def start(self) -> None:
        subprocess.run(self._cmd("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                 "--no-sync", "-E", "UTF8", "--locale", "C"),
                       check=True, capture_output=True)
        options = (f"-k {self.socket} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                                 str(self.root / "server.log"), "-w", "start"),
                       check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"{DRIVER}://postgres@/{database}?host={self.socket}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket), user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def make_template(self) -> None:
        """A database migrated to head, cloned for every test (much faster than migrating)."""
        from crmtui.store.migrate import open_store

        self.admin("CREATE DATABASE crm_template")
        open_store(self.url("crm_template")).close()
        self.template = "crm_template"

    def new_database(self) -> str:
        name = f"crm_test_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return self.url(name)

    def empty_database(self) -> str:
        name = f"crm_empty_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)
