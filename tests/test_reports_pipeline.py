"""`crm report pipeline`: per-stage figures worked out by hand, as-of views, currencies."""

import pytest

from tests.reportkit import Kit, at, by, write_config


@pytest.fixture
def kit(store):
    k = Kit(store)
    # open deals; NOW is 2026-06-15 12:00 UTC
    k.deal("A", "10000", path=[("Prospecting", "2026-05-01"), ("Proposal", "2026-06-05")],
           close="2026-06-30", last_activity="2026-06-14")                      # age 10 days
    k.deal("B", "5000", path=[("Prospecting", "2026-05-01"), ("Proposal", "2026-05-16")],
           probability=80, close="2026-08-01", last_activity="2026-06-14",
           owner="bob")                                                          # 30 days: rot
    k.deal("C", "2000", path=[("Prospecting", "2026-06-13")], close="2026-07-01")  # 2 days
    k.deal("D", "0", path=[("Prospecting", "2026-04-01"), ("Negotiation", "2026-06-10")],
           close="2026-06-20")                         # 5 days in stage, no activity for 75
    k.deal("E", "3000", path=[("Prospecting", "2026-06-01"), ("Proposal", "2026-06-10")],
           currency="EUR", close="2026-06-30", last_activity="2026-06-14")
    # closed deals are not in the pipeline
    k.deal("F", "7000", path=[("Prospecting", "2026-03-01"), ("Won", "2026-04-01")])
    k.deal("G", "900", path=[("Prospecting", "2026-03-01"), ("Lost", "2026-04-01")])
    return k


def test_rows_per_open_stage_in_pipeline_order(kit):
    result = kit.report("pipeline")
    assert [r["stage"] for r in result["rows"]] == ["Prospecting", "Qualification", "Proposal",
                                                     "Negotiation"]
    rows = by(result["rows"], "stage")
    # Prospecting: C only, 2,000 x 10 %
    assert (rows["Prospecting"]["count"], rows["Prospecting"]["amount"],
            rows["Prospecting"]["weighted"], rows["Prospecting"]["avg_age_days"],
            rows["Prospecting"]["stale"]) == (1, "2000.00", "200.00", 2.0, 0)
    # Qualification: nobody, and no division error
    assert (rows["Qualification"]["count"], rows["Qualification"]["amount"],
            rows["Qualification"]["avg_age_days"], rows["Qualification"]["share"]) == \
        (0, "0.00", None, 0.0)
    # Proposal: A 10,000 x 50 % + B 5,000 x its own 80 %; ages 10 and 30; B rots (21 days)
    assert (rows["Proposal"]["count"], rows["Proposal"]["amount"], rows["Proposal"]["weighted"],
            rows["Proposal"]["avg_age_days"], rows["Proposal"]["stale"]) == \
        (2, "15000.00", "9000.00", 20.0, 1)
    # Negotiation: D, a zero amount; stale for lack of activity since creation (75 days)
    assert (rows["Negotiation"]["count"], rows["Negotiation"]["amount"],
            rows["Negotiation"]["weighted"], rows["Negotiation"]["stale"]) == (1, "0.00", "0.00", 1)
    total = result["total"]
    assert (total["count"], total["amount"], total["weighted"], total["avg_age_days"],
            total["stale"]) == (4, "17000.00", "9200.00", 11.8, 2)  # (2+10+30+5)/4 = 11.75
    assert rows["Proposal"]["share"] == round(15000 / 17000, 4)
    # the EUR deal is left out and said so
    assert result["currency"] == "USD"
    assert result["excluded"] == [{"currency": "EUR", "count": 1, "amount": "3000.00"}]


def test_other_currency_counts_with_a_rate(kit, crm_home):
    write_config(crm_home, '[rates]\nbase = "USD"\nEUR = "1.10"\n')
    rows = by(kit.report("pipeline")["rows"], "stage")
    # E: 3,000 EUR = 3,300 USD, weighted at Proposal's 50 % = 1,650
    assert (rows["Proposal"]["count"], rows["Proposal"]["amount"],
            rows["Proposal"]["weighted"]) == (3, "18300.00", "10650.00")
    assert kit.report("pipeline")["excluded"] == []
    # in EUR instead: the USD deals convert at 1/1.10
    eur = kit.report("pipeline", currency="EUR")
    rows = by(eur["rows"], "stage")
    assert rows["Prospecting"]["amount"] == "1818.18"  # 2,000 / 1.1
    assert eur["total"]["amount"] == "18454.55"  # 17,000 / 1.1 + 3,000


