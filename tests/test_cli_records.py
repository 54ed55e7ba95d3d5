"""Every CLI verb on every noun, checked in the database afterwards."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crmtui.store.models import (
    Account, Activity, ChangeLog, Contact, Lead, Opportunity, Stage, StageChange,
)
from tests.storekit import count, get


def test_lead_add_show_edit_delete(cli, store):
    out = cli("lead", "add", "Ada Lovelace", "--email", "ada@example.com", "--company",
              "Analytical Engines", "--phone", "+44 20 7946 0958", "--source", "referral")
    lead_id = int(out.stdout)
    lead = get(store, Lead, lead_id)
    assert (lead.first_name, lead.last_name, lead.company) == ("Ada", "Lovelace",
                                                                "Analytical Engines")
    assert lead.phone == "+442079460958"
    assert lead.status == "new" and lead.score > 0

    shown = cli.json("lead", "show", str(lead_id))
    assert shown["email"] == "ada@example.com" and shown["timeline"]

    cli("lead", "edit", "Ada Lovelace", "--title", "Countess", "--email", "")
    lead = get(store, Lead, lead_id)
    assert lead.title == "Countess" and lead.email is None and lead.version == 2
    with store.read() as s:
        fields = set(s.scalars(select(ChangeLog.field).where(ChangeLog.record_id == lead_id,
                                                            ChangeLog.entity == "lead")))
    assert {"title", "email"} <= fields

    cli("lead", "delete", str(lead_id), "--yes")
    assert get(store, Lead, lead_id) is None


def test_account_contact_opportunity_flow(cli, store):
    acct = int(cli("account", "add", "Acme", "--website", "https://www.acme.com",
                   "--revenue", "1,000,000").stdout)
    account = get(store, Account, acct)
    assert account.domain == "acme.com" and account.revenue_minor == 100_000_000

    contact = int(cli("contact", "add", "Grace Hopper", "--account", "Acme", "--email",
                      "grace@acme.com").stdout)
    assert get(store, Contact, contact).account_id == acct

    opp = int(cli("opp", "add", "Acme renewal", "--account", "Acme", "--amount", "1234.50",
                  "--close-date", "2026-12-31", "--contact", "grace@acme.com"
                  if False else "Grace Hopper").stdout)
    deal = get(store, Opportunity, opp)
    assert deal.amount_minor == 123450 and deal.account_id == acct and deal.contact_id == contact
    with store.read() as s:
        stage = s.get(Stage, deal.stage_id)
    assert stage.name == "Prospecting"
    assert count(store, StageChange, StageChange.opportunity_id == opp) == 1

    data = cli.json("opp", "show", str(opp))
    assert data["amount"] == "1234.50" and data["account"] == "Acme"
    assert data["probability"] == 10 and data["weighted_amount"] == "123.45"

    cli("opp", "edit", str(opp), "--stage", "Proposal", "--probability", "60")
    deal = get(store, Opportunity, opp)
    assert deal.probability == 60
    assert count(store, StageChange, StageChange.opportunity_id == opp) == 2

    shown = cli.json("account", "show", "Acme")
    assert shown["contacts"]["count"] == 1 and shown["open_opportunities"]["count"] == 1


def test_delete_refuses_to_orphan(cli, store):
    cli("account", "add", "Acme")
    cli("contact", "add", "Grace Hopper", "--account", "Acme")
    result = cli("account", "delete", "Acme", "--yes", code=1)
    assert "1 contact\n" in result.stderr and "--cascade" in result.stderr
    assert count(store, Account) == 1

    cli("account", "delete", "Acme", "--yes", "--detach")
    assert count(store, Account) == 0
    with store.read() as s:
        assert s.scalar(select(Contact.account_id)) is None


def test_delete_cascade_removes_children(cli, store):
    cli("account", "add", "Acme")
    cli("opp", "add", "Deal", "--account", "Acme")
    cli("activity", "add", "call", "Intro", "--on", "account:Acme")
    cli("account", "delete", "Acme", "--yes", "--cascade")
    assert count(store, Opportunity) == 0 and count(store, Activity) == 0
    assert count(store, StageChange) == 0


def test_delete_without_yes_off_a_terminal_is_refused(cli, store):
    cli("lead", "add", "Bob Smith")
    result = cli("lead", "delete", "1", code=2)
    assert "--yes" in result.stderr
    assert count(store, Lead) == 1


def test_activity_add_list_done(cli, store):
    cli("lead", "add", "Ada Lovelace")
    task = int(cli("activity", "add", "task", "Send proposal", "--on", "lead:1",
                   "--due", "tomorrow").stdout)
    act = get(store, Activity, task)
    assert act.lead_id == 1 and act.done_at is None and act.due_at is not None
    rows = cli.json("activity", "list", "--status", "open")
    assert [r["id"] for r in rows] == [task]
    cli("activity", "done", str(task))
    assert get(store, Activity, task).done_at is not None
    assert cli.json("activity", "list", "--status", "open") == []
    call = int(cli("activity", "log", "call", "--on", "lead:1", "--subject", "Intro").stdout)
    assert get(store, Activity, call).done_at is not None
    assert get(store, Lead, 1).status == "working"


def test_pipeline_and_stage_verbs(cli, store):
    pid = int(cli("pipeline", "add", "Renewals", "--stages",
                  "Open,Quoted:40,Won:won,Lost:lost").stdout)
    stages = cli.json("stage", "list", "--pipeline", "Renewals")
    assert [(s["name"], s["kind"], s["probability"]) for s in stages] == [
        ("Open", "open", 33), ("Quoted", "open", 40), ("Won", "won", 100), ("Lost", "lost", 0)]
    cli("stage", "add", "Verbal", "--pipeline", "Renewals", "--probability", "80",
        "--rot-days", "10")
    names = [s["name"] for s in cli.json("stage", "list", "--pipeline", "Renewals")]
    assert names == ["Open", "Quoted", "Verbal", "Won", "Lost"]
    cli("stage", "edit", "Verbal", "--pipeline", "Renewals", "--position", "1", "--name", "Hot")
    names = [s["name"] for s in cli.json("stage", "list", "--pipeline", "Renewals")]
    assert names[0] == "Hot"
    cli("opp", "add", "Renewal deal", "--pipeline", "Renewals", "--stage", "Hot")
    result = cli("stage", "delete", "Hot", "--pipeline", "Renewals", "--yes", code=1)
    assert "--move-to" in result.stderr
    cli("stage", "delete", "Hot", "--pipeline", "Renewals", "--yes", "--move-to", "Open")
    deal = cli.json("opp", "show", "Renewal deal")
    assert deal["stage"] == "Open" and deal["pipeline"] == "Renewals"
    listed = cli.json("pipeline", "list")
    assert [p["name"] for p in listed] == ["Sales", "Renewals"] and listed[1]["id"] == pid


def test_references_by_name_external_id_and_ambiguity(cli, store):
    cli("account", "add", "Acme", "--external-id", "SF-001")
    cli("account", "add", "Acme")
    result = cli("opp", "add", "Deal", "--account", "Acme", code=1)
    assert "matches 2 accounts" in result.stderr and "1: Acme" in result.stderr
    cli("opp", "add", "Deal", "--account", "SF-001")
    assert cli.json("opp", "show", "Deal")["account_id"] == 1
    result = cli("opp", "add", "Deal2", "--account", "sf-001", code=1)
    assert "no account matches" in result.stderr  # external ids are case-sensitive
    result = cli("opp", "add", "Deal3", "--account", "Acm", code=1)
    assert "no account matches" in result.stderr and "did you mean" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["opp", "add", "X", "--amount", "-5"], "amount"),
    (["opp", "add", "X", "--amount", "12.345"], "two decimal"),
    (["opp", "add", "X", "--probability", "101"], "at most 100"),
    (["opp", "add", "X", "--close-date", "03/04/2026"], "day/month"),
    (["opp", "add", "X", "--stage", "Nope"], "has no stage"),
    (["opp", "add", "X", "--pipeline", "Nope"], "no pipeline"),
    (["lead", "add", "X", "--email", "not-an-email"], "email"),
    (["lead", "add", "X", "--employees", "many"], "whole number"),
    (["opp", "add", "X", "--currency", "U1D"], "three-letter ISO currency code"),
    (["opp", "add", "X", "--currency", "EURO"], "three-letter ISO currency code"),
])
def test_rejected_values_name_the_field(cli, store, args, message):
    result = cli(*args, code=1)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert count(store, Opportunity) == 0 and count(store, Lead) == 0


def test_currency_is_stored_upper_case_and_checked_on_edit(cli, store):
    cli("opp", "add", "Deal", "--amount", "5", "--currency", "eur")
    assert cli.json("opp", "show", "Deal")["currency"] == "EUR"
    assert "three-letter" in cli("opp", "edit", "Deal", "--currency", "u$d", code=1).stderr
    assert cli.json("opp", "show", "Deal")["currency"] == "EUR"


@pytest.mark.sqlite_only
def test_usage_error_exit_code(cli):
    assert cli("lead", "add", code=2).exit_code == 2
    assert cli("lead", "frobnicate", code=2).exit_code == 2


def test_amounts_are_exact(cli, store):
    cli("opp", "add", "A", "--amount", "$1,234.56")
    cli("opp", "add", "B", "--amount", "0.1")
    cli("opp", "add", "C", "--amount", "0.2")
    with store.read() as s:
        total = s.scalar(select(func.sum(Opportunity.amount_minor)))
    assert total == 123456 + 10 + 20
    assert cli.json("opp", "show", "A")["amount"] == "1234.56"
    assert Decimal(cli.json("opp", "show", "B")["amount"]) == Decimal("0.10")


def test_json_keys_are_stable(cli, store):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@example.com")
    cli("opp", "add", "Deal", "--amount", "10")
    lead = cli.json("lead", "list")[0]
    assert set(lead) >= {"id", "external_id", "name", "first_name", "last_name", "email", "phone",
                         "company", "title", "source", "status", "score", "owner", "tags",
                         "created_at", "updated_at", "version", "extra"}
    deal = cli.json("opp", "list")[0]
    assert set(deal) >= {"id", "name", "account_id", "account", "contact_id", "contact",
                         "pipeline", "stage", "status", "amount", "currency", "close_date",
                         "probability", "weighted_amount", "owner", "stale", "overdue",
                         "closed_at", "created_at", "updated_at", "version"}
    assert deal["created_at"].endswith("Z")


def test_jsonl_and_csv_outputs(cli, store):
    cli("lead", "add", "Ada Lovelace", "--notes", "=HYPERLINK(\"x\")")
    cli("lead", "add", "Bob Smith")
    lines = cli("lead", "list", "--jsonl").stdout.strip().splitlines()
    assert len(lines) == 2
    csv_text = cli("lead", "list", "--csv").stdout
    header, first = csv_text.splitlines()[:2]
    assert header.startswith("id,name,")
    assert "'=HYPERLINK" in first


def test_conflict_on_stale_version(cli, store):
    cli("lead", "add", "Ada Lovelace")
    cli("lead", "edit", "1", "--company", "Engines", "--title", "Countess")  # version 1 -> 2
    result = cli("lead", "edit", "1", "--company", "Mills", "--if-version", "1", code=1)
    assert "changed since you read it" in result.stderr
    assert "company, title" in result.stderr          # every field of the other edit
    assert get(store, Lead, 1).company == "Engines"
    cli("lead", "edit", "1", "--company", "Mills", "--if-version", "2")
    assert get(store, Lead, 1).company == "Mills"


def test_owner_defaults_to_current_user(cli, store, monkeypatch):
    monkeypatch.setenv("CRMTUI_USER", "ada")
    cli("account", "add", "Acme")
    assert get(store, Account, 1).owner == "ada"
    with store.read() as s:
        assert s.scalar(select(ChangeLog.actor)) == "ada"


@pytest.mark.sqlite_only
def test_db_verbs(cli, crm_home, tmp_path):
    assert cli("db", "path").stdout.strip() == str(crm_home / "crm.db")
    cli("db", "migrate")
    check = cli.json("db", "check")
    assert check["ok"] and check["integrity"] == "ok"
    dest = tmp_path / "backup.db"
    cli("db", "backup", str(dest))
    assert dest.exists() and (dest.stat().st_mode & 0o777) == 0o600
    assert "already exists" in cli("db", "backup", str(dest), code=1).stderr
    other = tmp_path / "other.db"
    cli("--db", str(other), "lead", "add", "Elsewhere")
    assert other.exists()
    assert cli.json("--db", str(other), "lead", "list")[0]["name"] == "Elsewhere"
    assert cli.json("lead", "list") == []


@pytest.mark.sqlite_only
def test_a_mistyped_db_path_is_an_error_for_reads_not_a_new_empty_store(cli, tmp_path,
                                                                        monkeypatch):
    """A cron report pointed at a wrong path said 'No open deals.' and exited 0 (and made the
    file, folders and all). Reads refuse; writing commands and `db migrate` create."""
    missing = tmp_path / "no" / "such.db"
    for args in (("report", "pipeline"), ("lead", "list", "--json"), ("export", "leads"),
                 ("db", "check"), ("search", "acme"), ("agenda",)):
        result = cli("--db", str(missing), *args, code=1)
        assert f"no crmtui database at {missing}" in result.stderr
        assert "db migrate" in result.stderr
        assert not missing.exists() and not missing.parent.exists()
    monkeypatch.setenv("CRMTUI_DB", str(missing))
    assert "no crmtui database" in cli("lead", "list", code=1).stderr
    monkeypatch.delenv("CRMTUI_DB")
    cli("--db", str(missing), "db", "migrate")
    assert cli.json("--db", str(missing), "lead", "list") == []
    added = tmp_path / "added.db"
    cli("--db", str(added), "account", "add", "Acme")  # a write makes the store it names
    assert cli.json("--db", str(added), "account", "list")[0]["name"] == "Acme"
    from crmtui.errors import StoreError
    from crmtui.screens.app import run

    with pytest.raises(StoreError):  # the app too
        run(str(tmp_path / "typo.db"))
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.sqlite_only
def test_crmtui_db_environment_variable(cli, tmp_path, monkeypatch):
    target = tmp_path / "env.db"
    monkeypatch.setenv("CRMTUI_DB", str(target))
    cli("lead", "add", "Env Lead")
    assert target.exists()
    assert cli("db", "path").stdout.strip() == str(target)


@pytest.mark.sqlite_only
def test_version_and_help(cli):
    import crmtui

    assert crmtui.__version__ in cli("--version").stdout
    out = cli("--help").stdout
    for noun in ("lead", "account", "contact", "opp", "activity", "pipeline", "stage", "db",
                 "demo"):
        assert noun in out
