"""crm export: formulas neutralised, private files, and export -> import round trips."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from sqlalchemy import select

from crmtui.store.models import Lead


def test_formulas_are_neutralised_unless_raw(cli, store):
    cli("lead", "add", "=HYPERLINK(\"http://evil\") x", "--company", "@SUM(A1)",
        "--notes", "-2+3")
    text = cli("export", "leads").stdout
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["last_name"] == "x" and row["first_name"].startswith("'=HYPERLINK")
    assert row["company"] == "'@SUM(A1)" and row["notes"] == "'-2+3"
    raw = next(csv.DictReader(io.StringIO(cli("export", "leads", "--raw").stdout)))
    assert raw["company"] == "@SUM(A1)"


def test_export_files_are_0600_and_filters_apply(cli, store, tmp_path):
    cli("lead", "add", "Ada Lovelace", "--source", "web")
    cli("lead", "add", "Grace Hopper", "--source", "referral")
    old = os.umask(0o022)
    try:
        cli("export", "leads", "-o", tmp_path / "l.csv", "--source", "web")
        cli("export", "leads", "-o", tmp_path / "l.jsonl")
    finally:
        os.umask(old)
    for name in ("l.csv", "l.jsonl"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    rows = list(csv.DictReader(open(tmp_path / "l.csv", newline="")))
    assert [r["name"] for r in rows] == ["Ada Lovelace"]
    assert len((tmp_path / "l.jsonl").read_text().splitlines()) == 2


def _populate(cli, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Name,Domain,Revenue,Created Date,Region\n"
                        "Acme,acme.com,\"1,000,000.10\",2024-01-02T03:04:05Z,EMEA\n"
                        "Globex,globex.com,,2024-02-01,APAC\n")
    cli("import", "accounts", accounts)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("First Name,Last Name,Email,Account,Phone,Hobby\n"
                        "Grace,Hopper,grace@acme.com,Acme,+1 415 555 0132,=chess\n")
    cli("import", "contacts", contacts)
    leads = tmp_path / "leads.csv"
    leads.write_text("First Name,Last Name,Email,Status,Tags,Notes,Shoe\n"
                     "Zoë,Müller,zoe@x.de,working,\"a,b\",\"line1\nline2\",42\n"
                     "Ada,Lovelace,ada@x.com,new,,@home,\n")
    cli("import", "leads", leads)
    deals = tmp_path / "deals.csv"
    deals.write_text("Name,Account,Contact,Stage,Amount,Close Date,Created Date,Closed At,"
                     "Probability,Currency,Channel\n"
                     "Acme renewal,Acme,grace@acme.com,Proposal,1234.50,2026-12-31,"
                     "2025-01-01T00:00:00Z,,40,EUR,partner\n"
                     "Globex pilot,Globex,,Won,99.99,2025-03-01,2025-01-05T00:00:00Z,"
                     "2025-03-02T10:00:00Z,,USD,\n")
    cli("import", "opportunities", deals)
    acts = tmp_path / "acts.csv"
    acts.write_text("Kind,Subject,Opportunity,Done At,Body\n"
                    "call,Pricing call,Acme renewal,2025-02-01T09:00:00Z,-discount\n")
    cli("import", "activities", acts)


KEEP = {
    "account": ("name", "domain", "revenue", "created_at", "extra", "owner"),
    "contact": ("first_name", "last_name", "email", "phone", "account", "extra"),
    "lead": ("first_name", "last_name", "email", "status", "tags", "notes", "extra",
             "created_at"),
    "opportunity": ("name", "account", "contact", "stage", "amount", "close_date",
                    "created_at", "closed_at", "probability", "currency", "extra", "status"),
    "activity": ("kind", "subject", "done_at", "body", "on", "extra"),
}
ORDER = (("accounts", "account"), ("contacts", "contact"), ("leads", "lead"),
         ("opportunities", "opportunity"), ("activities", "activity"))


def _snapshot(cli):
    out = {}
    for noun, entity in ORDER:
        cmd = {"account": "account", "contact": "contact", "lead": "lead",
               "opportunity": "opp", "activity": "activity"}[entity]
        rows = cli.json(cmd, "list", "--limit", "100")
        out[entity] = [{k: r.get(k) for k in KEEP[entity]} for r in rows]
        for r in out[entity]:
            if isinstance(r.get("on"), str):
                r["on"] = r["on"].split(" ", 1)[1]
    return out


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
def test_export_then_import_into_an_empty_store_reproduces_the_records(cli, tmp_path, fmt,
                                                                      monkeypatch, another_store):
    _populate(cli, tmp_path)
    before = _snapshot(cli)
    for noun, _ in ORDER:
        cli("export", noun, "--format", fmt, "-o", tmp_path / f"{noun}.{fmt}")
    monkeypatch.setenv("CRMTUI_HOME", str(tmp_path / "second"))
    monkeypatch.setenv("CRMTUI_DB", another_store())
    for noun, _ in ORDER:
        cli("import", noun, tmp_path / f"{noun}.{fmt}")
    after = _snapshot(cli)
    assert after == before


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_round_trip_keeps_where_closed_deals_closed_from(cli, tmp_path, fmt, monkeypatch,
                                                         another_store):
    cli("opp", "add", "Early", "--stage", "Prospecting")
    cli("opp", "lose", "Early", "--reason", "Price")
    cli("opp", "add", "Late", "--stage", "Prospecting")
    cli("opp", "move", "Late", "Negotiation")
    cli("opp", "lose", "Late", "--reason", "Timing")
    cli("opp", "add", "Mid", "--stage", "Proposal")
    cli("opp", "win", "Mid")
    cli("opp", "add", "Open", "--stage", "Qualification")

    def reports():
        lost = cli.json("report", "win-rate", "--by", "stage-lost-at")["rows"]
        funnel = cli.json("report", "funnel")["rows"]
        return ([(r["stage"], r["lost_here"], r["won"], r["lost"]) for r in lost],
                [(r["stage"], r["reached"]) for r in funnel])

    before = reports()
    assert [r[1] for r in before[0]] == [1, 0, 0, 1]
    cli("export", "opportunities", "--format", fmt, "-o", tmp_path / f"o.{fmt}")
    monkeypatch.setenv("CRMTUI_HOME", str(tmp_path / "second"))
    monkeypatch.setenv("CRMTUI_DB", another_store())
    cli("import", "opportunities", tmp_path / f"o.{fmt}")
    assert reports() == before
    assert all(d["extra"] == {} for d in cli.json("opp", "list"))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_round_trip_with_two_accounts_of_one_name(cli, tmp_path, fmt, monkeypatch,
                                                  another_store):
    """Contacts, deals, activities and converted leads refer to their account by name, which
    two accounts may share: the export names those by domain (else external id), and the
    import reads that back, so each record lands on its own account."""
    cli("account", "add", "Acme", "--domain", "acme1.example")
    cli("account", "add", "Acme", "--domain", "acme2.example")
    cli("account", "add", "Acme", "--external-id", "SF-3")
    cli("account", "add", "Globex")
    cli("contact", "add", "C One", "--account", "1", "--email", "c1@acme1.example")
    cli("opp", "add", "Deal B", "--account", "2", "--amount", "100")
    cli("opp", "add", "Deal C", "--account", "3", "--amount", "300")
    cli("opp", "add", "Deal G", "--account", "Globex", "--amount", "50")
    cli("activity", "log", "call", "--on", "account:2", "--subject", "Hello two")

    def links():
        accounts = {a["id"]: (a["domain"], a["external_id"], a["name"])
                    for a in cli.json("account", "list")}
        return (sorted((c["name"], accounts[c["account_id"]]) for c in cli.json("contact", "list")),
                sorted((o["name"], accounts[o["account_id"]]) for o in cli.json("opp", "list")),
                sorted((a["subject"], accounts[a["account_id"]])
                       for a in cli.json("activity", "list")))

    before = links()
    for noun in ("accounts", "contacts", "opportunities", "activities"):
        cli("export", noun, "--format", fmt, "-o", tmp_path / f"{noun}.{fmt}")
    deals = tmp_path / f"opportunities.{fmt}"
    text = deals.read_text()
    assert "acme2.example" in text and "SF-3" in text and "Globex" in text
    monkeypatch.setenv("CRMTUI_HOME", str(tmp_path / "second"))
    monkeypatch.setenv("CRMTUI_DB", another_store())
    for noun in ("accounts", "contacts", "opportunities", "activities"):
        cli("import", noun, tmp_path / f"{noun}.{fmt}")
    assert links() == before
