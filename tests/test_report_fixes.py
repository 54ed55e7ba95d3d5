"""Report audit fixes: owners grouped ignoring case, skipped quotas noted, attainment never
100% short of the quota, percents with thousands separators."""

import pytest

from crmtui.reports import layout
from crmtui.store.models import User
from tests.reportkit import Kit, by

START = ("Prospecting", "2026-01-02")


def _user(store, name):
    with store.write() as s:
        s.add(User(name=name))


@pytest.fixture
def kit(store):
    k = Kit(store)
    k.deal("w1", "1000", path=[START, ("Won", "2026-05-01")], owner="alan")
    k.deal("w2", "2000", path=[START, ("Won", "2026-05-02")], owner="Alan")
    k.deal("w3", "3000", path=[START, ("Won", "2026-05-03")], owner="ALAN ")
    k.deal("l1", "500", path=[START, ("Lost", "2026-05-04")], owner="alan")
    k.deal("o1", "700", path=[START, ("Proposal", "2026-05-05")], owner="Alan")
    k.deal("o2", "800", path=[START, ("Proposal", "2026-05-05")], owner="alan")
    k.deal("b1", "900", path=[START, ("Won", "2026-05-06")], owner="bob")
    k.activity("call", "2026-06-10", owner="alan")
    k.activity("call", "2026-06-10", owner="Alan")
    k.activity("email", "2026-06-11", owner="alan")
    return k


def test_by_owner_one_row_per_owner_ignoring_case(kit):
    # no team user named alan: the most common spelling (3 of 6 deals say "alan")
    win = kit.report("win-rate", by="owner")
    assert [r["owner"] for r in win["rows"]] == ["alan", "bob"]
    alan = by(win["rows"], "owner")["alan"]
    assert (alan["won"], alan["lost"], alan["won_amount"], alan["win_rate"]) == \
        (3, 1, "6000.00", 0.75)
    vel = kit.report("velocity", by="owner")
    assert [r["owner"] for r in vel["rows"]] == ["alan", "bob"]
    assert (by(vel["rows"], "owner")["alan"]["open_deals"],
            by(vel["rows"], "owner")["alan"]["won"]) == (2, 3)
    act = kit.report("activity")
    assert [(r["owner"], r["total"]) for r in act["rows"]] == [("alan", 3)]
    assert sorted((c["owner"], c["kind"], c["count"]) for c in act["cells"]) == [
        ("alan", "call", 2), ("alan", "email", 1)]


def test_by_owner_shows_the_team_users_name(kit, store):
    _user(store, "Alan")
    win = kit.report("win-rate", by="owner")
    assert [r["owner"] for r in win["rows"]] == ["Alan", "bob"]
    assert [r["owner"] for r in kit.report("velocity", by="owner")["rows"]] == ["Alan", "bob"]
    assert [r["owner"] for r in kit.report("activity")["rows"]] == ["Alan"]


def test_by_owner_tie_takes_the_smallest_spelling(store):
    k = Kit(store)
    k.deal("a", "100", path=[START, ("Won", "2026-05-01")], owner="zed")
    k.deal("b", "100", path=[START, ("Won", "2026-05-01")], owner="Zed")
    assert [r["owner"] for r in k.report("win-rate", by="owner")["rows"]] == ["Zed"]


def test_cli_win_rate_by_owner_case(cli):
    cli("opp", "add", "Old", "--amount", "100", "--owner", "alan")  # before the team
    cli("opp", "win", "Old")
    cli("user", "add", "Alan")
    cli("opp", "add", "Alan new", "--amount", "5000", "--owner", "alan")
    cli("opp", "win", "Alan new")
    rows = cli.json("report", "win-rate", "--by", "owner")["rows"]
    assert [(r["owner"], r["won"]) for r in rows] == [("Alan", 2)]
    rows = cli.json("report", "velocity", "--by", "owner")["rows"]
    assert [(r["owner"], r["won"]) for r in rows] == [("Alan", 2)]


def test_skipped_quota_is_noted(store):
    k = Kit(store)
    k.quota("grace", "2026-Q2", "1000", currency="EUR")
    result = k.report("attainment")
    assert result["rows"] == [] and len(result["skipped_quotas"]) == 1
    notes = layout.notes("attainment", result)
    assert any(n.startswith("Left out: 1 quota in EUR (grace 2026-Q2: 1,000.00 EUR)")
               and "[rates]" in n and "--currency EUR" in n for n in notes), notes
    empty = layout.empty("attainment", result)
    assert "No quota in USD" in empty and "--period" not in empty
    # with other quotas shown, the note is still there
    k.quota("ada", "2026-Q2", "500")
    result = k.report("attainment")
    assert [r["owner"] for r in result["rows"]] == ["ada"]
    assert layout.empty("attainment", result) is None
    assert any("Left out: 1 quota in EUR" in n for n in layout.all_notes("attainment", result))


def test_empty_attainment_does_not_suggest_the_period_given(store):
    k = Kit(store)
    k.quota("ada", "2026-Q2", "500")
    empty = layout.empty("attainment", k.report("attainment", period="2026-Q4", owner="bob"))
    assert "for 2026-Q4" in empty and "--period" not in empty
    assert "--period 2026-Q4" in layout.empty("attainment",
                                              k.report("attainment", owner="bob"))


def test_cli_skipped_quota_note(cli):
    cli("quota", "set", "--owner", "grace", "--period", "2026-Q4", "--amount", "1000",
        "--currency", "EUR")
    out = " ".join(cli("report", "attainment", "--period", "2026-Q4").stdout.split())
    assert "Left out: 1 quota in EUR (grace 2026-Q4: 1,000.00 EUR)" in out
    assert "--currency EUR" in out and "`--period 2026-Q4` picks one" not in out
    assert cli.json("report", "attainment", "--period", "2026-Q4")["skipped_quotas"] == [
        {"owner": "grace", "period": "2026-Q4", "currency": "EUR", "amount": "1000.00"}]


def test_attainment_never_100_percent_short_of_quota(store):
    k = Kit(store)
    k.quota("ada", "2026-Q2", "199932")
    k.quota("bob", "2026-Q2", "100000")
    k.deal("a", "199931", path=[START, ("Won", "2026-05-01")], owner="ada")
    k.deal("b", "100000", path=[START, ("Won", "2026-05-01")], owner="bob")
    result = k.report("attainment")
    rows = by(result["rows"], "owner")
    assert (rows["ada"]["attainment"], rows["ada"]["gap"]) == (0.9999, "1.00")
    assert (rows["bob"]["attainment"], rows["bob"]["gap"]) == (1.0, "0.00")
    assert (result["total"]["attainment"], result["total"]["gap"]) == (0.9999, "1.00")
    (section,) = layout.sections("attainment", result)
    shown, total = layout.formatted(section)
    assert [r["attainment"] for r in shown] == ["99.9%", "100.0%"]
    assert total["attainment"] == "99.9%"


def test_percent_cells():
    assert layout.cell(0.9999, "attained") == "99.9%"
    assert layout.cell(1.0, "attained") == "100.0%"
    assert layout.cell(12.3456, "attained") == "1,234.5%"
    assert layout.cell(0.625, "rate") == "62.5%"
    assert layout.cell(241273.8, "rate") == "24,127,380.0%"
