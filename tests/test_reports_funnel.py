"""`crm report funnel` and `crm report cycle`, from stage history, worked out by hand."""

import pytest

from tests.reportkit import Kit, by

P1 = ("Prospecting", "2026-03-01")


@pytest.fixture
def kit(store):
    k = Kit(store)
    k.deal("d1", "100", path=[P1, ("Qualification", "2026-03-05"), ("Proposal", "2026-03-10"),
                              ("Negotiation", "2026-03-15"), ("Won", "2026-03-20")])
    k.deal("d2", "100", path=[P1, ("Proposal", "2026-03-05"), ("Won", "2026-04-20")])  # skips
    k.deal("d3", "100", path=[P1, ("Qualification", "2026-03-05"), ("Lost", "2026-03-25")])
    k.deal("d4", "100", path=[P1, ("Proposal", "2026-03-05"),
                              ("Qualification", "2026-04-05")])          # moved back, open
    k.deal("d5", "100", path=[P1])                                       # open in the first
    k.deal("d6", "100", path=[("Negotiation", "2026-04-01")], created="2026-03-01",
           history=False)                                                # imported, open
    k.deal("d7", "100", path=[("Lost", "2026-04-01")], created="2026-03-01",
           history=False)                                                # imported, lost
    k.deal("d8", "100", path=[P1, ("Qualification", "2026-03-05"), ("Proposal", "2026-03-10"),
                              ("Lost", "2026-03-20"), ("Qualification", "2026-04-10")])  # reopened
    return k


def test_funnel(kit):
    result = kit.report("funnel")
    assert (result["pipeline"], result["deals"], result["won"], result["lost"], result["open"],
            result["unknown"], result["win_rate"]) == ("Sales", 8, 2, 2, 4, 0, 0.5)
    # reached: every deal the first stage; won deals every stage; otherwise the furthest
    # stage in the history (d4 and d8 reached Proposal before moving back)
    assert [(r["stage"], r["reached"], r["share_of_start"], r["to_next"], r["to_won"], r["open"],
             r["lost"]) for r in result["rows"]] == [
        ("Prospecting", 8, 1.0, 0.75, 0.25, 1, 1),         # d5 open; d7 lost (no history)
        ("Qualification", 6, 0.75, 0.8333, 0.3333, 0, 1),  # d3 lost
        ("Proposal", 5, 0.625, 0.6, 0.4, 2, 0),             # d4, d8 open
        ("Negotiation", 3, 0.375, 0.6667, 0.6667, 1, 0),    # d6 (imported, in Negotiation)
        ("Won", 2, 0.25, None, 1.0, 0, 0),
    ]


def test_funnel_counts_a_reopened_deal_as_having_reached_won(kit):
    # d9: won, then reopened into Prospecting (opp add, opp win, opp reopen);
    # d10: won, reopened, then lost
    kit.deal("d9", "100", path=[P1, ("Won", "2026-03-10"), ("Prospecting", "2026-03-12")])
    kit.deal("d10", "100", path=[P1, ("Won", "2026-03-10"), ("Qualification", "2026-03-12"),
                                 ("Lost", "2026-03-14")])
    result = kit.report("funnel")
    assert (result["deals"], result["won"], result["lost"], result["open"]) == (10, 2, 3, 5)
    assert [(r["stage"], r["reached"], r["to_next"], r["to_won"], r["open"], r["lost"])
            for r in result["rows"]] == [
        ("Prospecting", 10, 0.8, 0.4, 1, 1),
        ("Qualification", 8, 0.875, 0.5, 0, 1),
        ("Proposal", 7, 0.7143, 0.5714, 2, 0),
        ("Negotiation", 5, 0.8, 0.8, 1, 0),
        ("Won", 4, None, 1.0, 1, 1),  # d1, d2 won now; d9 open again, d10 lost since
    ]
    # before the reopening, d9 and d10 were simply won
    then = kit.report("funnel", as_of="2026-03-11")
    assert (then["won"], by(then["rows"], "stage")["Won"]["reached"]) == (2, 2)
    assert by(then["rows"], "stage")["Won"]["open"] == 0


