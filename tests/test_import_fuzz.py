"""Import fuzzing (issue 7, test 8): whatever a file holds, `crm import` never ends in a
traceback and never leaves a half-written store.

Hypothesis builds files the way real ones go wrong -- random bytes, broken quoting, ragged
rows, mixed encodings, BOMs in odd places, NULs, huge fields, lone surrogates and deep
nesting in JSON, empty and header-only files -- and feeds them to `crm import
leads|accounts|contacts|opportunities|activities` with assorted options. Each import either
succeeds (exit 0, or 1 in skip mode with rejects) or stops with a clear message and exit
code 1; after a failed or dry run, every table (the full-text index included) is exactly as
it was. The store is shared by the examples of a test, so later files meet earlier records.

CI runs a few dozen examples per test, the same ones every run (derandomized: a red CI
is a change's fault, not a new draw); CRMTUI_FUZZ_EXAMPLES=2000 pytest tests/test_import_fuzz.py
runs a long session. Bugs it found are pinned by the regression tests at the end.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import sqlite3
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytestmark = pytest.mark.sqlite_only  # compares the database file's tables

EXAMPLES = int(os.environ.get("CRMTUI_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize="CRMTUI_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])

ENTITIES = ("leads", "accounts", "contacts", "opportunities", "activities")
HEADERS = ("First Name", "Last Name", "Name", "Full Name", "Email", "E-Mail", "Phone", "Company",
           "Account Name", "Deal Name", "Stage", "Deal Stage", "Amount", "Currency", "Close Date",
           "Closed At", "Created", "Probability", "Employees", "Website", "Domain", "Tags",
           "External ID", "Lead Status", "Owner", "Notes", "extra.x", "id", "score", "Type",
           "Subject", "Due Date", "Related To", "Status", "Pipeline", "Contact", "Lead Email",
           "Annual Revenue", "Favourite Colour", "Probability Override", "Done At", "Kind",
           "ÉMAIL", "名前", "a\nb", "=HYPERLINK()", "", " ", "\ufeffEmail", "sep=;", "x\x00y")
VALUES = ("", " ", "ada@example.com", "ADA@EXAMPLE.COM", "zoë.1@example.com", "not-an-email",
          "a@b", "Sales@Example.com", "+1 (415) 555-0132", "+44 20 7946 0000", "+4420794600",
          "555-0101", "0", "-1", "1,234.56", "1.234,56", "$12.50", "12.345", "1e5",
          "9" * 25, "9" * 5000, "2024-02-30", "2024-01-02", "2024-01-02T03:04:05Z",
          "13/04/2024", "03/04/2024", "12/31/2024 11:59 PM", "45000", "45000.5", "today",
          "next friday", "in 99999999 years", "9999-12-31T23:59:59-10:00",
          "0001-01-01T00:00:00+05:00", "2999-01-01", "Won", "Lost", "Closed Won", "Prospecting",
          "Sales", "nonsense", "call", "task", "meeting", "done", "open", "new", "qualified",
          "lead:ada@example.com", "account:Acme", "opp:Acme deal", "Acme", "Acme Corp", "USD",
          "eur", "50%", "101", "'=1+1", "=cmd|' /C calc'!A0", "\x00", "a\x00b", "\ufeff",
          "Acme [/] Corp", "[@click=app.quit]x[/]", "\x1b[31mred\x1b]8;;file:///etc/passwd\x07",
          "\u202eevil", "\x85\x9b", "e\u0301", "\U0001F600", "\r", "\n", '"', '""', "a,b",
          "a;b", "a\tb", "a|b", "x" * 140_000, "https://example.com", "example.com", "www.x.io",
          "Ada Lovelace", "  Grace  Hopper  ", "-", "None", "null", "true", "NaN")

cell = st.one_of(st.sampled_from(VALUES), st.text(max_size=12),
                 st.text(alphabet=string.printable, max_size=20))
header = st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=8)), min_size=0,
                  max_size=9)


@st.composite
def csv_texts(draw) -> str:
    """CSV/TSV text: any delimiter, Excel's sep= line, proper or broken quoting, ragged rows,
    any line ending."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    names = draw(header)
    rows = draw(st.lists(st.lists(cell, max_size=len(names) + 2), max_size=8))
    quoting = draw(st.sampled_from(["csv", "naive", "all"]))
    out = io.StringIO()
    if draw(st.booleans()) and draw(st.booleans()):
        out.write(f"sep={delimiter}{ending}")
    for row in [names] + rows:
        if quoting == "naive":
            out.write(delimiter.join(row) + ending)
        else:
            import csv

            csv.writer(out, delimiter=delimiter, lineterminator=ending,
                       quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL
                       ).writerow(row)
    text = out.getvalue()
    if draw(st.booleans()):  # a stray quote, delimiter, NUL or BOM somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', delimiter, "\x00", "\ufeff", "\n"])) + \
            text[at:]
    if draw(st.booleans()):
        text += draw(st.sampled_from(["", "\n\n\n", " \n", ending * 2]))
    return text


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from(VALUES),
              st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)
