"""The daily work of a rep: lead flow, conversion, stages with history, tasks, agenda."""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from crmtui.domain import activities, conversion, leads, opportunities, records
from crmtui.errors import Conflict, Invalid, NotFound
from crmtui.store.models import (
    Account, Activity, ChangeLog, Contact, Lead, Opportunity, Stage, StageChange,
)


def n(store, model, *where):
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def new_lead(store, **values):
    values.setdefault("last_name", "Lovelace")
    values.setdefault("first_name", "Ada")
    with store.write() as s:
        return records.create(s, "lead", values).id


# -- lead status flow ------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    ["qualified"], ["working", "qualified"], ["disqualified", "working", "qualified"],
    ["working", "new"], ["qualified", "working"], ["working", "disqualified"],
])
def test_legal_transitions(store, path):
    lead_id = new_lead(store)
    for to in path:
        with store.write() as s:
            leads.set_status(s, lead_id, to, reason="no budget")
    with store.read() as s:
        assert s.get(Lead, lead_id).status == path[-1]


@pytest.mark.parametrize("setup, to, error, text", [
    (["disqualified"], "converted", Conflict, "reopen it first"),
    (["disqualified"], "qualified", Conflict, "is disqualified"),
    ([], "new", Invalid, "already new"),
])
def test_refused_transitions(store, setup, to, error, text):
    lead_id = new_lead(store)
    for step in setup:
        with store.write() as s:
            leads.set_status(s, lead_id, step, reason="spam")
    with pytest.raises(error, match=text), store.write() as s:
        leads.set_status(s, lead_id, to, reason="x")


def test_disqualify_needs_reason_and_reopen_clears_it(cli, store):
    cli("lead", "add", "Ada Lovelace")
    assert "needs a reason" in cli("lead", "disqualify", "1", code=1).stderr
    cli("lead", "disqualify", "1", "--reason", "no budget")
    with store.read() as s:
        assert s.get(Lead, 1).disqualify_reason == "no budget"
    assert "reopen it first" in cli("lead", "convert", "1", code=1).stderr
    cli("lead", "reopen", "1")
    with store.read() as s:
        lead = s.get(Lead, 1)
    assert lead.status == "working" and lead.disqualify_reason is None


def test_converting_twice_is_refused(cli, store):
    cli("lead", "add", "Ada Lovelace", "--company", "Engines")
    cli("lead", "convert", "1")
    result = cli("lead", "convert", "1", code=1)
    assert "already converted" in result.stderr and "account 1" in result.stderr
    assert n(store, Account) == 1 and n(store, Opportunity) == 1


# -- lead score -----------------------------------------------------------------------------

def test_score_rules():
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    blank = SimpleNamespace(email=None, phone=None, company=None, title=None, first_name="",
                            last_name="X", source=None, employees=None)
    assert leads.score(blank, 0, None, now) == 0
    full = SimpleNamespace(email="a@b.co", phone="+1", company="C", title="VP Sales",
                           first_name="A", last_name="B", source="Referral", employees=1500)
    # 40 contact + 20 referral + 10 senior + 10 size = 80; 3 activities 6; 2 days ago 10
    assert leads.score(full, 0, None, now) == 80
    assert leads.score(full, 3, now - timedelta(days=2), now) == 96
    assert leads.score(full, 9, now - timedelta(days=2), now) == 100
    mid = SimpleNamespace(**{**vars(full), "title": "Sales Manager", "source": "web",
                             "employees": 60})
    assert leads.score(mid, 0, None, now) == 40 + 10 + 5 + 5


def test_score_recomputed_when_inputs_change(cli, store):
    cli("lead", "add", "Ada Lovelace")
    with store.read() as s:
        before = s.get(Lead, 1).score
    cli("lead", "edit", "1", "--email", "ada@example.com", "--source", "referral")
    with store.read() as s:
        after = s.get(Lead, 1).score
    assert after == before + 12 + 20
    cli("activity", "log", "call", "--on", "lead:1")
    with store.read() as s:
        assert s.get(Lead, 1).score == after + 2 + 10
    listed = [r["id"] for r in cli.json("lead", "list", "--sort", "score", "--desc")]
    assert listed[0] == 1


# -- conversion -----------------------------------------------------------------------------

