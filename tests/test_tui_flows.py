"""The app's flows, driven with Pilot; every test checks the store afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest
from sqlalchemy import func, select

from crmtui.store.models import Account, Activity, ChangeLog, Contact, Lead, Opportunity, Stage
from crmtui.store.models import StageChange
from tests.tui_helpers import NOW, demo_store_fixtures, make_app, settle, type_text

pytestmark = pytest.mark.sqlite_only  # a copied SQLite file per test; data_version polling


demo_template, store = demo_store_fixtures()


def run(coro):
    return asyncio.run(coro)


def first_card(app):
    board = app.screen.query_one("Board")
    return board, board.current_card


# -- board --------------------------------------------------------------------------------

def test_move_a_deal_on_the_board_records_the_stage_change(store):
    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            board, card = first_card(app)
            assert card is not None
            before_stage = board.current_column.stage_id
            await pilot.press("greater_than_sign")
            await settle(pilot)
            after_column = board.current_column
            return card.id, before_stage, after_column.stage_id, board.current_card.id

    deal_id, before, after, focused = run(go())
    with store.read() as s:
        opp = s.get(Opportunity, deal_id)
        stages = [st.id for st in s.scalars(select(Stage).where(Stage.pipeline_id == 1,
                                                                 Stage.kind == "open")
                                            .order_by(Stage.position))]
        assert opp.stage_id == stages[stages.index(before) + 1] == after
        change = s.scalars(select(StageChange).where(StageChange.opportunity_id == deal_id)
                           .order_by(StageChange.id.desc())).first()
        assert (change.from_stage_id, change.to_stage_id, change.source) == (before, after, "app")
    assert focused == deal_id  # the cursor follows the card into its new column


def test_moving_a_deal_keeps_the_top_of_its_new_column_in_view(store):
    """The moved card lands among the column's first cards: the column still shows its top
    (its biggest deals), with the cursor on the moved card, not scrolled to start at it."""
    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            board, card = first_card(app)
            await pilot.press("greater_than_sign")
            await settle(pilot)
            column = board.current_column
            return (card.id, column.stage_id, column.top, column.at_start,
                    [c.id for c in column.cards], board.current_card.id)

    moved, stage_id, top, at_start, ids, focused = run(go())
    assert focused == moved and top == 0 and at_start
    with store.read() as s:  # the column's biggest open deals, in board order
        biggest = [o.id for o in s.scalars(
            select(Opportunity).where(Opportunity.stage_id == stage_id)
            .order_by(Opportunity.amount_minor.desc(), Opportunity.id.desc()).limit(3))]
    assert ids[:3] == biggest
    assert moved in ids


def test_next_stage_past_the_last_says_what_to_press(store):
    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            board = app.screen.query_one("Board")
            while board.current < len(board.columns) - 1:
                await pilot.press("right")
            card = board.current_card
            await pilot.press("greater_than_sign")
            await settle(pilot)
            return card.id, [n.message for n in app._notifications]

    deal_id, said = run(go())
    message = next(m for m in said if "last open stage" in m)
    assert "press w" in message and "crm opp" not in message
    with store.read() as s:
        assert s.get(Stage, s.get(Opportunity, deal_id).stage_id).kind == "open"


def test_the_cli_keeps_its_own_hints(store, cli):
    with store.read() as s:
        last = s.scalars(select(Stage).where(Stage.pipeline_id == 1, Stage.kind == "open")
                         .order_by(Stage.position.desc())).first()
        deal = s.scalars(select(Opportunity).where(Opportunity.stage_id == last.id)).first()
    err = cli("--db", store.path, "opp", "move", deal.id, "--next", code=1).stderr
    assert f"crm opp win {deal.id}" in err
    err = cli("--db", store.path, "opp", "lose", deal.id, code=1).stderr
    assert "a lost deal needs a reason" in err and "--reason" in err


def test_forms_speak_as_a_form(store):
    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.new_record("lead")
            await settle(pilot)
            placeholder = app.screen.query_one("#in-first_name").placeholder
            await pilot.press("escape")
            await settle(pilot)
            app.new_record("opportunity")
            await settle(pilot)
            app.screen.query_one("#in-amount").value = "1.234,56"
            await pilot.pause(0.4)
            await settle(pilot)
            return placeholder, str(app.screen.query_one("#msg-amount").render())

    placeholder, amount = run(go())
    assert placeholder and "positional" not in placeholder
    assert "not valid" in amount and "--decimal-comma" not in amount


def test_switching_pipeline_puts_the_cursor_on_a_card(store):
    from crmtui.domain import pipelines, records

    with store.write() as s:
        renewals = pipelines.add_pipeline(s, "Renewals", "Intro,Review,Signed:won,Gone:lost")
        deal = records.create(s, "opportunity", {"name": "Renewal of Acme",
                                                 "pipeline": "Renewals", "stage": "Intro"}).id

    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for _ in range(3):  # a column that has no deals in the other pipeline
                await pilot.press("right")
            board = app.screen.query_one("Board")
            assert board.current > 0
            await pilot.press("p")
            await settle(pilot)
            app.screen.dismiss(str(renewals.id))
            await settle(pilot)
            card = board.current_card
            await pilot.press("greater_than_sign")  # the keys act on that card
            await settle(pilot)
            return card.id if card else None

    assert run(go()) == deal
    with store.read() as s:
        assert s.get(Stage, s.get(Opportunity, deal).stage_id).name == "Review"


def test_win_and_lose_from_the_board(store):
    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            _, won = first_card(app)
            await pilot.press("w")
            await settle(pilot)
            asked = type(app.screen).__name__
            await pilot.press("escape")  # keeps it open
            await settle(pilot)
            assert first_card(app)[1].id == won.id
            await pilot.press("w")
            await settle(pilot)
            await pilot.press("enter")  # Won is the default
            await settle(pilot)
            assert asked == "ConfirmDialog"
            board, lost = first_card(app)
            assert lost.id != won.id
            await pilot.press("l")
            await settle(pilot)
            assert type(app.screen).__name__ == "PromptDialog"
            await type_text(pilot, "chose a competitor")
            await pilot.press("enter")
            await settle(pilot)
            return won.id, lost.id

    won_id, lost_id = run(go())
    with store.read() as s:
        won = s.get(Opportunity, won_id)
        lost = s.get(Opportunity, lost_id)
        assert s.get(Stage, won.stage_id).kind == "won" and won.closed_at is not None
        assert s.get(Stage, lost.stage_id).kind == "lost"
        assert lost.lost_reason == "chose a competitor"


def test_losing_needs_a_reason(store):
    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            _, card = first_card(app)
            await pilot.press("l")
            await settle(pilot)
            await pilot.press("enter")  # no reason typed
            await settle(pilot)
            still_open = type(app.screen).__name__ == "PromptDialog"
            said = str(app.screen.query_one("#error").render())
            await pilot.press("escape")
            await settle(pilot)
            return card.id, still_open, said

    deal_id, still_open, said = run(go())
    assert still_open
    assert "a lost deal needs a reason" in said  # the domain's words, as the CLI says them
    with store.read() as s:
        assert s.get(Stage, s.get(Opportunity, deal_id).stage_id).kind == "open"


# -- leads --------------------------------------------------------------------------------

def test_convert_a_lead(store):
    pytest.importorskip("crmtui.domain.conversion")
    with store.read() as s:
        lead = s.scalars(select(Lead).where(Lead.status == "qualified").order_by(Lead.id)).first()
        lead_id, accounts = lead.id, s.scalar(select(func.count()).select_from(Account))

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.open_record("lead", lead_id)
            await settle(pilot)
            await pilot.press("C")
            await settle(pilot)
            assert type(app.screen).__name__ == "ConvertDialog"
            app.screen.query_one("#amount").value = "12,500"
            app.screen.query_one("#close_date").value = "2026-04-30"
            await pilot.click("#convert")
            await settle(pilot)
            return type(app.screen).__name__, getattr(app.screen, "entity", None)

    screen, entity = run(go())
    assert (screen, entity) == ("RecordScreen", "opportunity")  # the new deal opens
    with store.read() as s:
        lead = s.get(Lead, lead_id)
        assert lead.status == "converted"
        opp = s.get(Opportunity, lead.converted_opportunity_id)
        assert opp.amount_minor == 1_250_000 and str(opp.close_date) == "2026-04-30"
        assert s.get(Contact, lead.converted_contact_id) is not None
        assert s.get(Account, lead.converted_account_id) is not None
        assert s.scalar(select(func.count()).select_from(Account)) >= accounts
        log = s.scalars(select(ChangeLog).where(ChangeLog.entity == "lead",
                                                ChangeLog.record_id == lead_id,
                                                ChangeLog.action == "convert")).one()
        assert log.source == "app"


def test_a_closed_deal_offers_reopen_not_win_or_lose(store):
    with store.read() as s:
        ids = {kind: s.scalars(select(Opportunity.id).join(Stage, Stage.id == Opportunity.stage_id)
                               .where(Stage.kind == kind).order_by(Opportunity.id)).first()
               for kind in ("open", "lost")}

    async def go():
        app = make_app(store, start="deals")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            footers = {}
            for kind, deal_id in ids.items():
                app.open_record("opportunity", deal_id)
                await settle(pilot)
                footers[kind] = {b.binding.description for b in
                                 app.screen.active_bindings.values()
                                 if b.binding.show and b.enabled}
                await pilot.press("escape")
                await settle(pilot)
            return footers

    footers = run(go())
    assert {"Win", "Lose", "Next"} <= footers["open"] and "Reopen" not in footers["open"]
    assert "Reopen" in footers["lost"] and not {"Win", "Lose", "Next"} & footers["lost"]


def test_dashboard_lists_show_on_a_laptop_sized_terminal(store):
    """'Due today and overdue' and the biggest deals were hidden below 40 rows: a 35-row
    terminal never saw them."""
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 34)) as pilot:
            await settle(pilot)
            due, top = app.screen.query_one("#due"), app.screen.query_one("#top")
            return (due.display and due.region.height > 3, len(due.rows),
                    top.display and top.region.height > 3, len(top.rows))

    due_shown, due_rows, top_shown, top_rows = run(go())
    assert due_shown and top_shown
    assert due_rows > 0 and top_rows > 0


def test_edit_with_rows_marked_says_which_record_it_edits(store):
    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("VirtualTable")
            await pilot.press("space", "space")  # marks two rows; the cursor moves on
            await settle(pilot)
            current = table.current.id
            await pilot.press("e")
            await settle(pilot)
            said = [n.message for n in app._notifications]
            return current, type(app.screen).__name__, said

    current, screen, said = run(go())
    assert screen == "FormScreen"
    assert any(f"Editing lead {current}, the row under the cursor" in m and "2 marked" in m
               and "t (tag)" in m and "m (stage)" not in m for m in said), said


def test_a_sections_key_again_returns_to_its_list(store):
    """In Leads with a record page (or the deal a conversion opened) on top, 3 shows the
    leads list again, as a tab pressed twice does; other sections keep their place."""
    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            lead_id = app.screen.query_one("VirtualTable").current.id
            app.open_record("lead", lead_id)
            await settle(pilot)
            app.open_record("opportunity", 1)
            await settle(pilot)
            before = type(app.screen).__name__
            await pilot.press("6")
            await settle(pilot)
            await pilot.press("3")  # back to the section: its place is kept
            await settle(pilot)
            kept = type(app.screen).__name__
            await pilot.press("3")  # the key again: the list
            await settle(pilot)
            return before, kept, type(app.screen).__name__, len(app.screen_stack)

    before, kept, after, depth = run(go())
    assert before == kept == "RecordScreen"
    assert after != "RecordScreen" and depth == 1


def test_a_view_about_me_says_when_nobody_is_set(store, monkeypatch):
    """'My new leads' without a configured user showed everyone's leads under 'owner:@me'."""
    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            screen.apply(filters={"owner": "@me", "status": "new"}, view="My new leads")
            await settle(pilot)
            chips, said = screen._chips().plain, [n.message for n in app._notifications]
            monkeypatch.setenv("CRMTUI_USER", "ada")
            return chips, said, screen._chips().plain

    chips, said, with_user = run(go())
    assert "owner:@me (nobody set: everyone's)" in chips
    assert any("nobody is set" in m and "CRMTUI_USER" in m for m in said)
    assert "owner:@me" in with_user and "nobody set" not in with_user


