"""crm import: bad rows (exact lines), one transaction, skip mode, dates and amounts."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timezone

from sqlalchemy import select

from crmtui.store.models import Account, ImportBatch, Lead, Opportunity


def count(store, model):
    with store.read() as s:
        return len(s.scalars(select(model.id)).all())


BAD = ("First Name,Email,Employees,Status,Notes\n"   # line 1
       "Ada,ada@x.com,10,new,\"two\nlines\"\n"        # lines 2-3
       "Bob,not-an-email,5,new,\n"                    # line 4: email
       "Cy,cy@x.com,many,new,\n"                      # line 5: employees
       "Di,di@x.com,3,sleeping,\n"                    # line 6: status
       "Ed,ed@x.com,1,new,,surplus\n"                 # line 7: too many values
       "Flo,flo@x.com,2,working,\n")                  # line 8: fine


def test_bad_rows_are_all_reported_with_line_column_value_and_nothing_is_written(cli, store,
                                                                                 tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    result = cli("import", "leads", path, "--json", code=1)
    import json

    out = json.loads(result.stdout)
    assert out["status"] == "failed" and out["rejected"] == 4 and out["inserted"] == 0
    errors = {(e["line"], e["column"]) for e in out["errors"]}
    assert errors == {(4, "Email"), (5, "Employees"), (6, "Status"), (7, None)}
    bad_email = next(e for e in out["errors"] if e["line"] == 4)
    assert bad_email["value"] == "not-an-email" and "email" in bad_email["reason"]
    assert count(store, Lead) == 0 and count(store, ImportBatch) == 0
    human = cli("import", "leads", path, code=1).stderr
    assert "line 4, column 'Email'" in human and "nothing was imported" in human


def test_first_twenty_problems_and_a_count_of_the_rest(cli, store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Email\n" + "".join(f"bad{i}\n" for i in range(25)))
    out = __import__("json").loads(cli("import", "leads", path, "--json", code=1).stdout)
    assert len(out["errors"]) == 20 and out["more_errors"] == 5
    assert "and 5 more" in cli("import", "leads", path, code=1).stderr


def test_ten_thousand_rows_one_bad_date_writes_nothing_and_names_the_line(cli, store,
                                                                         tmp_path):
    rows = [f"Deal {i},2026-{1 + i % 12:02d}-{1 + i % 28:02d},{i}.50" for i in range(10_000)]
    rows[7_776] = "Deal bad,2026-02-30,10"
    path = tmp_path / "deals.csv"
    path.write_text("Deal Name,Close Date,Amount\n" + "\n".join(rows) + "\n")
    result = cli("import", "opportunities", path, code=1)
    assert "line 7778, column 'Close Date'" in result.stderr
    assert "'2026-02-30'" in result.stderr
    assert count(store, Opportunity) == 0


def test_skip_mode_commits_good_rows_and_writes_rejects_with_reasons(cli, store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    old = os.umask(0o022)
    try:
        out = __import__("json").loads(
            cli("import", "leads", path, "--on-error", "skip", "--json", code=1).stdout)
    finally:
        os.umask(old)
    assert out["inserted"] == 2 and out["rejected"] == 4
    rejects = tmp_path / "bad.rejects.csv"
    assert out["rejects_file"] == str(rejects)
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    import csv

    with open(rejects, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["_line"] for r in rows] == ["4", "5", "6", "7"]
    assert rows[0]["Email"] == "not-an-email" and "Email:" in rows[0]["_reason"]
    with store.read() as s:
        assert [lead.first_name for lead in s.scalars(select(Lead))] == ["Ada", "Flo"]
    # a fixed rejects file imports (its _reason/_line columns are ignored)
    fixed = rejects.read_text().replace("not-an-email", "bob@x.com").replace("many", "7") \
        .replace("sleeping", "new").replace(",surplus", "")
    (tmp_path / "fixed.csv").write_text(fixed)
    out = cli.json("import", "leads", tmp_path / "fixed.csv", "--on-error", "skip")
    assert out["ignored_columns"].keys() >= {"_reason", "_line"}


def test_rejects_file_cells_never_run_as_formulas_and_import_back_as_written(cli, store,
                                                                            tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text('First Name,Last Name,Email,Notes\n'
                    'Ada,=HYPERLINK("http://x"),not-an-email,@SUM(1)\n'
                    'Bob,Smith,bob@x.com,-5 is fine\n')
    cli("import", "leads", path, "--on-error", "skip", code=1)
    import csv

    with open(tmp_path / "evil.rejects.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), cells
    assert rows[1][1] == '\'=HYPERLINK("http://x")' and rows[1][3] == "'@SUM(1)"
    fixed = (tmp_path / "evil.rejects.csv").read_text().replace("not-an-email", "ada@x.com")
    (tmp_path / "fixed.csv").write_text(fixed)
    cli("import", "leads", tmp_path / "fixed.csv")
    with store.read() as s:  # the fixed row comes back as the file had it
        ada = s.scalars(select(Lead).where(Lead.first_name == "Ada")).one()
        assert (ada.last_name, ada.notes) == ('=HYPERLINK("http://x")', "@SUM(1)")


def test_skip_mode_without_rejects_exits_zero(cli, store, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("Email\na@x.com\n")
    cli("import", "leads", path, "--on-error", "skip")
    assert not (tmp_path / "ok.rejects.csv").exists()


def _deals(store):
    with store.read() as s:
        return s.scalars(select(Opportunity).order_by(Opportunity.id)).all()


def test_dates_whole_column_inference(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Name,Close Date\nA,03/04/2026\nB,13/04/2026\nC,2026-05-01\n")
    cli("import", "opportunities", path)
    assert [d.close_date for d in _deals(store)] == [date(2026, 4, 3), date(2026, 4, 13),
                                                      date(2026, 5, 1)]


def test_ambiguous_column_stops_and_asks_for_date_format(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Name,Close Date\nA,03/04/2026\nB,05/06/2026\n")
    result = cli("import", "opportunities", path, code=1)
    assert "--date-format" in result.stderr and "'03/04/2026'" in result.stderr
    assert _deals(store) == []
    cli("import", "opportunities", path, "--date-format", "MM/DD/YYYY")
    assert [d.close_date for d in _deals(store)] == [date(2026, 3, 4), date(2026, 5, 6)]


def test_mixed_orders_in_one_column_stop_the_import(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Name,Close Date\nA,13/04/2026\nB,04/13/2026\n")
    result = cli("import", "opportunities", path, code=1)
    assert "mixes day/month" in result.stderr and "line 3" in result.stderr


def test_excel_serial_dates_only_when_asked(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Name,Close Date\nA,46000\n")
    assert "--excel-dates" in cli("import", "opportunities", path, code=1).stderr
    cli("import", "opportunities", path, "--excel-dates")
    assert _deals(store)[0].close_date == date(2025, 12, 9)  # Excel: 45658 is 2025-01-01


def test_amounts_exact_with_symbols_and_decimal_comma(cli, store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('Name,Amount\nA,1234.56\nB,"1,234.56"\nC,$99\nD,0.10\n')
    cli("import", "opportunities", path)
    assert [d.amount_minor for d in _deals(store)] == [123456, 123456, 9900, 10]
    path = tmp_path / "b.csv"
    path.write_text('Name;Amount\nE;1.234,56\nF;7,5\n')
    cli("import", "opportunities", path, "--decimal-comma", "--match", "none")
    assert [d.amount_minor for d in _deals(store)][-2:] == [123456, 750]
    path.write_text('Name;Amount\nG;1.234,56\n')
    assert "--decimal-comma" in cli("import", "opportunities", path, code=1).stderr


def test_created_at_kept_and_future_refused(cli, store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Name,Created Date\nAcme,2020-02-03T04:05:06Z\nFuture,2999-01-01\n")
    result = cli("import", "accounts", path, code=1)
    assert "line 3" in result.stderr and "future" in result.stderr
    path.write_text("Name,Created Date\nAcme,2020-02-03T04:05:06Z\n")
    cli("import", "accounts", path)
    with store.read() as s:
        acme = s.scalars(select(Account)).one()
    assert acme.created_at == datetime(2020, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