def test_conversion_creates_everything_and_moves_activities(cli, store):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@engines.example", "--company",
        "Analytical Engines", "--phone", "+44 20 7946 0958", "--source", "referral")
    cli("task", "add", "Call back", "--on", "lead:1", "--due", "tomorrow")
    out = cli.json("lead", "convert", "1", "--amount", "5000", "--close-date", "2027-01-31",
                   "--stage", "Proposal")
    assert out["created_account"] and out["created_contact"]
    assert out["account"]["name"] == "Analytical Engines"
    assert out["account"]["domain"] == "engines.example"
    assert out["contact"]["email"] == "ada@engines.example"
    assert out["contact"]["account_id"] == out["account"]["id"]
    opp = out["opportunity"]
    assert (opp["amount"], opp["close_date"], opp["stage"], opp["source"]) == (
        "5000.00", "2027-01-31", "Proposal", "referral")
    with store.read() as s:
        lead = s.get(Lead, 1)
        task = s.get(Activity, 1)
    assert lead.status == "converted" and lead.converted_at is not None
    assert (lead.converted_account_id, lead.converted_contact_id,
            lead.converted_opportunity_id) == (1, 1, 1)
    assert (task.lead_id, task.account_id, task.contact_id, task.opportunity_id) == (1, 1, 1, 1)


def test_conversion_matches_account_by_domain_then_name(cli, store):
    cli("account", "add", "Engines Ltd", "--domain", "engines.example")
    cli("account", "add", "Babbage & Co")
    cli("lead", "add", "Ada Lovelace", "--email", "ada@engines.example", "--company", "Other")
    cli("lead", "add", "Charles Babbage", "--email", "cb@gmail.com", "--company", "babbage & co")
    assert cli.json("lead", "convert", "1", "--no-opp")["account"]["id"] == 1
    out = cli.json("lead", "convert", "2", "--no-opp")
    assert out["account"]["id"] == 2 and not out["created_account"] and out["opportunity"] is None
    assert n(store, Opportunity) == 0


def test_conversion_account_override_and_contact_match(cli, store):
    cli("account", "add", "Chosen")
    cli("contact", "add", "Ada Lovelace", "--email", "ADA@x.example")
    cli("lead", "add", "Ada Lovelace", "--email", "ada@x.example", "--company", "X")
    out = cli.json("lead", "convert", "1", "--account", "Chosen", "--opp-name", "Pilot")
    assert out["account"]["name"] == "Chosen" and not out["created_contact"]
    assert out["contact"]["id"] == 1 and out["contact"]["account_id"] == 1
    assert out["opportunity"]["name"] == "Pilot"
    assert n(store, Contact) == 1


def test_conversion_is_all_or_nothing(cli, store):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@engines.example", "--company", "E")
    cli("task", "add", "Call back", "--on", "lead:1")
    result = cli("lead", "convert", "1", "--stage", "No such stage", code=1)
    assert "has no stage" in result.stderr
    assert n(store, Account) == 0 and n(store, Contact) == 0 and n(store, Opportunity) == 0
    with store.read() as s:
        assert s.get(Lead, 1).status == "new"
        assert s.get(Activity, 1).account_id is None
    with pytest.raises(Invalid), store.write() as s:
        conversion.convert(s, 1, amount="-1")
    assert n(store, Account) == 0


def test_conversion_with_ambiguous_domain_asks_for_account(cli, store):
    cli("account", "add", "A1", "--domain", "dup.example")
    cli("account", "add", "A2", "--domain", "dup.example")
    cli("lead", "add", "Ada Lovelace", "--email", "ada@dup.example")
    result = cli("lead", "convert", "1", code=1)
    assert "several accounts" in result.stderr and "--account" in result.stderr


# -- stages and their history -------------------------------------------------------------

def stage_path(store, opp_id):
    with store.read() as s:
        names = {st.id: st.name for st in s.scalars(select(Stage))}
        rows = s.scalars(select(StageChange).where(StageChange.opportunity_id == opp_id)
                         .order_by(StageChange.id)).all()
    return [(names.get(r.from_stage_id), names.get(r.to_stage_id)) for r in rows]


def test_every_stage_path_appends_a_stage_change(cli, store):
    cli("opp", "add", "Deal")
    cli("opp", "move", "1", "--next")
    cli("opp", "move", "1", "4")                     # by position
    cli("opp", "move", "1", "--prev")
    cli("opp", "move", "1", "qualification")          # by name, any case
    cli("opp", "win", "1")
    cli("opp", "reopen", "1")
    cli("opp", "lose", "1", "--reason", "price")
    cli("opp", "reopen", "1", "--stage", "Proposal")
    cli("opp", "edit", "1", "--stage", "Negotiation")
    assert stage_path(store, 1) == [
        (None, "Prospecting"), ("Prospecting", "Qualification"), ("Qualification", "Negotiation"),
        ("Negotiation", "Proposal"), ("Proposal", "Qualification"), ("Qualification", "Won"),
        ("Won", "Qualification"), ("Qualification", "Lost"), ("Lost", "Proposal"),
        ("Proposal", "Negotiation")]