def test_assign_owner_suggests_only_whom_it_accepts(store):
    """In team mode the bulk owner dialog offered inactive users, non-users and case
    duplicates (then refused them); it offers the active users."""
    from crmtui.domain import users

    with store.write() as s:
        users.add(s, "ada")
        users.add(s, "katherine")
        users.set_active(s, "katherine", False)

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("space", "o")
            await settle(pilot)
            return type(app.screen).__name__, list(app.screen.suggestions)

    screen, suggested = run(go())
    assert screen == "PromptDialog" and suggested == ["ada"]


# -- tasks --------------------------------------------------------------------------------

def test_add_a_task_then_complete_it_from_the_agenda(store):
    with store.read() as s:
        deal = s.scalars(select(Opportunity).join(Stage, Stage.id == Opportunity.stage_id)
                         .where(Stage.kind == "open").order_by(Opportunity.id)).first()
        deal_id = deal.id

    async def go():
        app = make_app(store, start="deals")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.open_record("opportunity", deal_id)
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            assert type(app.screen).__name__ == "LogDialog"
            await type_text(pilot, "Send the quote")
            due = app.screen.query_one("#due")
            due.value = "today 17:00"
            await settle(pilot)
            preview = str(app.screen.query_one("#preview").render())
            await pilot.press("enter")
            await settle(pilot)
            with store.read() as s:
                task = s.scalars(select(Activity).where(Activity.opportunity_id == deal_id,
                                                        Activity.subject == "Send the quote")).one()
                task_id = task.id
                assert task.kind == "task" and task.done_at is None
                assert task.due_at.isoformat().startswith("2026-03-16T17:00")
            await pilot.press("8")
            await settle(pilot)
            table = app.screen.query_one("VirtualTable")
            for _ in range(200):
                if table.current and table.current.id == task_id:
                    break
                await pilot.press("j")
                await settle(pilot, 1)
            assert table.current.id == task_id
            await pilot.press("x")
            await settle(pilot)
            return task_id, preview, [r.id for r in table.rows]

    task_id, preview, remaining = run(go())
    assert "due today 17:00" in preview
    assert task_id not in remaining  # the agenda refreshed
    with store.read() as s:
        task = s.get(Activity, task_id)
        assert task.done_at is not None
        assert s.get(Opportunity, deal_id).last_activity_at is not None


