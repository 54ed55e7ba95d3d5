"""`crm report ...` through the CLI: formats, empty stores, widths, hostile text, imports."""

import csv
import io
import subprocess
import sys

import pytest

from crmtui.reports import REPORTS


def _deals(cli):
    """A small pipeline made through the CLI (so stage history is written by the domain)."""
    ids = {}
    for name, amount, stage in (("Acme renewal", "15000", "Proposal"),
                                ("Globex pilot", "2500.50", "Prospecting"),
                                ("Initech deal", "40000", "Negotiation")):
        ids[name] = cli("opp", "add", name, "--amount", amount, "--stage", stage,
                        "--owner", "ada", "--close-date", "+10d").stdout.strip()
    won = cli("opp", "add", "Won one", "--amount", "1200", "--owner", "bob").stdout.strip()
    cli("opp", "win", won)
    lost = cli("opp", "add", "Lost one", "--amount", "800", "--owner", "bob").stdout.strip()
    cli("opp", "lose", lost, "--reason", "price too high")
    return ids


def test_empty_store_prints_a_helpful_line(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("report", "pipeline").stdout
    assert "No open deals" in out and "crm opp add" in out and "┃" not in out
    assert "No deals were won or lost" in cli("report", "win-rate").stdout
    assert "No quotas set" in cli("report", "attainment").stdout
    for name in REPORTS:
        cli("report", name)  # every report answers an empty store without an error
        cli("report", name, "--json")


def test_json_contract(cli):
    _deals(cli)
    pipeline = cli.json("report", "pipeline")
    rows = {r["stage"]: r for r in pipeline["rows"]}
    assert (rows["Proposal"]["count"], rows["Proposal"]["amount"],
            rows["Proposal"]["weighted"]) == (1, "15000.00", "7500.00")
    assert pipeline["total"]["amount"] == "57500.50"
    assert pipeline["total"]["weighted"] == "37750.05"  # 7,500 + 250.05 + 30,000
    win = cli.json("report", "win-rate")
    assert (win["won"], win["lost"], win["win_rate"], win["won_amount"]) == (1, 1, 0.5, "1200.00")
    assert set(win["rows"][0]) == {"period", "won", "lost", "win_rate", "won_amount",
                                   "lost_amount"}
    assert win["rows"][0]["period"][4:6] == "-Q"
    by_owner = cli.json("report", "win-rate", "--by", "owner")
    assert [r["owner"] for r in by_owner["rows"]] == ["bob"]
    funnel = cli.json("report", "funnel")
    assert funnel["deals"] == 5 and funnel["won"] == 1


def test_table_is_readable_at_80_and_wider(cli, monkeypatch):
    _deals(cli)
    for width in (80, 132):
        monkeypatch.setenv("COLUMNS", str(width))
        for name in REPORTS:
            out = cli("report", name).stdout
            assert max(len(line) for line in out.splitlines()) <= width, (name, width)
    monkeypatch.setenv("COLUMNS", "132")
    out = cli("report", "pipeline").stdout
    assert "15,000.00" in out and "57,500.50" in out and "Total" in out
    assert "█" in out  # the bar column fits at this width
    line = next(line for line in out.splitlines() if "Proposal" in line)
    cells = [c for c in line.split("│")]
    assert cells[3].endswith("15,000.00 ")  # money is right-aligned
    monkeypatch.setenv("COLUMNS", "80")
    narrow = cli("report", "forecast").stdout
    assert "Period" in narrow and "Weighted" in narrow


def test_narrow_tables_round_amounts_half_up(cli, monkeypatch):
    from crmtui.reports.layout import money

    assert [money(v, cents=False) for v in ("1924846.50", "2.5", "3.5", "-2.5", "0.49")] == [
        "1,924,847", "3", "4", "-3", "0"]
    assert money("0.125") == "0.13" and money("1234.5") == "1,234.50"
    cli("opp", "add", "Big", "--amount", "1924846.50", "--stage", "Proposal")
    monkeypatch.setenv("COLUMNS", "60")
    out = cli("report", "pipeline").stdout
    assert "1,924,847" in out and "1,924,846 " not in out and ".50" not in out


def test_csv_and_markdown(cli):
    _deals(cli)
    rows = list(csv.DictReader(io.StringIO(cli("report", "pipeline", "--csv").stdout)))
    assert [r["stage"] for r in rows] == ["Prospecting", "Qualification", "Proposal",
                                          "Negotiation"]
    assert rows[2]["amount"] == "15000.00" and rows[2]["probability"] == "50"
    assert "bar" not in rows[0]
    activity = cli("report", "activity", "--csv").stdout.splitlines()[0]
    assert "per_week:" in activity  # one column per week
    md = cli("report", "pipeline", "--md").stdout
    assert "| Stage | Deals | Amount |" in md and "| ---: |" not in md.split("\n")[0]
    assert " ---: " in md and "| Total |" in md and "█" not in md
    assert "15,000.00" in md


def test_forecast_title_states_its_range_once(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    _deals(cli)
    for fmt in ((), ("--md",)):
        out = cli("report", "forecast", "--by", "quarter", "--from", "2026-10-01",
                  "--periods", "1", *fmt).stdout
        first = out.strip().splitlines()[0]
        assert "by quarter, 2026-10-01 to 2026-12-31" in first
        assert first.count(" to ") == 1, first


def test_jsonl_is_one_row_object_per_line(cli):
    import json

    _deals(cli)
    for name, args in (("pipeline", ()), ("win-rate", ("--by", "owner")), ("cycle", ()),
                       ("lost-reasons", ()), ("funnel", ()), ("forecast", ())):
        lines = cli("report", name, "--jsonl", *args).stdout.splitlines()
        assert [json.loads(line) for line in lines] == cli.json("report", name, *args)["rows"]
    velocity = [json.loads(line) for line in
                cli("report", "velocity", "--jsonl").stdout.splitlines()]
    whole = cli.json("report", "velocity")
    assert velocity == [{k: whole[k] for k in velocity[0]}] and velocity[0]["won"] == 1
    assert "one JSON object per row" in cli("report", "pipeline", "--help").stdout
    assert "choose one output format" in cli("report", "cycle", "--jsonl", "--json",
                                             code=2).stderr


def test_cycle_csv_keys_match_the_json(cli):
    _deals(cli)
    rows = list(csv.DictReader(io.StringIO(cli("report", "cycle", "--csv").stdout)))
    assert [r["outcome"] for r in rows] == ["won", "lost", "all"]
    assert "label" not in rows[0]
    assert set(rows[0]) <= set(cli.json("report", "cycle")["rows"][0])
    table = cli("report", "cycle").stdout
    assert "All closed" in table and "Won" in table


def test_quota_list_formats(cli):
    import json

    cli("quota", "set", "--owner", "ada", "--period", "2026-Q4", "--amount", "1000")
    cli("quota", "set", "--owner", "bob", "--period", "2026-11", "--amount", "50.5")
    lines = [json.loads(line) for line in cli("quota", "list", "--jsonl").stdout.splitlines()]
    assert lines == cli.json("quota", "list")
    assert [(q["owner"], q["amount"]) for q in lines] == [("ada", "1000.00"), ("bob", "50.50")]


def test_options_are_checked(cli):
    bad = cli("report", "win-rate", "--by", "week", code=2).stderr  # a usage error
    assert "'week' is not one of" in bad and "stage-lost-at" in bad
    assert cli("report", "velocity", "--by", "quarter", code=2).exit_code == 2
    assert cli.json("report", "win-rate", "--by", "OWNER")["by"] == "owner"
    assert "choose one output format" in cli("report", "pipeline", "--json", "--csv",
                                             code=2).stderr
    assert "--from" in cli("report", "win-rate", "--from", "2026-05-01", "--to", "2026-04-01",
                           code=1).stderr
    assert "not a date" in cli("report", "pipeline", "--as-of", "soonish", code=1).stderr
    assert "future" in cli("report", "funnel", "--as-of", "2999-01-01", code=1).stderr
    cli("report", "pipeline", "--as-of", "today")
    cli("report", "forecast", "--by", "quarter", "--periods", "2")
    assert "at least 1" in cli("report", "forecast", "--periods", "0", code=1).stderr
    assert "no pipeline" in cli("report", "funnel", "--pipeline", "Nope", code=1).stderr
    # options a report does not take are not offered
    assert cli("report", "lost-reasons", "--as-of", "today", code=2).exit_code == 2


def test_hostile_text_is_shown_literally(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "132")
    evil = "[bold red]x[/] \x1b]52;c;AAAA\x07 [link=file:///etc/passwd]y"
    deal = cli("opp", "add", "Evil", "--amount", "10", "--owner", evil).stdout.strip()
    cli("opp", "lose", deal, "--reason", evil)
    out = cli("report", "lost-reasons").stdout + cli("report", "win-rate", "--by", "owner").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold red]x[/]" in out and "[link=file:///etc/passwd]" in out
    md = cli("report", "lost-reasons", "--md").stdout
    assert "\x1b" not in md


def test_currency_option_and_exclusions(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "132")
    cli("opp", "add", "Euro deal", "--amount", "1000", "--currency", "EUR")
    cli("opp", "add", "Dollar deal", "--amount", "500")
    out = cli("report", "pipeline").stdout
    assert "Left out: 1 deal in EUR (1,000.00 EUR)" in out
    eur = cli.json("report", "pipeline", "--currency", "eur")
    assert (eur["currency"], eur["total"]["amount"]) == ("EUR", "1000.00")
    assert cli("report", "pipeline", "--currency", "euro", code=1).exit_code == 1


def test_help_lists_reports_without_heavy_imports():
    code = ("import sys\nsys.argv = ['crm', 'report', '--help']\nfrom crmtui.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print('HEAVY' if {'sqlalchemy', 'sqlmodel', 'textual'} & set(sys.modules) else 'OK')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "win-rate" in out and "attainment" in out
    assert out.strip().endswith("OK")


@pytest.mark.parametrize("module", ["crmtui.reports"] + [
    f"crmtui.reports.{name}" for name in ("base", "sql", "layout", "charts", "history", "quotas",
                                          *(spec.module for spec in REPORTS.values()))])
def test_reports_import_no_ui(module):
    code = (f"import sys, {module}\n"
            "print(sorted({'typer', 'rich', 'textual', 'click'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_demo_store_every_report_every_format(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    db = str(tmp_path / "demo.db")
    cli("--db", db, "demo", "--rows", "60", "--no-open")
    cli("--db", db, "quota", "set", "--owner", "ada", "--period", "2026-Q4", "--amount", "1000")
    for name, spec in REPORTS.items():
        for fmt in ((), ("--json",), ("--jsonl",), ("--csv",), ("--md",)):
            cli("--db", db, "report", name, *fmt)
        for by in spec.by:
            cli("--db", db, "report", name, "--by", by)