json_object = st.dictionaries(st.one_of(st.sampled_from(HEADERS), st.just("extra"),
                                        st.text(max_size=6)),
                              st.one_of(json_value, st.dictionaries(st.text(max_size=4),
                                                                    json_value, max_size=3)),
                              max_size=8)


@st.composite
def json_texts(draw) -> str:
    """JSON arrays or JSON Lines, valid or not, with the values JSON can carry and Python
    reads in surprising ways: lone surrogates, NaN, 5,000-digit numbers, deep nesting."""
    items = draw(st.lists(st.one_of(json_object, json_value), max_size=6))
    lines = draw(st.booleans())
    parts = [json.dumps(item, ensure_ascii=draw(st.booleans())) for item in items]
    text = "\n".join(parts) if lines else "[" + ",\n".join(parts) + "]"
    trouble = draw(st.sampled_from([
        None, None, '{"Email": "\\ud800x@example.com"}', '{"\\udfff": 1}',
        '{"First Name": "a\\udbff"}', '{"Employees": ' + "1" * 5000 + "}",
        '{"Amount": 1e400}', '{"Amount": NaN, "Employees": Infinity}',
        "[" * 3000 + "]" * 3000, '{"x": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"Email": "a@b.c",}', "// comment", "{", '{"Email": "x@y.z"} trailing', "null",
        '"just a string"', "[]", "{}", '{"extra": {"": 1, "a": {"b": [1, {"c": null}]}}}',
        '{"extra": "not an object"}', '{"Email": "u@x.io", "email": "v@x.io"}']))
    if trouble is not None:
        if lines:
            text = text + "\n" + trouble
        else:
            text = "[" + (",\n".join(parts + [trouble])) + "]" if draw(st.booleans()) \
                else trouble
    return text


COLUMNS = {  # per entity: the columns real exports have, and values that go in them
    "leads": {"First Name": "name", "Last Name": "name", "Email": "email", "Phone": "phone",
              "Company": "text", "Title": "text", "Lead Source": "text", "Employees": "int",
              "Lead Status": "choice", "Created": "date", "External ID": "id", "Tags": "text",
              "Website": "url", "Colour": "text"},
    "accounts": {"Account Name": "company", "Website": "url", "Domain": "url", "Phone": "phone",
                 "Employees": "int", "Annual Revenue": "money", "External ID": "id",
                 "Created": "date", "Industry": "text"},
    "contacts": {"First Name": "name", "Last Name": "name", "Email": "email",
                 "Account Name": "company", "Phone": "phone", "External ID": "id"},
    "opportunities": {"Deal Name": "text", "Account Name": "company", "Stage": "stage",
                      "Amount": "money", "Currency": "currency", "Close Date": "date",
                      "Closed At": "date", "Created": "date", "Probability": "int",
                      "External ID": "id", "Contact": "email", "Pipeline": "pipeline"},
    "activities": {"Type": "kind", "Subject": "text", "Due Date": "date", "Done At": "date",
                   "Related To": "target", "Status": "status", "Lead Email": "email",
                   "Account Name": "company", "External ID": "id"},
}
KINDS = {
    "name": ("Ada", "Grace", "Zoë", "O'Brien", "", "  ", "Łukasz", "\x00", "=1+1"),
    "email": ("ada@example.com", "ADA@example.com", "zoë@example.com", "x@y", "bad", "",
              "sales@Example.com", "b@example.com", "ada@example.com "),
    "phone": ("+1 (415) 555-0132", "+44 20 7946 0000", "555-0101", "", "+1", "abc",
              "+4420794600000000000", "+33 1 23 45 67 89"),
    "text": ("Acme", "", "x" * 300, "a,b", 'say "hi"', "\n", "Acme [/] Corp"),
    "company": ("Acme", "Acme Corp", "Globex", "", "New Co", "acme"),
    "int": ("0", "10", "-1", "1,000", "9" * 20, "x", "", "50"),
    "money": ("10", "1,234.56", "$5", "1.234,56", "-3", "0.001", "9" * 20, ""),
    "currency": ("USD", "eur", "GBP", "EURO", "", "€"),
    "date": ("2024-01-02", "2024-01-02T10:00:00Z", "2023-05-06", "01/13/2024", "03/04/2024",
             "13/01/2024",
             "", "tomorrow", "45000", "2999-12-31", "0001-01-01T00:00:00+01:00"),
    "id": ("E1", "E2", "E3", "", "e1", " E1 "),
    "choice": ("new", "working", "qualified", "disqualified", "converted", "bogus", ""),
    "url": ("acme.com", "https://www.acme.com/x", "globex.org", "no spaces", "", "x"),
    "stage": ("Prospecting", "Won", "Lost", "Closed Won", "Negotiation", "New Stage", ""),
    "pipeline": ("Sales", "sales", "Nope", ""),
    "kind": ("call", "email", "meeting", "note", "task", "fax", ""),
    "status": ("done", "open", "", "maybe"),
    "target": ("lead:ada@example.com", "account:Acme", "", "opp:x", "contact:E1", "nonsense"),
}


