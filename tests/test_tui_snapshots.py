"""Snapshots of the key screens on a fixed demo store, a fixed clock and a fixed size.

The demo data (seed 5, 120 leads) is generated for NOW, the app's clock is pinned to NOW and
the domain's clocks are frozen too, so the pictures do not change from day to day. Update
them after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report.
"""

from __future__ import annotations

import pytest

from tests.tui_helpers import copy_store, freeze, make_app, make_demo, settle

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def snapshot_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("snap") / "template.db"
    make_demo(path)
    return path


@pytest.fixture
def snap_store(snapshot_template, tmp_path, monkeypatch, crm_home):
    from crmtui.store.migrate import open_store

    freeze(monkeypatch)
    folder = tmp_path / "snap"
    folder.mkdir()
    store = open_store(str(copy_store(snapshot_template, folder / "demo.db")))
    yield store
    store.close()


def settled(*keys: str, before=None):
    async def run_before(pilot):
        await settle(pilot)
        if before is not None:
            before(pilot.app)
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        from textual.widgets import Input

        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await settle(pilot)
    return run_before


def test_dashboard(snap_compare, snap_store):
    app = make_app(snap_store, poll_interval=0)
    assert snap_compare(app, terminal_size=(100, 30), run_before=settled())


def test_board(snap_compare, snap_store):
    app = make_app(snap_store, start="board", poll_interval=0)
    assert snap_compare(app, terminal_size=(100, 30), run_before=settled("right", "j"))


def test_deals_list(snap_compare, snap_store):
    app = make_app(snap_store, start="deals", poll_interval=0)
    assert snap_compare(app, terminal_size=(100, 30), run_before=settled("j", "space", "j"))


def test_leads_list_at_80x24(snap_compare, snap_store):
    app = make_app(snap_store, start="leads", poll_interval=0)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled())


def test_deal_page(snap_compare, snap_store):
    app = make_app(snap_store, start="deals", poll_interval=0)
    assert snap_compare(app, terminal_size=(130, 36),
                        run_before=settled(before=lambda a: a.open_record("opportunity", 7)))


def test_edit_form(snap_compare, snap_store):
    app = make_app(snap_store, start="leads", poll_interval=0)
    assert snap_compare(app, terminal_size=(100, 30),
                        run_before=settled(before=lambda a: a.edit_record("lead", 3)))
