"""Hostile store text never reaches the terminal as control sequences or markup."""

import json

import pytest

from hypothesis import given, strategies as st

from crmtui.textsafe import json_safe, neutralise_formula, unneutralise, visible

HOSTILE = ["[@click=app.quit]x[/]", "[link=file:///etc/passwd]y[/link]", "Acme [/] Corp",
           "\x1b[31mred\x1b[0m", "\x1b]8;;http://evil\x07link\x1b]8;;\x07", "\x1b]52;c;aGk=\x07",
           "\x9b31m", "\u202eevil", "nul\x00byte"]


@pytest.mark.sqlite_only
@given(st.text())
def test_visible_has_no_control_characters(text):
    shown = visible(text)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in shown)
    assert "\u202e" not in shown


@pytest.mark.sqlite_only
def test_hostile_corpus_made_visible():
    for text in HOSTILE:
        shown = visible(text)
        assert "\x1b" not in shown and "\x9b" not in shown and "\x00" not in shown
    assert visible("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"


@pytest.mark.sqlite_only
@given(st.text())
def test_json_safe_stays_valid_json(text):
    encoded = json_safe(json.dumps(text, ensure_ascii=False))
    assert json.loads(encoded) == text
    assert not any(0x7f <= ord(c) <= 0x9f for c in encoded)


@pytest.mark.sqlite_only
@given(st.text())
def test_formula_neutralising_round_trips(text):
    assert unneutralise(neutralise_formula(text)) == text or text.startswith("'")
    assert not neutralise_formula(text).startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


def test_hostile_names_in_cli_output(cli):
    for i, name in enumerate(HOSTILE):
        cli("account", "add", name)
    out = cli("account", "list", "--limit", "100")
    assert "\x1b" not in out.stdout and "\x9b" not in out.stdout
    assert "[@click=app.quit]x[/]" in out.stdout
    raw = cli("account", "list", "--json", "--limit", "100").stdout
    assert "\x9b" not in raw and "\x1b" not in raw
    # stored as typed, except NUL characters, which the domain drops on every backend
    assert [r["name"] for r in json.loads(raw)] == [t.replace("\x00", "") for t in HOSTILE]
    shown = cli("account", "show", "1").stdout
    assert "[@click=app.quit]x[/]" in shown