def test_snooze_from_the_agenda(store):
    async def go():
        app = make_app(store, start="agenda")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            row = app.screen.query_one("VirtualTable").current
            await pilot.press("z")
            await settle(pilot)
            field = app.screen.query_one("Input")
            field.value = "2026-03-20 10:00"
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            return row.id

    activity_id = run(go())
    with store.read() as s:
        assert s.get(Activity, activity_id).due_at.isoformat().startswith("2026-03-20T10:00")


# -- forms and conflicts ------------------------------------------------------------------

def _someone_else_edits(store, lead_id, **fields):
    """Another writer (as `crm lead edit` would) commits while the form is open."""
    from crmtui.domain import records

    with store.write() as s:
        records.update(s, "lead", lead_id, fields, source="cli")


def test_edit_conflict_shows_both_values_and_keeps_the_choice(store):
    with store.read() as s:
        lead = s.scalars(select(Lead).where(Lead.status == "working").order_by(Lead.id)).first()
        lead_id, version = lead.id, lead.version

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.edit_record("lead", lead_id)
            await settle(pilot)
            form = app.screen
            form.query_one("#in-company").value = "Mine Ltd"
            form.query_one("#in-title").value = "Head of Mine"
            _someone_else_edits(store, lead_id, company="Theirs Inc", city="Lisbon")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            conflict = app.screen
            assert type(conflict).__name__ == "ConflictScreen"
            rows = dict(conflict.rows)
            from tests.tui_helpers import screen_text

            shown = screen_text(app)
            await pilot.click("#mine-company")
            await pilot.click("#save")
            await settle(pilot)
            return rows, shown, type(app.screen).__name__

    rows, shown, after = run(go())
    assert rows == {"company": "both", "title": "mine-only", "city": "theirs-only"}
    assert "Mine Ltd" in shown and "Theirs Inc" in shown
    assert after == "ListScreen"
    with store.read() as s:
        lead = s.get(Lead, lead_id)
        assert (lead.company, lead.title, lead.city) == ("Mine Ltd", "Head of Mine", "Lisbon")
        assert lead.version == version + 2


