"""The full-screen app: `crm`, `crm tui` and `crm demo` open it.

Sections (each a Textual mode with its own screen stack, so a list keeps its filter and
cursor while you look elsewhere): dashboard, board, the five lists, agenda, reports. Record
pages and forms stack on top of the section they were opened from; `esc` goes back.

The app adds no rule: every change goes through the domain layer in a worker thread, in one
short write transaction. A timer polls `PRAGMA data_version` (store.watch) twice a second and
tells the visible screen to refresh when anything was committed, by us or by another process.
"""

from __future__ import annotations

from typing import Iterable

from textual.app import App, SystemCommand
from textual.reactive import reactive
from textual.binding import Binding
from textual.command import Provider
from textual.screen import Screen

from crmtui.screens.base import StoreChanged
from crmtui.screens.present import Clock

SECTIONS = [
    ("dashboard", "1", "Dashboard", "Dash"),
    ("board", "2", "Board", "Board"),
    ("leads", "3", "Leads", "Leads"),
    ("accounts", "4", "Accounts", "Accts"),
    ("contacts", "5", "Contacts", "Cont"),
    ("deals", "6", "Deals", "Deals"),
    ("activities", "7", "Activities", "Acts"),
    ("agenda", "8", "Agenda", "Agenda"),
    ("reports", "9", "Reports", "Rep"),
]
ENTITY_SECTION = {"lead": "leads", "account": "accounts", "contact": "contacts",
                  "opportunity": "deals", "activity": "activities"}


def _list(entity: str):
    def make():
        from crmtui.screens.lists import ListScreen

        return ListScreen(entity)
    return make


def _screen(module: str, name: str):
    def make():
        import importlib

        return getattr(importlib.import_module(f"crmtui.screens.{module}"), name)()
    return make


class RecordsProvider(Provider):
    """'Go to' any lead, account, contact or deal by what you type (full-text search)."""

    async def search(self, query: str):
        import asyncio

        from rich.text import Text

        from crmtui.errors import CrmError
        from crmtui.screens import present as p

        if not any(ch.isalnum() for ch in query):
            return
        app = self.app

        def find():
            from crmtui.domain.search import search_all

            with app.store.read() as s:
                return search_all(s, query, limit=12)

        try:
            hits = await asyncio.to_thread(find)
        except CrmError:
            return
        for rank, hit in enumerate(hits):
            label = Text(f"Go to {p.LABEL[hit.type].lower()}: ", style="dim", end="")
            label.append_text(p.t(hit.name, "bold", limit=50))
            if hit.detail:
                label.append("  ")
                label.append_text(p.t(hit.detail, "dim", limit=50))
            score = max(0.05, 0.9 - rank * 0.05)
            yield self._hit(score, label, hit)

    def _hit(self, score, label, hit):
        from textual.command import Hit

        app = self.app
        return Hit(score, label, lambda: app.open_record(hit.type, hit.id),
                   text=f"{hit.type} {hit.id}", help=f"{hit.type} {hit.id}")