def test_close_and_reopen_set_closed_at_and_probability_follows_stage(cli, store):
    cli("opp", "add", "Deal", "--amount", "1000")
    assert cli.json("opp", "show", "1")["probability"] == 10
    cli("opp", "move", "1", "Proposal")
    deal = cli.json("opp", "show", "1")
    assert deal["probability"] == 50 and deal["weighted_amount"] == "500.00"
    cli("opp", "edit", "1", "--probability", "65")
    cli("opp", "move", "1", "Negotiation")
    assert cli.json("opp", "show", "1")["probability"] == 65   # the override stays
    won = cli.json("opp", "win", "1")
    assert won["closed_at"] and won["status"] == "won"
    reopened = cli.json("opp", "reopen", "1")
    assert reopened["closed_at"] is None and reopened["stage"] == "Negotiation"
    lost = cli.json("opp", "lose", "1", "--reason", "timing")
    assert lost["lost_reason"] == "timing" and lost["closed_at"]
    assert cli.json("opp", "reopen", "1")["lost_reason"] is None


def test_refused_moves(cli, store):
    cli("opp", "add", "Deal")
    assert "first open stage" in cli("opp", "move", "1", "--prev", code=1).stderr
    assert "needs a reason" in cli("opp", "lose", "1", code=1).stderr
    assert "needs a reason" in cli("opp", "move", "1", "Lost", code=1).stderr
    assert "already in stage" in cli("opp", "move", "1", "Prospecting", code=1).stderr
    assert "not closed" in cli("opp", "reopen", "1", code=1).stderr
    cli("opp", "win", "1")
    assert "reopen it first" in cli("opp", "move", "1", "--next", code=1).stderr
    assert len(stage_path(store, 1)) == 2


def test_stage_changes_on_stage_delete_and_pipeline_change(cli, store):
    cli("pipeline", "add", "Renewals", "--stages", "Open,Quoted,Won:won,Lost:lost")
    cli("opp", "add", "Deal", "--stage", "Proposal")
    cli("stage", "delete", "Proposal", "--move-to", "Negotiation", "--yes")
    cli("opp", "edit", "1", "--pipeline", "Renewals")
    # the deleted stage's history rows lose their link (ON DELETE SET NULL), the moves stay
    assert stage_path(store, 1) == [(None, None), (None, "Negotiation"), ("Negotiation", "Open")]


def test_stale_and_overdue_rules(store):
    now = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
    with store.write() as s:
        opp = records.create(s, "opportunity", {"name": "D", "close_date": "2026-11-01"})
        stage = s.get(Stage, opp.stage_id)
        opp.stage_entered_at = now - timedelta(days=15)
        opp.created_at = now - timedelta(days=15)
        opp.last_activity_at = now - timedelta(days=2)
        reasons = opportunities.stale_reasons(opp, stage, now=now)
        assert reasons == ["15 days in Prospecting (limit 14)"]
        opp.stage_entered_at = now - timedelta(days=3)
        assert opportunities.stale_reasons(opp, stage, now=now) == []
        opp.last_activity_at = now - timedelta(days=20)
        assert opportunities.stale_reasons(opp, stage, now=now)[0].startswith("no activity for 20")
        assert opportunities.is_overdue(opp, stage, today=date(2026, 11, 25))
        assert not opportunities.is_overdue(opp, stage, today=date(2026, 10, 25))
        won = s.scalar(select(Stage).where(Stage.kind == "won"))
        assert opportunities.stale_reasons(opp, won, now=now) == []
        assert not opportunities.is_overdue(opp, won, today=date(2026, 11, 25))


def test_stale_days_is_configurable(cli, store, crm_home):
    from crmtui import config

    crm_home.mkdir(exist_ok=True)
    (crm_home / "config.toml").write_text("stale_days = 3\n")
    config.load.cache_clear()
    cli("opp", "add", "Deal")
    with store.write() as s:
        deal = s.get(Opportunity, 1)
        deal.created_at = deal.stage_entered_at = datetime.now(timezone.utc) - timedelta(days=4)
    assert [r["name"] for r in cli.json("opp", "list", "--stale")] == ["Deal"]
    shown = cli("opp", "show", "1").stdout
    assert "no activity for 4 days" in shown


# -- activities, tasks, agenda -----------------------------------------------------------

