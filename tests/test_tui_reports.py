"""The reports screen: pick a report, set its options, see the figures."""

from __future__ import annotations

import asyncio
import re

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


def test_reports_read_like_the_cli_and_the_chart_fills_the_pane_on_first_visit(store):
    async def go():
        app = make_app(store)
        shown = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("9")  # the first report, on the screen's first layout
            await settle(pilot)
            shown["pipeline"] = screen_text(app)
            for name in ("win-rate", "sources", "lost-reasons", "attainment"):
                await open_report(pilot, name)
                shown[name] = screen_text(app)
        return shown

    shown = run(go())
    pipeline = shown["pipeline"].splitlines()
    header = next(line for line in pipeline if "Stage" in line and "Deals" in line)
    assert "Pipeline by stage" not in header  # the headline has a line of its own
    bars = [line for line in pipeline if "█" in line]
    assert bars and max(line.count("█") for line in bars) > 50  # the pane's width, not 13
    win = shown["win-rate"]
    assert next(line for line in win.splitlines() if "Win rate" in line and "Lost" in line)
    sources = shown["sources"]
    assert "Qual %" in sources and "0.3052" not in sources
    assert any("%" in line and "referral" in line for line in sources.splitlines())
    lost = shown["lost-reasons"]
    assert "amount share" not in lost and "Of amount" in lost
    assert "100.0%" in lost and not re.search(r"\b0\.\d{2,4}\b", lost)  # shares as percents
    assert "has quotas" not in shown["attainment"] and "False" not in shown["attainment"]


def test_a_wide_table_scrolls_but_the_chart_fits_the_pane(store):
    async def go():
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("9")
            await settle(pilot)
            output = app.screen.query_one("#output")
            below = app.screen.query_one("#below")
            pane = app.screen.query_one("#result")
            return (output.size.width, below.size.width, pane.scrollable_content_region.width,
                    screen_text(app))

    table_w, chart_w, pane_w, shown = run(go())
    assert table_w > pane_w  # the pipeline table is wider than an 80-column pane: it scrolls
    assert chart_w <= pane_w
    bars = [line for line in shown.splitlines() if "█" in line]
    assert bars and all(re.search(r"█[▏▎▍▌▋▊▉]? +[\d,]+\.\d\d\b", line) for line in bars)