def test_funnel_reopen_through_the_cli(cli):
    deal = cli("opp", "add", "Again", "--amount", "10").stdout.strip()
    cli("opp", "win", deal)
    cli("opp", "reopen", deal)
    rows = by(cli.json("report", "funnel")["rows"], "stage")
    assert [r["reached"] for r in rows.values()] == [1, 1, 1, 1, 1]
    assert (rows["Won"]["open"], rows["Prospecting"]["open"]) == (1, 0)


def test_funnel_as_of(kit):
    # end of 03-12: d1 in Proposal; d2, d4 in Proposal; d3, d8 in Qualification...
    result = kit.report("funnel", as_of="2026-03-12")
    assert (result["deals"], result["won"], result["lost"], result["open"], result["unknown"]) \
        == (6, 0, 0, 6, 2)  # d6, d7 existed but their stage then is not known
    rows = by(result["rows"], "stage")
    assert rows["Prospecting"]["reached"] == 6
    assert rows["Qualification"]["reached"] == 5  # all but d5
    assert rows["Proposal"]["reached"] == 4       # d1, d2, d4, d8
    assert rows["Negotiation"]["reached"] == 0
    # end of 03-22: d1 won, d8 lost from Proposal
    later = kit.report("funnel", as_of="2026-03-22")
    assert (later["won"], later["lost"], by(later["rows"], "stage")["Proposal"]["lost"]) == \
        (1, 1, 1)


def test_funnel_scope(kit):
    assert kit.report("funnel", owner="nobody")["deals"] == 0
    assert kit.report("funnel", date_from="2026-04-01")["deals"] == 0
    empty = kit.report("funnel", owner="nobody")["rows"]
    assert all(r["to_next"] is None for r in empty)


# -- cycle --------------------------------------------------------------------------------------

def test_cycle(store):
    k = Kit(store)
    # won after 10 (with history), 20 (with history, moved back), 40 days; lost after 5, 15
    k.deal("w1", "1", path=[("Prospecting", "2026-03-01"), ("Qualification", "2026-03-04"),
                            ("Proposal", "2026-03-09"), ("Won", "2026-03-11")])
    k.deal("w2", "1", path=[("Prospecting", "2026-03-01"), ("Proposal", "2026-03-11"),
                            ("Qualification", "2026-03-13"), ("Proposal", "2026-03-16"),
                            ("Won", "2026-03-21")])
    k.deal("w3", "1", path=[("Won", "2026-04-10")], created="2026-03-01", history=False)
    k.deal("l1", "1", path=[("Lost", "2026-03-06")], created="2026-03-01", history=False)
    k.deal("l2", "1", path=[("Lost", "2026-03-16")], created="2026-03-01", history=False)
    k.deal("open", "1", path=[("Prospecting", "2026-01-01"), ("Proposal", "2026-02-01")])
    result = k.report("cycle")
    assert result["rows"] == [
        {"outcome": "won", "count": 3, "avg_days": 23.3, "median_days": 20.0, "min_days": 10.0,
         "max_days": 40.0},
        {"outcome": "lost", "count": 2, "avg_days": 10.0, "median_days": 10.0, "min_days": 5.0,
         "max_days": 15.0},
        {"outcome": "all", "count": 5, "avg_days": 18.0, "median_days": 15.0, "min_days": 5.0,
         "max_days": 40.0},
    ]
    # time in stage: w1 Prospecting 3, Qualification 5, Proposal 2; w2 Prospecting 10,
    # Proposal 2 + 5 = 7, Qualification 3; the open deal does not count (not closed)
    assert [(r["stage"], r["deals"], r["avg_days"], r["median_days"])
            for r in result["stages"]] == [
        ("Prospecting", 2, 6.5, 6.5), ("Qualification", 2, 4.0, 4.0),
        ("Proposal", 2, 4.5, 4.5), ("Negotiation", 0, None, None)]
    lost_only = k.report("cycle", date_to="2026-03-10")
    assert [r["count"] for r in lost_only["rows"]] == [0, 1, 1]