def test_activity_log_and_task_commands(cli, store):
    cli("account", "add", "Acme")
    cli("opp", "add", "Acme deal", "--account", "Acme")
    call = cli.json("activity", "log", "call", "--on", "opp:Acme deal", "--subject", "Pricing",
                    "--body", "-", input="They want 10% off\n")
    assert call["body"].strip() == "They want 10% off" and call["account_id"] == 1
    with store.read() as s:
        assert s.get(Opportunity, 1).last_activity_at is not None
    task = cli.json("task", "add", "Send proposal", "--on", "opp:1", "--due", "next friday")
    assert task["status"] == "open" and task["kind"] == "task"
    snoozed = cli.json("task", "snooze", str(task["id"]), "--until", "+10d")
    assert snoozed["due"] > task["due"]
    assert "in the past" in cli("task", "snooze", str(task["id"]), "--until", "2020-01-01",
                                code=1).stderr
    cli("task", "done", str(task["id"]))
    assert "already done" in cli("task", "done", str(task["id"]), code=1).stderr
    assert "TYPE:REF" in cli("task", "add", "x", "--on", "opp", code=1).stderr
    assert "no opportunity matches" in cli("task", "add", "x", "--on", "opp:Nope", code=1).stderr


def test_agenda_grouping(store):
    now = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)
    with store.write() as s:
        for subject, due in [("overdue", now - timedelta(days=2)),
                             ("this morning", now.replace(hour=8)),
                             ("tonight", now.replace(hour=23)),
                             ("in a week", now + timedelta(days=7)),
                             ("too far", now + timedelta(days=9))]:
            activities.add(s, "task", subject, due=due)
        done = activities.add(s, "task", "done already", due=now - timedelta(days=1))
        activities.complete(s, done.id)
        activities.add(s, "call", "no due date")
    with store.read() as s:
        agenda = activities.agenda(s, now=now)
    subjects = lambda items: [a.subject for a in items]  # noqa: E731
    assert subjects(agenda.overdue) == ["overdue"]
    assert subjects(agenda.today) == ["this morning", "tonight"]
    assert subjects(agenda.upcoming) == ["in a week"]


def test_agenda_command_json(cli, store):
    cli("task", "add", "Late", "--due", "2020-01-01")
    cli("task", "add", "Today", "--due", "today")
    out = cli.json("agenda")
    assert [t["subject"] for t in out["overdue"]] == ["Late"]
    assert [t["subject"] for t in out["today"]] == ["Today"]
    assert out["upcoming"] == []


def test_timeline_shows_activities_stage_changes_and_edits(cli, store):
    cli("opp", "add", "Deal")
    cli("opp", "edit", "1", "--next-step", "call CFO")
    cli("opp", "move", "1", "--next")
    cli("activity", "log", "note", "--on", "opp:1", "--subject", "Met at expo")
    timeline = cli.json("opp", "show", "1")["timeline"]
    kinds = [e["type"] for e in timeline]
    assert kinds[0] == "activity" and "stage" in kinds and "edit" in kinds
    assert any("Prospecting -> Qualification" in e["text"] for e in timeline)
    assert any("next_step" in e["text"] for e in timeline)


def test_history_command(cli, store, monkeypatch):
    monkeypatch.setenv("CRMTUI_USER", "grace")
    cli("lead", "add", "Ada Lovelace")
    cli("lead", "edit", "1", "--company", "Engines")
    rows = cli.json("history", "lead:1")
    assert rows[0]["field"] == "company" and rows[0]["new"] == "Engines"
    assert rows[0]["source"] == "cli" and rows[0]["actor"] == "grace"
    cli("lead", "delete", "1", "--yes")
    assert cli.json("history", "lead:1")[0]["action"] == "delete"


# -- search -------------------------------------------------------------------------------

def test_search_ranks_and_stays_in_sync(cli, store):
    cli("account", "add", "Lovelace Labs", "--domain", "lovelace.example")
    cli("lead", "add", "Ada Lovelace", "--company", "Engines")
    cli("contact", "add", "Augusta Ada King", "--notes", "Lovelace fan")
    cli("opp", "add", "Lovelace Labs pilot", "--account", "Lovelace Labs")
    hits = cli.json("search", "lovelace")
    assert {h["type"] for h in hits} == {"account", "lead", "contact", "opportunity"}
    assert hits[-1]["type"] == "contact"        # a match in notes ranks below names
    assert cli.json("search", "lovel", "--type", "lead")[0]["name"] == "Ada Lovelace"
    cli("account", "edit", "Lovelace Labs", "--name", "Babbage Labs")
    opp_hit = cli.json("search", "babbage", "--type", "opp")
    assert [h["name"] for h in opp_hit] == ["Lovelace Labs pilot"]   # indexed by account name
    cli("lead", "delete", "1", "--yes")
    assert all(h["type"] != "lead" for h in cli.json("search", "lovelace"))
    assert "no words" in cli("search", "***", code=1).stderr
    assert cli.json("search", 'ada" OR x') is not None           # no FTS syntax leaks


