"""`--match id`: crmtui's own export, edited, goes back into the store it came from."""

from __future__ import annotations

import csv
import json

from sqlalchemy import func, select

from crmtui.store.models import Activity, Opportunity


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path, rows):
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_an_edited_export_updates_the_records_it_came_from(cli, store, tmp_path):
    cli("account", "add", "Acme")
    cli("activity", "log", "call", "--on", "account:Acme", "--subject", "Kickoff")
    cli("activity", "log", "note", "--on", "account:Acme", "--subject", "Kickoff")
    for amount in ("100", "200"):  # two deals alike: name + account cannot tell them apart
        cli("opp", "add", "Renewal", "--account", "Acme", "--amount", amount,
            "--close-date", "2026-12-31")
    acts, opps = tmp_path / "acts.csv", tmp_path / "opps.csv"
    cli("export", "activities", "-o", acts)
    cli("export", "opportunities", "-o", opps)

    rows = _rows(acts)
    rows[1]["subject"] = "Kickoff notes"
    _write(acts, rows)
    out = cli.json("import", "activities", acts, "--match", "id", "--on-conflict", "update")
    assert (out["inserted"], out["updated"], out["unchanged"]) == (0, 1, 1)
    again = cli.json("import", "activities", acts, "--match", "id", "--on-conflict", "update")
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)

    rows = _rows(opps)
    second = next(r for r in rows if r["amount"].startswith("200"))
    second["amount"] = "250.00"
    _write(opps, rows)
    out = cli.json("import", "opportunities", opps, "--match", "id", "--on-conflict", "update")
    assert (out["inserted"], out["updated"], out["rejected"]) == (0, 1, 0)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Activity)) == 2
        subjects = sorted(s.scalars(select(Activity.subject)))
        assert subjects == ["Kickoff", "Kickoff notes"]
        amounts = {o.id: o.amount_minor for o in s.scalars(select(Opportunity))}
        first = next(r for r in rows if r is not second)
        assert amounts == {int(first["id"]): 10000, int(second["id"]): 25000}


def test_match_id_rows_without_a_known_id_and_bad_ids(cli, store, tmp_path):
    cli("account", "add", "Acme")
    path = tmp_path / "a.json"
    cli("export", "accounts", "--format", "json", "-o", path)
    rows = json.loads(path.read_text())
    rows[0]["industry"] = "Retail"
    rows.append({"id": None, "name": "Newco"})  # no id: a new record
    rows.append({"id": 999, "name": "Gone Corp"})  # an id the store does not have: new too
    path.write_text(json.dumps(rows))
    out = cli.json("import", "accounts", path, "--match", "id", "--on-conflict", "update")
    assert (out["inserted"], out["updated"]) == (2, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\nabc,Broken\n")
    result = cli("import", "accounts", bad, "--match", "id", code=1)
    assert "line 2, column 'id'" in result.stderr and "not a crmtui id" in result.stderr
    plain = tmp_path / "plain.csv"
    plain.write_text("name\nAcme\n")
    result = cli("import", "accounts", plain, "--match", "id", code=2)
    assert "no column for id" in result.stderr and "crm export" in result.stderr
