"""The app on every backend (SQLite and PostgreSQL): lists, live refresh, mine/team."""

from __future__ import annotations

import asyncio

from crmtui.domain import records, users
from tests.tui_helpers import make_app, settle


def lead(store, name: str, owner: str | None = None) -> int:
    with store.write() as s:
        values = {"last_name": name}
        if owner:
            values["owner"] = owner
        return records.create(s, "lead", values).id


def shown_ids(app) -> list[int]:
    return [row.id for row in app.screen.table.rows]


def test_leads_list_refreshes_when_another_writer_commits(store):
    first = lead(store, "First")

    async def go():
        app = make_app(store, start="leads", poll_interval=0.1)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            before = shown_ids(app)
            added = lead(store, "Written elsewhere")  # another connection of the pool
            for _ in range(30):
                await asyncio.sleep(0.1)
                await settle(pilot, rounds=1)
                if added in shown_ids(app):
                    break
            return before, shown_ids(app), added

    before, after, added = asyncio.run(go())
    assert before == [first]
    assert added in after and first in after


def test_lists_show_mine_in_team_mode_and_t_switches_to_the_team(store, monkeypatch):
    with store.write() as s:
        users.add(s, "ada")
        users.add(s, "grace")
    mine = lead(store, "Mine", "ada")
    theirs = lead(store, "Theirs", "grace")
    monkeypatch.setenv("CRMTUI_USER", "ada")

    async def go():
        app = make_app(store, start="leads")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            only_mine = sorted(shown_ids(app))
            await pilot.press("T")
            await settle(pilot)
            team = sorted(shown_ids(app))
            return only_mine, team

    only_mine, team = asyncio.run(go())
    assert only_mine == [mine]
    assert team == sorted([mine, theirs])
