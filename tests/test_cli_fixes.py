"""Regression tests for workflow and CLI fixes; each checks the database afterwards."""

import pytest
from sqlalchemy import select

from crmtui.domain import records
from crmtui.errors import Invalid
from crmtui.store.models import ChangeLog, Contact, Lead, Opportunity
from tests.storekit import count, get


# -- 1. clearing a required field ---------------------------------------------------------

@pytest.mark.parametrize("option", ["--amount", "--currency", "--pipeline", "--stage"])
def test_clearing_a_required_deal_field_is_refused(cli, store, option):
    cli("opp", "add", "Deal", "--amount", "1000")
    before = get(store, Opportunity, 1)
    result = cli("opp", "edit", "1", option, "", code=1)
    field = option[2:]
    assert f"{field} is required and cannot be empty" in result.stderr
    assert "instead" in result.stderr and "Traceback" not in result.stderr
    after = get(store, Opportunity, 1)
    assert after.version == before.version
    assert (after.amount_minor, after.currency, after.pipeline_id, after.stage_id) == (
        100000, "USD", before.pipeline_id, before.stage_id)


def test_adding_with_an_empty_required_value_is_refused(cli, store):
    assert "amount is required" in cli("opp", "add", "Deal", "--amount", "", code=1).stderr
    assert count(store, Opportunity) == 0
    cli("opp", "add", "Deal")  # left out, the defaults apply
    deal = get(store, Opportunity, 1)
    assert (deal.amount_minor, deal.currency) == (0, "USD")


def test_clearing_a_name_part_keeps_the_other(cli, store):
    cli("lead", "add", "Ada Lovelace")
    cli("lead", "edit", "1", "--first-name", "")
    lead = get(store, Lead, 1)
    assert (lead.first_name, lead.last_name) == ("", "Lovelace")
    result = cli("lead", "edit", "1", "--last-name", "", code=1)
    assert "a name is required" in result.stderr and "Traceback" not in result.stderr
    assert get(store, Lead, 1).last_name == "Lovelace"

    cli("contact", "add", "Hopper")
    result = cli("contact", "edit", "1", "--last-name", "", code=1)
    assert "a name is required" in result.stderr
    assert get(store, Contact, 1).last_name == "Hopper"
    cli("contact", "edit", "1", "--email", "grace@example.com")
    cli("contact", "edit", "1", "--last-name", "")  # the email is enough to go by
    assert get(store, Contact, 1).last_name == ""


def test_app_forms_get_the_same_message(store):
    """The app saves through records.update with '' for a cleared input."""
    with store.write() as s:
        deal = records.create(s, "opportunity", {"name": "Deal", "amount": "5"}, source="app")
    with pytest.raises(Invalid, match="amount is required") as raised, store.write() as s:
        records.update(s, "opportunity", deal.id, {"amount": ""}, source="app")
    assert raised.value.field == "amount"
    assert count(store, ChangeLog, ChangeLog.action == "edit") == 0


# -- 2. db backup: missing folders, OS errors, the store itself ----------------------------

@pytest.mark.sqlite_only
def test_backup_refuses_a_missing_folder_and_creates_none(cli, tmp_path):
    cli("lead", "add", "Ada Lovelace")
    missing = tmp_path / "nope" / "deeper"
    result = cli("db", "backup", str(missing / "x.db"), code=1)
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nope").exists()


@pytest.mark.sqlite_only
def test_backup_os_errors_are_store_errors(cli, tmp_path):
    cli("lead", "add", "Ada Lovelace")
    result = cli("db", "backup", "/proc/crm-backup.db", code=1)
    assert "cannot write the backup" in result.stderr and "Traceback" not in result.stderr
    result = cli("db", "backup", str(tmp_path), code=1)
    assert "is a folder" in result.stderr


