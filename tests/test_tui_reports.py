"""The reports screen: pick a report, set its options, see the figures."""

from __future__ import annotations

import asyncio

import pytest

from tests.tui_helpers import demo_store_fixtures, make_app, screen_text, settle, type_text

pytestmark = pytest.mark.sqlite_only

demo_template, store = demo_store_fixtures()


def run(coro):
    return asyncio.run(coro)


async def open_report(pilot, name: str) -> None:
    from crmtui.reports import REPORTS

    app = pilot.app
    await pilot.press("9")
    await settle(pilot)
    app.screen.query_one("#reports").highlighted = list(REPORTS).index(name)
    await settle(pilot)


def test_options_dialog_reruns_the_report_and_shows_bad_values(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_report(pilot, "win-rate")
            reports = app.screen
            await pilot.press("o")
            await settle(pilot)
            assert type(app.screen).__name__ == "OptionsDialog"
            await type_text(pilot, "2026-13-45")  # the From input has the focus
            await pilot.press("enter")
            await settle(pilot)
            bad = (type(app.screen).__name__, str(app.screen.query_one("#error").render()))
            app.screen.query_one("#o-date_from").value = "2026-07-01"
            app.screen.query_one("#o-date_to").value = "2026-06-01"
            await pilot.press("enter")
            await settle(pilot)
            reversed_range = (type(app.screen).__name__,
                              str(app.screen.query_one("#error").render()))
            app.screen.query_one("#o-date_to").value = ""
            app.screen.query_one("#o-date_from").focus()
            await pilot.press("enter")
            await settle(pilot)
            return (bad, reversed_range, type(app.screen).__name__, reports.values,
                    str(reports.query_one("#about").render()), screen_text(app))

    bad, reversed_range, after, values, about, shown = run(go())
    assert bad[0] == "OptionsDialog" and "2026-13-45" in bad[1]
    assert reversed_range[0] == "OptionsDialog" and reversed_range[1].strip()
    assert after == "ReportsScreen"
    assert values["win-rate"]["date_from"] == "2026-07-01"
    assert "From: 2026-07-01" in about
    assert "running…" not in shown
