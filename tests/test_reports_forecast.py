"""`crm report forecast`: weighted, commit, best/worst case per period, worked out by hand."""

import pytest

from tests.reportkit import Kit, by, write_config


@pytest.fixture
def kit(store):
    k = Kit(store)
    open_ = [("Prospecting", "2026-05-01")]
    k.deal("F1", "10000", path=open_ + [("Proposal", "2026-06-01")], close="2026-06-20")
    k.deal("F2", "4000", path=open_ + [("Negotiation", "2026-06-01")], close="2026-06-30")
    k.deal("F3", "6000", path=open_ + [("Qualification", "2026-06-01")], probability=90,
           close="2026-07-10")
    k.deal("F4", "1000", path=open_, close="2026-05-20")       # slipped: before June
    k.deal("F5", "2000", path=open_ + [("Proposal", "2026-06-01")], close="2026-10-01")
    k.deal("F6", "500", path=open_)                             # no expected close date
    k.deal("F7", "800", path=open_, close="2026-06-10")         # in June, but overdue
    k.deal("W1", "3000", path=open_ + [("Won", "2026-06-05")], close="2026-06-30")
    k.deal("W2", "7000", path=open_ + [("Won", "2026-05-30")], close="2026-05-30")
    k.deal("L1", "9000", path=open_ + [("Lost", "2026-06-06")], close="2026-06-30")
    return k


def test_months_ahead(kit):
    result = kit.report("forecast", periods=3)
    assert [(r["period"], r["start"], r["end"]) for r in result["rows"]] == [
        ("2026-06", "2026-06-01", "2026-06-30"), ("2026-07", "2026-07-01", "2026-07-31"),
        ("2026-08", "2026-08-01", "2026-08-31")]
    june, july, august = result["rows"]
    # June: F1 10,000 @50 % + F2 4,000 @75 % + F7 800 @10 %; commit: F2 (75 >= 75); won: W1
    assert {k: june[k] for k in ("count", "amount", "weighted", "commit", "won_count", "won",
                                 "worst_case", "expected", "best_case")} == {
        "count": 3, "amount": "14800.00", "weighted": "8080.00", "commit": "4000.00",
        "won_count": 1, "won": "3000.00", "worst_case": "7000.00", "expected": "11080.00",
        "best_case": "17800.00"}
    # July: F3 6,000 at its own 90 %: weighted 5,400 and commit
    assert (july["count"], july["amount"], july["weighted"], july["commit"], july["won"]) == \
        (1, "6000.00", "5400.00", "6000.00", "0.00")
    assert (august["count"], august["amount"], august["best_case"]) == (0, "0.00", "0.00")
    assert result["earlier"] == {"count": 1, "amount": "1000.00", "weighted": "100.00",
                                 "commit": "0.00"}
    assert result["later"] == {"count": 1, "amount": "2000.00", "weighted": "1000.00",
                               "commit": "0.00"}
    assert result["undated"] == {"count": 1, "amount": "500.00", "weighted": "50.00",
                                 "commit": "0.00"}
    assert result["overdue"] == {"count": 2, "amount": "1800.00"}  # F4 and F7
    assert {k: result["total"][k] for k in ("count", "amount", "weighted", "commit", "won",
                                            "worst_case", "expected", "best_case")} == {
        "count": 4, "amount": "20800.00", "weighted": "13480.00", "commit": "10000.00",
        "won": "3000.00", "worst_case": "13000.00", "expected": "16480.00",
        "best_case": "23800.00"}


def test_quarters(kit):
    result = kit.report("forecast", by="quarter", periods=2)
    q2, q3 = result["rows"]
    assert (q2["period"], q3["period"]) == ("2026-Q2", "2026-Q3")
    # Q2 holds F1, F2, F7 and the slipped F4; W1 and W2 were won in it
    assert (q2["count"], q2["amount"], q2["weighted"], q2["won_count"], q2["won"]) == \
        (4, "15800.00", "8180.00", 2, "10000.00")
    assert (q3["count"], q3["amount"]) == (1, "6000.00")
    assert result["later"]["count"] == 1 and result["earlier"]["count"] == 0


def test_commit_stages_and_threshold_from_settings(kit, crm_home):
    write_config(crm_home, '[forecast]\ncommit_probability = 90\ncommit_stages = ["Proposal"]\n')
    june, july, _ = kit.report("forecast", periods=3)["rows"]
    # F1 sits in a commit stage; F2 (75 %) is below 90 now; F3's own 90 % still commits
    assert june["commit"] == "10000.00"
    assert july["commit"] == "6000.00"


def test_range_and_owner(kit):
    result = kit.report("forecast", date_from="2026-07-15", date_to="2026-10-31")
    assert [r["period"] for r in result["rows"]] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert result["earlier"]["count"] == 4  # F1 F2 F4 F7 (F3 closes in July, F6 undated)
    assert result["undated"]["count"] == 1
    assert result["rows"][-1]["amount"] == "2000.00"
    assert kit.report("forecast", owner="nobody")["total"]["count"] == 0


def test_as_of_starts_then(kit):
    # at the end of 05-31 everything here was open and in Prospecting (10 %): W2 was won 05-30
    result = kit.report("forecast", as_of="2026-05-31", periods=2)
    may, june = result["rows"]
    assert may["period"] == "2026-05"
    assert (may["count"], may["amount"], may["won_count"], may["won"]) == (1, "1000.00", 1,
                                                                          "7000.00")
    # June then: F1 F2 F7 W1 L1 all open at 10 %
    assert (june["count"], june["amount"], june["weighted"]) == (5, "26800.00", "2680.00")


def test_no_deals(store):
    result = Kit(store).report("forecast")
    assert len(result["rows"]) == 6 and result["total"]["count"] == 0
    assert result["total"]["best_case"] == "0.00"
