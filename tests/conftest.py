"""Test isolation: every test gets its own data folder; nothing touches a real store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner


@pytest.fixture(autouse=True)
def crm_home(tmp_path, monkeypatch):
    home = tmp_path / "crmhome"
    monkeypatch.setenv("CRMTUI_HOME", str(home))
    for var in ("CRMTUI_DB", "CRMTUI_USER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    from crmtui import config
    from crmtui.commands.common import state

    config.load.cache_clear()
    state.db = None
    yield home
    config.load.cache_clear()
    state.db = None


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
