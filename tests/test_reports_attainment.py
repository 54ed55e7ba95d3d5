"""Quotas (`crm quota ...`) and `crm report attainment`: the gap worked out by hand."""

import pytest

from tests.reportkit import Kit, by

START = ("Prospecting", "2026-01-02")


@pytest.fixture
def kit(store):
    k = Kit(store)
    k.quota("ada", "2026-Q2", "10000")
    k.quota("Bob", "2026-Q2", "5000")
    k.quota("ada", "2026-Q3", "12000")
    k.quota("ada", "2026-06", "3000")
    k.deal("a1", "3000", path=[START, ("Won", "2026-04-10")], owner="ada")
    k.deal("a2", "1000", path=[START, ("Won", "2026-05-20")], owner="ADA")
    k.deal("a0", "2000", path=[START, ("Won", "2026-03-31")], owner="ada")   # Q1
    k.deal("a3", "4000", path=[START, ("Proposal", "2026-05-01")], owner="ada", close="2026-06-30")
    k.deal("a4", "9000", path=[START, ("Proposal", "2026-05-01")], owner="ada", close="2026-07-15")
    k.deal("a5", "5000", path=[START, ("Lost", "2026-05-01")], owner="ada")
    k.deal("b1", "6000", path=[START, ("Won", "2026-06-01")], owner="bob")
    return k


def test_current_period_quotas(kit):
    result = kit.report("attainment")  # NOW is 2026-06-15: 2026-Q2 and 2026-06
    assert [(r["owner"], r["period"]) for r in result["rows"]] == [
        ("ada", "2026-Q2"), ("Bob", "2026-Q2"), ("ada", "2026-06")]
    rows = {(r["owner"], r["period"]): r for r in result["rows"]}
    ada = rows[("ada", "2026-Q2")]
    # won 3,000 + 1,000 of 10,000: 40 %, gap 6,000; a3 (4,000 at 50 %) closes in June
    assert {k: ada[k] for k in ("quota", "won", "won_count", "attainment", "gap", "open_count",
                                "open_amount", "weighted", "coverage")} == {
        "quota": "10000.00", "won": "4000.00", "won_count": 2, "attainment": 0.4,
        "gap": "6000.00", "open_count": 1, "open_amount": "4000.00", "weighted": "2000.00",
        "coverage": 0.3333}
    bob = rows[("Bob", "2026-Q2")]
    assert (bob["won"], bob["attainment"], bob["gap"], bob["coverage"]) == \
        ("6000.00", 1.2, "0.00", None)
    june = rows[("ada", "2026-06")]
    assert (june["won"], june["gap"], june["weighted"]) == ("0.00", "3000.00", "2000.00")
    assert result["total"]["quota"] == "18000.00" and result["total"]["won"] == "10000.00"


def test_one_period_and_owner(kit):
    q3 = kit.report("attainment", period="2026-q3")
    assert [(r["owner"], r["won"], r["gap"], r["weighted"], r["open_count"])
            for r in q3["rows"]] == [("ada", "0.00", "12000.00", "4500.00", 1)]
    assert [r["period"] for r in kit.report("attainment", owner="bob")["rows"]] == ["2026-Q2"]
    spanning = kit.report("attainment", date_from="2026-06-20", date_to="2026-07-01")
    assert [(r["owner"], r["period"]) for r in spanning["rows"]] == [
        ("ada", "2026-Q2"), ("Bob", "2026-Q2"), ("ada", "2026-06"), ("ada", "2026-Q3")]


def test_no_quotas(store):
    result = Kit(store).report("attainment")
    assert (result["rows"], result["has_quotas"], result["total"]["attainment"]) == \
        ([], False, None)


def test_quota_commands(cli, store):
    cli("quota", "set", "--owner", "ada", "--period", "2026-Q4", "--amount", "50,000")
    again = cli.json("quota", "set", "--owner", "Ada", "--period", "2026q4", "--amount", "60000")
    assert (again["owner"], again["period"], again["amount"], again["version"]) == \
        ("ada", "2026-Q4", "60000.00", 2)
    cli("quota", "set", "--owner", "bob", "--period", "2026-11", "--amount", "1000",
        "--currency", "eur")
    listed = cli.json("quota", "list")
    assert [(q["owner"], q["period"], q["amount"], q["currency"], q["start"], q["end"])
            for q in listed] == [("ada", "2026-Q4", "60000.00", "USD", "2026-10-01", "2026-12-31"),
                                 ("bob", "2026-11", "1000.00", "EUR", "2026-11-01", "2026-11-30")]
    assert len(cli.json("quota", "list", "--owner", "BOB")) == 1
    bad = cli("quota", "set", "--owner", "ada", "--period", "2026-Q5", "--amount", "1", code=1)
    assert "not a period" in bad.stderr
    cli("quota", "delete", "--owner", "bob", "--period", "2026-11")
    assert len(cli.json("quota", "list")) == 1
    missing = cli("quota", "delete", "--owner", "bob", "--period", "2026-11", code=1)
    assert "no quota" in missing.stderr
    from crmtui.store.models import ChangeLog
    from sqlalchemy import select

    with store.read() as s:
        actions = [c.action for c in s.scalars(select(ChangeLog).where(ChangeLog.entity == "quota"))]
    assert actions == ["create", "edit", "create", "delete"]


def test_periods_parse_and_bounds():
    from datetime import date

    from crmtui.reports import periods

    assert periods.parse("q2 2026") == "2026-Q2"
    assert periods.parse("2026-2") == "2026-02"
    assert periods.bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert periods.bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert [label for label, _, _ in periods.span(date(2026, 11, 20), date(2027, 2, 1),
                                                  "quarter")] == ["2026-Q4", "2027-Q1"]
    assert periods.fill(["2026-Q4", "2026-Q2"], "quarter") == ["2026-Q2", "2026-Q3", "2026-Q4"]
    assert periods.label(date(2027, 1, 1), "week") == "2026-W53"
