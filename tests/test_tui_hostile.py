"""Every screen renders hostile store text literally: no markup, no actions, no control bytes.

DESIGN.md 5.5: names like `[@click=app.quit]x[/]`, `[link=file:///etc/passwd]y[/link]`,
`Acme [/] Corp` or strings holding ESC/OSC/CSI or C1 bytes must display as typed, never
crash, never fire an action and never reach the terminal as control sequences.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from crmtui.textsafe import visible
from tests.tui_helpers import NOW, freeze, make_app, screen_text, settle

pytestmark = pytest.mark.sqlite_only

CLICK = "[@click=app.quit]x[/]"
LINK = "[link=file:///etc/passwd]y[/link]"
SLASH = "Acme [/] Corp"
ESCAPES = "red\x1b[31m\x1b]8;;http://evil.example\x07osc\x1b]8;;\x07\x9b1mC1\x07bel\u202eevil"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(store, monkeypatch):
    """A store where every name a screen shows is hostile."""
    from crmtui.domain import activities, opportunities, pipelines, records

    freeze(monkeypatch)
    ids = {}
    with store.write() as s:
        pipelines.add_stage(s, None, CLICK, position=2, probability=30)
        account = records.create(s, "account", {"name": SLASH, "industry": LINK, "city": ESCAPES,
                                                "owner": CLICK, "notes": ESCAPES + "\n" + LINK})
        contact = records.create(s, "contact", {"first_name": CLICK, "last_name": ESCAPES,
                                                "account": account.id, "title": LINK})
        lead = records.create(s, "lead", {"first_name": LINK, "last_name": CLICK,
                                          "company": ESCAPES, "source": SLASH, "tags": CLICK,
                                          "email": "evil@example.com"})
        deal = records.create(s, "opportunity", {"name": CLICK + " " + ESCAPES,
                                                 "account": account.id, "contact": contact.id,
                                                 "amount": "1000", "next_step": LINK,
                                                 "close_date": "2026-03-01", "owner": LINK})
        lost = records.create(s, "opportunity", {"name": LINK, "account": account.id})
        opportunities.lose(s, lost.id, CLICK + ESCAPES)
        task = activities.add(s, "task", CLICK + ESCAPES, on=("opportunity", deal.id),
                              body=LINK, due=NOW + timedelta(hours=1), owner=SLASH)
        activities.add(s, "call", SLASH, on=("lead", lead.id), body=ESCAPES)
        ids.update(account=account.id, contact=contact.id, lead=lead.id, opportunity=deal.id,
                   activity=task.id, lost=lost.id)
    return ids


def check_screen(app, where: str, *, expect: tuple[str, ...] = ()) -> None:
    assert app.is_running and app.return_value is None, f"{where}: the app quit"
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            assert not UNSAFE.search(segment.text), f"{where}: control bytes {segment.text!r}"
            style = segment.style
            if style is not None:
                assert not style.link, f"{where}: a link reached the terminal: {style.link}"
                meta = style.meta or {}
                assert "@click" not in meta, f"{where}: an action in {segment.text!r}"
    text = screen_text(app)
    for literal in expect:
        assert literal in text, f"{where}: {literal!r} not shown literally\n{text}"


def test_every_screen_renders_hostile_text_literally(store, hostile):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            check_screen(app, "dashboard", expect=(CLICK,))  # the hostile stage in the chart
            await pilot.click("#c-pipeline")  # clicking hostile text runs nothing
            await settle(pilot)
            check_screen(app, "board", expect=(CLICK,))
            await pilot.click("Board", offset=(5, 4))
            await settle(pilot)
            for key, section, expect in (("3", "leads", (LINK,)),
                                         ("4", "accounts", (SLASH,)),
                                         ("5", "contacts", (CLICK,)),
                                         ("6", "deals", (LINK,)),
                                         ("7", "activities", (SLASH,)),
                                         ("8", "agenda", (CLICK,)),
                                         ("9", "reports", (CLICK,))):
                await pilot.press(key)
                await settle(pilot)
                check_screen(app, section, expect=expect)
                await pilot.click(offset=(20, 4))
                await settle(pilot)
            for entity, expect in (("account", (SLASH, LINK, visible(ESCAPES))),
                                   ("contact", (CLICK, LINK, SLASH)),
                                   ("lead", (LINK, CLICK, SLASH)),
                                   ("opportunity", (CLICK, LINK, SLASH)),
                                   ("activity", (LINK,))):
                app.open_record(entity, hostile[entity])
                await settle(pilot)
                check_screen(app, f"{entity} page", expect=expect)
                await pilot.click("#fields", offset=(30, 1))
                await settle(pilot)
                await pilot.press("e")
                await settle(pilot)
                check_screen(app, f"{entity} form")
                await pilot.press("escape")
                await settle(pilot)
                await pilot.press("escape")
                await settle(pilot)
            app.open_record("opportunity", hostile["lost"])
            await settle(pilot)
            check_screen(app, "lost deal", expect=(LINK, CLICK))
            await pilot.press("escape")
            app.open_record("opportunity", hostile["opportunity"])
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            check_screen(app, "lose dialog", expect=(CLICK,))
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("D")
            await settle(pilot)
            check_screen(app, "delete dialog", expect=(CLICK,))
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("ctrl+p")
            for ch in "acme":
                await pilot.press(ch)
            await pilot.pause(0.4)
            await settle(pilot)
            check_screen(app, "palette", expect=(SLASH,))
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            check_screen(app, "keys")
            await pilot.press("escape")
            await settle(pilot)
            assert app.is_running
            return True

    assert asyncio.run(go())


def test_hostile_conflict_dialog_and_notifications(store, hostile):
    from crmtui.domain import records

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            app.edit_record("lead", hostile["lead"])
            await settle(pilot)
            app.screen.query_one("#in-company").value = CLICK
            with store.write() as s:
                records.update(s, "lead", hostile["lead"], {"company": LINK + ESCAPES})
            await pilot.press("ctrl+s")
            await settle(pilot)
            check_screen(app, "conflict", expect=(CLICK, LINK))
            await pilot.press("escape")
            await settle(pilot)
            app.screen.say(CLICK + ESCAPES)  # a notification holding store text
            await settle(pilot)
            check_screen(app, "notification", expect=(CLICK,))
            return True

    assert asyncio.run(go())


def test_unchanged_hostile_values_are_not_rewritten_by_a_save(store, hostile):
    """The form shows control bytes as pictures; saving other fields leaves them intact."""
    from crmtui.store.models import Account

    async def go():
        app = make_app(store, start="accounts")
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            app.edit_record("account", hostile["account"])
            await settle(pilot)
            app.screen.query_one("#in-domain").value = "acme.example"
            await pilot.press("ctrl+s")
            await settle(pilot)

    asyncio.run(go())
    with store.read() as s:
        account = s.get(Account, hostile["account"])
        assert account.city == ESCAPES and account.domain == "acme.example"
        assert account.notes == ESCAPES + "\n" + LINK