@pytest.mark.sqlite_only
def test_backup_never_overwrites_the_live_store(cli, crm_home, tmp_path):
    from crmtui.store.models import Lead

    cli("lead", "add", "Ada Lovelace")
    live = crm_home / "crm.db"
    link = tmp_path / "link.db"
    link.symlink_to(live)
    for target in (live, link, tmp_path / ".." / tmp_path.name / "link.db",
                   crm_home / "crm.db-wal"):
        result = cli("db", "backup", str(target), "--force", code=1)
        assert "database in use" in result.stderr
    assert live.exists()
    assert cli.json("lead", "list")[0]["name"] == "Ada Lovelace"
    # --force replaces an older backup only once the new one is complete
    dest = tmp_path / "b.db"
    cli("db", "backup", str(dest))
    cli("lead", "add", "Grace Hopper")
    cli("db", "backup", str(dest), "--force")
    assert (dest.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    from crmtui.store.migrate import open_store

    copy = open_store(str(dest))
    try:
        with copy.read() as s:
            assert len(s.scalars(select(Lead)).all()) == 2
    finally:
        copy.close()


@pytest.mark.sqlite_only
def test_file_errors_in_commands_are_not_tracebacks(cli, tmp_path):
    from crmtui.commands.common import _translate

    err = _translate(PermissionError(13, "Permission denied", "/root/x"))
    assert err is not None and "Permission denied" in err.message and "/root/x" in err.message
    assert err.exit_code == 1
    assert _translate(ValueError("x")) is None


# -- 8. a converted lead's links ----------------------------------------------------------

def test_deleting_what_a_lead_became_is_refused_then_unlinks_in_history(cli, store):
    cli("lead", "add", "Bob Smith", "--company", "Smithy", "--email", "bob@smithy.com")
    cli("lead", "convert", "1")
    lead = get(store, Lead, 1)
    acct, contact, deal = (lead.converted_account_id, lead.converted_contact_id,
                           lead.converted_opportunity_id)
    assert None not in (acct, contact, deal)

    result = cli("opp", "delete", str(deal), "--yes", code=1)
    assert "1 converted lead" in result.stderr and "kept" in result.stderr
    assert get(store, Opportunity, deal) is not None
    assert get(store, Lead, 1).converted_opportunity_id == deal

    cli("opp", "delete", str(deal), "--yes", "--cascade")
    lead = get(store, Lead, 1)
    assert lead is not None and lead.status == "converted"           # never deleted with it
    assert lead.converted_opportunity_id is None and lead.converted_contact_id == contact
    with store.read() as s:
        unlink = s.scalars(select(ChangeLog).where(
            ChangeLog.entity == "lead", ChangeLog.record_id == 1,
            ChangeLog.field == "converted_opportunity_id", ChangeLog.new.is_(None))).all()
    assert len(unlink) == 1 and unlink[0].old == str(deal)

    assert "1 converted lead" in cli("contact", "delete", str(contact), "--yes", code=1).stderr
    cli("contact", "delete", str(contact), "--yes", "--detach")
    assert get(store, Lead, 1).converted_contact_id is None
    cli("account", "delete", str(acct), "--yes", "--cascade")
    lead = get(store, Lead, 1)
    assert lead is not None and lead.converted_account_id is None
    assert lead.version > 1


def test_describe_related_says_what_happens():
    counts = {"activities": 2, "converted leads": 1}
    assert records.describe_related(counts) == "2 activities, 1 converted lead"
    assert records.describe_related(counts, "delete") == (
        "delete its 2 activities and unlink 1 converted lead (the lead is kept)")
    assert records.describe_related({"activities": 1}, "detach") == "unlink its 1 activity"


# -- 3. closed deals use their stage's probability ----------------------------------------

def test_closed_deal_probability_is_the_stage_s_and_reopen_restores_the_override(cli, store):
    cli("opp", "add", "P", "--amount", "1000", "--probability", "40")
    deal = cli.json("opp", "show", "1")
    assert (deal["probability"], deal["weighted_amount"]) == (40, "400.00")
    lost = cli.json("opp", "lose", "1", "--reason", "price")
    assert (lost["probability"], lost["weighted_amount"]) == (0, "0.00")
    assert lost["probability_override"] == 40
    assert get(store, Opportunity, 1).probability == 40            # kept in the store
    cli("opp", "reopen", "1")
    assert cli.json("opp", "show", "1")["probability"] == 40
    won = cli.json("opp", "win", "1")
    assert (won["probability"], won["weighted_amount"]) == (100, "1000.00")
    listed = cli.json("opp", "list", "--status", "won")[0]
    assert listed["probability"] == 100


# -- 4./5. pipelines keep their outcomes; rot days 0 means never -----------------------------

@pytest.mark.parametrize("stages, missing, suggestion", [
    ("A,B", "no won stage and no lost stage", "A,B,Won:won,Lost:lost"),
    ("A,W:won", "no lost stage", "A,W:won,Lost:lost"),
    ("W:won,L:lost", "no open stage", "Open,W:won,L:lost"),
])
def test_a_pipeline_needs_open_won_and_lost_stages(cli, store, stages, missing, suggestion):
    from crmtui.store.models import Pipeline

    result = cli("pipeline", "add", "P", "--stages", stages, code=1)
    assert missing in result.stderr and suggestion in result.stderr
    assert count(store, Pipeline) == 1


def test_the_last_won_lost_or_open_stage_keeps_its_kind(cli, store):
    from crmtui.domain import pipelines, refs
    from crmtui.errors import Conflict
    from crmtui.store.models import Stage

    cli("pipeline", "add", "New Biz", "--stages", "A,Won:won,Lost:lost")
    result = cli("stage", "edit", "Won", "--pipeline", "New Biz", "--kind", "open", code=1)
    assert "only won stage of pipeline New Biz" in result.stderr
    assert "crm stage add NAME --pipeline 'New Biz' --kind won" in result.stderr
    cli("stage", "edit", "A", "--pipeline", "New Biz", "--kind", "lost", code=1)
    with store.read() as s:
        assert [st.kind for st in refs.stages_of(s, 2)] == ["open", "won", "lost"]
        lost = s.scalar(select(Stage).where(Stage.pipeline_id == 2, Stage.kind == "lost"))
        with pytest.raises(Conflict, match="only lost stage"):
            pipelines.check_keeps_outcomes(s, lost)               # what delete_stage calls
    cli("stage", "add", "Churned", "--pipeline", "New Biz", "--kind", "lost")
    cli("stage", "edit", "Lost", "--pipeline", "New Biz", "--kind", "won")  # another is left
    with store.read() as s:
        lost = s.scalar(select(Stage).where(Stage.pipeline_id == 2, Stage.kind == "lost"))
        with pytest.raises(Conflict):
            pipelines.check_keeps_outcomes(s, lost)
        won = s.scalar(select(Stage).where(Stage.pipeline_id == 2, Stage.name == "Won"))
        pipelines.check_keeps_outcomes(s, won)                        # two won stages now


def test_missing_outcome_hints_name_the_pipeline(store):
    from crmtui.domain import opportunities
    from crmtui.store.models import Pipeline, Stage

    with store.write() as s:  # a pipeline from before the rule (e.g. imported or old)
        p = Pipeline(name="Old Biz")
        s.add(p)
        s.flush()
        s.add(Stage(pipeline_id=p.id, name="Open", position=1))
        s.flush()
        pid = p.id
    with pytest.raises(Invalid) as raised, store.read() as s:
        opportunities.stage_of_kind(s, pid, "won")
    assert "crm stage add NAME --pipeline 'Old Biz' --kind won" in raised.value.hint


def test_rot_days_zero_means_never_on_add_and_edit(cli, store):
    from crmtui.store.models import Stage

    cli("stage", "add", "Z", "--rot-days", "0")
    with store.read() as s:
        z = s.scalar(select(Stage).where(Stage.name == "Z"))
    assert z.rot_days is None
    cli("stage", "edit", "Z", "--rot-days", "9")
    assert get(store, Stage, z.id).rot_days == 9
    cli("stage", "edit", "Z", "--rot-days", "0")
    assert get(store, Stage, z.id).rot_days is None
    assert "at least 0" in cli("stage", "add", "Y", "--rot-days", "-1", code=1).stderr


# -- 6./7./10./12. listing formats, empty CSV headers, agenda options, usage errors --------

def test_empty_csv_results_still_have_a_header(cli, store):
    from crmtui.domain.serialize import keys

    out = cli("account", "list", "--search", "zzzzqqq", "--csv").stdout
    assert out.splitlines() == [",".join(keys("account"))]
    for entity in ("lead", "contact", "opp", "activity"):
        assert cli(entity, "list", "--csv").stdout.startswith("id,")
    assert cli("search", "zzzzqqq", "--csv").stdout.strip() == "ref,type,id,name,detail,rank"
    assert cli("dupes", "leads", "--csv").stdout.strip().startswith("keep,other,")
    assert cli("task", "list", "--csv").stdout.startswith("id,kind,subject,")
    assert cli("agenda", "--csv").stdout.startswith("group,id,kind,")
    assert cli("account", "list", "--search", "zzzzqqq", "--jsonl").stdout == ""


def test_serialize_keys_match_records(cli, store):
    from crmtui.domain.serialize import keys

    cli("lead", "add", "Ada Lovelace")
    cli("account", "add", "Acme")
    cli("contact", "add", "Grace Hopper")
    cli("opp", "add", "Deal")
    cli("task", "add", "Call", "--on", "lead:1")
    for entity, noun in (("lead", "lead"), ("account", "account"), ("contact", "contact"),
                         ("opportunity", "opp"), ("activity", "activity")):
        assert list(cli.json(noun, "list")[0]) == keys(entity), entity


def test_every_listing_takes_json_jsonl_and_csv(cli, store):
    import csv
    import io
    import json

    cli("lead", "add", "Ada Lovelace", "--email", "ada@example.com")
    cli("lead", "add", "Ada Lovelace", "--email", "ADA@example.com")
    cli("task", "add", "Call Ada", "--on", "lead:1", "--due", "today")
    for args in (["task", "list"], ["agenda"], ["pipeline", "list"], ["dupes", "leads"],
                 ["search", "ada"], ["stage", "list"]):
        lines = cli(*args, "--jsonl").stdout.splitlines()
        assert lines and all(json.loads(line) for line in lines), args
        rows = list(csv.DictReader(io.StringIO(cli(*args, "--csv").stdout)))
        assert rows, args
        assert "choose one output format" in cli(*args, "--json", "--csv", code=2).stderr
    agenda = list(csv.DictReader(io.StringIO(cli("agenda", "--csv").stdout)))
    assert [(r["group"], r["subject"]) for r in agenda] == [("today", "Call Ada")]
    stages = list(csv.DictReader(io.StringIO(cli("pipeline", "list", "--csv").stdout)))
    assert [r["name"] for r in stages][:2] == ["Prospecting", "Qualification"]
    assert stages[0]["pipeline"] == "Sales"


@pytest.mark.parametrize("args", [
    ["lead", "list", "--json", "--csv"], ["lead", "list", "--limit", "0"],
    ["opp", "list", "-n", "-1"], ["task", "list", "--limit", "0"], ["search", "x", "-n", "0"],
    ["dupes", "leads", "--limit", "0"], ["agenda", "--days", "-3"],
])
def test_usage_errors_exit_2(cli, store, args):
    assert "Traceback" not in cli(*args, code=2).stderr


def test_agenda_mine_needs_a_user(cli, store, monkeypatch):
    cli("lead", "add", "Bob Smith")
    cli("task", "add", "Theirs", "--on", "lead:1", "--due", "today", "--owner", "bob")
    result = cli("agenda", "--mine", code=1)
    assert "CRMTUI_USER" in result.stderr and "crm whoami" in result.stderr
    assert result.stdout == ""
    monkeypatch.setenv("CRMTUI_USER", "ada")
    assert cli.json("agenda", "--mine")["today"] == []
    cli("agenda", "--days", "0")


def test_agenda_days_rule_is_in_the_domain(store):
    from crmtui.domain import activities

    with pytest.raises(Invalid, match="negative"), store.read() as s:
        activities.agenda(s, days=-1)


# -- 9. settings are checked when read ------------------------------------------------------

@pytest.mark.parametrize("line, key, expected", [
    ('stale_days = "abc"', "stale_days", "a whole number of days"),
    ("stale_days = 0", "stale_days", "at least 1"),
    ("stale_days = true", "stale_days", "a whole number"),
    ("phone_region = 44", "phone_region", "two-letter region"),
    ("user = 7", "user", "a user name"),
    ('keys = "x"', "keys", "a table"),
    ('currency = "euro"', "currency", "three-letter"),
])
def test_a_bad_setting_names_file_key_and_type(cli, store, crm_home, line, key, expected):
    from crmtui import config

    cli("opp", "add", "Deal")
    crm_home.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing made it yet
    (crm_home / "config.toml").write_text(line + "\n")
    config.load.cache_clear()
    result = cli("opp", "list", code=1)
    assert "Traceback" not in result.stderr
    assert str(crm_home / "config.toml") in result.stderr
    assert f"{key} = " in result.stderr and expected in result.stderr
    assert "write e.g." in result.stderr


def test_good_settings_still_read(cli, store, crm_home):
    from crmtui import config

    crm_home.mkdir(parents=True, exist_ok=True)
    (crm_home / "config.toml").write_text(
        'user = "ada"\nstale_days = 3\nphone_region = "GB"\ncurrency = "EUR"\n'
        '[keys]\n"board.win" = "W"\n[rates]\nEUR = 1.1\n[anything_else]\nx = 1\n')
    config.load.cache_clear()
    assert config.get("stale_days") == 3 and config.user() == "ada"
    cli("opp", "list")


# -- 11. search ranking, the same on both backends ------------------------------------------

def test_search_ranks_names_first_identically_on_both_backends(cli, store):
    for name in ("Initech", "Initech Labs", "Initech Systems", "Initech Cloud",
                 "Kramer Industries"):
        cli("account", "add", name)
    for i in range(10):
        cli("opp", "add", f"Initech Labs: deal {i}", "--account", "Initech Labs")
    for i in range(3):
        cli("lead", "add", f"Pat Smith{i}", "--company", "Initech Labs")
    cli("opp", "add", "Kramer Industries: renewal", "--account", "Kramer Industries")
    cli("lead", "add", "Kim Kramer", "--company", "Industrial Kramer Inc")
    cli("contact", "add", "Ivy Indigo", "--notes", "met at Kramer industries")

    hits = cli.json("search", "initech labs")
    assert (hits[0]["type"], hits[0]["name"]) == ("account", "Initech Labs")
    assert [h["type"] for h in hits[1:11]] == ["opportunity"] * 10
    assert [h["type"] for h in hits[11:]] == ["lead"] * 3       # only the company matched
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))

    hits = cli.json("search", "initech", "-n", "6")
    assert [h["name"] for h in hits[:4]] == ["Initech", "Initech Labs", "Initech Cloud",
                                             "Initech Systems"]
    assert [h["type"] for h in hits[4:]] == ["opportunity", "opportunity"]

    hits = cli.json("search", "kram", "ind")
    assert [(h["type"], h["name"]) for h in hits] == [
        ("account", "Kramer Industries"), ("opportunity", "Kramer Industries: renewal"),
        ("lead", "Kim Kramer"), ("contact", "Ivy Indigo")]


