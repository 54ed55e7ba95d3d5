"""`crm report lost-reasons`, `sources`, `activity` and `accounts`, worked out by hand."""

from tests.reportkit import Kit, by, write_config

START = ("Prospecting", "2026-01-02")


def test_lost_reasons(store):
    k = Kit(store)
    k.deal("l1", "1000", path=[START, ("Lost", "2026-03-01")], lost_reason="Price too high")
    k.deal("l2", "3000", path=[START, ("Lost", "2026-03-02")], lost_reason="Price too high")
    k.deal("l3", "500", path=[START, ("Lost", "2026-04-01")], lost_reason=" price too high ")
    k.deal("l4", "2000", path=[START, ("Lost", "2026-04-02")], lost_reason="No budget")
    k.deal("l5", "0", path=[("Lost", "2026-04-03")], created="2026-01-01", history=False,
           lost_reason="")  # imported without a reason
    k.deal("w", "9999", path=[START, ("Won", "2026-04-03")])
    k.deal("eur", "100", path=[START, ("Lost", "2026-04-03")], currency="EUR",
           lost_reason="No budget")
    result = k.report("lost-reasons")
    assert (result["lost"], result["lost_amount"]) == (5, "6500.00")
    assert result["rows"] == [
        {"reason": "Price too high", "count": 3, "amount": "4500.00", "share": 0.6,
         "amount_share": 0.6923},
        {"reason": "No budget", "count": 1, "amount": "2000.00", "share": 0.2,
         "amount_share": 0.3077},
        {"reason": "(none)", "count": 1, "amount": "0.00", "share": 0.2, "amount_share": 0.0},
    ]
    assert result["excluded"] == [{"currency": "EUR", "count": 1, "amount": "100.00"}]
    april = k.report("lost-reasons", date_from="2026-04-01")
    assert [(r["reason"], r["count"]) for r in april["rows"]] == [
        ("No budget", 1), ("price too high", 1), ("(none)", 1)]


def test_lost_reasons_group_ignoring_case_and_inner_spaces(store):
    k = Kit(store)
    lost = [START, ("Lost", "2026-03-01")]
    for i, (reason, amount) in enumerate((("Price  too HIGH", "100"), ("price too high", "200"),
                                          ("price\ttoo high ", "300"), ("Price too high", "1"),
                                          ("Zu teuer: Straße", "10"),
                                          ("zu teuer: STRASSE", "20"))):
        k.deal(f"l{i}", amount, path=lost, lost_reason=reason)
    rows = k.report("lost-reasons")["rows"]
    # shown in the most common spelling (spaces tidied): "price too high" twice
    assert [(r["reason"], r["count"], r["amount"]) for r in rows] == [
        ("price too high", 4, "601.00"), ("Zu teuer: Straße", 2, "30.00")]


def test_sources(store):
    k = Kit(store)
    won = k.deal("won", "5000", path=[START, ("Won", "2026-05-20")])
    still_open = k.deal("open", "100", path=[START])
    lost = k.deal("lost", "100", path=[START, ("Lost", "2026-05-20")])
    k.lead("w1", source="web")
    k.lead("w2", source="Web", status="qualified")
    k.lead("w3", source="web", status="converted", opportunity_id=won)
    k.lead("w4", source="web ", status="converted", opportunity_id=still_open)
    k.lead("r1", source="referral", status="disqualified")
    k.lead("r2", source="referral", status="converted", opportunity_id=lost)
    k.lead("n1")
    k.lead("old", source="event", created="2025-01-01")
    result = k.report("sources", date_from="2026-01-01")
    assert result["rows"] == [
        {"source": "Web", "leads": 4, "qualified": 3, "converted": 2, "won": 1,
         "won_amount": "5000.00", "qualified_rate": 0.75, "converted_rate": 0.5,
         "won_rate": 0.5, "lead_to_won": 0.25},
        {"source": "referral", "leads": 2, "qualified": 1, "converted": 1, "won": 0,
         "won_amount": "0.00", "qualified_rate": 0.5, "converted_rate": 0.5, "won_rate": 0.0,
         "lead_to_won": 0.0},
        {"source": "(none)", "leads": 1, "qualified": 0, "converted": 0, "won": 0,
         "won_amount": "0.00", "qualified_rate": 0.0, "converted_rate": 0.0, "won_rate": None,
         "lead_to_won": 0.0},
    ]
    assert (result["leads"], result["qualified"], result["converted"], result["won"],
            result["won_amount"], result["lead_to_won"]) == (7, 4, 3, 1, "5000.00", 0.1429)
    assert k.report("sources")["leads"] == 8  # all time: the 2025 lead too