def test_cycle_empty(store):
    result = Kit(store).report("cycle")
    assert result["rows"][2] == {"outcome": "all", "count": 0, "avg_days": None,
                                 "median_days": None, "min_days": None, "max_days": None}


def test_cycle_median_is_exact_to_the_day_tenth_shown(store):
    # two deals: 15.0 and 15.0993 days (15 days and 143 minutes); the true median 15.04965
    # shows as 15.0 (averaging their 0.1-day buckets gave 15.05 -> 15.1)
    k = Kit(store)
    k.deal("a", "1", path=[("Prospecting", "2026-03-01 00:00"), ("Won", "2026-03-16 00:00")])
    k.deal("b", "1", path=[("Prospecting", "2026-03-01 00:00"), ("Won", "2026-03-16 02:23")])
    k.deal("c", "1", path=[("Prospecting", "2026-03-01 00:00"), ("Lost", "2026-03-02 00:00")])
    rows = by(k.report("cycle")["rows"], "outcome")
    assert (rows["won"]["median_days"], rows["won"]["avg_days"]) == (15.0, 15.0)
    assert rows["all"]["median_days"] == 15.0  # the middle of three
    assert rows["lost"]["median_days"] == 1.0
    # time in Prospecting: 15.0 and 15.0993 again (the stays median goes the same way)
    assert by(k.report("cycle")["stages"], "stage")["Prospecting"]["median_days"] == 15.0


def test_spread_median_reads_bucket_edges_and_fetches_only_when_it_must():
    from crmtui.reports.base import Spread

    calls = []

    def fetch(keys, bucket, offset, count):
        calls.append((sorted(keys), bucket, offset, count))
        return [0.25, 0.25][:count]

    # two middle values in different buckets: the last of one and the first of the next
    sp = Spread(fetch, ["won"])
    sp.add(150, 1, 15.0, 15.0, 15.0)
    sp.add(151, 1, 15.0993, 15.0993, 15.0993)
    assert round(sp.median, 1) == 15.0 and not calls
    # odd count, middle value inside a bucket whose values all show as 2.0: no read
    sp = Spread(fetch, ["won"])
    sp.add(20, 3, 6.0, 1.96, 2.04)
    assert round(sp.median, 1) == 2.0 and not calls
    # a bucket straddling a rounding tie (0.25 shows as 0.2, 0.3 as 0.3): read the middle
    sp = Spread(fetch, ["won"])
    other = Spread(fetch, ["lost"])
    sp.add(3, 2, 0.5, 0.25, 0.25)
    other.add(3, 1, 0.3, 0.3, 0.3)
    everything = Spread()
    everything.merge(sp)
    everything.merge(other)
    assert (everything.n, everything.lo, everything.hi) == (3, 0.25, 0.3)
    assert everything.median == 0.25 and calls == [(["lost", "won"], 3, 1, 1)]
    assert Spread().median is None


def test_spreads_fetch_reads_one_bucket_in_order(store):
    from sqlalchemy import literal, select, union_all

    from crmtui.reports import base

    values = [("a", 1.0), ("a", 1.02), ("a", 0.98), ("b", 1.01), ("a", 5.0), ("b", None)]
    rows = union_all(*[select(literal(k).label("k"), literal(v).label("v")) for k, v in values]
                     ).subquery()
    with store.read() as s:
        stats = base.spreads(s, rows, "k", "v")
        a = stats["a"]
        assert (a.n, a.lo, a.hi, a.buckets[10][0]) == (4, 0.98, 5.0, 3)
        assert a.fetch({"a"}, 10, 1, 2) == [1.0, 1.02]
        assert a.fetch({"a", "b"}, 10, 1, 2) == [1.0, 1.01]
        assert round(a.median, 1) == 1.0