def test_search_sort_key_tiers():
    from crmtui.domain.search import sort_key, words

    q = words("Kram Ind")
    none = ((), (), ())
    keys = [sort_key("account", 9, "Kramer Industries", q, none),
            sort_key("account", 1, "Industries of Kramer", q, none),
            sort_key("lead", 2, "Kim Kramer", q, ((), ("Industrial",), ())),
            sort_key("lead", 3, "Pat Smith", q, (("kramer@ind.example",), (), ()))]
    assert sorted(keys) == keys
    assert sort_key("account", 5, "Crème Brûlée", words("creme brulee"), none)[0] == 0


# -- 13. history source of automatic lead moves; reopen is for disqualified leads ---------

def test_logging_on_a_new_lead_records_the_caller_s_source(cli, store):
    from crmtui.domain import activities

    cli("lead", "add", "Ada Lovelace")
    cli("activity", "log", "call", "--on", "lead:1", "--subject", "Intro")
    cli("lead", "add", "Grace Hopper")
    with store.write() as s:
        activities.add(s, "call", "From the app", on="lead:2", source="app")
    with store.read() as s:
        sources = {row.record_id: row.source for row in s.scalars(select(ChangeLog).where(
            ChangeLog.entity == "lead", ChangeLog.field == "status"))}
    assert sources == {1: "cli", 2: "app"}
    assert get(store, Lead, 1).status == "working"


