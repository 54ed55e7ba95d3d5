"""The agenda: open tasks and planned activities, overdue first, then today, then upcoming.

The same local-day groups as `crm agenda` (`activities.agenda`), paged by keyset like the lists
so that years of overdue tasks do not load at once. `x` completes, `z` snoozes, `enter` opens
the record the task is about.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from crmtui.domain import browse
from crmtui.domain.serialize import Names
from crmtui.screens import actions
from crmtui.screens import present as p
from crmtui.screens.base import CrmScreen
from crmtui.screens.rows import target_label
from crmtui.widgets.vtable import Column, Row, VirtualTable

COLUMNS = [
    Column("when", "When", 18),
    Column("kind", "Kind", 7, drop=2),
    Column("subject", "Subject", 16, flex=3),
    Column("on", "About", 14, flex=2, drop=1),
    Column("owner", "Owner", 9, drop=3),
]
HORIZONS = (7, 14, 30)
TARGETS = ("opportunity", "contact", "lead", "account")


def agenda_rows(s, objs, keys, clock: p.Clock, bounds: browse.AgendaBounds) -> list[Row]:
    names = Names(s)
    for ref in TARGETS:
        names.prefetch(ref, (getattr(o, f"{ref}_id") for o in objs))
    rows = []
    today = clock.today()
    for obj, key in zip(objs, keys):
        due = obj.due_at
        if due < bounds.start_today:
            late = (today - due.astimezone(clock.local_now().tzinfo).date()).days
            when = Text(f"overdue {late}d" if late else "overdue", style="bold red", end="")
        elif due < bounds.start_tomorrow:
            when = Text(p.when(due, clock), style="bold yellow", end="")
        else:
            local = due.astimezone(clock.local_now().tzinfo)
            when = Text(f"{local:%a %d %b %H:%M}", end="")
        target = next(((ref, getattr(obj, f"{ref}_id")) for ref in TARGETS
                       if getattr(obj, f"{ref}_id")), None)
        rows.append(Row(id=obj.id, anchor=key,
                        cells=(when, p.t(obj.kind, "dim"), p.t(obj.subject, "bold"),
                               target_label(obj, names), p.t(obj.owner)),
                        data={"target": target}))
    return rows


class AgendaScreen(CrmScreen):
    SECTION = "agenda"
    DEFAULT_CSS = """
    AgendaScreen #summary {
        height: 1;
        background: $boost;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("x,c", "complete", "Complete", id="agenda.complete"),
        Binding("z", "snooze", "Snooze", id="agenda.snooze"),
        Binding("e", "edit", "Edit", id="agenda.edit"),
        Binding("a", "activity", "Open task", id="agenda.task", show=False),
        Binding("o", "mine", "Only mine", id="agenda.mine", show=False),
        Binding("d", "horizon", "Days ahead", id="agenda.horizon"),
        Binding("escape", "back", "Back", id="agenda.back", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.days = HORIZONS[0]
        self.only_mine = None  # None: mine in team mode (decided when the app is known)
        self.counts: dict | None = None

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield Static("", id="summary")
        yield VirtualTable(COLUMNS, empty="Nothing due. Add tasks from a record page (t).",
                           markable=False, id="table")
        yield Static("", id="status")
        yield self.footer()

    @property
    def table(self) -> VirtualTable:
        return self.query_one(VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def filters(self) -> dict:
        out = {"status": "open"}
        if self.only_mine is None:
            self.only_mine = bool(self.crm.mine)
        if self.only_mine:
            from crmtui import config

            user = self.crm.mine or config.user()
            if user:
                out["owner"] = user
        return out

    def bounds(self) -> browse.AgendaBounds:
        return browse.agenda_bounds(self.crm.clock.local_now(), self.days)

    def _window(self, s, **kw):
        bounds = self.bounds()
        w = browse.window(s, "activity", self.filters(), sort="due", descending=False,
                          where=browse.due_between(None, bounds.end), **kw)
        return w, agenda_rows(s, w.rows, w.keys, self.crm.clock, bounds)

    def reload(self, keep: bool = True) -> None:
        table = self.table
        at_top = table.at_start and table.top == 0  # at the top: new items show up there
        anchor = table.rows[min(table.top, len(table.rows) - 1)].anchor \
            if keep and table.rows and not at_top else None
        cursor_id = table.current.id if keep and table.current else None
        line = table.cursor - table.top
        page = max(table.page_size, self.app.size.height)  # before layout the table is 0x0
        limit = page * (3 if keep and anchor is not None else 1) + 1

        def fetch(s):
            if anchor is None:
                return self._window(s, limit=limit), 0
            w = self._window(s, anchor=anchor, inclusive=True, limit=limit)
            before, capped = browse.count_before(
                s, "activity", self.filters(), anchor, sort="due",
                where=browse.due_between(None, self.bounds().end), cap=100_000)
            return w, None if capped else before

        def done(result):
            (w, rows), offset = result
            table.replace(rows, at_start=offset == 0, at_end=not w.more, offset=offset,
                          cursor_id=cursor_id, cursor_index=line, top_index=0)
            self.mark_loaded()
            self._status()

        self.read(fetch, done, group="agenda")
        self.read(self._counts, self._got_counts, group="agenda-counts")

    def _counts(self, s) -> dict:
        bounds = self.bounds()
        filters = self.filters()
        return {
            "overdue": browse.count(s, "activity", filters,
                                    where=browse.due_between(None, bounds.start_today)),
            "today": browse.count(s, "activity", filters,
                                  where=browse.due_between(bounds.start_today,
                                                           bounds.start_tomorrow)),
            "upcoming": browse.count(s, "activity", filters,
                                     where=browse.due_between(bounds.start_tomorrow, bounds.end)),
        }

    def _got_counts(self, counts: dict) -> None:
        self.counts = counts
        self._status()

    def _status(self) -> None:
        out = Text(end="")
        if self.counts:
            for key, label, style in (("overdue", "Overdue", "bold red"),
                                      ("today", "Today", "bold yellow"),
                                      ("upcoming", f"Next {self.days} days", "bold")):
                n, capped = self.counts[key]
                out.append(f"{label} ", style="dim")
                out.append(f"{n:,}{'+' if capped else ''}", style=style if n else "")
                out.append("   ")
        if self.only_mine:
            out.append("only mine", style="bold")
        self.query_one("#summary", Static).update(out)
        table = self.table
        self.query_one("#status", Static).update(
            Text(f"{table.position_label()} · enter opens the record it is about · "
                 f"x done · z snooze · d {'/'.join(map(str, HORIZONS))} days"))

    @on(VirtualTable.NeedRows)
    def _need_rows(self, message: VirtualTable.NeedRows) -> None:
        message.stop()
        table = self.table
        where, anchor, generation, limit = (message.where, message.anchor, message.generation,
                                            message.limit)

        def fetch(s):
            if where in ("first", "forward"):
                return self._window(s, anchor=anchor if where == "forward" else None,
                                    limit=limit)
            return self._window(s, anchor=anchor, backward=True, limit=limit)

        def done(result):
            w, rows = result
            if where == "forward":
                table.append(rows, at_end=not w.more, generation=generation)
            elif where == "backward":
                table.prepend(rows, at_start=not w.more, generation=generation)
            elif generation == table.generation:
                table.replace(rows, at_start=where == "first" or not w.more,
                              at_end=where == "last" or not w.more,
                              offset=0 if where == "first" else None,
                              cursor_index=0 if where == "first" else len(rows) - 1)
            self._status()

        self.read(fetch, done, group=f"agenda-{where}")

    @on(VirtualTable.CursorMoved)
    def _moved(self, message) -> None:
        self._status()

    @on(VirtualTable.Activated)
    def _activated(self, message: VirtualTable.Activated) -> None:
        target = message.row.data.get("target")
        if target:
            self.crm.open_record(*target)
        else:
            self.crm.open_record("activity", message.row.id)

    def action_complete(self) -> None:
        row = self.table.current
        if row is not None:
            actions.complete(self, row.id, after=self.reload)

    def action_snooze(self) -> None:
        row = self.table.current
        if row is not None:
            actions.snooze(self, row.id, after=self.reload)

    def action_edit(self) -> None:
        row = self.table.current
        if row is not None:
            self.crm.edit_record("activity", row.id, after=lambda _: self.reload())

    def action_activity(self) -> None:
        row = self.table.current
        if row is not None:
            self.crm.open_record("activity", row.id)

    def action_horizon(self) -> None:
        self.days = HORIZONS[(HORIZONS.index(self.days) + 1) % len(HORIZONS)]
        self.reload(keep=False)

    def action_mine(self) -> None:
        from crmtui import config

        if not config.user():
            self.say("set `user = \"you\"` in config.toml (or CRMTUI_USER) to see only your tasks")
            return
        self.only_mine = not self.only_mine
        self.reload(keep=False)

    def action_back(self) -> None:
        self.crm.back()
