"""crm import: what real files look like (encodings, delimiters, Excel habits, JSON)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from crmtui.store.models import ImportBatch, Lead

NAMES = [("Zoë", "Müller", "zoe@example.de"), ("François", "Léger", "fl@example.fr"),
         ("Ada", "Lovelace", "ada@example.com")]


def leads(store):
    with store.read() as s:
        return s.scalars(select(Lead).order_by(Lead.id)).all()


def csv_text(delimiter=",", header=("First Name", "Last Name", "Email"), rows=NAMES,
             newline="\r\n"):
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    return newline.join(lines) + newline


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings_keep_names_intact(cli, store, tmp_path, encoding):
    path = tmp_path / "in.csv"
    path.write_bytes(csv_text().encode(encoding))
    out = cli.json("import", "leads", path)
    assert out["inserted"] == 3 and out["encoding"] == encoding
    assert [(lead.first_name, lead.last_name) for lead in leads(store)] == \
        [(f, l) for f, l, _ in NAMES]


def test_bytes_that_are_neither_utf8_nor_cp1252_are_refused_with_the_line(cli, store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"First Name,Email\nAda,a@x.com\nB\x81b,b@x.com\n")
    result = cli("import", "leads", path, code=1)
    assert "line 3" in result.stderr and "0x81" in result.stderr
    assert leads(store) == []


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(cli, store, tmp_path, delimiter):
    path = tmp_path / "in.txt"
    path.write_text(csv_text(delimiter), encoding="utf-8")
    out = cli.json("import", "leads", path)
    assert out["delimiter"] == delimiter and out["inserted"] == 3


def test_excel_sep_line_cp1252_semicolons(cli, store, tmp_path):
    """What Excel on Windows writes: cp1252, ';', a sep= line, CRLF, quotes around spaces."""
    text = ('sep=;\r\nVorname;Nachname;E-Mail;Firma\r\nZoë;Müller;zoe@example.de;"Bäckerei; '
            'Größe"\r\nFrançois;Léger;fl@example.fr;Café “Noir” €\r\n')
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("cp1252"))
    out = cli.json("import", "leads", path, "--map", "Vorname=first_name",
                   "--map", "Nachname=last_name", "--map", "Firma=company")
    assert out["encoding"] == "cp1252" and out["delimiter"] == ";"
    rows = leads(store)
    assert [(r.first_name, r.last_name, r.company) for r in rows] == [
        ("Zoë", "Müller", "Bäckerei; Größe"), ("François", "Léger", "Café “Noir” €")]
    listing = cli("lead", "list").stdout
    assert "Zoë Müller" in listing


def test_quoted_newlines_huge_fields_and_blank_trailing_lines(cli, store, tmp_path):
    big = "x" * (200 * 1024)
    path = tmp_path / "in.csv"
    path.write_text(f'First Name,Last Name,Notes\nAda,Lovelace,"first line\nsecond line"\n'
                    f'Grace,Hopper,{big}\n\n\n,,\n', encoding="utf-8")
    out = cli.json("import", "leads", path)
    assert out["inserted"] == 2
    rows = leads(store)
    assert rows[0].notes == "first line\nsecond line"
    assert len(rows[1].notes) == 200 * 1024


@pytest.mark.parametrize("header,expected", [
    ("First Name,Email,Email", "'Email' (columns 2, 3)"),
    ("First Name,,Email", "no name for column 2"),
])
def test_duplicate_or_empty_header_names_are_errors(cli, store, tmp_path, header, expected):
    path = tmp_path / "in.csv"
    path.write_text(header + "\nAda,a@x.com,b@x.com\n", encoding="utf-8")
    result = cli("import", "leads", path, code=1)
    assert expected in result.stderr
    assert leads(store) == []


def test_two_columns_claiming_one_field_is_an_error_naming_both(cli, store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Email,E-mail\na@x.com,b@x.com\n", encoding="utf-8")
    result = cli("import", "leads", path, code=1)
    assert "'Email' and 'E-mail' both map to email" in result.stderr


def test_json_array_jsonl_and_stdin(cli, store, tmp_path):
    data = [{"first_name": "Ada", "email": "ada@x.com", "extra": {"shoe": 42}},
            {"first_name": "Grace", "email": "grace@x.com", "Favourite": "blue"}]
    (tmp_path / "a.json").write_text(json.dumps(data, indent=2))
    out = cli.json("import", "leads", tmp_path / "a.json")
    assert out["format"] == "json" and out["inserted"] == 2
    lines = "\n".join(json.dumps({"first_name": n, "email": f"{n}@y.com"})
                      for n in ("Alan", "Edsger"))
    out = cli.json("import", "leads", "-", input=lines + "\n")
    assert out["format"] == "jsonl" and out["inserted"] == 2 and out["file"] == "<stdin>"
    rows = leads(store)
    assert rows[0].extra == {"shoe": 42} and rows[1].extra == {"Favourite": "blue"}
    assert [r.first_name for r in rows] == ["Ada", "Grace", "Alan", "Edsger"]


def test_headers_of_other_crms_map_to_fields_and_the_rest_goes_to_extra(cli, store, tmp_path):
    path = tmp_path / "sf.csv"
    path.write_text("Lead ID,First Name,Last Name,Email,Mobile Phone,Phone,Lead Source,"
                    "Lead Owner,No. of Employees,Shoe Size\n"
                    "00Q1,Ada,Lovelace,ada@x.com,+44 7700 900123,+1 415 555 0132,Web,ada,\""
                    "1,200\",42\n", encoding="utf-8")
    out = cli.json("import", "leads", path)
    assert out["mapping"]["Lead ID"] == "external_id"
    assert out["mapping"]["Phone"] == "phone" and "Mobile Phone" in out["extra_columns"]
    lead = leads(store)[0]
    assert (lead.external_id, lead.source, lead.owner, lead.employees) == ("00Q1", "Web",
                                                                          "ada", 1200)
    assert lead.phone == "+14155550132"
    assert lead.extra == {"Mobile Phone": "+44 7700 900123", "Shoe Size": "42"}


def test_dry_run_shows_the_mapping_and_writes_nothing(cli, store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(csv_text(header=("First Name", "Last Name", "Email Address"), newline="\n"))
    result = cli("import", "leads", path, "--dry-run")
    assert "Email Address" in result.stderr and "email" in result.stderr
    assert "would" in result.stderr
    out = cli.json("import", "leads", path, "--dry-run")
    assert out["status"] == "dry-run" and out["inserted"] == 3 and out["batch"] is None
    assert leads(store) == []
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