def test_edit_conflict_keeps_theirs_unless_told(store):
    with store.read() as s:
        lead_id = s.scalars(select(Lead).order_by(Lead.id)).first().id

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.edit_record("lead", lead_id)
            await settle(pilot)
            app.screen.query_one("#in-company").value = "Mine Ltd"
            _someone_else_edits(store, lead_id, company="Theirs Inc")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.click("#save")  # nothing picked: their value stays
            await settle(pilot)

    run(go())
    with store.read() as s:
        assert s.get(Lead, lead_id).company == "Theirs Inc"


def test_form_validates_inline_with_the_domain_messages(store):
    async def go():
        app = make_app(store, start="deals")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.new_record("opportunity")
            await settle(pilot)
            form = app.screen
            form.query_one("#in-name").value = "Big one"
            form.query_one("#in-amount").value = "12.345"
            form.query_one("#in-close_date").value = "03/04/2026"
            await pilot.pause(0.4)
            await settle(pilot)
            messages = {n: str(form.query_one(f"#msg-{n}").render())
                        for n in ("amount", "close_date")}
            await pilot.press("ctrl+s")
            await settle(pilot)
            still = type(app.screen).__name__
            form.query_one("#in-amount").value = "12,345.50"
            form.query_one("#in-close_date").value = "2026-04-03"
            await pilot.press("ctrl+s")
            await settle(pilot)
            return messages, still, type(app.screen).__name__

    messages, still, after = run(go())
    assert "at most two decimal places" in messages["amount"]
    assert "could be day/month or month/day" in messages["close_date"]
    assert still == "FormScreen" and after == "ListScreen"
    with store.read() as s:
        opp = s.scalars(select(Opportunity).where(Opportunity.name == "Big one")).one()
        assert opp.amount_minor == 1_234_550


