"""A deleted stage stays in the deals' history by name (issue 3: append-only stage history)."""

from __future__ import annotations

from sqlalchemy import select

from crmtui.store.models import StageChange


def test_deleting_a_stage_keeps_its_name_in_history(cli, store):
    cli("opp", "add", "Deal", "--stage", "Proposal")
    cli("opp", "move", "1", "Negotiation")
    cli("opp", "add", "Other", "--stage", "Proposal")
    cli("stage", "delete", "Proposal", "--move-to", "Qualification", "--yes")
    with store.read() as s:
        rows = s.scalars(select(StageChange).where(StageChange.opportunity_id == 1)
                         .order_by(StageChange.id)).all()
        path = [(r.from_stage_id, r.from_stage_name, r.to_stage_id, r.to_stage_name)
                for r in rows]
    # the link is gone (ON DELETE SET NULL) but the name is kept where it was
    assert path[0][2] is None and path[0][3] == "Proposal"
    assert path[1][0] is None and path[1][1] == "Proposal" and path[1][3] is None
    timeline = cli("opp", "show", "1").stdout
    assert "Proposal" in timeline
    assert "?" not in [part.strip() for part in timeline.split("->")]
    # a stage nobody ever entered leaves no names behind
    cli("stage", "add", "Unused", "--pipeline", "Sales")
    cli("stage", "delete", "Unused", "--yes")
    with store.read() as s:
        named = s.scalars(select(StageChange.to_stage_name)
                          .where(StageChange.to_stage_name.is_not(None))).all()
    assert set(named) == {"Proposal"}


def test_the_last_won_or_lost_stage_cannot_be_deleted(cli, store):
    result = cli("stage", "delete", "Won", "--yes", code=1)
    assert "won" in result.stderr.lower()
    cli("stage", "add", "Signed", "--pipeline", "Sales", "--kind", "won")
    cli("stage", "delete", "Won", "--yes")  # another won stage remains


def test_a_new_record_on_a_reused_id_has_only_its_own_history(cli, store):
    cli("opp", "add", "First")
    cli("opp", "add", "Second")
    cli("opp", "edit", "2", "--next-step", "call the CFO")
    cli("opp", "delete", "2", "--yes")
    new = cli.json("opp", "add", "Third")
    history = cli.json("history", "opp:" + str(new["id"]))
    assert [h["action"] for h in history] == ["create"]
    assert "CFO" not in cli("opp", "show", str(new["id"])).stdout
