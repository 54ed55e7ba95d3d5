"""crm import undo: records kept under --force keep what they point at; undoing an update
that moved a deal puts its stage history back as it was."""

from __future__ import annotations

import json

from sqlalchemy import select

from crmtui.store.models import Account, Contact, Opportunity, Stage, StageChange

PD = ("Deal - ID,Deal - Title,Deal - Organization,Deal - Value,Deal - Stage,Deal - Status,"
      "Deal - Deal created,Deal - Expected close date,Deal - Won time\n")


def names(store, model):
    with store.read() as s:
        return [r.name for r in s.scalars(select(model).order_by(model.id))]


def history(store):
    with store.read() as s:
        return [(c.opportunity_id, c.from_stage_id, c.to_stage_id, c.at, c.source)
                for c in s.scalars(select(StageChange).order_by(StageChange.id))]


def test_force_undo_keeps_the_new_account_a_kept_deal_uses(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("name,account,amount,close date,stage\n"
                    "Deal A,NewCo,100,2026-12-31,Proposal\nDeal B,NewCo,200,2026-12-31,Proposal\n")
    batch = cli.json("import", "opportunities", path, "--create-missing")["batch"]
    cli("opp", "edit", "Deal A", "--amount", "150")
    plan = json.loads(cli("import", "undo", batch, "--dry-run", "--force", "--json").stdout)
    assert plan["delete"] == {"opportunity": 1} and plan["keep"] == 2
    assert plan["kept_why"] == {"account 1": "used by kept opportunity 1",
                                "opportunity 1": "edited since"}
    assert "account 1" in cli("import", "undo", batch, "--dry-run", "--force").stderr
    assert names(store, Opportunity) == ["Deal A", "Deal B"]  # (dry run: nothing changed)
    cli("import", "undo", batch, "--yes", code=1)
    result = cli("import", "undo", batch, "--yes", "--force")
    assert "kept 2 records" in result.stderr and "account 1" in result.stderr
    assert names(store, Opportunity) == ["Deal A"]
    assert names(store, Account) == ["NewCo"]


def test_force_undo_keeps_a_kept_deals_new_stage_and_account(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Deal Name,Account Name,Deal Stage,Amount\n"
                    "D1,Acme,Pilot,100\nD2,Globex,Pilot,200\nD3,Initech,Proposal,5\n")
    batch = cli.json("import", "opportunities", path, "--create-missing")["batch"]
    cli("opp", "edit", "D1", "--amount", "150")
    out = json.loads(cli("import", "undo", batch, "--yes", "--force", "--json").stdout)
    assert out["deleted"] == {"opportunity": 2, "account": 2}
    assert sorted(r.split()[0] for r in out["kept_records"]) == ["account", "opportunity",
                                                                 "stage"]
    assert out["kept_why"]["account 1"] == "used by kept opportunity 1"
    assert names(store, Opportunity) == ["D1"]
    assert names(store, Account) == ["Acme"]
    assert "Pilot" in names(store, Stage)


def test_force_undo_keeps_the_account_of_a_kept_contact(cli, store, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("First Name,Last Name,Email,Account\nAda,Lovelace,ada@x.com,Engines\n"
                    "Bob,Babbage,bob@x.com,Engines\n")
    batch = cli.json("import", "contacts", path, "--create-missing")["batch"]
    with store.read() as s:
        ada = s.scalars(select(Contact).where(Contact.email == "ada@x.com")).one()
        assert ada.account_id is not None
    cli("contact", "edit", str(ada.id), "--title", "Countess")
    question = cli("import", "undo", batch, "--dry-run", "--force").stderr
    assert "keep 2 records" in question and "account" in question
    cli("import", "undo", batch, "--yes", "--force")
    with store.read() as s:
        assert [c.email for c in s.scalars(select(Contact))] == ["ada@x.com"]
    assert names(store, Account) == ["Engines"]


def test_undo_of_an_update_that_moved_a_deal_to_a_new_account_is_not_refused(
        cli, store, tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text(PD + "1,Big deal,Acme,1000,Proposal,open,2026-01-10 09:00:00,2026-12-15,\n")
    second.write_text(PD + "1,Big deal,Globex,1000,Pilot,open,2026-01-10 09:00:00,"
                           "2026-12-15,\n")
    cli("import", "opportunities", first, "--create-missing")
    batch = cli.json("import", "opportunities", second, "--on-conflict", "update",
                     "--create-missing")["batch"]
    before_undo = history(store)
    assert len(before_undo) == 2
    cli("import", "undo", batch, "--yes")
    with store.read() as s:
        deal = s.scalars(select(Opportunity)).one()
        assert s.get(Account, deal.account_id).name == "Acme"
        assert s.get(Stage, deal.stage_id).name == "Proposal"
    assert names(store, Account) == ["Acme"]
    assert "Pilot" not in names(store, Stage)
    assert len(history(store)) == 1


def test_force_undo_keeps_the_new_account_of_an_updated_deal_edited_since(
        cli, store, tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text(PD + "1,Big deal,Acme,1000,Proposal,open,2026-01-10 09:00:00,2026-12-15,\n")
    second.write_text(PD + "1,Big deal,Globex,1000,Proposal,open,2026-01-10 09:00:00,"
                           "2026-12-15,\n")
    cli("import", "opportunities", first, "--create-missing")
    batch = cli.json("import", "opportunities", second, "--on-conflict", "update",
                     "--create-missing")["batch"]
    cli("opp", "edit", "Big deal", "--amount", "1500")
    cli("import", "undo", batch, "--yes", code=1)
    cli("import", "undo", batch, "--yes", "--force")
    assert names(store, Account) == ["Acme", "Globex"]


def test_undoing_an_import_that_won_a_deal_puts_its_stage_history_back(cli, store, tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text(PD + "1,Big deal,Acme,1000,Proposal,open,2026-01-10 09:00:00,2026-12-15,\n")
    second.write_text(PD + "1,Big deal,Acme,1000,Proposal,won,2026-01-10 09:00:00,2026-12-15,"
                           "2026-11-20 10:00:00\n")
    cli("import", "opportunities", first, "--create-missing")
    before = history(store)
    funnel = cli.json("report", "funnel")
    batch = cli.json("import", "opportunities", second, "--on-conflict", "update")["batch"]
    assert len(history(store)) == 2
    won = cli.json("report", "funnel")
    assert won["won"] == 1
    cli("import", "undo", batch, "--yes")
    assert history(store) == before
    after = cli.json("report", "funnel")
    for report in (funnel, after):
        report.pop("generated_at")
    assert after == funnel
    assert [r["reached"] for r in after["rows"] if r["kind"] == "won"] == [0]
    with store.read() as s:
        deal = s.scalars(select(Opportunity)).one()
        assert s.get(Stage, deal.stage_id).name == "Proposal" and deal.closed_at is None