def test_activity(store):
    k = Kit(store)
    # NOW is Monday 2026-06-15 12:00: weeks 2026-W24 (06-08..06-14) and W25 (from 06-15)
    k.activity("call", "2026-06-09")
    k.activity("call", "2026-06-15 10:00")
    k.activity("email", "2026-06-10")
    k.activity("meeting", "2026-06-12", owner="bob")
    k.activity("task", "2026-06-15 09:00", owner="bob")
    k.activity("task", None, due="2026-06-16", owner="bob")  # open: not counted
    k.activity("call", "2026-06-01")                          # before the two weeks
    idle = k.deal("idle", "700", path=[("Proposal", "2026-05-01")], last_activity="2026-05-26")
    k.deal("fresh", "100", path=[("Proposal", "2026-06-12")])
    never = k.deal("never", "300", path=[("Prospecting", "2026-05-16")])
    k.deal("closed", "100", path=[("Won", "2026-01-01")])
    result = k.report("activity", periods=2)
    assert result["weeks"] == ["2026-W24", "2026-W25"]
    assert result["week_starts"] == ["2026-06-08", "2026-06-15"]
    rows = by(result["rows"], "owner")
    assert [r["owner"] for r in result["rows"]] == ["ada", "bob"]
    assert (rows["ada"]["total"], rows["ada"]["call"], rows["ada"]["email"],
            rows["ada"]["per_week"]) == (3, 2, 1, [2, 1])
    assert (rows["bob"]["total"], rows["bob"]["meeting"], rows["bob"]["task"],
            rows["bob"]["per_week"]) == (2, 1, 1, [1, 1])
    assert result["total"]["total"] == 5 and result["total"]["per_week"] == [3, 2]
    assert {"owner": "ada", "kind": "call", "week": "2026-W24", "count": 1} in result["cells"]
    # idle (14 days): "idle" since 05-26 (20 days), "never" since creation (30 days)
    assert (result["idle_days"], result["idle_deals"], result["idle_amount"]) == \
        (14, 2, "1000.00")
    assert [(r["id"], r["days_idle"]) for r in result["idle"]] == [(never, 30.0), (idle, 20.0)]
    assert k.report("activity", days=25)["idle_deals"] == 1
    assert k.report("activity", owner="bob", periods=2)["total"]["total"] == 2


def test_accounts(store, crm_home):
    k = Kit(store)
    acme, beta, gamma, delta, eps = (k.account(n) for n in ("Acme", "Beta", "Gamma", "Delta",
                                                            "Epsilon"))
    k.deal("a1", "5000", path=[START, ("Won", "2026-02-01")], account_id=acme)
    k.deal("a2", "3000", path=[START, ("Won", "2026-05-01")], account_id=acme)
    k.deal("a3", "1000", path=[START], account_id=acme)
    k.deal("b1", "1500", path=[START, ("Won", "2026-05-01")], account_id=beta)
    k.deal("g1", "500", path=[START, ("Won", "2026-01-10")], account_id=gamma)
    k.deal("d1", "2000", path=[START], account_id=delta)
    k.deal("e1", "0", path=[START, ("Won", "2026-01-10")], account_id=eps)
    k.deal("x", "4000", path=[START, ("Lost", "2026-05-01")], account_id=delta)
    k.activity("call", "2026-06-01", account_id=beta)
    result = k.report("accounts")
    assert (result["accounts"], result["customers"], result["won_amount"]) == (5, 3, "10000.00")
    # Acme brings 80 %: A; Beta the next 15 %: B; Gamma the last 5 %: C
    assert result["segments"] == [
        {"segment": "A", "accounts": 1, "won_amount": "8000.00", "share": 0.8},
        {"segment": "B", "accounts": 1, "won_amount": "1500.00", "share": 0.15},
        {"segment": "C", "accounts": 1, "won_amount": "500.00", "share": 0.05},
    ]
    rows = result["rows"]
    assert [(r["account"], r["segment"], r["won_amount"], r["won_deals"], r["open_amount"],
             r["open_deals"], r["cumulative_share"]) for r in rows] == [
        ("Acme", "A", "8000.00", 2, "1000.00", 1, 0.8),
        ("Beta", "B", "1500.00", 1, "0.00", 0, 0.95),
        ("Gamma", "C", "500.00", 1, "0.00", 0, 1.0)]
    assert rows[1]["last_activity_at"] == "2026-06-01T12:00:00Z"
    # at risk (90 days): Gamma, quiet since 01-10; Beta closed and talked recently; Acme has
    # an open deal
    assert (result["at_risk"], result["at_risk_amount"]) == (1, "500.00")
    assert [r["account"] for r in result["at_risk_rows"]] == ["Gamma"]
    assert k.report("accounts", days=200)["at_risk"] == 0
    assert k.report("accounts", date_from="2026-04-01")["won_amount"] == "4500.00"