def test_an_invalid_value_stays_visible_on_one_line(store):
    from tests.tui_helpers import screen_text

    async def go():
        app = make_app(store, start="deals")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.new_record("opportunity")
            await settle(pilot)
            form = app.screen
            form.query_one("#in-amount").focus()
            await type_text(pilot, "12.345")
            await pilot.pause(0.4)
            await settle(pilot)
            amount = form.query_one("#in-amount")
            focused = (amount.has_class("-invalid"), amount.region.height,
                       amount.content_region.height)
            form.query_one("#in-name").focus()  # blurred, still invalid
            await settle(pilot)
            blurred = (amount.region.height, amount.content_region.height)
            row = form.query_one("#row-amount")
            return focused, blurred, row.has_class("-invalid"), screen_text(app)

    focused, blurred, row_marked, shown = run(go())
    assert focused == (True, 1, 1)
    assert blurred == (1, 1)
    assert row_marked
    line = next(line for line in shown.splitlines() if "Amount" in line)
    assert "12.345" in line  # what was typed is still on the screen, on the field's line


def test_a_write_by_another_process_never_touches_an_unsaved_form(store):
    with store.read() as s:
        lead_id = s.scalars(select(Lead).order_by(Lead.id)).first().id

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.edit_record("lead", lead_id)
            await settle(pilot)
            app.screen.query_one("#in-company").value = "Typed, not saved"
            _someone_else_edits(store, lead_id, city="Oslo")
            await pilot.pause(0.6)
            await settle(pilot)
            banner = str(app.screen.query_one("#banner").render())
            return app.screen.query_one("#in-company").value, banner

    value, banner = run(go())
    assert value == "Typed, not saved"
    assert "someone saved this record" in banner


# -- lists --------------------------------------------------------------------------------

def test_search_and_filter_a_list(store):
    with store.read() as s:
        target = s.scalars(select(Lead).order_by(Lead.id.desc()).limit(1)).one()
        last = target.last_name

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            await type_text(pilot, last)
            await pilot.pause(0.2)
            await settle(pilot)
            table = app.screen.query_one("VirtualTable")
            found = [r.id for r in table.rows]
            await pilot.press("enter")  # back to the table, search kept
            await pilot.press("f")
            await settle(pilot)
            app.screen.query_one("#f-status").value = "working"
            await pilot.click("#apply")
            await settle(pilot)
            narrowed = [r.id for r in table.rows]
            return found, narrowed, app.screen.search_text

    found, narrowed, search_text = run(go())
    assert search_text == last
    with store.read() as s:
        leads = {lead.id: lead for lead in s.scalars(select(Lead).where(Lead.id.in_(found)))}
        assert target.id in found
        assert all(last.lower() in (leads[i].last_name + " " + (leads[i].email or "")).lower()
                   for i in found)
        assert narrowed and set(narrowed) <= set(found)
        assert all(s.get(Lead, i).status == "working" for i in narrowed)


def test_saved_views_are_kept_private(store, crm_home):
    async def go():
        app = make_app(store, start="deals")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.screen.apply(filters={"status": "open", "owner": "ada"})
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await type_text(pilot, "Ada open")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("v")
            await settle(pilot)
            return [o.id for o in app.screen.query_one("OptionList")._options]

    options = run(go())
    assert "view:Ada open" in options
    assert "view:My open deals closing this month" in options
    path = crm_home / "filters.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = json.loads(path.read_text())["filters"]
    assert saved == [{"name": "Ada open", "entity": "opportunity",
                      "filters": {"status": "open", "owner": "ada"}, "sort": "id",
                      "descending": True}]


def test_bulk_assign_owner_and_tag(store):
    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("VirtualTable")
            marked = []
            for _ in range(3):
                marked.append(table.current.id)
                await pilot.press("space")
            await pilot.press("o")
            await settle(pilot)
            await type_text(pilot, "zoe")
            await pilot.press("enter")
            await settle(pilot)
            for _ in range(2):
                await pilot.press("space")
            await pilot.press("k", "k")
            await pilot.press("t")
            await settle(pilot)
            await type_text(pilot, "vip")
            await pilot.press("enter")
            await settle(pilot)
            return marked

    marked = run(go())
    with store.read() as s:
        for lead_id in marked:
            lead = s.get(Lead, lead_id)
            assert lead.owner == "zoe"
        logs = s.scalars(select(ChangeLog).where(ChangeLog.field == "owner",
                                                 ChangeLog.source == "app")).all()
        assert sorted(log.record_id for log in logs) == sorted(marked)
        tagged = s.scalars(select(Lead).where(Lead.tags.like("%vip%"))).all()
        assert len(tagged) == 2