def test_reopen_is_for_disqualified_leads(cli, store):
    cli("lead", "add", "Ada Lovelace")
    result = cli("lead", "reopen", "1", code=1)
    assert "is new, not disqualified" in result.stderr and "crm lead work 1" in result.stderr
    lead = get(store, Lead, 1)
    assert lead.status == "new" and lead.version == 1
    cli("lead", "work", "1")
    assert "is working, not disqualified" in cli("lead", "reopen", "1", code=1).stderr
    cli("lead", "disqualify", "1", "--reason", "no budget")
    cli("lead", "reopen", "1")
    assert get(store, Lead, 1).status == "working"


# -- 14. cosmetics: words, show like lists, domains, converted leads, demo seeds ------------

def test_plurals_and_articles():
    from crmtui.domain.words import a, count, plural

    assert [plural(w) for w in ("activity", "opportunity", "lead", "account", "batch")] == [
        "activities", "opportunities", "leads", "accounts", "batches"]
    assert count(1, "activity") == "1 activity" and count(1204, "lead") == "1,204 leads"
    assert (a("opportunity"), a("lead"), a("account"), a("user")) == (
        "an opportunity", "a lead", "an account", "a user")


def test_help_and_notes_use_proper_plurals(cli, store, monkeypatch):
    assert "List activities" in cli("activity", "--help").stdout
    assert "Add an opportunity" in cli("opp", "--help").stdout
    monkeypatch.setenv("CRMTUI_USER", "ada")
    cli("user", "add", "ada")
    assert "showing ada's opportunities" in cli("opp", "list").stderr