def test_accounts_with_other_currency(store, crm_home):
    k = Kit(store)
    acme = k.account("Acme")
    k.deal("a1", "100", path=[START, ("Won", "2026-02-01")], account_id=acme, currency="EUR")
    k.deal("a2", "100", path=[START, ("Won", "2026-02-01")], account_id=acme)
    result = k.report("accounts")
    assert (result["won_amount"], result["excluded"]) == (
        "100.00", [{"currency": "EUR", "count": 1, "amount": "100.00"}])
    write_config(crm_home, '[rates]\nEUR = "1.25"\n')
    assert k.report("accounts")["rows"][0]["won_amount"] == "225.00"


def test_empty_store_reports(store):
    k = Kit(store)
    for name in ("lost-reasons", "sources", "activity", "accounts"):
        k.report(name)  # no division by zero, nothing raised
    assert k.report("accounts")["segments"][0] == {"segment": "A", "accounts": 0,
                                                   "won_amount": "0.00", "share": None}


def test_accounts_converts_exactly_and_rounds_once(store, crm_home):
    """Converted amounts are summed exactly and rounded once at the end, never per account
    and never through floats: two accounts each won EUR 0.50 at 1.005 = 50.25 cents."""
    k = Kit(store)
    write_config(crm_home, '[rates]\nEUR = "1.005"\n')
    acme, beta = k.account("Acme"), k.account("Beta")
    k.deal("a", "0.50", path=[START, ("Won", "2026-02-01")], account_id=acme, currency="EUR")
    k.deal("b", "0.50", path=[START, ("Won", "2026-02-02")], account_id=beta, currency="EUR")
    k.deal("o", "0.50", path=[START], account_id=beta, currency="EUR")
    result = k.report("accounts")
    assert result["won_amount"] == "1.01"  # 100.5 cents, rounded half-up once
    assert [(r["account"], r["won_amount"], r["open_amount"]) for r in result["rows"]] == [
        ("Acme", "0.50", "0.00"), ("Beta", "0.50", "0.50")]
    # Beta comes in before 80 % is reached: both are A, their sum converted once
    assert result["segments"][0] == {"segment": "A", "accounts": 2, "won_amount": "1.01",
                                     "share": 1.0}


def test_accounts_json_counts_are_integers(cli, store):
    """The serialised JSON (on both backends): counts are JSON integers, amounts strings.
    (On PostgreSQL counts used to line up with numeric sums in a UNION and came out as
    "2.00".)"""
    import json

    k = Kit(store)
    acme, beta, _ = (k.account(n) for n in ("Acme", "Beta", "Gamma"))
    old = ("Prospecting", "2020-01-02")
    k.deal("a1", "5000", path=[old, ("Won", "2020-02-01")], account_id=acme)
    k.deal("a2", "3000", path=[old, ("Won", "2020-03-01")], account_id=acme)
    k.deal("b1", "1500", path=[old, ("Won", "2020-02-01")], account_id=beta)
    text = cli("report", "accounts", "--json").stdout
    assert '"customers": 2,' in text and '"accounts": 3,' in text and '"at_risk": 2,' in text
    result = json.loads(text)
    for key in ("accounts", "customers", "at_risk", "at_risk_days"):
        assert type(result[key]) is int, (key, result[key])
    for seg in result["segments"]:
        assert type(seg["accounts"]) is int, seg
    for row in result["rows"] + result["at_risk_rows"]:
        assert type(row["won_deals"]) is int and type(row["open_deals"]) is int, row
        assert type(row["id"]) is int and isinstance(row["won_amount"], str), row
    assert [(r["account"], r["won_deals"], r["won_amount"]) for r in result["rows"]] == [
        ("Acme", 2, "8000.00"), ("Beta", 1, "1500.00")]
    assert [s["accounts"] for s in result["segments"]] == [1, 1, 0]
    assert (result["won_amount"], result["at_risk_amount"]) == ("9500.00", "9500.00")
