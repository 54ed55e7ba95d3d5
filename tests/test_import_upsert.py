"""crm import: matching, idempotent re-import, duplicates in a file, undo, deals, activities."""

from __future__ import annotations

import json

from sqlalchemy import select

from crmtui.store.models import (
    Account, Activity, ChangeLog, ImportBatch, Lead, Opportunity, Stage, StageChange,
)

FILE = ("External ID,First Name,Last Name,Email,Company\n"
        "L1,Ada,Lovelace,ada@x.com,Engines\n"
        "L2,Grace,Hopper,GRACE@x.com,Navy\n")


def all_of(store, model):
    with store.read() as s:
        return s.scalars(select(model).order_by(model.id)).all()


def test_reimport_is_refused_by_default_then_idempotent_with_update(cli, store, tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(FILE)
    assert cli.json("import", "leads", path)["inserted"] == 2
    result = cli("import", "leads", path, code=1)
    assert "matches existing lead 1" in result.stderr
    for _ in range(2):
        out = cli.json("import", "leads", path, "--match", "email", "--on-conflict", "update")
        assert (out["inserted"], out["updated"], out["unchanged"]) == (0, 0, 2)
    assert len(all_of(store, Lead)) == 2
    assert all(lead.version == 1 for lead in all_of(store, Lead))


def test_update_changes_only_what_differs_with_history(cli, store, tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(FILE)
    cli("import", "leads", path)
    path.write_text(FILE.replace("Navy", "US Navy") + "L3,Alan,Turing,alan@x.com,\n")
    out = cli.json("import", "leads", path, "--on-conflict", "update")
    assert (out["inserted"], out["updated"], out["unchanged"]) == (1, 1, 1)
    grace = all_of(store, Lead)[1]
    assert grace.company == "US Navy" and grace.version == 2
    with store.read() as s:
        log = s.scalars(select(ChangeLog).where(ChangeLog.record_id == grace.id,
                                                ChangeLog.field == "company")).one()
    assert (log.old, log.new, log.source) == ("Navy", "US Navy", "import")
    skip = cli.json("import", "leads", path, "--on-conflict", "skip")
    assert skip["skipped"] == 3


def test_rows_matching_each_other_in_one_file_are_reported(cli, store, tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("Email,First Name\nada@x.com,Ada\nbob@x.com,Bob\nADA@x.com,Ada again\n")
    result = cli("import", "leads", path, code=1)
    assert "line 4" in result.stderr and "same email as line 2" in result.stderr
    out = json.loads(cli("import", "leads", path, "--on-error", "skip", "--json",
                         code=1).stdout)
    assert out["inserted"] == 2 and out["rejected"] == 1


def test_undo_deletes_inserts_restores_updates_and_refuses_after_edits(cli, store, tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(FILE)
    first = cli.json("import", "leads", path)["batch"]
    path.write_text(FILE.replace("Navy", "US Navy") + "L3,Alan,Turing,alan@x.com,\n")
    second = cli.json("import", "leads", path, "--on-conflict", "update")["batch"]
    history = cli.json("import", "history")
    assert [h["id"] for h in history] == [second, first]
    cli("import", "undo", second, "--yes")
    leads = all_of(store, Lead)
    assert [lead.first_name for lead in leads] == ["Ada", "Grace"]
    assert leads[1].company == "Navy"
    assert cli.json("import", "history")[0]["status"] == "undone"
    assert "already undone" in cli("import", "undo", second, "--yes", code=1).stderr
    cli("lead", "edit", "1", "--title", "Countess")
    result = cli("import", "undo", first, "--yes", code=1)
    assert "edited after import" in result.stderr and "lead 1" in result.stderr
    assert len(all_of(store, Lead)) == 2
    cli("import", "undo", first, "--yes", "--force")
    assert [lead.first_name for lead in all_of(store, Lead)] == ["Ada"]


def test_opportunities_refs_create_missing_history_and_derived_names(cli, store, tmp_path):
    cli("account", "add", "Acme", "--external-id", "A-1")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Account Name,Deal Stage,Amount,Close Date,Created Date,Deal owner\n"
        "A-1,Closed Won,1000,2025-03-31,2025-01-10,ada\n"
        "Globex,Demo booked,250.50,2026-12-31,2025-06-01,bob\n"
        "Acme,Closed Lost,10,2025-02-01,2025-01-01,ada\n")
    result = cli("import", "opportunities", path, code=1)
    assert "Globex" in result.stderr and "--create-missing" in result.stderr
    out = cli.json("import", "opportunities", path, "--create-missing")
    assert out["inserted"] == 3 and out["created"] == {"account": 1, "stage": 1}
    deals = all_of(store, Opportunity)
    assert [d.name for d in deals] == ["A-1 deal 2025-03", "Globex deal 2026-12",
                                       "Acme deal 2025-02"]
    with store.read() as s:
        stages = {st.id: st for st in s.scalars(select(Stage))}
        won = deals[0]
        assert stages[won.stage_id].kind == "won" and won.account_id == 1
        assert won.created_at.date().isoformat() == "2025-01-10"
        assert won.closed_at.date().isoformat() == "2025-03-31"
        changes = s.scalars(select(StageChange).where(StageChange.opportunity_id == won.id)
                            .order_by(StageChange.at)).all()
        assert [(stages[c.to_stage_id].kind, c.at.date().isoformat()) for c in changes] == [
            ("open", "2025-01-10"), ("won", "2025-03-31")]
        demo = stages[deals[1].stage_id]
        assert demo.name == "Demo booked" and demo.kind == "open"
        order = [st.kind for st in sorted(stages.values(), key=lambda st: st.position)
                 if st.pipeline_id == demo.pipeline_id]
        assert order.index("won") > order.index("open", demo.position - 1)
        assert stages[deals[2].stage_id].kind == "lost"
    batch = out["batch"]
    cli("import", "undo", batch, "--yes")
    assert all_of(store, Opportunity) == []
    assert [a.name for a in all_of(store, Account)] == ["Acme"]
    with store.read() as s:
        assert "Demo booked" not in s.scalars(select(Stage.name)).all()


def test_activities_link_to_records_and_touch_last_activity(cli, store, tmp_path):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@x.com")
    cli("opp", "add", "Big deal")
    path = tmp_path / "a.csv"
    path.write_text("Type,Subject,Lead,Deal,Date Completed\n"
                    "Call,Intro,ada@x.com,,2025-05-01T10:00:00Z\n"
                    "Meeting,Kick-off,,Big deal,2025-06-01T10:00:00Z\n"
                    "task,Send contract,,Big deal,\n")
    out = cli.json("import", "activities", path)
    assert out["inserted"] == 3
    acts = all_of(store, Activity)
    assert acts[0].lead_id == 1 and acts[1].opportunity_id == 1
    assert acts[2].done_at is None and acts[0].kind == "call"
    deal = all_of(store, Opportunity)[0]
    assert deal.last_activity_at.isoformat().startswith("2025-06-01")
