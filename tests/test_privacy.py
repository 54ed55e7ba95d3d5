"""A person's right of access (export) and right to erasure (erase)."""

import json

import pytest

from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from crmtui.store.models import (
    Account, Activity, ChangeLog, Contact, ImportChange, Lead, Opportunity, StageChange,
)

EMAIL = "ada.secret@engines.example"


def setup_person(cli):
    cli("lead", "add", "Ada Zebulonova", "--email", EMAIL, "--phone", "+44 20 7946 0958",
        "--company", "Analytical Engines", "--notes", "likes punch cards", "--source", "event")
    cli("activity", "log", "call", "--on", "lead:1", "--subject", "Zebulonova intro",
        "--body", "spoke about her secret project")
    cli("lead", "edit", "1", "--title", "Countess of Zebulon")
    cli("lead", "convert", "1", "--amount", "5000")
    cli("activity", "log", "email", "--on", "contact:1", "--subject", "Sent Zebulonova deck")
    cli("lead", "add", "Someone Else", "--email", "other@example.com")


def test_export_holds_every_record_of_the_person(cli, tmp_path):
    setup_person(cli)
    out = tmp_path / "ada.json"
    cli("privacy", "export", EMAIL, "-o", str(out))
    assert (out.stat().st_mode & 0o777) == 0o600
    data = json.loads(out.read_text())
    assert [l["email"] for l in data["leads"]] == [EMAIL]
    assert [c["email"] for c in data["contacts"]] == [EMAIL]
    assert {a["subject"] for a in data["activities"]} == {"Zebulonova intro",
                                                          "Sent Zebulonova deck"}
    assert data["opportunities_as_primary_contact"][0]["amount"] == "5000.00"
    assert any(h["field"] == "title" for h in data["history"])
    # named by the contact: the lead it came from, both activities (the lead's call was
    # linked to the contact at conversion, the email was logged on the contact), the deal
    by_contact = json.loads(cli("privacy", "export", "contact:1").stdout)
    assert [(c["id"], c["email"]) for c in by_contact["contacts"]] == [(1, EMAIL)]
    assert [(l["id"], l["email"], l["status"]) for l in by_contact["leads"]] == [
        (1, EMAIL, "converted")]
    assert sorted((a["kind"], a["subject"]) for a in by_contact["activities"]) == [
        ("call", "Zebulonova intro"), ("email", "Sent Zebulonova deck")]
    assert [(o["id"], o["amount"]) for o in by_contact["opportunities_as_primary_contact"]] == [
        (1, "5000.00")]
    assert {(h["entity"], h["record_id"], h["field"], h["new"]) for h in by_contact["history"]
            } >= {("lead", 1, "title", "Countess of Zebulon")}
    assert by_contact["accounts_named_after_person"] == []  # the account is the company's
    assert by_contact["leads"] + by_contact["contacts"] == data["leads"] + data["contacts"]
    assert "other@example.com" not in json.dumps(by_contact)
    by_lead = json.loads(cli("privacy", "export", "lead:1").stdout)
    assert len(by_lead["contacts"]) == 1 and len(by_lead["activities"]) == 2
    assert "no lead or contact" in cli("privacy", "export", "nobody@x.example", code=1).stderr


@pytest.mark.sqlite_only
def test_erase_removes_the_bytes_but_keeps_deal_figures(cli, store, crm_home):
    setup_person(cli)
    result = cli.json("privacy", "erase", EMAIL, "--yes")
    assert result["leads"] == 1 and result["contacts"] == 1 and result["activities"] == 2
    with store.read() as s:
        lead, contact = s.get(Lead, 1), s.get(Contact, 1)
        assert (lead.last_name, lead.email, lead.phone, lead.notes, lead.title) == (
            "(erased)", None, None, None, None)
        assert lead.source == "event" and lead.status == "converted"
        assert contact.email is None and contact.last_name == "(erased)"
        assert {a.body for a in s.scalars(select(Activity))} == {None}
        assert s.get(Opportunity, 1).amount_minor == 500000
        assert s.get(Account, 1).name == "Analytical Engines"
        assert s.get(Lead, 2).email == "other@example.com"
        olds = s.scalars(select(ChangeLog.old).where(ChangeLog.entity == "lead",
                                                    ChangeLog.record_id == 1)).all()
        assert set(olds) == {None}
    assert cli.json("search", "zebulonova") == []
    store.close()
    for suffix in ("", "-wal", "-shm"):
        path = crm_home / f"crm.db{suffix}"
        if path.exists():
            raw = path.read_bytes()
            for secret in (b"Zebulonova", b"ada.secret", b"punch cards", b"secret project",
                           b"7946"):
                assert secret not in raw, (suffix, secret)
    assert cli.json("opp", "show", "1")["amount"] == "5000.00"