def test_report_currency_from_settings_leaves_usd_out(kit, crm_home):
    write_config(crm_home, 'currency = "EUR"\n')
    result = kit.report("pipeline")
    assert result["currency"] == "EUR"
    assert result["total"]["count"] == 1 and result["total"]["amount"] == "3000.00"
    assert result["excluded"] == [{"currency": "USD", "count": 4, "amount": "17000.00"}]


def test_filters_owner_and_close_dates(kit):
    assert kit.report("pipeline", owner="BOB")["total"]["count"] == 1
    # expected to close in June: A (06-30) and D (06-20)
    june = kit.report("pipeline", date_from="2026-06-01", date_to="2026-06-30")
    assert (june["total"]["count"], june["total"]["amount"]) == (2, "10000.00")


def test_pipeline_filter_and_several_pipelines(kit):
    pid = kit.pipeline("Renewals", "Open:30,Won:won,Lost:lost")
    with kit.store.write() as s:
        from crmtui.store.models import Opportunity, Stage
        from sqlalchemy import select

        open_stage = s.scalars(select(Stage).where(Stage.pipeline_id == pid,
                                                   Stage.kind == "open")).one()
        s.add(Opportunity(name="R", pipeline_id=pid, stage_id=open_stage.id, amount_minor=100000,
                          currency="USD", owner="ada", created_at=at("2026-06-01"),
                          stage_entered_at=at("2026-06-01"), last_activity_at=at("2026-06-14")))
    both = kit.report("pipeline")
    assert both["pipelines"] == ["Sales", "Renewals"]
    assert [r["pipeline"] for r in both["rows"]][-1] == "Renewals"
    assert both["total"]["amount"] == "18000.00"
    only = kit.report("pipeline", pipeline="Renewals")
    assert [(r["stage"], r["count"], r["weighted"]) for r in only["rows"]] == [("Open", 1, "300.00")]


def test_as_of_rebuilds_stages_from_history(store):
    k = Kit(store)
    # H walks forward and is won on 06-01
    k.deal("H", "1000", path=[("Prospecting", "2026-03-01"), ("Qualification", "2026-04-01"),
                              ("Proposal", "2026-05-01"), ("Won", "2026-06-01")])
    # I moves forward, then back
    k.deal("I", "2000", path=[("Prospecting", "2026-03-01"), ("Proposal", "2026-03-10"),
                              ("Qualification", "2026-04-10")])
    # J was imported without history: in Negotiation since 05-01
    k.deal("J", "4000", path=[("Negotiation", "2026-05-01")], created="2026-02-01",
           history=False)
    # K was lost, then reopened
    k.deal("K", "8000", path=[("Prospecting", "2026-03-01"), ("Lost", "2026-03-20"),
                              ("Qualification", "2026-04-20")])
    # L did not exist yet in April
    k.deal("L", "16000", path=[("Prospecting", "2026-05-20")])

    def counts(day):
        rows = k.report("pipeline", as_of=day)["rows"]
        return {r["stage"]: (r["count"], r["amount"]) for r in rows if r["count"]}

    # end of 03-15: H, K in Prospecting; I in Proposal; J existed, stage unknown
    assert counts("2026-03-15") == {"Prospecting": (2, "9000.00"), "Proposal": (1, "2000.00"),
                                    "(unknown)": (1, "4000.00")}
    # end of 04-15: H in Qualification, I moved back there; K lost; J unknown
    assert counts("2026-04-15") == {"Qualification": (2, "3000.00"), "(unknown)": (1, "4000.00")}
    # end of 05-25: H in Proposal, I and K (reopened) in Qualification, J known, L new
    assert counts("2026-05-25") == {"Prospecting": (1, "16000.00"),
                                    "Qualification": (2, "10000.00"),
                                    "Proposal": (1, "1000.00"), "Negotiation": (1, "4000.00")}
    # and today H is won: the current pipeline agrees with as-of today
    today = k.report("pipeline")
    assert {r["stage"]: r["count"] for r in today["rows"] if r["count"]} == \
        {"Prospecting": 1, "Qualification": 2, "Negotiation": 1}
    # ages at the end of 04-15 (04-16 00:00): H since 04-01 12:00 = 14.5 days, I 5.5 days
    april = by(k.report("pipeline", as_of="2026-04-15")["rows"], "stage")
    assert april["Qualification"]["avg_age_days"] == 10.0
    assert april["Qualification"]["stale"] is None


def test_as_of_in_the_future_is_refused(kit):
    from crmtui.errors import Invalid

    with pytest.raises(Invalid, match="future"):
        kit.report("pipeline", as_of="2026-07-01")


def test_empty_store_reads_as_zeros(store):
    result = Kit(store).report("pipeline")
    assert result["total"] == {"count": 0, "amount": "0.00", "weighted": "0.00",
                               "avg_age_days": None, "stale": 0, "share": None}
    assert all(r["count"] == 0 for r in result["rows"])
