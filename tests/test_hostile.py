"""Hostile text in every field, shown by every CLI output on a real terminal (issue 7, test 7).

A corpus of markup, terminal control sequences (ESC/CSI/OSC 0/8/52, C1 bytes), bidi
overrides, NUL, a 1 MB name, emoji and combining marks is stored in every text field;
then every listing format, `show`, search, history, agenda, reports and exports run on a
pseudo-terminal. What reaches the terminal must hold no control sequence from the data
(the app's own colour codes are fine), every command must succeed, and the text must be
there in visible form.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys

import pytest

CORPUS = {
    "click": "[@click=app.quit]x[/]",
    "link": "[link=file:///etc/passwd]y[/link]",
    "close": "Acme [/] Corp",
    "markup": "[type=x, v={'a[0]'}]",
    "csi": "\x1b[31mred\x1b[0m\x1b[2J",
    "osc0": "\x1b]0;pwned title\x07",
    "osc8": "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
    "osc52": "\x1b]52;c;aGVsbG8=\x07",
    "c1": "\x9b31m\x9d0;x\x9c\x85\x8d",
    "bidi": "\u202eevil\u202c and \u2066iso\u2069",
    "nul": "nul\x00byte",
    "emoji": "Zoë 🧑‍💻 e\u0301 \U0001f1fa\U0001f1f8",
}
BIG = "B" * (1024 * 1024)
# what must never reach the terminal from data (the app's own SGR colour codes are allowed)
FORBIDDEN = [b"\x1b]", b"\x07", b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x9c", b"\xc2\x85", b"\xc2\x8d",
             b"\x1b[31mred", b"\x1b[2J", "\u202e".encode(), "\u2066".encode(), b"\x00"]


def run_on_pty(args: list[str], env: dict, timeout: float = 120) -> tuple[int, bytes]:
    """Run `crm args` with stdin/stdout/stderr on a pseudo-terminal; return (code, bytes)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "crmtui", *args], stdin=slave, stdout=slave,
                            stderr=slave, env={**env, "TERM": "xterm-256color",
                                               "COLUMNS": "200", "LINES": "50"},
                            close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError(f"crm {' '.join(args)} hung")
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=timeout), b"".join(chunks)


def assert_clean(output: bytes, what: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in output, f"{what}: {bad!r} reached the terminal"


@pytest.fixture
def hostile_store(cli, tmp_path):
    """Every text field of every record type holds hostile text."""
    names = list(CORPUS.values())
    for i, text in enumerate(names):
        cli("account", "add", text, "--industry", text, "--city", text, "--notes", text,
            "--owner", text, "--tags", text.replace(",", ";"), "--external-id", f"{text}#{i}")
        cli("lead", "add", f"{text} {text}", "--company", text, "--title", text, "--notes", text,
            "--source", text, "--owner", text, "--city", text)
        cli("contact", "add", f"{text} Person", "--account", str(i + 1), "--title", text,
            "--notes", text)
        cli("opp", "add", text, "--account", str(i + 1), "--next-step", text, "--notes", text,
            "--source", text, "--amount", "100", "--close-date", "2020-01-01")
        cli("activity", "add", "task", text, "--on", f"opp:{i + 1}", "--body", text,
            "--due", "today")
    too_long = cli("account", "add", BIG, code=1)      # a 1 MB name: a clear refusal
    assert "too long" in too_long.stderr and "Traceback" not in too_long.stderr
    cli("account", "add", "Big notes", "--notes", BIG)  # 1 MB of free text is kept
    cli("opp", "lose", "1", "--reason", CORPUS["osc52"])
    cli("lead", "disqualify", "2", "--reason", CORPUS["csi"])
    return names


COMMANDS = [
    ["lead", "list"], ["lead", "list", "--csv"], ["lead", "list", "--json"],
    ["lead", "list", "--jsonl"], ["account", "list"], ["account", "list", "--csv"],
    ["contact", "list"], ["opp", "list"], ["opp", "list", "--json"], ["activity", "list"],
    ["task", "list"], ["agenda"], ["lead", "show", "1"], ["lead", "show", "2"],
    ["account", "show", "1"], ["contact", "show", "1"], ["opp", "show", "1"],
    ["opp", "show", "2"], ["search", "red"], ["search", "evil"], ["history", "lead:1"],
    ["history", "opp:1"], ["dupes", "accounts"], ["export", "leads"],
    ["export", "opportunities", "--format", "json"], ["export", "accounts", "--format", "tsv"],
    ["privacy", "export", "lead:1"], ["pipeline", "list"], ["user", "list"], ["whoami"],
    ["import", "history"],
] + [["report", name] for name in ("pipeline", "forecast", "win-rate", "velocity", "funnel",
                                   "cycle", "lost-reasons", "sources", "activity", "accounts",
                                   "attainment")] + [
    ["report", "win-rate", "--by", "owner", "--md"], ["report", "lost-reasons", "--csv"],
    ["report", "sources", "--json"], ["report", "accounts", "--md"],
]


@pytest.mark.sqlite_only
def test_every_cli_output_is_safe_on_a_terminal(hostile_store, crm_home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    for args in COMMANDS:
        code, out = run_on_pty(args, env)
        assert code == 0, f"crm {' '.join(args)} exited {code}: {out[-2000:]!r}"
        assert_clean(out, "crm " + " ".join(args))
    code, out = run_on_pty(["account", "list", "--limit", "100"], env)
    text = out.decode("utf-8", "replace")
    assert "[@click=app.quit]x[/]" in text and "Acme [/] Corp" in text
    assert "␛]52;c;aGVsbG8=␇" in text and "<U+202E>evil" in text


@pytest.mark.sqlite_only
def test_errors_echoing_hostile_input_are_safe(hostile_store, crm_home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    for args in (["account", "show", CORPUS["osc52"] + "nope"],
                 ["opp", "add", "x", "--account", CORPUS["csi"]],
                 ["lead", "add", "x", "--email", CORPUS["osc8"]],
                 ["search", CORPUS["c1"]]):
        code, out = run_on_pty(args, env)
        assert code in (0, 1), (args, code, out[-500:])
        assert_clean(out, "crm " + " ".join(args))


def test_hostile_text_round_trips_through_json_and_export(hostile_store, cli, tmp_path):
    leads = cli.json("lead", "list", "--limit", "100")
    companies = {r["company"] for r in leads}
    assert set(hostile_store) - {CORPUS["nul"]} <= companies
    assert CORPUS["nul"].replace("\x00", "") in companies
    out = tmp_path / "accounts.jsonl"
    cli("export", "accounts", "--format", "jsonl", "-o", str(out))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert BIG in [r["notes"] for r in rows] and CORPUS["osc52"] in [r["name"] for r in rows]