def test_show_formats_amounts_and_times_like_lists(cli, store, monkeypatch):
    cli("account", "add", "Acme", "--revenue", "2500000")
    cli("opp", "add", "Big", "--account", "Acme", "--amount", "120095", "--close-date",
        "2020-01-01")
    shown = cli("opp", "show", "Big").stdout
    assert "120,095.00 USD" in shown and "12,009.50 USD" in shown
    assert "120095.00" not in shown
    assert "T" not in "".join(line for line in shown.splitlines() if "Stage entered" in line)
    listed = cli("opp", "list").stdout
    assert "Flags" in listed and "overdue" in listed
    account = cli("account", "show", "Acme").stdout
    assert "2,500,000.00" in account and "Flags" in account
    cli("opp", "lose", "Big", "--reason", "price")
    account = cli("account", "show", "Acme").stdout
    assert "Z" not in "".join(line for line in account.splitlines() if "Lost" in line)


@pytest.mark.parametrize("typed", ["www.acme.com", "https://www.Acme.com/path", "ACME.com",
                                   "sales@acme.com", "http://acme.com:8080/"])
def test_account_domains_are_normalised_on_write(cli, store, typed):
    from crmtui.store.models import Account

    cli("account", "add", "Acme", "--domain", typed)
    assert get(store, Account, 1).domain == "acme.com"
    cli("account", "edit", "1", "--domain", "WWW.Example.org")
    assert get(store, Account, 1).domain == "example.org"
    assert "not a web domain" in cli("account", "edit", "1", "--domain", "acme", code=1).stderr
    assert records.normalise_domain("https://www.Acme.com/path") == "acme.com"


