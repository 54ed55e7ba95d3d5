"""Lists of leads, accounts, contacts, deals and activities.

The table shows a window of the result and pages through the store by keyset as the cursor
moves (see `widgets.vtable`); a million rows open as fast as a thousand. The filter bar
searches as you type (full-text, every word a prefix); `f` opens every filter of the record
type, `v` the saved views, `s`/`S` sort. Marked rows (space) take bulk actions.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from crmtui.domain import browse, savedfilters
from crmtui.domain.listing import SORTS
from crmtui.screens import present as p
from crmtui.screens import rows as rowmod
from crmtui.screens.base import CrmScreen
from crmtui.screens import actions
from crmtui.screens.dialogs import PickDialog, PromptDialog
from crmtui.textsafe import visible
from crmtui.widgets.vtable import VirtualTable

SECTION = {"lead": "leads", "account": "accounts", "contact": "contacts",
           "opportunity": "deals", "activity": "activities"}
DEFAULT_SORT = {"lead": ("id", True), "account": ("id", True), "contact": ("id", True),
                "opportunity": ("id", True), "activity": ("id", True)}


SEARCH_HINT = {
    "lead": "search leads: name, email, company, phone, notes",
    "account": "search accounts: name, domain, city, phone, notes",
    "contact": "search contacts: name, email, phone, title, notes",
    "opportunity": "search deals: name, next step, notes",
    "activity": "search activities: subject, body",
}


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text or "")


class ListScreen(CrmScreen):
    DEFAULT_CSS = """
    ListScreen #filterbar {
        height: 1;
        background: $boost;
    }
    ListScreen #filterbar .prompt {
        width: 3;
        color: $text-accent;
        text-style: bold;
        padding-left: 1;
    }
    ListScreen #search {
        border: none;
        height: 1;
        width: 1fr;
        padding: 0;
        background: $boost;
    }
    ListScreen #search:focus {
        background: $surface;
    }
    ListScreen #chips {
        width: auto;
        max-width: 60%;
        color: $text-warning;
        padding-right: 1;
    }
    """

    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="list.search"),
        Binding("f", "filters", "Filter", id="list.filter"),
        Binding("v", "views", "Views", id="list.views"),
        Binding("s", "sort", "Sort", id="list.sort"),
        Binding("S", "reverse", "Reverse sort", id="list.reverse", show=False),
        Binding("n", "new", "New", id="list.new"),
        Binding("e", "edit", "Edit", id="list.edit"),
        Binding("o", "bulk_owner", "Owner", id="list.owner"),
        Binding("t", "bulk_tag", "Tag", id="list.tag"),
        Binding("m", "bulk_stage", "Move stage", id="list.stage"),
        Binding("c", "complete", "Complete", id="list.complete"),
        Binding("z", "snooze", "Snooze", id="list.snooze", show=False),
        Binding("D,delete", "bulk_delete", "Delete", id="list.delete"),
        Binding("ctrl+s", "save_view", "Save view", id="list.save_view", show=False),
        Binding("ctrl+a", "mark_page", "Mark page", id="list.mark_page", show=False),
        Binding("x", "clear_filters", "Clear filters", id="list.clear", show=False),
        Binding("T", "team", "Mine/team", id="list.team", show=False),
        Binding("escape", "back", "Back", id="list.back", show=False),
    ]

    def __init__(self, entity: str):
        super().__init__()
        self.entity = entity
        self.SECTION = SECTION[entity]
        sort, desc = DEFAULT_SORT[entity]
        self.sort = sort
        self.descending = desc
        self.filters: dict = {}
        self.team = False  # in team mode lists show the user's own records until T
        self.search_text = ""
        self.view_name: str | None = None
        self.total: tuple[int, bool] | None = None
        self._search_timer = None
        self.suggestions: dict[str, list[str]] = {}

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield self.top_bar()
        with Horizontal(id="filterbar"):
            yield Static("/", classes="prompt")
            yield Input(placeholder=SEARCH_HINT[self.entity], id="search")
            yield Static("", id="chips")
        table = VirtualTable(rowmod.COLUMNS[self.entity], empty=rowmod.EMPTY[self.entity][0],
                             id="table")
        table.sort_key = self.sort
        table.sort_descending = self.descending
        yield table
        yield Static("", id="status")
        yield self.footer()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#table", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.load()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "bulk_stage":
            return self.entity == "opportunity"
        if action in ("complete", "snooze"):
            return self.entity == "activity"
        if action == "bulk_tag":
            return self.entity != "activity"
        return True

    # -- what is shown --------------------------------------------------------------------
    def effective_filters(self) -> dict:
        out = savedfilters.resolve(self.filters, today=self.crm.clock.today())
        if self.crm.mine and not self.team and not out.get("owner"):
            out["owner"] = self.crm.mine
        if has_words(self.search_text):
            out["search"] = self.search_text
        return out

    def apply(self, *, filters: dict | None = None, sort: str | None = None,
              descending: bool | None = None, view: str | None = "") -> None:
        if filters is not None:
            self.filters = {k: v for k, v in filters.items() if v not in (None, "", False)}
        if sort is not None:
            self.sort = sort
        if descending is not None:
            self.descending = descending
        if view != "":
            self.view_name = view
            if view and self._unknown_me():
                self.say("This view is about you (@me), but nobody is set: it shows everyone's. "
                         "Set CRMTUI_USER or `user` in config.toml.")
        table = self.table
        table.sort_key = self.sort
        table.sort_descending = self.descending
        self.load()

    def _chips(self) -> Text:
        out = Text(end="")
        if self.crm.mine:
            out.append("team" if self.team else f"mine ({visible(self.crm.mine)})",
                       style="bold")
            out.append(" ")
        if self.view_name:
            out.append(visible(self.view_name), style="bold")
            out.append(" ")
        unknown_me = self._unknown_me()
        for name, value in self.filters.items():
            out.append(f"{name}", style="dim")
            out.append(":" if value is not True else "")
            if value is not True:
                out.append(visible(value, limit=20))
            if value == "@me" and unknown_me:
                out.append(" (nobody set: everyone's)", style="dim")
            out.append(" ")
        return out

    def _unknown_me(self) -> bool:
        return savedfilters.drops_me(self.filters)

    def _status(self) -> None:
        table = self.table
        noun = p.PLURAL[self.entity].lower()
        if self.total is None:
            count = "counting…"
        else:
            n, capped = self.total
            count = f"{n:,}+ {noun}" if capped else f"{n:,} {noun}"
        parts = [f"{table.position_label()} of {count}" if table.rows else count]
        sort_label = self.sort.replace("_", " ")
        parts.append(f"sort: {sort_label} {'▼' if self.descending else '▲'}")
        if table.marked:
            parts.append(f"{len(table.marked)} marked")
        if table.loading_rows:
            parts.append("loading…")
        self.query_one("#status", Static).update(Text("  ·  ".join(parts)))
        self.query_one("#chips", Static).update(self._chips())

    # -- fetching -------------------------------------------------------------------------
    def _window(self, s, filters: dict, sort: tuple[str, bool], *, anchor=None,
                inclusive=False, backward=False, limit=60):
        """Rows of the result (filters and sort as they were when the rows were asked for:
        this runs in a worker while the user may already be typing the next search)."""
        w = browse.window(s, self.entity, filters, sort=sort[0], descending=sort[1],
                          anchor=anchor, inclusive=inclusive, backward=backward, limit=limit)
        facts = p.facts(s, self.crm.clock)
        return w, rowmod.build(s, self.entity, w.rows, w.keys, facts)

    def load(self, *, keep: bool = False) -> None:
        """Fetch from the top (a new filter/sort) or, with `keep`, again around the view."""
        table = self.table
        anchor = None
        cursor_id = table.current.id if table.current else None
        at_top = table.at_start and table.top == 0
        if keep and table.rows and not at_top:  # scrolled down: stay on the same rows
            anchor = table.rows[min(table.top, len(table.rows) - 1)].anchor
        cursor_line = table.cursor - table.top
        # a screenful first (on a store bigger than memory each row may cost a disk read);
        # the table fetches more around it in the background once it is shown
        page = max(table.page_size, self.app.size.height)  # before layout the table is 0x0
        limit = page * (3 if keep else 1) + 1
        generation = table.generation
        table.loading_rows = True
        table.empty = rowmod.EMPTY[self.entity][1 if self.effective_filters() else 0]
        self._status()

        filters, sort = self.effective_filters(), (self.sort, self.descending)

        def fetch(s):
            if anchor is None:
                w, rows = self._window(s, filters, sort, limit=limit)
                return w, rows, 0
            w, rows = self._window(s, filters, sort, anchor=anchor, inclusive=True, limit=limit)
            before, capped = browse.count_before(s, self.entity, filters, anchor, sort=sort[0],
                                                 descending=sort[1], cap=100_000)
            return w, rows, (None if capped else before)

        def done(result):
            w, rows, offset = result
            if keep and table.generation != generation:
                return
            table.replace(rows, at_start=offset == 0, at_end=not w.more, offset=offset,
                          cursor_id=cursor_id if keep else None,
                          cursor_index=cursor_line if keep else 0, top_index=0)
            self._status()
            self.mark_loaded()
            # counted after the rows are shown, so the count never delays them
            self.read(lambda s: browse.count(s, self.entity, filters), self._got_total,
                      group="count")
            if not self.suggestions:
                self.read(self._suggestions, self._got_suggestions, group="suggest")

        if not keep:
            self.total = None
        self.read(fetch, done, group="load")

    def _got_total(self, total) -> None:
        self.total = total
        self._status()

    def reload(self) -> None:
        self.load(keep=True)

    @on(VirtualTable.NeedRows)
    def _need_rows(self, message: VirtualTable.NeedRows) -> None:
        message.stop()
        table = self.table
        where, anchor, generation, limit = (message.where, message.anchor, message.generation,
                                            message.limit)

        filters, sort = self.effective_filters(), (self.sort, self.descending)

        def fetch(s):
            if where == "forward":
                return self._window(s, filters, sort, anchor=anchor, limit=limit)
            if where == "backward":
                return self._window(s, filters, sort, anchor=anchor, backward=True, limit=limit)
            if where == "first":
                return self._window(s, filters, sort, limit=limit)
            w, rows = self._window(s, filters, sort, backward=True, limit=limit)  # last
            offset = None
            if rows:
                before, capped = browse.count_before(s, self.entity, filters, rows[0].anchor,
                                                     sort=sort[0], descending=sort[1],
                                                     cap=100_000)
                offset = None if capped else before
            return w, rows, offset

        def done(result):
            if where == "forward":
                w, rows = result
                table.append(rows, at_end=not w.more, generation=generation)
            elif where == "backward":
                w, rows = result
                table.prepend(rows, at_start=not w.more, generation=generation)
            elif where == "first":
                w, rows = result
                if generation == table.generation:
                    table.replace(rows, at_start=True, at_end=not w.more, offset=0)
            else:
                w, rows, offset = result
                if generation == table.generation:
                    table.replace(rows, at_start=not w.more, at_end=True, offset=offset,
                                  cursor_index=len(rows) - 1)
            self._status()

        self.read(fetch, done, group=f"rows-{where}",
                  error=lambda exc: (table.failed(where, generation), self.show_error(exc)))

    @on(VirtualTable.CursorMoved)
    def _cursor_moved(self, message: VirtualTable.CursorMoved) -> None:
        self._status()

    @on(VirtualTable.MarksChanged)
    def _marks_changed(self, message: VirtualTable.MarksChanged) -> None:
        self._status()

    @on(VirtualTable.Activated)
    def _activated(self, message: VirtualTable.Activated) -> None:
        self.crm.open_record(self.entity, message.row.id)

    @on(VirtualTable.SortClicked)
    def _sort_clicked(self, message: VirtualTable.SortClicked) -> None:
        sort = message.column.sort
        if sort == self.sort:
            self.apply(descending=not self.descending)
        else:
            self.apply(sort=sort, descending=False)

    # -- search ---------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.08, lambda: self._search(event.value))

    def _search(self, text: str) -> None:
        if text == self.search_text:
            return
        before = has_words(self.search_text)
        self.search_text = text
        if has_words(text) or before:
            self.load()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search(event.value)
        self.table.focus()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.focused is not None and self.focused.id == "search":
            event.stop()
            self.table.focus()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_back(self) -> None:
        table = self.table
        if table.marked:
            table.clear_marks()
            return
        if self.search_text:
            self.query_one("#search", Input).value = ""
            self._search("")
            return
        self.crm.back()

    def action_team(self) -> None:
        """Switch between my records and the whole team's (team mode only)."""
        if not self.crm.mine:
            self.notify("Not in team mode: every record is shown (see `crm user add`).")
            return
        self.team = not self.team
        self.load()

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.search_text = ""
        self.apply(filters={}, view=None)

    # -- filters, sorts, views ------------------------------------------------------------
    def _suggestions(self, s) -> dict[str, list[str]]:
        from crmtui.store.models import Stage, Pipeline
        from sqlalchemy import select

        from crmtui.domain import users

        owners = browse.distinct_values(s, self.entity, "owner")
        out = {"owner": ["@me"] + owners}
        out["assign"] = users.assignable(s, owners)
        if self.entity == "opportunity":
            out["stage"] = sorted({st.name for st in s.scalars(select(Stage))})
            out["pipeline"] = [pl.name for pl in s.scalars(select(Pipeline))]
        return out

    def _got_suggestions(self, suggestions) -> None:
        self.suggestions = suggestions

    def action_filters(self) -> None:
        from crmtui.screens.filterdialog import FilterDialog

        def done(result):
            if result is not None:
                self.apply(filters=result, view=None)

        self.app.push_screen(FilterDialog(self.entity, self.filters, self.suggestions), done)

    def action_sort(self) -> None:
        columns = [c for c in rowmod.COLUMNS[self.entity] if c.sort]
        names = {c.sort: c.label for c in columns}
        for key in ("created", "updated"):
            if key in SORTS[self.entity]:
                names[key] = f"{key.capitalize()} at"
        options = [(key, Text(label + ("  ✓" if key == self.sort else ""))) for key, label
                   in names.items()]

        def done(value):
            if value:
                self.apply(sort=value, descending=self.descending if value == self.sort else False)

        self.app.push_screen(PickDialog("Sort by", options, current=self.sort,
                                        help="S reverses the order"), done)

    def action_reverse(self) -> None:
        self.apply(descending=not self.descending)

    def action_views(self) -> None:
        try:
            views = savedfilters.all_for(self.entity)
        except Exception as exc:  # a damaged file: say so, offer nothing
            from crmtui.screens.base import translate

            self.show_error(translate(exc))
            return
        options = []
        for view in views:
            label = Text(visible(view.name), style="bold" if view.name == self.view_name else "")
            if view.builtin:
                label.append("  built-in", style="dim")
            options.append((f"view:{view.name}", label))
        options.append(("save", Text("Save the current filter as a view…", style="italic")))
        options.append(("delete", Text("Delete a saved view…", style="italic")))
        options.append(("none", Text("No view (clear filters)", style="italic")))
        by_name = {f"view:{v.name}": v for v in views}

        def done(choice):
            if choice is None:
                return
            if choice == "save":
                self.action_save_view()
            elif choice == "delete":
                self._delete_view([v for v in views if not v.builtin])
            elif choice == "none":
                self.action_clear_filters()
            else:
                view = by_name[choice]
                self.apply(filters=dict(view.filters), sort=view.sort, descending=view.descending,
                           view=view.name)

        self.app.push_screen(PickDialog(f"Views of {p.PLURAL[self.entity].lower()}", options),
                             done)

    def action_save_view(self) -> None:
        def done(name):
            if not name:
                return
            try:
                view = savedfilters.save(name, self.entity, self.filters, sort=self.sort,
                                         descending=self.descending)
            except Exception as exc:
                from crmtui.screens.base import translate

                self.show_error(translate(exc))
                return
            self.view_name = view.name
            self._status()
            self.say(f"saved view {view.name!r}")

        self.app.push_screen(PromptDialog(
            "Save view", "Name of this view (filters and sort; the search text is not saved):",
            self.view_name or "", placeholder=f"e.g. my {p.PLURAL[self.entity].lower()} "
            "this month"), done)

    def _delete_view(self, views) -> None:
        if not views:
            self.say("there are no saved views of your own")
            return

        def done(choice):
            if choice:
                try:
                    savedfilters.delete(choice, self.entity)
                except Exception as exc:
                    from crmtui.screens.base import translate

                    self.show_error(translate(exc))
                    return
                if self.view_name == choice:
                    self.view_name = None
                    self._status()
                self.say(f"deleted view {choice!r}")

        self.app.push_screen(PickDialog("Delete which view?",
                                        [(v.name, Text(visible(v.name))) for v in views]), done)

    # -- records --------------------------------------------------------------------------
    def action_new(self) -> None:
        self.crm.new_record(self.entity)

    def action_edit(self) -> None:
        row = self.table.current
        if row is None:
            return
        marked = len(self.table.marked)
        if marked and row.id not in self.table.marked or marked > 1:
            noun = p.LABEL[self.entity].lower()
            keys = ["o (owner)"] + (["t (tag)"] if self.check_action("bulk_tag", ()) else []) \
                + (["m (stage)"] if self.check_action("bulk_stage", ()) else [])
            self.say(f"Editing {noun} {row.id}, the row under the cursor: e edits one record. "
                     f"The {marked} marked take {', '.join(keys)} and D (delete).")
        self.crm.edit_record(self.entity, row.id)

    def action_mark_page(self) -> None:
        self.table.mark_visible()

    def _selection(self) -> list[int]:
        return [row.id for row in self.table.selection()]

    def _bulk(self, fn, verb: str, also: str = "") -> None:
        noun = p.LABEL[self.entity].lower()

        def done(result):
            self.table.clear_marks()
            self.say(result.summary(verb, noun) + also)
            self.load(keep=True)

        self.write(fn, done)

    def action_bulk_owner(self) -> None:
        from crmtui.domain import bulkops

        ids = self._selection()
        if not ids:
            return

        def done(owner):
            if owner:
                report = self.reporter("assigning")
                self._bulk(lambda s: bulkops.assign_owner(s, self.entity, ids, owner,
                                                          source="app", progress=report),
                           "assigned")

        self.app.push_screen(PromptDialog(
            "Assign owner", f"New owner of {self._count_label(ids)}:",
            suggestions=self.suggestions.get("assign", [])), done)

    def action_bulk_tag(self) -> None:
        from crmtui.domain import bulkops

        ids = self._selection()
        if not ids:
            return

        def done(tag):
            if tag:
                report = self.reporter("tagging")
                self._bulk(lambda s: bulkops.add_tag(s, self.entity, ids, tag, source="app",
                                                     progress=report), "tagged")

        self.app.push_screen(PromptDialog("Add tag", f"Tag to add to {self._count_label(ids)}:",
                                          placeholder="vip"), done)

    def action_bulk_stage(self) -> None:
        from crmtui.domain import bulkops

        ids = self._selection()
        if not ids:
            return

        def pick(names):
            def done(stage):
                if stage:
                    report = self.reporter("moving")
                    self._bulk(lambda s: bulkops.move_stage(s, ids, stage, source="app",
                                                            progress=report), "moved")
            self.app.push_screen(PickDialog(f"Move {self._count_label(ids)} to",
                                            [(n, Text(visible(n))) for n in names],
                                            help="to lose deals, open each and press l"), done)

        self.read(lambda s: bulkops.stage_names(s, ids), pick, group="stages")

    def action_bulk_delete(self) -> None:
        from crmtui.domain import bulkops

        ids = self._selection()
        if not ids:
            return
        noun = self._count_label(ids)

        report = self.reporter("deleting")

        def ask(related: dict):
            from crmtui.domain.records import describe_related

            def run(how):
                also = (f"; {describe_related(related, how, owners=len(ids), done=True)}"
                        if related else "")
                self._bulk(lambda s: bulkops.delete_many(s, self.entity, ids, related=how,
                                                         source="app", progress=report),
                           "deleted", also)

            actions.confirm_delete(self, Text(f"Delete {noun}?"), related, len(ids), run)

        self.read(lambda s: bulkops.delete_preview(s, self.entity, ids), ask, group="preview")

    def _count_label(self, ids: list[int]) -> str:
        noun = p.LABEL[self.entity].lower()
        if len(ids) == 1:
            row = self.table.current if not self.table.marked else next(iter(self.table.marked.values()))
            name = row.cells[1].plain if row is not None and len(row.cells) > 1 else ""
            return f"{noun} {ids[0]} ({name})" if name else f"{noun} {ids[0]}"
        return f"{len(ids)} {noun}s"

    # -- activities -----------------------------------------------------------------------
    def action_complete(self) -> None:
        from crmtui.domain import activities

        ids = self._selection()
        if not ids:
            return

        report = self.reporter("completing")

        def run(s):
            for n, activity_id in enumerate(ids, start=1):
                activities.complete(s, activity_id, source="app")
                report(n, len(ids))
            return len(ids)

        def done(n):
            self.table.clear_marks()
            self.say(f"completed {n} activit{'y' if n == 1 else 'ies'}")
            self.load(keep=True)

        self.write(run, done)

    def action_snooze(self) -> None:
        row = self.table.current
        if row is not None:
            self.crm.snooze(row.id, after=lambda: self.load(keep=True))