def test_a_long_bulk_change_shows_how_far_it_got(store):
    from crmtui.screens.base import WorkProgress

    async def go():
        app = make_app(store, start="leads")
        posted = []
        post = app.post_message

        def spy(message):  # what the worker tells the app, in order
            if isinstance(message, WorkProgress):
                posted.append((message.verb, message.done, message.total))
            return post(message)

        app.post_message = spy
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+a")  # mark the page
            marked = len(app.screen.query_one("VirtualTable").marked)
            await pilot.press("o")
            await settle(pilot)
            await type_text(pilot, "zoe")
            await pilot.press("enter")
            for _ in range(1500):
                await pilot.pause(0.02)
                if posted and posted[-1][1] == posted[-1][2] and not app.busy:
                    break
            await settle(pilot)
            bar = app.screen.query_one("TopBar")
            after = bar.render().plain
            from_worker = list(posted)
            # the top bar shows a report while a write runs, and clears when it ends
            app.busy += 1
            app.post_message(WorkProgress("assigning", 5, marked))
            await settle(pilot)
            during = bar.render().plain
            app.busy -= 1
            await settle(pilot)
            return marked, from_worker, after, during, bar.render().plain

    marked, posted, after, during, end = run(go())
    assert marked >= 20
    assert posted[0][0] == "assigning" and posted[0][1] < posted[0][2] == marked  # at once
    assert posted[-1] == ("assigning", marked, marked)  # and at the end
    assert [done for _, done, _ in posted] == sorted(done for _, done, _ in posted)
    assert f"assigning 5/{marked}…" in during
    assert "assigning" not in after and "assigning" not in end
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Lead).where(Lead.owner == "zoe")) \
            >= marked


def test_bulk_delete_asks_first(store):
    with store.read() as s:
        total = s.scalar(select(func.count()).select_from(Contact))

    async def go():
        app = make_app(store, start="contacts")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("VirtualTable")
            first = table.current.id
            from crmtui.domain import activities

            with store.write() as s:  # something that depends on it, so detach is offered
                activities.add(s, "note", "depends on it", on=("contact", first))
            await pilot.press("D")
            await settle(pilot)
            asked = type(app.screen).__name__
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("D")
            await settle(pilot)
            await pilot.click("#choice-detach")
            await settle(pilot)
            return first, asked

    first, asked = run(go())
    assert asked == "ConfirmDialog"
    with store.read() as s:
        assert s.get(Contact, first) is None
        assert s.scalar(select(func.count()).select_from(Contact)) == total - 1


def test_delete_dialog_says_what_each_choice_does_in_words(store):
    """'1 activity, 1 converted lead', not '1 activities, 1 converted leads'; and that the
    converted lead is kept (only unlinked) even by 'Delete them too'."""
    async def go():
        app = make_app(store, start="contacts")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            contact_id = app.screen.query_one("VirtualTable").current.id
            from crmtui.domain import activities

            with store.write() as s:
                activities.add(s, "note", "depends on it", on=("contact", contact_id))
                lead = s.scalars(select(Lead).where(Lead.status == "new")).first()
                lead.status, lead.converted_contact_id = "converted", contact_id
            await pilot.press("D")
            await settle(pilot)
            body = app.screen.body.plain
            await pilot.press("escape")
            await settle(pilot)
            after_escape = [n.message for n in app._notifications]
            await pilot.press("D")
            await settle(pilot)
            await pilot.click("#choice-cascade")
            await settle(pilot)
            said = [n.message for n in app._notifications if n.message not in after_escape]
            return contact_id, body, said

    contact_id, body, said = run(go())
    assert any("deleted 1 contact; deleted its 1 activity and unlinked 1 converted lead "
               "(the lead is kept)" in m for m in said), said
    assert "It has 1 activity, 1 converted lead." in body
    assert ("Delete them too: delete its 1 activity and unlink 1 converted lead "
            "(the lead is kept).") in body
    assert "Keep them, unlinked: unlink its 1 activity, 1 converted lead (the lead is kept)." \
        in body
    with store.read() as s:  # escape deleted nothing; the choice deleted what it said
        assert s.get(Contact, contact_id) is None
        assert s.scalar(select(func.count()).select_from(Activity)
                        .where(Activity.contact_id == contact_id)) == 0
        assert s.scalars(select(Lead).where(Lead.converted_contact_id == contact_id)).first() \
            is None


