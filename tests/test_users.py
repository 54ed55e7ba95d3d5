"""Team mode: users own records; lists default to mine with a switch to the team."""

from sqlalchemy import select

from crmtui.store.models import Lead


def test_single_user_mode_owner_is_free_text(cli, store, monkeypatch):
    monkeypatch.setenv("CRMTUI_USER", "solo")
    cli("lead", "add", "A Lead", "--owner", "Whoever")
    cli("lead", "add", "B Lead")
    with store.read() as s:
        assert [l.owner for l in s.scalars(select(Lead).order_by(Lead.id))] == ["Whoever", "solo"]
    assert len(cli.json("lead", "list")) == 2      # no "mine" filter without a team
    assert cli.json("whoami") == {"user": "solo", "known": False, "full_name": None,
                                  "team_mode": False, "source": "CRMTUI_USER"}


def test_team_mode_validates_owners_and_defaults_to_mine(cli, store, monkeypatch):
    cli("user", "add", "ada", "--full-name", "Ada Lovelace", "--email", "ada@example.com")
    cli("user", "add", "grace")
    assert [u["name"] for u in cli.json("user", "list")] == ["ada", "grace"]
    assert "already a user" in cli("user", "add", "ADA", code=1).stderr
    assert "not a user name" in cli("user", "add", "two words", code=1).stderr
    monkeypatch.setenv("CRMTUI_USER", "ada")
    cli("lead", "add", "Mine Lead")
    cli("lead", "add", "Her Lead", "--owner", "GRACE")
    result = cli("lead", "add", "Bob Lead", "--owner", "bob", code=1)
    assert "not a user of this team" in result.stderr and "ada, grace" in result.stderr
    with store.read() as s:
        assert sorted(s.scalars(select(Lead.owner))) == ["ada", "grace"]
    assert [r["name"] for r in cli.json("lead", "list")] == ["Mine Lead"]
    assert len(cli.json("lead", "list", "--team")) == 2
    assert [r["name"] for r in cli.json("lead", "list", "--owner", "grace")] == ["Her Lead"]
    assert "--team" in cli("lead", "list").stderr
    cli("task", "add", "Her task", "--owner", "grace", "--due", "today")
    cli("task", "add", "My task", "--due", "today")
    assert [t["subject"] for t in cli.json("agenda")["today"]] == ["My task"]
    assert len(cli.json("agenda", "--team")["today"]) == 2
    me = cli.json("whoami")
    assert me["known"] and me["full_name"] == "Ada Lovelace" and me["team_mode"]


def test_inactive_users_keep_records_but_get_no_new_ones(cli, store, monkeypatch):
    cli("user", "add", "ada")
    cli("user", "add", "grace")
    cli("lead", "add", "Old Lead", "--owner", "grace")
    cli("user", "deactivate", "grace")
    assert "not a user of this team" in cli("lead", "add", "New", "--owner", "grace",
                                            code=1).stderr
    assert cli.json("lead", "list", "--team")[0]["owner"] == "grace"
    cli("user", "activate", "grace")
    cli("lead", "edit", "Old Lead", "--owner", "ada")
    assert cli.json("lead", "show", "Old Lead")["owner"] == "ada"