@st.composite
def plausible_csv(draw, entity: str) -> str:
    """Files with the right columns and mostly right values: they reach matching, updates,
    references and the writer, where the interesting failures live."""
    import csv

    columns = draw(st.lists(st.sampled_from(sorted(COLUMNS[entity])), min_size=1, max_size=8,
                            unique=True))
    def value(column: str):  # the first three of each kind are good values: favour them
        kind = KINDS[COLUMNS[entity][column]]
        return st.one_of(st.sampled_from(kind[:3]), st.sampled_from(kind[:3]),
                         st.sampled_from(kind))

    rows = draw(st.lists(st.tuples(*(value(c) for c in columns)), min_size=1, max_size=12))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1",
             "utf-32", "mixed")


@st.composite
def encoded(draw, texts) -> bytes:
    """Text encoded as Excel, Windows tools and scripts do -- or as several at once."""
    text = draw(texts)
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding == "mixed":
        cut = draw(st.integers(0, len(text)))
        first, second = draw(st.permutations(["utf-8", "cp1252", "utf-16-le", "latin-1"]))[:2]
        data = text[:cut].encode(first, "replace") + text[cut:].encode(second, "replace")
    else:
        data = text.encode(encoding, "replace")
    if draw(st.booleans()) and draw(st.booleans()):  # a BOM where none belongs
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
                                                  codecs.BOM_UTF16_BE])) + data[at:]
    return data


files = st.one_of(
    st.binary(max_size=600),
    st.sampled_from([b"", b"\n", b"\r\n\r\n", b" ", codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
                     b"sep=;\n", b"Email\n", b"Email,Name\n\n\n", b"\xef\xbb\xbfEmail\r\n",
                     b"[]", b"{}", b"[", b"\x00\x00\x00", b"\xff\xfe\x00", b'"', b'"Email']),
    encoded(csv_texts()),
    encoded(json_texts()),
)
OPTIONS = ([], [], ["--on-error", "skip"], ["--dry-run"], ["--create-missing"],
           ["--on-conflict", "update"], ["--on-conflict", "skip"], ["--excel-dates"],
           ["--decimal-comma"], ["--format", "csv"], ["--format", "tsv"], ["--format", "json"],
           ["--format", "jsonl"], ["--date-format", "DD/MM/YYYY"], ["--match", "none"],
           ["--on-error", "skip", "--on-conflict", "update", "--create-missing"])
SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".txt", "")


def snapshot(db: Path) -> dict[str, str]:
    """table -> row count and digest of its rows, for every table (full-text index too)."""
    if not db.exists():
        return {}
    con = sqlite3.connect(db)
    try:
        out = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                    "ORDER BY name"):
            digest = hashlib.sha256()
            n = 0
            try:
                rows = con.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
            except sqlite3.OperationalError:  # WITHOUT ROWID: read in primary key order
                rows = con.execute(f'SELECT * FROM "{table}"')
            for row in rows:
                digest.update(repr(row).encode())
                n += 1
            out[table] = f"{n}:{digest.hexdigest()}"
        return out
    finally:
        con.close()