def test_bulk_move_stage(store):
    async def go():
        app = make_app(store, start="deals")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.screen.apply(filters={"status": "open"})
            await settle(pilot)
            table = app.screen.query_one("VirtualTable")
            ids = [table.current.id]
            await pilot.press("space")
            ids.append(table.current.id)
            await pilot.press("space")
            await pilot.press("m")
            await settle(pilot)
            app.screen.dismiss("Negotiation")
            await settle(pilot)
            return ids

    ids = run(go())
    with store.read() as s:
        for deal_id in ids:
            assert s.get(Stage, s.get(Opportunity, deal_id).stage_id).name == "Negotiation"


def test_live_refresh_keeps_cursor_and_filter(store):
    from crmtui.domain import records

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            screen.apply(filters={"status": "new"})
            await settle(pilot)
            table = screen.query_one("VirtualTable")
            await pilot.press("j", "j", "j")
            cursor_id = table.current.id
            from crmtui.store.migrate import open_store

            other = open_store(str(store.path))  # another process's connection
            try:
                with other.write() as s:
                    new = records.create(s, "lead", {"first_name": "Fresh", "last_name": "Lead"},
                                         source="import")
                    new_id = new.id
            finally:
                other.close()
            await pilot.pause(0.6)
            await settle(pilot)
            return cursor_id, table.current.id, screen.filters, [r.id for r in table.rows], new_id

    before, after, filters, ids, new_id = run(go())
    assert before == after
    assert filters == {"status": "new"}
    assert new_id in ids  # the new lead (status new, newest first) shows up without a key


# -- navigation ---------------------------------------------------------------------------

def test_palette_goes_to_a_record_by_search(store):
    pytest.importorskip("crmtui.domain.search")
    from crmtui.domain import records

    with store.write() as s:
        account_id = records.create(s, "account", {"name": "Zyxwvut Quarries"}).id

    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await settle(pilot)
            await type_text(pilot, "zyxwv")
            await pilot.pause(0.5)
            await settle(pilot)
            await pilot.press("down", "enter")
            await settle(pilot)
            screen = app.screen
            return type(screen).__name__, getattr(screen, "entity", None), \
                getattr(screen, "record_id", None)

    assert run(go()) == ("RecordScreen", "account", account_id)


