"""`crm report win-rate` and `crm report velocity`, worked out by hand."""

import pytest

from tests.reportkit import Kit, by, write_config

START = ("Prospecting", "2026-01-02")


@pytest.fixture
def kit(store):
    k = Kit(store)
    k.deal("a1", "1000", path=[START, ("Won", "2026-01-15")], owner="ada", source="web")
    k.deal("a2", "3000", path=[START, ("Won", "2026-04-10")], owner="ada", source="web")
    k.deal("a3", "2000", path=[START, ("Lost", "2026-04-20")], owner="ada", source="web")
    k.deal("a4", "2000", path=[START, ("Won", "2026-06-10")], owner="ada", source="event")
    k.deal("b1", "500", path=[START, ("Lost", "2026-02-01")], owner="bob", source="event")
    k.deal("b2", "0", path=[START, ("Won", "2026-05-05")], owner="bob")  # a zero amount
    k.deal("b3", "1000", path=[START, ("Lost", "2026-06-01")], owner="bob")
    # lost, then reopened: open now, so not a closed deal
    k.deal("r1", "4000", path=[START, ("Lost", "2026-03-01"), ("Proposal", "2026-03-05")])
    # another currency: left out, and listed
    k.deal("e1", "9000", path=[START, ("Won", "2026-02-02")], currency="EUR")
    return k


def test_totals_and_quarters(kit):
    result = kit.report("win-rate")
    assert (result["won"], result["lost"], result["win_rate"], result["won_amount"],
            result["lost_amount"]) == (4, 3, 0.5714, "6000.00", "3500.00")  # 4 / 7
    assert result["rows"] == [
        {"period": "2026-Q1", "won": 1, "lost": 1, "win_rate": 0.5, "won_amount": "1000.00",
         "lost_amount": "500.00"},
        {"period": "2026-Q2", "won": 3, "lost": 2, "win_rate": 0.6, "won_amount": "5000.00",
         "lost_amount": "3000.00"},
    ]
    assert result["excluded"] == [{"currency": "EUR", "count": 1, "amount": "9000.00"}]


def test_months_fill_the_gaps(kit):
    rows = kit.report("win-rate", by="month")["rows"]
    assert [(r["period"], r["won"], r["lost"], r["win_rate"]) for r in rows] == [
        ("2026-01", 1, 0, 1.0), ("2026-02", 0, 1, 0.0), ("2026-03", 0, 0, None),
        ("2026-04", 1, 1, 0.5), ("2026-05", 1, 0, 1.0), ("2026-06", 1, 1, 0.5)]


def test_by_owner_source_pipeline(kit):
    owners = kit.report("win-rate", by="owner")["rows"]
    assert [(r["owner"], r["won"], r["lost"], r["win_rate"], r["won_amount"]) for r in owners] == [
        ("ada", 3, 1, 0.75, "6000.00"), ("bob", 1, 2, 0.3333, "0.00")]
    sources = by(kit.report("win-rate", by="source")["rows"], "source")
    assert (sources["web"]["won"], sources["web"]["lost"]) == (2, 1)
    assert (sources["event"]["won"], sources["event"]["lost"]) == (1, 1)
    assert (sources["(none)"]["won"], sources["(none)"]["lost"]) == (1, 1)
    assert kit.report("win-rate", by="pipeline")["rows"][0]["pipeline"] == "Sales"


def test_date_range_is_by_close_date(kit):
    result = kit.report("win-rate", date_from="2026-04-01", date_to="2026-06-30")
    assert (result["won"], result["lost"], result["win_rate"]) == (3, 2, 0.6)
    assert [r["period"] for r in result["rows"]] == ["2026-Q2"]
    # one day: 04-10 counts, 04-20 does not
    assert kit.report("win-rate", date_from="2026-04-10", date_to="2026-04-10")["won"] == 1


def test_rate_includes_other_currency(kit, crm_home):
    write_config(crm_home, '[rates]\nEUR = "1.5"\n')
    result = kit.report("win-rate")
    assert (result["won"], result["won_amount"], result["excluded"]) == (5, "19500.00", [])


def test_no_closed_deals(store):
    k = Kit(store)
    k.deal("open", "100", path=[START])
    result = k.report("win-rate")
    assert (result["won"], result["lost"], result["win_rate"], result["won_amount"],
            result["rows"]) == (0, 0, None, "0.00", [])
    assert k.report("velocity")["velocity"] is None


