"""Team mode: users own records; lists default to mine with a switch to the team."""

import csv
import io
import json

from sqlalchemy import func, select

from crmtui.store.models import Lead, Opportunity, Quota


def test_single_user_mode_owner_is_free_text(cli, store, monkeypatch):
    monkeypatch.setenv("CRMTUI_USER", "solo")
    cli("lead", "add", "A Lead", "--owner", "Whoever")
    cli("lead", "add", "B Lead")
    with store.read() as s:
        assert [l.owner for l in s.scalars(select(Lead).order_by(Lead.id))] == ["Whoever", "solo"]
    assert len(cli.json("lead", "list")) == 2      # no "mine" filter without a team
    assert cli.json("whoami") == {"user": "solo", "known": False, "full_name": None,
                                  "team_mode": False, "active": None, "source": "CRMTUI_USER"}


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
    refused = cli("lead", "add", "New", "--owner", "grace", code=1).stderr
    assert "grace is inactive" in refused and "not a user" not in refused
    assert "crm user activate grace" in refused
    assert cli.json("lead", "list", "--team")[0]["owner"] == "grace"
    cli("user", "activate", "grace")
    cli("lead", "edit", "Old Lead", "--owner", "ada")
    assert cli.json("lead", "show", "Old Lead")["owner"] == "ada"


def _count(store, model) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_unknown_or_inactive_me_cannot_default_the_owner(cli, store, monkeypatch):
    cli("user", "add", "ada")
    cli("user", "add", "grace")
    monkeypatch.setenv("CRMTUI_USER", "zed")
    refused = cli("opp", "add", "X", "--amount", "10", code=1).stderr
    assert "you are 'zed' (CRMTUI_USER), who is not a user of this team" in refused
    assert "--owner" in refused and "ada, grace" in refused and "crm user add zed" in refused
    assert "cannot default to you" in cli("lead", "add", "Y", code=1).stderr
    assert _count(store, Opportunity) == 0 and _count(store, Lead) == 0  # nothing unowned
    deal = cli.json("opp", "add", "X", "--amount", "10", "--owner", "ada")
    assert deal["owner"] == "ada"  # an explicit owner is fine
    assert "not a user of this team" in cli("whoami").stderr
    cli("user", "deactivate", "grace")
    monkeypatch.setenv("CRMTUI_USER", "Grace")
    refused = cli("opp", "add", "Z", "--amount", "10", code=1).stderr
    assert "you are grace (CRMTUI_USER), who is inactive" in refused
    assert "crm user activate grace" in refused
    me = cli.json("whoami")
    assert (me["known"], me["active"]) == (True, False)
    assert "grace is inactive" in cli("whoami").stderr.lower()
    cli("user", "activate", "grace")
    assert cli.json("opp", "add", "Z", "--amount", "10")["owner"] == "grace"
    # nobody set: records stay unowned, as before
    monkeypatch.delenv("CRMTUI_USER")
    assert cli.json("opp", "add", "W", "--amount", "10")["owner"] is None


def test_me_from_config_is_named_in_the_refusal(cli, store, crm_home):
    from tests.reportkit import write_config

    cli("user", "add", "ada")
    write_config(crm_home, 'user = "zed"\n')
    refused = cli("opp", "add", "X", "--amount", "10", code=1).stderr
    assert "`user` in config.toml" in refused
    assert cli.json("whoami")["source"] == "config.toml"


def test_quota_owner_follows_the_team_rule(cli, store):
    cli("quota", "set", "--owner", "Whoever", "--period", "2026-Q4", "--amount", "10")  # solo
    cli("user", "add", "ada")
    cli("user", "add", "grace")
    refused = cli("quota", "set", "--owner", "zed", "--period", "2026-Q4", "--amount", "1000",
                  code=1).stderr
    assert "'zed' is not a user of this team" in refused
    cli("quota", "set", "--owner", "ADA", "--period", "2026-Q4", "--amount", "1000")
    cli("quota", "set", "--owner", "grace", "--period", "2026-Q4", "--amount", "500")
    cli("user", "deactivate", "grace")
    assert "grace is inactive" in cli("quota", "set", "--owner", "grace", "--period",
                                      "2026-Q4", "--amount", "600", code=1).stderr
    with store.read() as s:
        assert sorted(s.scalars(select(Quota.owner))) == ["Whoever", "ada", "grace"]
    assert [q["amount"] for q in cli.json("quota", "list", "--owner", "grace")] == ["500.00"]
    cli("quota", "delete", "--owner", "grace", "--period", "2026-Q4")  # still possible
    assert _count(store, Quota) == 2


def test_user_list_formats_show_active_plainly(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    cli("user", "add", "ada", "--email", "ada@example.com")
    cli("user", "add", "grace")
    cli("user", "deactivate", "grace")
    table = cli("user", "list").stdout
    ada = next(line for line in table.splitlines() if "ada" in line)
    grace = next(line for line in table.splitlines() if "grace" in line)
    assert " yes " in ada and " no " in grace
    rows = list(csv.DictReader(io.StringIO(cli("user", "list", "--csv").stdout)))
    assert [(r["name"], r["email"], r["active"]) for r in rows] == [
        ("ada", "ada@example.com", "yes"), ("grace", "", "no")]
    lines = [json.loads(line) for line in cli("user", "list", "--jsonl").stdout.splitlines()]
    assert lines == cli.json("user", "list")
    assert [(u["name"], u["active"]) for u in lines] == [("ada", True), ("grace", False)]
    assert "choose one output format" in cli("user", "list", "--csv", "--json",
                                             code=2).stderr


def test_deactivating_a_user_says_what_they_still_own_and_whoami_names_the_user(
        cli, store, monkeypatch):
    cli("user", "add", "ada")
    cli("user", "add", "grace")
    cli("opp", "add", "Open deal", "--amount", "10", "--owner", "ada")
    cli("opp", "add", "Won deal", "--amount", "10", "--owner", "ada")
    cli("opp", "win", "Won deal")
    cli("lead", "add", "Some Lead", "--owner", "ada")
    cli("task", "add", "Call back", "--owner", "ada", "--due", "+1d")
    result = cli("user", "deactivate", "ada")
    assert "ada is now inactive" in result.stderr
    assert "ada still owns 1 open deal, 1 lead being worked, 1 open task" in result.stderr
    assert "still owns" not in cli("user", "deactivate", "grace").stderr
    assert "still owns" not in cli("user", "activate", "ada").stderr
    monkeypatch.setenv("CRMTUI_USER", "ADA")  # the user's name, not the variable's spelling
    assert cli.json("whoami")["user"] == "ada"
