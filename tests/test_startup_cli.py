"""The lazy root command (issue 7): `crm --help` lists every sub-command from `COMMANDS`
without importing them, and what it lists is what the commands themselves say."""

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
