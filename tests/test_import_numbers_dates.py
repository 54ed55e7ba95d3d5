"""crm import: whole numbers and percentages with commas; day/month dates with and without
a time of day."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from crmtui.store.models import Lead, Opportunity


def _leads(store):
    with store.read() as s:
        return {lead.email: lead.employees for lead in s.scalars(select(Lead))}


def test_a_comma_in_a_whole_number_is_taken_only_between_thousands(cli, store, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text('name,email,employees\nA B,ab@x.example,"1,5"\n'
                    'C D,cd@x.example,"12,34,5"\nE F,ef@x.example,"1,200"\n')
    out = json.loads(cli("import", "leads", path, "--json", code=1).stdout)
    assert out["inserted"] == 0 and {e["line"] for e in out["errors"]} == {2, 3}
    for e in out["errors"]:
        assert e["value"] in e["reason"] and "between thousands" in e["reason"]
    path.write_text('name,email,employees\nE F,ef@x.example,"1,200"\nG H,gh@x.example,'
                    '"12,345,678"\n')
    cli("import", "leads", path)
    assert _leads(store) == {"ef@x.example": 1200, "gh@x.example": 12345678}


def test_decimal_comma_reads_dots_between_thousands_in_whole_numbers(cli, store, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name;email;employees\nA B;ab@x.example;1.200\n")
    result = cli("import", "leads", path, code=1)
    assert "pass --decimal-comma to read '1.200' as 1200" in result.stderr
    cli("import", "leads", path, "--decimal-comma")
    assert _leads(store) == {"ab@x.example": 1200}
    path.write_text("name;email;employees\nC D;cd@x.example;1,5\n")  # a decimal: refused
    result = cli("import", "leads", path, "--decimal-comma", code=1)
    assert "'1,5'" in result.stderr and "without decimals" in result.stderr


def test_a_probability_with_a_decimal_comma_is_not_multiplied_by_ten(cli, store, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("name;account;amount;close date;stage;probability\n"
                    "X;Acme;1.000,00;2026-12-31;Proposal;7,5\n")
    for extra in ((), ("--decimal-comma",)):  # 75 either way before; refused like 7.5 now
        result = cli("import", "opportunities", path, "--create-missing", *extra, code=1)
        assert "'7,5'" in result.stderr
    with store.read() as s:
        assert s.scalars(select(Opportunity)).all() == []
    path.write_text("name;account;amount;close date;stage;probability\n"
                    "X;Acme;1.000,00;2026-12-31;Proposal;8\n")
    cli("import", "opportunities", path, "--create-missing", "--decimal-comma")
    with store.read() as s:
        deal = s.scalars(select(Opportunity)).one()
    assert (deal.amount_minor, deal.probability) == (100000, 8)


DAY_MONTH = ("name,account,amount,close date,created date,stage\n"
             "D1,Acme,100,14/03/2027,01/02/2026 10:15,Proposal\n"
             "D2,Acme,100,15/03/2027,02/03/2026 11:00,Proposal\n")


def _deals(cli):
    return {d["name"]: (d["close_date"], d["created_at"]) for d in cli.json("opp", "list")}


def test_the_date_format_hint_reads_a_column_with_times_too(cli, store, tmp_path):
    path = tmp_path / "df2.csv"
    path.write_text(DAY_MONTH)
    result = cli("import", "opportunities", path, "--create-missing", "--dry-run", code=1)
    assert "--date-format DD/MM/YYYY" in result.stderr  # the hint given, and it works:
    cli("import", "opportunities", path, "--create-missing", "--date-format", "DD/MM/YYYY")
    assert _deals(cli) == {"D1": ("2027-03-14", "2026-02-01T10:15:00Z"),
                           "D2": ("2027-03-15", "2026-03-02T11:00:00Z")}


def test_a_format_with_a_time_reads_dates_without_one(cli, store, tmp_path):
    path = tmp_path / "df2.csv"
    path.write_text(DAY_MONTH + "D3,Acme,100,16/03/2027 17:30,03/03/2026,Proposal\n")
    cli("import", "opportunities", path, "--create-missing", "--date-format",
        "DD/MM/YYYY HH:mm")
    assert _deals(cli) == {"D1": ("2027-03-14", "2026-02-01T10:15:00Z"),
                           "D2": ("2027-03-15", "2026-03-02T11:00:00Z"),
                           "D3": ("2027-03-16", "2026-03-03T00:00:00Z")}


def test_excel_dates_still_read_under_a_date_format(cli, store, tmp_path):
    path = tmp_path / "ex.csv"
    path.write_text("name,account,amount,close date,stage\n"
                    "E1,Acme,100,45678,Proposal\nE2,Acme,100,16/03/2027,Proposal\n")
    result = cli("import", "opportunities", path, "--create-missing", "--date-format",
                 "DD/MM/YYYY", code=1)
    assert "'45678'" in result.stderr and "--excel-dates" in result.stderr
    cli("import", "opportunities", path, "--create-missing", "--date-format", "DD/MM/YYYY",
        "--excel-dates")
    assert {name: close for name, (close, _) in _deals(cli).items()} == \
        {"E1": "2025-01-21", "E2": "2027-03-16"}


def test_a_wrong_value_under_a_date_format_is_still_refused(cli, store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,account,amount,close date,created date,stage\n"
                    "B1,Acme,100,2027/14/03,01/02/2026 25:15,Proposal\n")
    out = json.loads(cli("import", "opportunities", path, "--create-missing", "--json",
                         "--date-format", "DD/MM/YYYY", code=1).stdout)
    reasons = {e["column"]: e["reason"] for e in out["errors"]}
    assert "does not match --date-format" in reasons["close date"]
    assert "impossible time" in reasons["created date"]