# -- a person without a company: conversion names the account and the deal after them --------

YORICK = "yorick@gmail.com"
SECRETS = ("mandelbrotz", "yorick")  # every trace of the name and the email, any case


def setup_private_customer(cli, tmp_path):
    """A lead without a company, converted (account and deal named after him), with his
    name spread into the deal's history, an import's undo data, a deal-only activity and
    a merged-away duplicate's deletion record."""
    cli("lead", "add", "Yorick Mandelbrotz", "--email", YORICK, "--phone", "+1 555 0199",
        "--source", "web")
    cli("lead", "add", "Yorick Mandelbrotz", "--email", "y.mandelbrotz@example.org",
        "--notes", "duplicate from the web form")
    cli("merge", "lead", "1", "2", "--yes")
    cli("activity", "log", "call", "--on", "lead:1", "--subject", "Intro call")
    cli("lead", "convert", "1", "--amount", "100")
    cli("opp", "edit", "1", "--external-id", "D-1", "--next-step",
        "send Yorick Mandelbrotz the contract")
    cli("opp", "move", "1", "--next")
    deals = tmp_path / "deals.csv"
    deals.write_text("External Id,Name\nD-1,Yorick Mandelbrotz: renewal\n")
    cli("import", "opportunities", str(deals), "--match", "external_id",
        "--on-conflict", "update")
    cli("activity", "log", "note", "--on", "opp:1", "--subject", "Lunch with YORICK MANDELBROTZ",
        "--body", "family business of Mandelbrotz,  Yorick; write to Yorick@Gmail.com")
    # someone else, and a namesake's unrelated deal stay as they are
    grace = cli("lead", "add", "Grace Hopper", "--email", "grace@navy.example",
                "--company", "Navy").stdout.strip()
    cli("lead", "convert", grace, "--amount", "700", "--opp-name", "Navy compilers")
    return int(grace)


def store_text(store) -> str:
    """Every row of every table (and of the search index) as lower-case text."""
    chunks = []
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    if store.dialect == "sqlite":
        tables += [f"{e}_fts" for e in ("lead", "contact", "account", "opportunity")]
    with store.read() as s:
        for table in tables:
            for row in s.execute(text(f"SELECT * FROM {table}")):  # search_vec on PostgreSQL
                chunks.append(f"{table}: {tuple(row)!r}".lower())
    return "\n".join(chunks)


