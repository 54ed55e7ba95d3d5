"""Shared pieces of the app tests: a fixed clock, a demo store, driving and reading the app."""

from __future__ import annotations

import io
import shutil
from datetime import datetime, timezone
from pathlib import Path

NOW = datetime(2026, 3, 16, 15, 0, tzinfo=timezone.utc)  # a Monday afternoon
SEED = 5
LEADS = 120


def freeze(monkeypatch, now: datetime = NOW) -> None:
    """Pin the domain's clocks (what the app does not pass a `now` to) to `now`."""
    from crmtui.domain import activities, dates, listing, opportunities

    monkeypatch.setattr(dates, "local_now", lambda: now.astimezone())
    monkeypatch.setattr(dates, "utcnow", lambda: now)
    for module in (listing, opportunities, activities):
        monkeypatch.setattr(module, "utcnow", lambda: now)


def make_demo(path: Path) -> None:
    from crmtui.domain import demo
    from crmtui.store.migrate import open_store

    store = open_store(str(path))
    try:
        demo.generate(store, seed=SEED, leads=LEADS, now=NOW)
    finally:
        store.close()


def demo_store_fixtures():
    """`demo_template` (one demo database per session) and `store` (a fresh copy per test,
    clocks frozen): `demo_template, store = demo_store_fixtures()` in a test module."""
    import pytest

    @pytest.fixture(scope="session")
    def demo_template(tmp_path_factory):
        path = tmp_path_factory.mktemp("demo") / "template.db"
        make_demo(path)
        return path

    @pytest.fixture
    def store(demo_template, tmp_path, monkeypatch, crm_home):
        from crmtui.store.migrate import open_store

        freeze(monkeypatch)
        s = open_store(str(copy_store(demo_template, tmp_path / "demo.db")))
        yield s
        s.close()

    return demo_template, store


def copy_store(template: Path, target: Path) -> Path:
    """A fresh copy of a closed template database (not a live store: a file copy is safe)."""
    shutil.copyfile(template, target)
    return target


def make_app(store, **kw):
    from crmtui.screens.app import CrmApp
    from crmtui.screens.present import Clock

    kw.setdefault("poll_interval", 0.2)
    return CrmApp(store, clock=Clock(NOW), **kw)


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their results paint (results may start more work: repeat)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def screen_text(app) -> str:
    """What the terminal shows, as plain text."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    console.print(update)
    return console.export_text()


def segments(app):
    """Every segment the screen would send to the terminal."""
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    from rich.console import Console

    console = Console(width=app.size[0], file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", legacy_windows=False)
    return list(console.render(update))
