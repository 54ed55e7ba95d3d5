"""Stage merges keep deals' outcomes; stage order rules; deleted stages in --as-of reports."""

from __future__ import annotations

from sqlalchemy import select

from crmtui.store.models import Opportunity, Stage, StageChange


def _deal(store, opp_id):
    with store.read() as s:
        o = s.get(Opportunity, opp_id)
        return {"stage": s.get(Stage, o.stage_id).name, "closed_at": o.closed_at,
                "lost_reason": o.lost_reason}


def test_merging_a_won_stage_keeps_close_times_and_records_history(cli, store):
    cli("opp", "add", "A", "--amount", "1000")
    cli("opp", "win", "1")
    before = _deal(store, 1)
    cli("stage", "add", "Closed Won (legacy)", "--kind", "won")
    out = cli("stage", "delete", "Won", "--move-to", "Closed Won (legacy)", "--yes")
    assert "moved 1 deal " in out.stderr + " " and "deal(s)" not in out.stderr
    after = _deal(store, 1)
    assert after["stage"] == "Closed Won (legacy)"
    assert after["closed_at"] == before["closed_at"]
    with store.read() as s:
        last = s.scalars(select(StageChange).where(StageChange.opportunity_id == 1)
                         .order_by(StageChange.id.desc())).first()
        target = s.scalar(select(Stage.id).where(Stage.name == "Closed Won (legacy)"))
    assert last.from_stage_id is None and last.from_stage_name == "Won"
    assert last.to_stage_id == target


def test_moving_deals_into_a_stage_of_another_kind_is_refused(cli, store):
    cli("opp", "add", "A")
    cli("stage", "add", "Verbal")
    cli("opp", "move", "1", "Verbal")
    out = cli("stage", "delete", "Verbal", "--move-to", "Won", "--yes", code=1)
    assert "1 open deal" in out.stderr and "win" in out.stderr
    assert _deal(store, 1) == {"stage": "Verbal", "closed_at": None, "lost_reason": None}
    cli("opp", "win", "1")
    cli("stage", "add", "Signed", "--kind", "won")
    out = cli("stage", "delete", "Won", "--move-to", "Lost", "--yes", code=1)
    assert "lose" in out.stderr
    out = cli("stage", "delete", "Won", "--move-to", "Prospecting", "--yes", code=1)
    assert "reopen" in out.stderr
    assert _deal(store, 1)["stage"] == "Won"


def test_a_lost_stage_merges_into_another_when_every_deal_has_a_reason(cli, store):
    for name in ("A", "B"):
        cli("opp", "add", name)
    cli("opp", "lose", "1", "--reason", "price")
    cli("opp", "lose", "2", "--reason", "timing")
    closed = _deal(store, 1)["closed_at"]
    cli("stage", "add", "Closed Lost 2", "--kind", "lost")
    cli("stage", "delete", "Lost", "--move-to", "Closed Lost 2", "--yes")
    assert _deal(store, 1) == {"stage": "Closed Lost 2", "closed_at": closed,
                               "lost_reason": "price"}
    with store.write() as s:
        s.get(Opportunity, 2).lost_reason = None
    cli("stage", "add", "Closed Lost 3", "--kind", "lost")
    out = cli("stage", "delete", "Closed Lost 2", "--move-to", "Closed Lost 3", "--yes",
              code=1)
    assert "1 deal " in out.stderr and "reason" in out.stderr


def test_open_stages_stay_before_won_and_lost_ones(cli, store):
    out = cli("stage", "add", "Verbal", "--position", "7", code=1)
    assert "before the won and lost" in out.stderr
    cli("stage", "add", "Verbal", "--position", "5")
    out = cli("stage", "add", "Signed", "--kind", "won", "--position", "1", code=1)
    assert "after the open" in out.stderr
    out = cli("stage", "add", "Signed", "--kind", "won")
    assert "2 won stages" in out.stderr
    cli("stage", "add", "Parked", "--kind", "lost")
    cli("stage", "edit", "Parked", "--kind", "open")
    kinds = [st["kind"] for st in cli.json("stage", "list")]
    assert kinds == sorted(kinds, key=lambda k: k != "open")
    names = [st["name"] for st in cli.json("stage", "list")]
    assert names.index("Parked") == 5


def test_as_of_report_keeps_a_deleted_stage_by_name_and_probability(cli, store):
    cli("opp", "add", "A", "--amount", "1000", "--stage", "Proposal")
    cli("opp", "add", "B", "--amount", "500", "--stage", "Qualification")
    with store.write() as s:  # both deals were there since long ago
        for sc in s.scalars(select(StageChange)):
            sc.at = sc.at.replace(year=2020)
        for o in s.scalars(select(Opportunity)):
            o.created_at = o.created_at.replace(year=2020)
    before = cli.json("report", "pipeline", "--as-of", "2021-01-01")
    cli("stage", "delete", "Proposal", "--move-to", "Qualification", "--yes")
    after = cli.json("report", "pipeline", "--as-of", "2021-01-01")
    rows = {r["stage"]: r for r in after["rows"]}
    assert "(unknown)" not in rows
    gone = rows["Proposal (deleted)"]
    assert gone["deleted"] is True and gone["count"] == 1
    assert gone["probability"] == 50 and gone["weighted"] == "500.00"
    assert after["total"] == before["total"]
    # a won stage deleted since is not an open row
    cli("opp", "win", "2")
    with store.write() as s:
        for sc in s.scalars(select(StageChange).where(StageChange.opportunity_id == 2)):
            sc.at = sc.at.replace(year=2020)
        s.get(Opportunity, 2).closed_at = s.get(Opportunity, 2).closed_at.replace(year=2020)
    cli("stage", "add", "Signed", "--kind", "won")
    cli("stage", "delete", "Won", "--move-to", "Signed", "--yes")
    rows = {r["stage"]: r for r in cli.json("report", "pipeline", "--as-of", "2021-01-01")["rows"]}
    assert "Won (deleted)" not in rows and "(unknown)" not in rows
