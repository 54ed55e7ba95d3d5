"""What every screen of the app shares: background work, errors, refresh on store changes.

Screens never touch the store on the UI thread. `read`/`write` run a function with a session
in a worker thread and hand its (plain) result back to the UI thread; a write is one short
`store.write()` transaction (BEGIN IMMEDIATE), never held across user input. Errors from the
domain are shown with their message and hint, as the CLI prints them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, get_current_worker

from crmtui.errors import CrmError, StoreError
from crmtui.textsafe import visible

if TYPE_CHECKING:
    from crmtui.screens.app import CrmApp


class StoreChanged(Message):
    """Something was committed to the store (by us or by another process)."""


class WorkProgress(Message):
    """How far a long write has got (posted from its worker thread; the top bar shows it)."""

    def __init__(self, verb: str, done: int, total: int):
        super().__init__()
        self.verb = verb
        self.done = done
        self.total = total


def translate(exc: Exception) -> CrmError:
    """Driver errors as something a person can act on."""
    if isinstance(exc, CrmError):
        return exc
    text = str(getattr(exc, "orig", exc))
    if "locked" in text or "busy" in text:
        return StoreError(f"the database stayed busy too long: {text}",
                          hint="another program holds a long write; try again")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the database cannot be written: {text}")
    return StoreError(f"unexpected error: {type(exc).__name__}: {text}",
                      hint="nothing was saved; see `crm db check`")


def error_text(exc: CrmError) -> str:
    message = visible(exc.message, multiline=True)
    if exc.hint:
        message += "\n" + visible(exc.hint, multiline=True)
    return message


class Work:
    """Mixin: run store work off the UI thread."""

    @property
    def crm(self) -> "CrmApp":
        return self.app  # type: ignore[return-value]

    def _in_worker(self, fn: Callable, done: Callable | None, error: Callable | None,
                   write: bool, always: bool) -> None:
        worker = get_current_worker()
        app = self.app
        store = app.store

        def deliver(callback, value):
            if callback is None or (worker.is_cancelled and not always):
                return
            try:
                app.call_from_thread(callback, value)
            except RuntimeError:  # the app has closed meanwhile
                pass

        try:
            with (store.write() if write else store.read()) as s:
                result = fn(s)
        except Exception as exc:  # every failure is shown, none crashes the app
            deliver(error or self.show_error, translate(exc))
            return
        if write:
            deliver(lambda _: app.note_own_write(), None)
        deliver(done, result)

    def read(self, fn: Callable[[Any], Any], done: Callable | None = None, *,
             group: str = "read", exclusive: bool = True, error: Callable | None = None) -> Worker:
        return self.run_worker(self._guarded(fn, done, error, False, False),
                               thread=True, group=group, exclusive=exclusive,
                               exit_on_error=False)

    def write(self, fn: Callable[[Any], Any], done: Callable | None = None, *,
              error: Callable | None = None) -> Worker:
        """Run `fn` in one write transaction; the top bar says "saving…" meanwhile."""
        app = self.app
        app.busy += 1

        def finish(callback):
            def run(value):
                app.busy -= 1
                if callback is not None:
                    callback(value)
            return run

        return self.run_worker(
            self._guarded(fn, finish(done), finish(error or self.show_error), True, True),
            thread=True, group="write", exclusive=False, exit_on_error=False)

    def _guarded(self, *args) -> Callable[[], None]:
        """The worker's body: a bug in the plumbing itself is shown, never swallowed by a
        worker that does not exit the app on error."""
        def job():
            try:
                self._in_worker(*args)
            except Exception as exc:
                try:
                    self.app.call_from_thread(self.show_error, translate(exc))
                except RuntimeError:
                    pass
        return job

    def reporter(self, verb: str, every: float = 0.1) -> Callable[[int, int], None]:
        """A `progress(done, total)` callback for domain code running in a worker: it tells
        the app (thread-safe, never blocking the work) at most every `every` seconds, and at
        the end."""
        from time import monotonic

        app = self.app
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = monotonic()
            if done < total and now - last[0] < every:
                return
            last[0] = now
            app.post_message(WorkProgress(verb, done, total))

        return report

    def show_error(self, exc: CrmError) -> None:
        self.app.notify(error_text(exc), title="Not done", severity="error", markup=False,
                        timeout=8)

    def say(self, text: str, *, title: str = "") -> None:
        self.app.notify(visible(text, multiline=True), title=title, markup=False)


class CrmScreen(Work, Screen):
    """A full screen of the app: top bar, content, footer; reloads when the store changes."""

    SECTION = ""  # the top bar entry this screen belongs to
    MIN_RELOAD_INTERVAL = 0.0  # heavy screens (reports) reload at most this often
    # `?` is the app's; bound here too so the footer shows it early, before screen keys
    BINDINGS = [Binding("question_mark", "app.help", "Keys", id="app.help")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen_generation = -1
        self._last_reload = 0.0
        self._reload_timer = None

    def top_bar(self):
        from crmtui.widgets.topbar import TopBar

        return TopBar(self.crm.sections(), current=self.SECTION, right=self.crm.status_text())

    def footer(self):
        from crmtui.widgets.footer import CrmFooter

        return CrmFooter()

    def reload(self) -> None:
        """Fetch what the screen shows again, keeping the cursor, filters and unsaved input."""

    def mark_loaded(self) -> None:
        self.seen_generation = self.crm.generation

    def on_store_changed(self, message: StoreChanged) -> None:
        if self.seen_generation >= self.crm.generation or self._reload_timer is not None:
            return
        from time import monotonic

        wait = self._last_reload + self.MIN_RELOAD_INTERVAL - monotonic()
        if wait > 0:  # a script writing continuously: refresh now and then, not constantly
            self._reload_timer = self.set_timer(wait, self._deferred_reload)
            return
        self._deferred_reload()

    def _deferred_reload(self) -> None:
        from time import monotonic

        self._reload_timer = None
        self._last_reload = monotonic()
        self.mark_loaded()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.seen_generation >= 0 and self.seen_generation < self.crm.generation:
            self.mark_loaded()
            self.reload()

    def on_top_bar_selected(self, message) -> None:
        self.crm.go(message.section)


class CrmModal(Work, ModalScreen):
    """A dialog: escape closes it without doing anything."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

