"""Test isolation and backends.

Every test gets its own data folder; nothing touches a real store. Tests that use a store
run once per backend: SQLite, and PostgreSQL when the machine has its server binaries
(a throwaway cluster is started for the session, see tests/pgserver.py). Mark a test
`sqlite_only` when it is about SQLite itself (files, pragmas) or uses no store at all.
CRMTUI_TEST_PG=0 runs SQLite only; with server binaries present and PostgreSQL tests not
run otherwise, the session fails, so CI cannot silently skip them.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from tests import pgserver

# Property tests draw the same examples every run (a red CI is a change's fault, not a new
# draw); CRMTUI_HYPOTHESIS=random explores new ones.
settings.register_profile("fixed", derandomize=True, database=None)
settings.register_profile("random")
settings.load_profile("random" if os.environ.get("CRMTUI_HYPOTHESIS") == "random" else "fixed")

_PG = {"server": None, "eligible": 0, "ran": 0, "error": None}


def _pg_wanted() -> bool:
    return os.environ.get("CRMTUI_TEST_PG", "1") != "0"


def _pg_possible() -> bool:
    return pgserver.find_bin_dir() is not None and pgserver.driver_available()


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs on SQLite only (file- or "
                                       "pragma-level behaviour, or no store at all)")


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    backends = ["sqlite"]
    if (metafunc.definition.get_closest_marker("sqlite_only") is None
            and _pg_wanted() and _pg_possible()):
        backends.append("postgresql")
    metafunc.parametrize("backend", backends, indirect=True)


def pytest_collection_finish(session):
    """Count the selected tests that should also run on PostgreSQL (after -k / deselection)."""
    _PG["eligible"] = sum(1 for item in session.items
                          if "backend" in getattr(item, "fixturenames", ())
                          and item.get_closest_marker("sqlite_only") is None)


def _pg_server():
    if _PG["server"] is None and _PG["error"] is None:
        try:
            server = pgserver.Server(pgserver.find_bin_dir())
            server.start()
            server.make_template()
            _PG["server"] = server
        except Exception as exc:  # reported once, and every PostgreSQL test fails with it
            _PG["error"] = exc
    if _PG["error"] is not None:
        pytest.fail(f"could not start a PostgreSQL test server: {_PG['error']}")
    return _PG["server"]


def pytest_sessionfinish(session, exitstatus):
    if _PG["server"] is not None:
        _PG["server"].stop()
    if (_pg_wanted() and pgserver.find_bin_dir() is not None and _PG["eligible"]
            and not pgserver.driver_available()):
        session.exitstatus = 1
        print("\nERROR: PostgreSQL server binaries are installed but the PostgreSQL tests "
              "could not run: psycopg is not installed (pip install -e '.[test]')")


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"backends: sqlite; postgresql: {_PG['ran']} tests ran on it"
                                + ("" if _PG["ran"] else " (" + pytest_report_header(None) + ")"))


def pytest_report_header(config):
    if not _pg_wanted():
        return "backends: sqlite (CRMTUI_TEST_PG=0)"
    if not _pg_possible():
        return "backends: sqlite (no PostgreSQL server binaries or psycopg: PostgreSQL tests skipped)"
    return f"backends: sqlite, postgresql ({pgserver.find_bin_dir()})"


@pytest.fixture(autouse=True)
def backend(request):
    """Which store this test runs on: 'sqlite' or 'postgresql'."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(autouse=True)
def crm_home(tmp_path, monkeypatch, backend):
    home = tmp_path / "crmhome"
    monkeypatch.setenv("CRMTUI_HOME", str(home))
    for var in ("CRMTUI_DB", "CRMTUI_USER"):
        monkeypatch.delenv(var, raising=False)
    if backend == "postgresql":
        monkeypatch.setenv("CRMTUI_DB", _pg_server().new_database())
        _PG["ran"] += 1
    monkeypatch.setenv("TZ", "UTC")
    from crmtui import config
    from crmtui.commands.common import state

    config.load.cache_clear()
    state.db = None
    yield home
    config.load.cache_clear()
    state.db = None


@pytest.fixture
def another_store(backend, tmp_path):
    """A function giving the target (path or URL) of another empty store on this backend."""
    made = iter(range(1, 1000))

    def make() -> str:
        if backend == "postgresql":
            return _pg_server().new_database()
        return str(tmp_path / f"another{next(made)}.db")

    return make


class Cli:
    """Runs `crm ...` in-process and checks the exit code."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, code: int | None = 0):
        from crmtui.cli import app

        result = self.runner.invoke(app, [str(a) for a in args], input=input,
                                    catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (
                f"crm {' '.join(map(str, args))} exited {result.exit_code}, wanted {code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def json(self, *args: str, input: str | None = None):
        return json.loads(self(*args, "--json", input=input).stdout)


@pytest.fixture
def cli():
    return Cli()


@pytest.fixture
def store(crm_home):
    from crmtui.store.migrate import open_store

    s = open_store()
    yield s
    s.close()
