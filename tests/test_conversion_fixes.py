"""Lead conversion: the deal's last activity time, filling an existing contact, --contact."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from crmtui.store.models import Activity, ChangeLog, Contact, Lead, Opportunity

# -- the moved activities' last activity time ----------------------------------------------


def test_converted_deal_gets_the_last_activity_time_of_the_moved_activities(cli, store):
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example")
    cli("activity", "log", "call", "--on", "lead:1", "--subject", "Intro")
    cli("activity", "log", "email", "--on", "lead:1", "--subject", "Follow-up")
    cli("task", "add", "Call back", "--on", "lead:1", "--due", "tomorrow")  # not done
    cli("lead", "convert", "1", "--amount", "5000")
    with store.read() as s:
        latest = max(a.done_at for a in s.scalars(select(Activity)) if a.done_at)
        opp = s.get(Opportunity, 1)
        assert opp.last_activity_at == latest
        assert s.get(Lead, 1).status == "converted"  # not moved back to working on the way
    shown = cli.json("opp", "show", "1")
    assert shown["last_activity_at"] is not None


def test_converted_deal_without_done_activities_has_no_last_activity(cli, store):
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example")
    cli("task", "add", "Call back", "--on", "lead:1", "--due", "tomorrow")
    cli("lead", "convert", "1")
    assert cli.json("opp", "show", "1")["last_activity_at"] is None


# -- filling an existing contact ------------------------------------------------------------


def _contact_edits(store, contact_id):
    with store.read() as s:
        rows = s.scalars(select(ChangeLog).where(ChangeLog.entity == "contact",
                                                 ChangeLog.record_id == contact_id,
                                                 ChangeLog.action == "edit")).all()
        return {r.field: (r.old, r.new) for r in rows}


def test_matched_contact_gets_the_leads_details_in_its_empty_fields_only(cli, store):
    cli("contact", "add", "Ada B", "--email", "ADA@x.example", "--title", "Countess")
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example", "--phone", "+44 20 7946 0958",
        "--title", "CTO", "--owner", "sam")
    out = cli.json("lead", "convert", "1")
    assert not out["created_contact"] and out["contact"]["id"] == 1
    with store.read() as s:
        contact = s.get(Contact, 1)
        assert contact.phone and contact.phone.startswith("+44")
        assert contact.title == "Countess"  # never overwritten
        assert (contact.first_name, contact.last_name) == ("Ada", "B")
        assert contact.email == "ADA@x.example"
        assert contact.owner == "sam"
    edits = _contact_edits(store, 1)
    assert edits["phone"][0] is None and edits["phone"][1].startswith("+44")
    assert "owner" in edits and "title" not in edits and "email" not in edits


# -- --contact ------------------------------------------------------------------------------


def test_convert_into_a_named_contact_by_email_uses_its_account(cli, store):
    cli("account", "add", "Byron Estates")
    cli("account", "add", "Other Co", "--domain", "x.example")  # what matching would find
    cli("contact", "add", "Augusta Ada", "--email", "augusta@byron.example",
        "--account", "Byron Estates")
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example", "--phone", "+1 212 555 0100")
    out = cli.json("lead", "convert", "1", "--contact", "AUGUSTA@byron.example")
    assert out["contact"]["id"] == 1 and not out["created_contact"]
    assert out["account"]["id"] == 1 and not out["created_account"]
    assert out["opportunity"]["account_id"] == 1 and out["opportunity"]["contact_id"] == 1
    with store.read() as s:
        contact = s.get(Contact, 1)
        assert contact.email == "augusta@byron.example"  # kept, not the lead's
        assert contact.phone  # was empty: filled from the lead
        assert s.get(Lead, 1).converted_contact_id == 1


def test_named_contact_by_name_without_account_is_attached(cli, store):
    cli("account", "add", "Engines", "--domain", "x.example")
    cli("contact", "add", "Augusta Ada")
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example")
    out = cli.json("lead", "convert", "1", "--contact", "augusta ada", "--no-opp")
    assert out["contact"]["id"] == 1 and out["account"]["id"] == 1
    assert out["contact"]["account_id"] == 1
    assert out["contact"]["email"] == "ada@x.example"  # had none


def test_named_contact_on_another_account_is_refused_naming_both(cli, store):
    cli("account", "add", "Byron Estates")
    cli("account", "add", "Engines")
    cli("contact", "add", "Augusta Ada", "--account", "Byron Estates")
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example")
    result = cli("lead", "convert", "1", "--contact", "1", "--account", "Engines", code=1)
    assert "Augusta Ada" in result.stderr
    assert "Byron Estates" in result.stderr and "Engines" in result.stderr
    with store.read() as s:
        assert s.get(Lead, 1).status == "new"
        assert s.scalars(select(Opportunity)).first() is None


def test_unknown_contact_is_refused(cli, store):
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example")
    result = cli("lead", "convert", "1", "--contact", "nobody@x.example", code=1)
    assert "nobody@x.example" in result.stderr
    with store.read() as s:
        assert s.get(Lead, 1).status == "new"


def test_convert_help_documents_contact(cli):
    out = cli("lead", "convert", "--help").stdout
    assert "--contact" in out


# -- the app's convert dialog ---------------------------------------------------------------


@pytest.mark.sqlite_only
def test_app_convert_dialog_takes_a_contact(cli, store):
    from tests.tui_helpers import make_app, settle

    cli("account", "add", "Byron Estates")
    cli("contact", "add", "Augusta Ada", "--account", "Byron Estates")
    cli("lead", "add", "Ada Byron", "--email", "ada@x.example", "--title", "CTO")

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.open_record("lead", 1)
            await settle(pilot)
            await pilot.press("C")
            await settle(pilot)
            assert type(app.screen).__name__ == "ConvertDialog"
            app.screen.query_one("#contact").value = "Augusta Ada"
            await pilot.click("#convert")
            await settle(pilot)
            return type(app.screen).__name__, getattr(app.screen, "entity", None)

    assert asyncio.run(go()) == ("RecordScreen", "opportunity")
    with store.read() as s:
        lead = s.get(Lead, 1)
        assert lead.status == "converted" and lead.converted_contact_id == 1
        assert lead.converted_account_id == 1
        assert s.get(Contact, 1).title == "CTO"