def test_erase_renames_what_was_named_after_the_person(cli, store, tmp_path):
    grace = setup_private_customer(cli, tmp_path)
    before = store_text(store)
    for secret in SECRETS:
        assert secret in before  # the check below can see them
    with store.read() as s:
        deal = s.get(Opportunity, 1)
        assert deal.name == "Yorick Mandelbrotz: renewal" and deal.account_id == 1
        assert s.get(Account, 1).name == "Yorick Mandelbrotz"
        assert s.scalar(select(func.count()).select_from(ImportChange)) == 1
        stage_history = s.execute(select(StageChange.opportunity_id, StageChange.from_stage_id,
                                         StageChange.to_stage_id)
                                  .order_by(StageChange.id)).all()
        deal_version = deal.version
    assert cli.json("search", "mandelbrotz")  # found before
    export = json.loads(cli("privacy", "export", YORICK).stdout)
    assert [a["name"] for a in export["accounts_named_after_person"]] == ["Yorick Mandelbrotz"]
    assert [o["name"] for o in export["opportunities_mentioning_person"]] == [
        "Yorick Mandelbrotz: renewal"]
    assert [a["subject"] for a in export["activities_mentioning_person"]] == [
        "Lunch with YORICK MANDELBROTZ"]
    assert [a["subject"] for a in export["activities"]] == ["Intro call"]

    result = cli.json("privacy", "erase", YORICK, "--yes")
    assert (result["leads"], result["contacts"], result["accounts_renamed"],
            result["opportunities_renamed"], result["activities_scrubbed"]) == (1, 1, 1, 1, 1)

    after = store_text(store)
    for secret in SECRETS:
        assert secret not in after, [line for line in after.splitlines() if secret in line]
    for word in ("mandelbrotz", "yorick", "gmail", "yorick mandelbrotz renewal"):
        assert cli.json("search", word) == [], word
    assert [h["ref"] for h in cli.json("search", "erased renewal")] == ["opp:1"]
    with store.read() as s:
        deal = s.get(Opportunity, 1)
        # the deal's figures and stage history stay; only the name is gone from its text
        assert deal.name == "(erased): renewal"
        assert deal.next_step == "send (erased) the contract"
        assert (deal.amount_minor, deal.stage_id, deal.external_id) == (10000, 2, "D-1")
        assert deal.version == deal_version + 1
        assert s.execute(select(StageChange.opportunity_id, StageChange.from_stage_id,
                                StageChange.to_stage_id).order_by(StageChange.id)
                         ).all() == stage_history
        assert s.get(Account, 1).name == "(erased)"
        note = s.scalars(select(Activity).where(Activity.kind == "note")).one()
        assert (note.subject, note.body) == (
            "Lunch with (erased)", "family business of (erased); write to (erased)")
        call = s.scalars(select(Activity).where(Activity.kind == "call")).one()
        assert (call.subject, call.body, call.contact_id) == ("(erased)", None, 1)
        history = s.execute(select(ChangeLog.action, ChangeLog.field, ChangeLog.old,
                                   ChangeLog.new)
                            .where(ChangeLog.entity == "opportunity", ChangeLog.record_id == 1,
                                   ChangeLog.field.in_(("name", "next_step")))
                            .order_by(ChangeLog.id)).all()
        assert [tuple(h) for h in history] == [
            ("edit", "next_step", None, "send (erased) the contract"),
            ("edit", "name", "(erased): new business", "(erased): renewal"),
            ("erase", "name", None, None), ("erase", "next_step", None, None)]
        change = s.scalars(select(ImportChange)).one()
        assert change.before["columns"]["name"] == "(erased): new business"
        other = s.get(Lead, grace)
        assert (other.first_name, other.last_name, other.email) == ("Grace", "Hopper",
                                                                    "grace@navy.example")
        assert s.get(Opportunity, 2).name == "Navy compilers"
        assert s.get(Account, 2).name == "Navy"
    pipeline = cli.json("report", "pipeline")  # reports still count the anonymous deal
    assert json.dumps(pipeline).count("100.00") >= 1
    assert cli.json("opp", "show", "1")["amount"] == "100.00"


@pytest.mark.sqlite_only
def test_erase_of_a_private_customer_leaves_no_bytes_in_the_files(cli, store, crm_home,
                                                                 tmp_path):
    setup_private_customer(cli, tmp_path)
    files = [crm_home / f"crm.db{suffix}" for suffix in ("", "-wal")]
    # fragments, not whole words: the search index stores terms prefix-compressed
    fragments = [f.encode() for word in ("Mandelbrotz", "mandelbrotz", "MANDELBROTZ")
                 for f in (word, word[3:])] + [b"Yorick", b"yorick", b"orick", b"YORICK"]
    store.checkpoint()
    seen = b"".join(path.read_bytes() for path in files if path.exists())
    assert b"Mandelbrotz: renewal" in seen and b"elbrotz" in seen  # the check can see them

    cli("privacy", "erase", YORICK, "--yes")  # commits, then checkpoints
    assert cli.json("search", "mandelbrotz") == [] and cli.json("search", "yorick") == []
    store.close()
    assert (crm_home / "crm.db").exists()
    for path in files:
        raw = path.read_bytes() if path.exists() else b""
        for fragment in fragments:
            assert fragment not in raw, (path.name, fragment)
    assert cli.json("opp", "show", "1")["name"] == "(erased): renewal"