# -- duplicates and merge -----------------------------------------------------------------

def test_duplicate_detection(cli, store):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@x.example")
    cli("lead", "add", "Ada Lovelace", "--email", "ADA@x.example")
    cli("lead", "add", "Ada Lovelac", "--phone", "+1 415 555 0132")
    cli("lead", "add", "Bob Smith", "--phone", "(415) 555-0132")
    cli("lead", "add", "Zed Unique")
    pairs = {(p["keep"], p["other"]): p for p in cli.json("dupes", "leads")}
    assert pairs[(1, 2)]["score"] == 100 and "same email" in pairs[(1, 2)]["reason"]
    assert "same phone" in pairs[(3, 4)]["reason"]
    assert "similar name" in pairs[(1, 3)]["reason"]
    assert not any(5 in key for key in pairs)
    cli("account", "add", "Acme Inc", "--domain", "acme.example")
    cli("account", "add", "ACME LLC", "--domain", "acme.example")
    cli("account", "add", "Gmail user", "--domain", "gmail.com")
    cli("account", "add", "Other gmail", "--domain", "gmail.com")
    acc = cli.json("dupes", "accounts")
    assert [(p["keep"], p["other"]) for p in acc] == [(1, 2)]
    assert "same domain" in acc[0]["reason"] and "similar name" in acc[0]["reason"]


def test_merge_moves_related_records_and_fills_fields(cli, store):
    cli("account", "add", "Acme", "--domain", "acme.example", "--tags", "vip")
    cli("account", "add", "Acme Inc", "--industry", "Robots", "--external-id", "SF-9",
        "--tags", "emea", "--notes", "from the fair")
    cli("contact", "add", "Grace Hopper", "--account", "2")
    cli("opp", "add", "Deal", "--account", "2")
    cli("activity", "log", "call", "--on", "account:2")
    cli("lead", "add", "Ada L", "--company", "Acme Inc")
    cli("lead", "convert", "1", "--account", "2", "--no-opp")
    out = cli.json("merge", "account", "1", "2", "--yes")
    assert out["moved"] == {"contact": 2, "opportunity": 1, "activity": 1, "lead": 1}
    with store.read() as s:
        keep = s.get(Account, 1)
        assert s.get(Account, 2) is None
        assert keep.industry == "Robots" and keep.external_id == "SF-9"
        assert keep.tags == "vip,emea" and keep.notes == "from the fair"
        assert set(s.scalars(select(Contact.account_id))) == {1}
        assert s.scalar(select(Opportunity.account_id)) == 1
        assert s.scalar(select(Lead.converted_account_id)) == 1
        events = s.scalars(select(ChangeLog.action).where(ChangeLog.entity == "account",
                                                          ChangeLog.record_id == 1)).all()
    assert "merge" in events
    assert cli.json("history", "account:2")[0]["action"] == "delete"


def test_merge_prefer_other_and_refusals(cli, store):
    cli("lead", "add", "Ada Lovelace", "--company", "Old")
    cli("lead", "add", "Ada Lovelace", "--company", "New", "--email", "a@b.example")
    cli("activity", "log", "call", "--on", "lead:2")
    cli.json("merge", "lead", "1", "2", "--prefer", "other", "--yes")
    with store.read() as s:
        lead = s.get(Lead, 1)
        assert (lead.company, lead.email) == ("New", "a@b.example")
        assert s.scalar(select(Activity.lead_id)) == 1
    assert "itself" in cli("merge", "lead", "1", "1", "--yes", code=1).stderr
    with pytest.raises(NotFound), store.write() as s:
        from crmtui.domain.merge import merge

        merge(s, "lead", 1, 99)


def test_moving_a_closed_deal_is_refused_not_a_silent_reopen(cli, store):
    cli("opp", "add", "Won one", "--amount", "100")
    cli("opp", "win", "Won one")
    result = cli("opp", "move", "Won one", "Negotiation", code=1)
    assert "is won" in result.stderr and "would reopen it" in result.stderr
    assert "crm opp reopen 1 --stage Negotiation" in result.stderr
    deal = cli.json("opp", "show", "Won one")
    assert deal["status"] == "won" and deal["closed_at"] is not None
    cli("opp", "reopen", "Won one", "--stage", "Negotiation")
    assert cli.json("opp", "show", "Won one")["status"] == "open"