def test_a_converted_lead_shows_what_it_became(cli, store):
    cli("lead", "add", "Bob Smith", "--company", "Smithy", "--email", "bob@smithy.com")
    cli("lead", "convert", "1", "--amount", "10")
    shown = cli("lead", "show", "1").stdout
    assert "Became" in shown and "account 1 (Smithy)" in shown and "contact 1 (Bob Smith)" in shown
    assert "opportunity 1" in shown
    became = cli.json("lead", "show", "1")["converted_into"]
    assert [(b["type"], b["id"]) for b in became] == [("account", 1), ("contact", 1),
                                                      ("opportunity", 1)]


def test_demo_says_when_the_store_was_built_with_another_seed(cli, another_store):
    target = another_store()
    cli("--db", target, "demo", "--rows", "20", "--seed", "3", "--no-open")
    assert "seed 3" in cli("--db", target, "demo", "--no-open").stderr      # plain reuse
    cli("--db", target, "demo", "--seed", "3", "--rows", "20", "--no-open")
    result = cli("--db", target, "demo", "--seed", "7", "--no-open", code=1)
    assert "built with seed 3 and 20 leads" in result.stderr and "--reset" in result.stderr
    assert "built with seed 3" in cli("--db", target, "demo", "--rows", "30", "--no-open",
                                      code=1).stderr
