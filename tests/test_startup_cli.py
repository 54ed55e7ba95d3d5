"""Start-up of `crm` (issue 7): `crm --help` lists every sub-command from `COMMANDS` without
importing them, what it lists is what the commands themselves say, and a real process still
finishes its work and closes its files although `main` skips the teardown's collections."""

import json
import os
import subprocess
import sys

import pytest
import typer.main

from crmtui.cli import COMMANDS, app

pytestmark = pytest.mark.sqlite_only


def _built(name: str):
    return typer.main.get_command(app).get_command(None, name)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name):
    command = _built(name)
    assert command.name == name
    if not hasattr(command, "list_commands"):  # a group's line is its own, shorter summary
        assert COMMANDS[name][2] == command.get_short_help_str(200)


def test_help_lists_every_command_without_importing_them():
    code = ("import sys\nsys.argv = ['crm', '--help']\nfrom crmtui.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('crmtui.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    for name in COMMANDS:
        assert f"\n  {name} " in out
    assert out.strip().splitlines()[-1] == "['crmtui.commands.common']"


@pytest.mark.parametrize("argv", [["agenda", "--help"], ["merge", "--help"],
                                  ["whoami", "--help"]])
def test_top_level_command_help(cli, argv):
    result = cli(*argv)
    assert result.stdout.startswith(f"Usage: crm {argv[0]} [OPTIONS]")
    assert COMMANDS[argv[0]][2].split(":")[0] in " ".join(result.stdout.split())


def test_a_real_process_writes_reads_and_closes_its_files(tmp_path):
    """`main` leaves the objects of a finished command to the OS at exit (gc.freeze): the
    write is committed, the output complete, the database closed (no -wal or -shm left)."""
    db = tmp_path / "crm.db"
    env = {**os.environ, "CRMTUI_HOME": str(tmp_path), "CRMTUI_DB": str(db)}

    def crm(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "crmtui", *args], env=env, check=True,
                              capture_output=True, text=True).stdout

    assert crm("lead", "add", "Ada Lovelace", "--email", "ada@example.com").strip() == "1"
    out = tmp_path / "leads.csv"
    crm("export", "leads", "-o", str(out))
    assert [r["email"] for r in json.loads(crm("lead", "list", "--json"))] == ["ada@example.com"]
    assert out.read_text().count("\n") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db", "leads.csv"]