def test_palette_runs_actions(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await type_text(pilot, "go to board")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            return app.current_mode

    assert run(go()) == "board"


def test_every_section_by_number_and_escape_goes_back(store):
    async def go():
        app = make_app(store)
        seen = []
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for key in "234567891":
                await pilot.press(key)
                await settle(pilot, 1)
                seen.append(app.current_mode)
            await pilot.press("3")
            await settle(pilot, 1)
            await pilot.press("escape")
            await settle(pilot, 1)
            seen.append(app.current_mode)
            await pilot.press("question_mark")
            await settle(pilot, 1)
            seen.append(type(app.screen).__name__)
        return seen

    assert run(go()) == ["board", "leads", "accounts", "contacts", "deals", "activities",
                         "agenda", "reports", "dashboard", "dashboard", "KeysScreen"]


def test_dashboard_tiles_jump_to_their_lists(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.click("#t-stale")
            await settle(pilot)
            screen = app.screen
            rows = [r.id for r in screen.query_one("VirtualTable").rows]
            return app.current_mode, screen.filters, rows

    mode, filters, rows = run(go())
    assert mode == "deals" and filters == {"stale": True}
    from crmtui.domain import listing

    with store.read() as s:
        stale = set(s.scalars(select(Opportunity.id).where(listing.stale_condition(s))))
    assert rows and set(rows) <= stale


def test_dashboard_arrows_move_between_tiles(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            seen = [app.focused.id]
            for key in ("right", "l", "h", "left"):
                await pilot.press(key)
                seen.append(app.focused.id)
            await pilot.press("l", "enter")  # the win-rate tile
            await settle(pilot)
            return seen, app.current_mode, app.screen.view_name

    seen, mode, view = run(go())
    assert seen == ["t-forecast", "t-winrate", "t-tasks", "t-winrate", "t-forecast"]
    assert mode == "deals" and view == "Closed in the last 90 days"


def test_win_rate_tile_opens_the_deals_closed_in_its_90_days(store):
    from datetime import timedelta

    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            tile = str(app.screen.query_one("#t-winrate").render())
            await pilot.click("#t-winrate")
            await settle(pilot)
            screen = app.screen
            table = screen.query_one("VirtualTable")
            for _ in range(50):  # every row, not only the first screenful
                if table.at_end:
                    break
                await pilot.press("G")
                await settle(pilot)
            return app.current_mode, screen.filters, {r.id for r in table.rows}, tile

    mode, filters, rows, tile = run(go())
    start, end = (NOW.date() - timedelta(days=90)), NOW.date()
    assert mode == "deals"
    assert filters == {"status": "closed", "closed_after": start.isoformat(),
                       "closed_before": end.isoformat()}
    with store.read() as s:
        closed = s.scalars(select(Opportunity).join(Stage, Stage.id == Opportunity.stage_id)
                           .where(Stage.kind.in_(("won", "lost")))).all()
        slack = timedelta(days=1)  # the list counts local days
        recent = {o.id for o in closed
                  if start - slack <= o.closed_at.date() <= end + slack}
        older = {o.id for o in closed if o.closed_at.date() < start - slack}
    assert rows and rows <= recent
    assert older and not rows & older  # it used to open every closed deal
    if NOW.astimezone().utcoffset() == timedelta(0):  # local days are the report's UTC days
        import re

        won, lost = (int(n) for n in re.findall(r"(\d+) (?:won|lost)", tile)[:2])
        assert len(rows) == won + lost


def test_keymap_from_the_settings_file(store, crm_home):
    crm_home.mkdir(parents=True, exist_ok=True)
    (crm_home / "config.toml").write_text('[keys]\n"board.win" = "W"\n"nope.nothing" = "x"\n')

    async def go():
        app = make_app(store, start="board")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            _, card = first_card(app)
            await pilot.press("w")  # no longer bound
            await settle(pilot)
            unchanged = first_card(app)[1].id == card.id
            await pilot.press("W")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            return card.id, unchanged, app.keymap_problems

    deal_id, unchanged, problems = run(go())
    assert unchanged and problems == ["nope.nothing"]
    with store.read() as s:
        assert s.get(Stage, s.get(Opportunity, deal_id).stage_id).kind == "won"


def test_now_is_the_fixed_clock(store):
    """Sanity for the snapshots: the app's clock and the demo data agree."""
    app = make_app(store)
    assert app.clock.now() == NOW


def test_activities_list_searches_subject_and_body(store):
    with store.write() as s:
        target = s.scalars(select(Activity).order_by(Activity.id.desc()).limit(1)).one()
        target.body = "Talked about the Zanzibar rollout"
        target_id = target.id

    async def go():
        app = make_app(store, start="activities")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            keys = {b.binding.action for b in app.screen.active_bindings.values()
                    if b.binding.show}
            await pilot.press("slash")
            await type_text(pilot, "zanzib")
            await pilot.pause(0.2)
            await settle(pilot)
            found = [r.id for r in app.screen.query_one("VirtualTable").rows]
            return keys, found

    keys, found = run(go())
    assert "focus_search" in keys  # "/ Search" in the footer, as on the other lists
    assert found == [target_id]


def test_the_footer_keeps_the_main_keys_at_80_columns(store):
    from crmtui.widgets.footer import key_width

    wanted = {"board": {"Open", "Next stage", "Win", "Lose", "Pipeline"},
              "leads": {"Open", "Search", "Filter", "New", "Edit"},
              "activities": {"Search", "Filter", "New", "Edit", "Complete"},
              "agenda": {"Complete", "Snooze", "Edit"},
              "reports": {"Options"}, "deal": {"Edit", "Next", "Win", "Lose", "Task"}}

    async def footers(size):
        app = make_app(store)
        out = {}
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for section, key in (("board", "2"), ("leads", "3"), ("activities", "7"),
                                 ("agenda", "8"), ("reports", "9"), ("deal", "6")):
                await pilot.press(key)
                await settle(pilot)
                if section == "deal":
                    await pilot.press("enter")
                    await settle(pilot)
                keys = list(app.screen.query("FooterKey"))
                out[section] = ({k.description for k in keys},
                                sum(key_width(k) + (2 if k.has_class("-command-palette") else 0)
                                    for k in keys))
        return out

    narrow, wide = run(footers((80, 24))), run(footers((200, 50)))
    for section, keys in wanted.items():
        shown, width = narrow[section]
        assert keys <= shown, (section, shown)
        assert width <= 80, (section, width, shown)
    assert {"Delete", "Mark", "Views"} <= wide["leads"][0] - narrow["leads"][0]
    assert "New deal" in wide["board"][0]