def count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    finally:
        con.close()


TABLE = {"leads": "lead", "accounts": "account", "contacts": "contact",
         "opportunities": "opportunity", "activities": "activity"}


class Importer:
    """Runs `crm import` on fuzzed files and checks the store's state after each."""

    def __init__(self, cli, home: Path, tmp: Path):
        self.cli = cli
        self.db = home / "crm.db"
        self.tmp = tmp
        self.n = 0
        cli("lead", "add", "Ada Lovelace", "--email", "ada@example.com")
        cli("account", "add", "Acme", "--website", "acme.example")

    def __call__(self, data: bytes, entity: str, options: list[str], suffix: str,
                 as_json: bool, stdin: bool = False):
        self.n += 1
        path = self.tmp / f"fuzz{self.n}{suffix}"
        path.write_bytes(data)
        rejects = self.tmp / f"rejects{self.n}.csv"
        if "skip" in options:
            options = options + ["--rejects", str(rejects)]
        before = snapshot(self.db)
        table_before = count(self.db, TABLE[entity])
        args = ["import", entity, "-" if stdin else str(path), *options]
        if as_json:
            args.append("--json")
        result = self.cli(*args, code=None, input=data if stdin else None)
        # never a traceback: the CLI maps every failure to a message and an exit code
        assert result.exit_code in (0, 1), (result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
        after = snapshot(self.db)
        summary = None
        if as_json and result.stdout.strip():
            summary = json.loads(result.stdout)
        if result.exit_code == 1 and summary is None:
            assert result.stderr.strip(), "exit code 1 without a word"
        unchanged = "--dry-run" in options or (result.exit_code == 1 and "skip" not in options)
        if summary is not None:
            assert summary["status"] in ("done", "failed", "dry-run")
            unchanged = unchanged or summary["status"] != "done"
            if summary["status"] == "done":
                assert count(self.db, TABLE[entity]) - table_before == summary["inserted"]
                assert result.exit_code == (1 if summary["rejected"] else 0)
                if summary["rejected"] and "skip" in options:
                    assert rejects.exists()
            elif summary["status"] == "failed":
                assert result.exit_code == 1 and summary["inserted"] == 0
        if unchanged:  # never a half-written store
            assert after == before, "a failed or dry-run import changed the store"
        elif result.exit_code == 0 and summary is None and after != before:
            assert result.stdout.strip().isdigit()  # the batch number of a done import
        return result, summary


@pytest.fixture
def importer(cli, crm_home, tmp_path):
    return Importer(cli, crm_home, tmp_path)


@FUZZ
@given(data=files, entity=st.sampled_from(ENTITIES), options=st.sampled_from(OPTIONS),
       suffix=st.sampled_from(SUFFIXES), as_json=st.booleans())
def test_any_file_imports_cleanly_or_fails_cleanly(importer, data, entity, options, suffix,
                                                   as_json):
    importer(data, entity, options, suffix, as_json)


@FUZZ
@given(data=encoded(csv_texts()), entity=st.sampled_from(("leads", "accounts", "opportunities")),
       options=st.sampled_from(OPTIONS))
def test_csv_from_anywhere(importer, data, entity, options):
    importer(data, entity, options, ".csv", True)


@FUZZ
@given(data=encoded(json_texts()), entity=st.sampled_from(("leads", "accounts", "opportunities")),
       options=st.sampled_from(OPTIONS), lines=st.booleans())
def test_json_from_anywhere(importer, data, entity, options, lines):
    importer(data, entity, options, ".jsonl" if lines else ".json", True)


@FUZZ
@given(data=st.data(), entity=st.sampled_from(ENTITIES), options=st.sampled_from(OPTIONS))
def test_plausible_files_meet_the_store(importer, data, entity, options):
    text = data.draw(plausible_csv(entity))
    for _ in range(data.draw(st.integers(1, 2))):  # the second time, rows meet themselves
        importer(text.encode("utf-8"), entity, options, ".csv", True)


@FUZZ
@given(data=files, entity=st.sampled_from(("leads", "accounts", "opportunities")),
       options=st.sampled_from(OPTIONS))
def test_stdin(importer, data, entity, options):
    importer(data, entity, options, "", True, stdin=True)


@FUZZ
@given(data=st.one_of(encoded(csv_texts()), encoded(json_texts())),
       entity=st.sampled_from(ENTITIES),
       options=st.sampled_from(([], ["--on-error", "skip"], ["--on-conflict", "update"],
                                ["--create-missing", "--on-error", "skip"])),
       suffix=st.sampled_from((".csv", ".json", ".jsonl")))
def test_importer_api_raises_only_crm_errors(crm_home, tmp_path, data, entity, options, suffix):
    """The importer itself (no CLI around it): a CrmError or a summary, nothing else."""
    from crmtui.errors import CrmError
    from crmtui.importer import writer
    from crmtui.importer.options import ImportOptions
    from crmtui.store.migrate import open_store

    path = tmp_path / f"api{suffix}"
    path.write_bytes(data)
    flags = {"on_error": "skip" if "skip" in " ".join(options) else "abort",
             "on_conflict": "update" if "update" in options else "error",
             "create_missing": "--create-missing" in options,
             "rejects": str(tmp_path / "api.rejects")}
    store = open_store()
    try:
        before = snapshot(crm_home / "crm.db")
        try:
            summary = writer.run(store, ImportOptions(entity=TABLE[entity], source=str(path),
                                                      **flags))
        except CrmError:
            assert snapshot(crm_home / "crm.db") == before
            return
        if summary.status != "done":
            assert snapshot(crm_home / "crm.db") == before
    finally:
        store.close()


# -- what the fuzzer found (each fixed; these pin the fixes) -------------------------------------


@pytest.fixture
def store_db(cli, crm_home) -> Path:
    cli("db", "migrate")
    return crm_home / "crm.db"


def _import(cli, path: Path, entity: str = "leads", *options: str):
    result = cli("import", entity, str(path), "--json", *options, code=None)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_numbers_too_big_to_store_are_bad_values_not_crashes(cli, tmp_path, store_db):
    # were: OverflowError from the driver (64-bit integers), ValueError from int() (over
    # 4,300 digits), decimal.InvalidOperation from Decimal.quantize (over 28 digits)
    path = tmp_path / "big.csv"
    path.write_text("Email,Employees\n"
                    "a@x.com,99999999999999999999\n"
                    f"b@x.com,{'9' * 5000}\n"
                    "c@x.com,2147483647\n"  # head counts are 32-bit columns: the largest
                    "d@x.com,2147483648\n")  # one fits, the next is a bad value
    before = snapshot(store_db)
    result, out = _import(cli, path)
    assert out["status"] == "failed"
    assert [e["line"] for e in out["errors"]] == [2, 3, 5]
    assert "at most" in out["errors"][0]["reason"] or "from" in out["errors"][0]["reason"]
    assert len(out["errors"][1]["reason"]) < 200  # the 5,000 digits are not echoed back
    assert snapshot(store_db) == before
    deals = tmp_path / "deals.csv"
    deals.write_text("Deal Name,Amount\nA,99999999999999999999999\nB,"
                     + "9" * 40 + "\nC,92233720368547758.07\n")
    result, out = _import(cli, deals, "opportunities")
    assert [e["line"] for e in out["errors"]] == [2, 3]
    result, out = _import(cli, deals, "opportunities", "--on-error", "skip")
    assert out["inserted"] == 1


def test_dates_past_the_ends_of_the_calendar_in_utc_are_bad_values(cli, tmp_path, store_db):
    # were: OverflowError from astimezone()
    path = tmp_path / "dates.csv"
    path.write_text("Email,Created\na@x.com,9999-12-31T23:59:59-10:00\n"
                    "b@x.com,0001-01-01T00:00:00+05:00\nc@x.com,2024-01-01T00:00:00+05:00\n")
    result, out = _import(cli, path, "leads", "--on-error", "skip")
    assert out["inserted"] == 1 and [e["line"] for e in out["errors"]] == [2, 3]
    assert "outside the dates" in out["errors"][0]["reason"]


def test_json_that_python_reads_but_cannot_keep_is_refused_cleanly(cli, tmp_path, store_db):
    # were: RecursionError (deep nesting), ValueError (a 5,000-digit number), and a lone
    # surrogate that reached the database and the terminal (UnicodeEncodeError)
    before = snapshot(store_db)
    cases = {
        "deep.json": "[" + "[" * 5000 + "]" * 5000 + "]",
        "deep.jsonl": '{"Email": "a@x.com"}\n{"x": ' + "[" * 5000 + "]" * 5000 + "}\n",
        "digits.json": '[{"Email": "a@x.com", "Employees": ' + "1" * 5000 + "}]",
        "surrogate.jsonl": '{"Email": "b@x.com"}\n{"Email": "\\ud800@x.com"}\n',
        "key.json": '[{"Email": "c@x.com", "\\udfff": 1}]',
        "trailing.json": '[{"Email": "d@x.com"}] and then some',
    }
    expected = {"deep.json": "nested too deeply", "deep.jsonl": "line 2",
                "digits.json": "too long", "surrogate.jsonl": "line 2",
                "key.json": "surrogate", "trailing.json": "after the closing"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = cli("import", "leads", str(path), code=1)
        assert "Traceback" not in result.stderr
        assert expected[name] in result.stderr, (name, result.stderr)
    assert snapshot(store_db) == before
    fine = tmp_path / "fine.json"
    fine.write_text('[{"Email": "e@x.com", "First Name": "\\ud83d\\ude00"}]')  # a real pair
    cli("import", "leads", str(fine))


def test_external_ids_stay_unique_when_rows_are_matched_on_something_else(cli, tmp_path,
                                                                         store_db):
    # were: sqlite3.IntegrityError (UNIQUE constraint failed: lead.external_id)
    first = tmp_path / "first.csv"
    first.write_text("Email,External ID\nx1@x.com,E1\n")
    cli("import", "leads", str(first))
    before = snapshot(store_db)
    clash = tmp_path / "clash.csv"
    clash.write_text("Email,External ID\nx2@x.com,E2\nx3@x.com,E2\nx4@x.com,E1\n")
    for match in (["--match", "email"], ["--match", "none"]):
        result, out = _import(cli, clash, "leads", *match)
        assert out["status"] == "failed"
        reasons = {e["line"]: e["reason"] for e in out["errors"]}
        assert reasons[3] == "same external_id as line 2 of this file"
        assert "already belongs to lead" in reasons[4]
        assert snapshot(store_db) == before
    update = tmp_path / "update.csv"  # x1 takes E7 by update; x5 then cannot have it
    update.write_text("Email,External ID\nx1@x.com,E7\nx5@x.com,E7\n")
    result, out = _import(cli, update, "leads", "--match", "email", "--on-conflict", "update",
                          "--on-error", "skip")
    assert out["updated"] == 1 and out["inserted"] == 0
    assert out["errors"][0]["line"] == 3


def test_activity_files_with_notes_or_tags_columns_import(cli, tmp_path, store_db):
    # was: KeyError 'notes' -- common aliases named fields activities do not have
    path = tmp_path / "acts.csv"
    path.write_text("Type,Subject,Notes,Tags\ncall,Intro,said hello,hot\n")
    result, out = _import(cli, path, "activities")
    assert out["inserted"] == 1
    assert out["mapping"]["Notes"] == "body" and "Tags" in out["extra_columns"]


def test_a_row_whose_only_values_lie_beyond_the_header_is_reported(cli, tmp_path, store_db):
    # was: dropped without a word (the row counted as empty), losing its values
    path = tmp_path / "ragged.csv"
    path.write_text("Email,Name\na@x.com,A\n,,stray value\n,\n")
    result, out = _import(cli, path)
    assert out["status"] == "failed" and out["rows"] == 2
    assert out["errors"][0]["line"] == 3 and "3 values" in out["errors"][0]["reason"]


def test_a_row_updating_a_record_claims_its_keys_for_the_rest_of_the_file(cli, tmp_path,
                                                                         store_db):
    # was: sqlite3.IntegrityError -- row 2 gave lead 1 the external id E3 by update, row 3
    # (another email, same E3) was inserted with it; and the same through an ORM update
    cli("lead", "add", "Ada", "--email", "ada@x.com")
    cli("contact", "add", "Ada", "--email", "ada@x.com")
    cli("contact", "add", "Zoe", "--email", "zoe@x.com")
    path = tmp_path / "people.csv"
    path.write_text("Email,External ID\nada@x.com,E3\nzoe@x.com,E3\n")
    for entity in ("leads", "contacts"):
        before = snapshot(store_db)
        result, out = _import(cli, path, entity, "--on-conflict", "update")
        assert out["status"] == "failed"
        assert out["errors"] == [{"line": 3, "column": "External ID", "value": "E3",
                                  "reason": "same external_id as line 2 of this file"}]
        assert snapshot(store_db) == before
        result, out = _import(cli, path, entity, "--on-conflict", "update", "--on-error", "skip")
        assert (out["updated"], out["rejected"]) == (1, 1)