class CrmApp(App):
    busy: reactive[int] = reactive(0)  # writes under way
    progress: reactive[str] = reactive("")  # how far the long one has got: "moving 120/400"

    TITLE = "crmtui"
    CSS_PATH = "app.tcss"
    MODES = {
        "dashboard": _screen("dashboard", "DashboardScreen"),
        "board": _screen("board", "BoardScreen"),
        "leads": _list("lead"),
        "accounts": _list("account"),
        "contacts": _list("contact"),
        "deals": _list("opportunity"),
        "activities": _list("activity"),
        "agenda": _screen("agenda", "AgendaScreen"),
        "reports": _screen("reports", "ReportsScreen"),
    }
    DEFAULT_MODE = "dashboard"
    COMMANDS = App.COMMANDS | {RecordsProvider}
    BINDINGS = [
        *[Binding(key, f"go('{name}')", label, show=False, id=f"go.{name}")
          for name, key, label, _ in SECTIONS],
        Binding("question_mark", "help", "Keys", id="app.help", show=False),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="app.reload"),
    ]

    def __init__(self, store, *, clock: Clock | None = None, poll_interval: float = 0.5,
                 start: str | None = None):
        if start is not None:
            self.DEFAULT_MODE = start  # the first section; no other is built until visited
        super().__init__()
        self.store = store
        self.clock = clock or Clock()
        self.poll_interval = poll_interval
        self.generation = 0
        self.watcher = None
        self.history: list[str] = []
        self.keymap_problems: list[str] = []
        self.mine = self._mine()

    def _mine(self) -> str | None:
        """Who "mine" is in team mode (lists and the agenda default to it), else None."""
        from crmtui.domain.users import mine_filter

        with self.store.read() as s:  # one indexed look-up before the first screen
            return mine_filter(s)

    # -- start and stop -------------------------------------------------------------------
    def on_mount(self) -> None:
        from crmtui.store.watch import Watcher

        self._apply_settings()
        self.watcher = Watcher(self.store)
        if self.watcher.supported and self.poll_interval:
            self.set_interval(self.poll_interval, self.poll)
        self.switch_mode(self.DEFAULT_MODE)

    def _apply_settings(self) -> None:
        from crmtui import config
        from crmtui.errors import CrmError

        try:
            theme = config.get("theme")
            keys = config.get("keys") or {}
        except CrmError as exc:
            self.notify(f"{exc.message}\n{exc.hint or ''}", severity="error", markup=False)
            return
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self.notify(f"settings: unknown theme {theme!r}", severity="warning",
                            markup=False)
        if not isinstance(keys, dict):
            self.notify("settings: [keys] must be a table of binding id = \"key\"",
                        severity="warning", markup=False)
            return
        known = {b.id for b in all_bindings() if b.id}
        good = {k: str(v) for k, v in keys.items() if k in known and isinstance(v, str)}
        bad = sorted(set(keys) - set(good))
        if bad:
            self.keymap_problems = bad
            self.notify("settings [keys]: unknown binding ids " + ", ".join(bad)
                        + " (press ? to see the ids)", severity="warning", markup=False,
                        timeout=10)
        if good:
            self.set_keymap(good)

    def watch_busy(self, busy: int) -> None:
        from crmtui.widgets.topbar import TopBar

        if not busy:
            self.progress = ""
        for screen in self.screen_stack:
            for bar in screen.query(TopBar):
                bar.busy = busy > 0

    def watch_progress(self, progress: str) -> None:
        from crmtui.widgets.topbar import TopBar

        for screen in self.screen_stack:
            for bar in screen.query(TopBar):
                bar.progress = progress

    def on_work_progress(self, message) -> None:
        if self.busy:  # a report that arrives after the work finished says nothing
            self.progress = f"{message.verb} {message.done:,}/{message.total:,}"

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.close()

    # -- the store changed ----------------------------------------------------------------
    def poll(self) -> None:
        if self.watcher is not None and self.watcher.changed():
            self.generation += 1
            self.screen.post_message(StoreChanged())

    def note_own_write(self) -> None:
        """After our own write: every screen is stale; the writer reloads itself, so the
        watcher's news of the same commit is taken here rather than reloading twice."""
        self.generation += 1
        if self.watcher is not None:
            self.watcher.changed()

    def action_reload(self) -> None:
        self.generation += 1
        self.screen.post_message(StoreChanged())

    # -- navigation -----------------------------------------------------------------------
    def sections(self):
        return SECTIONS

    def status_text(self) -> str:
        path = self.store.path
        name = path.name if path is not None else self.store.dialect
        from crmtui import config

        try:
            user = config.user()
        except Exception:
            user = None
        from crmtui.textsafe import visible

        return visible(name, limit=30) + (f" · {visible(user, limit=20)}" if user else "")

    def go(self, section: str) -> None:
        if section == self.current_mode:
            self._to_section_root()
            return
        self.history.append(self.current_mode)
        del self.history[:-20]
        self.switch_mode(section)

    def _to_section_root(self) -> None:
        """The section's key again: back to its own screen (a lead's section may be showing
        the deal its conversion made), past record pages; never past a form being edited."""
        from crmtui.screens.record import RecordScreen

        while len(self.screen_stack) > 1 and isinstance(self.screen, RecordScreen):
            self.pop_screen()

    def action_go(self, section: str) -> None:
        self.go(section)

    def back(self) -> None:
        """esc on a section: the section you came from."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
            return
        while self.history:
            section = self.history.pop()
            if section != self.current_mode:
                self.switch_mode(section)
                return

    def section_screen(self, section: str):
        self.go(section)
        return self.screen_stack[0]

    def show_list(self, entity: str, filters: dict, *, view: str | None = None,
                  sort: str | None = None, descending: bool | None = None) -> None:
        screen = self.section_screen(ENTITY_SECTION[entity])
        if getattr(screen, "is_mounted", False) and screen.query("#table"):
            screen.apply(filters=filters, view=view, sort=sort, descending=descending)
        else:
            screen.filters = dict(filters)
            screen.view_name = view
            if sort:
                screen.sort = sort
            if descending is not None:
                screen.descending = descending

    def open_record(self, entity: str, record_id: int) -> None:
        from crmtui.screens.record import RecordScreen

        self.push_screen(RecordScreen(entity, record_id))

    def new_record(self, entity: str, preset: dict | None = None, after=None) -> None:
        from crmtui.screens.form import FormScreen

        def done(record_id):
            if record_id is not None and after is not None:
                after(record_id)

        self.push_screen(FormScreen(entity, None, preset=preset), done)

    def edit_record(self, entity: str, record_id: int, after=None) -> None:
        from crmtui.screens.form import FormScreen

        def done(result):
            if result is not None and after is not None:
                after(result)

        self.push_screen(FormScreen(entity, record_id), done)

    def snooze(self, activity_id: int, after=None) -> None:
        from crmtui.screens.actions import snooze

        snooze(self.screen, activity_id, after)

    def action_help(self) -> None:
        from crmtui.screens.help import KeysScreen

        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(self.screen))

    async def action_quit(self) -> None:
        from crmtui.screens.dialogs import ConfirmDialog
        from crmtui.screens.form import FormScreen

        dirty = [s for stack in self._screen_stacks.values() for s in stack
                 if isinstance(s, FormScreen) and s.dirty()]
        if not dirty:
            self.exit()
            return

        def done(choice):
            if choice == "quit":
                self.exit()

        self.push_screen(ConfirmDialog("Quit?", f"{len(dirty)} form(s) have unsaved changes.",
                                       [("quit", "Quit without saving", "error")]), done)

    # -- the command palette --------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for name, key, label, _ in SECTIONS:
            yield SystemCommand(f"Go to {label}", f"Section {label} (key {key})",
                                lambda name=name: self.go(name))
        for entity, noun in (("lead", "lead"), ("account", "account"), ("contact", "contact"),
                             ("opportunity", "deal"), ("activity", "activity or task")):
            yield SystemCommand(f"New {noun}", f"Open an empty {noun} form",
                                lambda entity=entity: self.new_record(entity))
        seen = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or binding.system:
                continue
            if binding.action.startswith("go(") or binding.action in ("quit", "help",
                                                                      "command_palette"):
                continue
            seen.add(binding.action)
            if not active.enabled:
                continue
            node = active.node
            display = self.get_key_display(binding)
            # the footer's word is short; a tooltip, when given, says it in full
            yield SystemCommand(binding.tooltip or binding.description, f"key {display}",
                                lambda node=node, action=binding.action:
                                self.call_later(self.run_action, action, node))
        yield SystemCommand("Keys", "Show every key and its binding id (key ?)", self.action_help)
        yield SystemCommand("Reload", "Read everything on screen again (ctrl+r)",
                            self.action_reload)
        yield from super().get_system_commands(screen)


def all_bindings():
    """Every binding the app defines (for keymap checks and the key map screen)."""
    from crmtui.screens import agenda, board, dashboard, form, lists, record, reports
    from crmtui.widgets.vtable import VirtualTable

    classes = [CrmApp, dashboard.DashboardScreen, board.BoardScreen, lists.ListScreen,
               record.RecordScreen, form.FormScreen, agenda.AgendaScreen, reports.ReportsScreen,
               VirtualTable]
    from crmtui.widgets.board import Board

    classes.append(Board)
    out = []
    for cls in classes:
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding):
                out.append(binding)
    return out


def run(db: str | None = None) -> None:
    from crmtui.store.migrate import open_store

    store = open_store(db, create=False)
    try:
        CrmApp(store).run()
    finally:
        store.close()