def test_by_stage_lost_at(store):
    k = Kit(store)
    k.deal("w1", "1000", path=[START, ("Qualification", "2026-02-01"), ("Won", "2026-03-01")])
    k.deal("w2", "3000", path=[START, ("Won", "2026-03-01")])
    k.deal("l1", "100", path=[START, ("Qualification", "2026-02-01"), ("Lost", "2026-03-01")])
    # moved on to Proposal, back to Qualification, then lost there
    k.deal("l2", "200", path=[START, ("Proposal", "2026-02-01"), ("Qualification", "2026-02-10"),
                              ("Lost", "2026-03-01")])
    k.deal("l3", "400", path=[START, ("Proposal", "2026-02-01"), ("Lost", "2026-03-01")])
    # lost, reopened into Negotiation and lost again: lost at Negotiation
    k.deal("l4", "800", path=[START, ("Lost", "2026-02-01"), ("Negotiation", "2026-02-05"),
                              ("Lost", "2026-03-01")])
    # imported lost without history: unknown
    k.deal("l5", "1600", path=[("Lost", "2026-03-01")], created="2026-01-01", history=False)
    result = k.report("win-rate", by="stage-lost-at")
    assert (result["won"], result["lost"], result["win_rate"]) == (2, 5, 0.2857)
    rows = by(result["rows"], "stage")
    # lost at: Qualification l1 l2, Proposal l3, Negotiation l4, unknown l5
    assert [(r["stage"], r["won"], r["lost"], r["win_rate"], r["lost_here"],
             r["lost_here_amount"]) for r in result["rows"]] == [
        ("Prospecting", 2, 4, 0.3333, 0, "0.00"),
        ("Qualification", 2, 4, 0.3333, 2, "300.00"),
        ("Proposal", 2, 2, 0.5, 1, "400.00"),
        ("Negotiation", 2, 1, 0.6667, 1, "800.00"),
        ("(unknown)", None, None, None, 1, "1600.00"),
    ]
    assert rows["Prospecting"]["won_amount"] == "4000.00"


def test_unknown_grouping_is_refused(kit):
    from crmtui.errors import Invalid

    with pytest.raises(Invalid, match="cannot be grouped by 'week'"):
        kit.report("win-rate", by="week")


# -- velocity -----------------------------------------------------------------------------------

@pytest.fixture
def vkit(store):
    k = Kit(store)
    # won: 1,000 after 10 days (ada), 3,000 after 30 days (bob); lost: one each
    k.deal("w1", "1000", path=[("Prospecting", "2026-05-01"), ("Won", "2026-05-11")], owner="ada")
    k.deal("w2", "3000", path=[("Prospecting", "2026-04-01"), ("Won", "2026-05-01")], owner="bob")
    k.deal("l1", "5000", path=[("Prospecting", "2026-04-01"), ("Lost", "2026-04-05")], owner="ada")
    k.deal("l2", "7000", path=[("Prospecting", "2026-04-01"), ("Lost", "2026-04-09")], owner="bob")
    for i in range(3):
        k.deal(f"o{i}", "100", path=[("Proposal", "2026-06-01")], owner="ada")
    k.deal("o3", "100", path=[("Proposal", "2026-06-01")], owner="bob")
    return k


def test_velocity_factors(vkit):
    result = vkit.report("velocity")
    # 4 open x 2,000 average won x 0.5 win rate / 20 days = 200 a day
    assert {k: result[k] for k in ("open_deals", "won", "lost", "win_rate", "won_amount",
                                   "avg_won_amount", "avg_cycle_days", "velocity",
                                   "velocity_30d")} == {
        "open_deals": 4, "won": 2, "lost": 2, "win_rate": 0.5, "won_amount": "4000.00",
        "avg_won_amount": "2000.00", "avg_cycle_days": 20.0, "velocity": "200.00",
        "velocity_30d": "6000.00"}
    assert result["rows"] == []


def test_velocity_by_owner(vkit):
    rows = by(vkit.report("velocity", by="owner")["rows"], "owner")
    # ada: 3 x 1,000 x 0.5 / 10 = 150; bob: 1 x 3,000 x 0.5 / 30 = 50
    assert (rows["ada"]["open_deals"], rows["ada"]["velocity"]) == (3, "150.00")
    assert (rows["bob"]["open_deals"], rows["bob"]["avg_cycle_days"], rows["bob"]["velocity"]) \
        == (1, 30.0, "50.00")


def test_velocity_excludes_open_and_closed_amounts_without_a_rate(vkit):
    vkit.deal("eur open", "2000", path=[("Proposal", "2026-06-01")], currency="EUR")
    vkit.deal("eur lost", "400", path=[("Prospecting", "2026-04-01"), ("Lost", "2026-04-09")],
              currency="EUR")
    result = vkit.report("velocity")
    assert result["excluded"] == [{"currency": "EUR", "count": 2, "amount": "2400.00"}]
    assert (result["open_deals"], result["lost"], result["velocity"]) == (4, 2, "200.00")
    by_owner = vkit.report("velocity", by="owner")
    assert by_owner["excluded"] == result["excluded"]


def test_velocity_range_keeps_open_deals(vkit):
    # closed in May only: w1 and w2, no losses -> win rate 1
    result = vkit.report("velocity", date_from="2026-05-01", date_to="2026-05-31")
    assert (result["won"], result["lost"], result["win_rate"], result["open_deals"],
            result["velocity"]) == (2, 0, 1.0, 4, "400.00")


def test_periods_same_by_index_ranges_and_by_group(kit, monkeypatch):
    """Periods are read as index ranges per period; past MAX_ARMS, by one GROUP BY."""
    from crmtui.reports import win_rate

    fast = [kit.report("win-rate", by=by, **rng) for by in ("quarter", "month")
            for rng in ({}, {"date_from": "2026-02-01", "date_to": "2026-05-31"})]
    monkeypatch.setattr(win_rate, "MAX_ARMS", 0)
    grouped = [kit.report("win-rate", by=by, **rng) for by in ("quarter", "month")
               for rng in ({}, {"date_from": "2026-02-01", "date_to": "2026-05-31"})]
    for a, b in zip(fast, grouped):
        assert a["rows"] == b["rows"] and a["excluded"] == b["excluded"]
    assert [r["period"] for r in fast[3]["rows"]] == ["2026-02", "2026-03", "2026-04", "2026-05"]
