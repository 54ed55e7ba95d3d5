"""A record page: its fields, related records, the timeline, and quick actions.

Quick actions (log a call/email/meeting/note, add a task, convert a lead, move a deal, win or
lose it, edit) call the same domain functions as the CLI, with the version this page read,
so an action based on a stale page is refused rather than applied blindly.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crmtui.domain.fields import FIELDS
from crmtui.screens import actions
from crmtui.screens import present as p
from crmtui.screens.base import CrmScreen
from crmtui.textsafe import visible

SECTION_TITLES = {
    "contacts": "Contacts", "open_opportunities": "Open deals",
    "closed_opportunities": "Closed deals", "opportunities": "Deals",
    "open_tasks": "Open tasks", "recent_activities": "Recent activities",
}
SECTION_ENTITY = {"contacts": "contact", "open_opportunities": "opportunity",
                  "closed_opportunities": "opportunity", "opportunities": "opportunity",
                  "open_tasks": "activity", "recent_activities": "activity"}
HIDDEN = {"id", "version", "extra", "name"}
RIGHT_ALIGNED = {"amount", "weighted_amount", "revenue", "employees", "score", "probability"}


def load_page(s, entity: str, record_id: int, clock: p.Clock) -> dict:
    """Everything the page shows, as plain values (run in a worker)."""
    from crmtui.domain import records, refs, related
    from crmtui.domain.serialize import Names
    from crmtui.store.models import Stage

    obj = refs.get(s, entity, record_id)
    record = records.to_dict(s, entity, obj)
    extras = related.for_record(s, entity, obj)
    out = {"entity": entity, "record": record, "extras": extras, "version": obj.version,
           "name": refs.display_name(obj), "links": []}
    names = Names(s)
    if entity == "opportunity":
        from crmtui.domain import opportunities

        stage = s.get(Stage, obj.stage_id)
        out["stale"] = opportunities.stale_reasons(obj, stage, now=clock.now())
        out["overdue"] = opportunities.is_overdue(obj, stage, today=clock.today())
        out["stages"] = [(st.name, st.kind, st.id == obj.stage_id)
                         for st in refs.stages_of(s, obj.pipeline_id)]
        out["kind"] = stage.kind
        for ref in ("account", "contact"):
            rid = getattr(obj, f"{ref}_id")
            if rid:
                out["links"].append((ref, rid, names.name(ref, rid)))
    elif entity == "contact" and obj.account_id:
        out["links"].append(("account", obj.account_id, names.name("account", obj.account_id)))
    elif entity == "lead":
        out["status"] = obj.status
        for ref in ("account", "contact", "opportunity"):
            rid = getattr(obj, f"converted_{ref}_id")
            if rid:
                out["links"].append((ref, rid, names.name(ref, rid)))
    elif entity == "activity":
        out["done"] = obj.done_at is not None
        for ref in ("opportunity", "contact", "lead", "account"):
            rid = getattr(obj, f"{ref}_id")
            if rid:
                out["links"].append((ref, rid, names.name(ref, rid)))
    return out


def _when(value, clock: p.Clock) -> str:
    from datetime import datetime

    return p.when(datetime.fromisoformat(str(value).replace("Z", "+00:00")), clock)


def field_rows(entity: str, record: dict, clock: p.Clock) -> list[tuple[str, Text]]:
    rows: list[tuple[str, Text]] = []
    keys = [f.name for f in FIELDS[entity]]
    if entity == "opportunity":
        keys = ["account", "contact", "pipeline", "stage", "status", "amount", "currency",
                "probability", "weighted_amount", "close_date", "owner", "source", "next_step",
                "lost_reason", "closed_at", "stage_entered_at", "last_activity_at", "notes",
                "tags", "external_id"]
    elif entity == "lead":
        keys = ["first_name", "last_name", "status", "score", "email", "phone", "company",
                "title", "industry", "employees", "website", "city", "country", "source",
                "owner", "disqualify_reason", "converted_at", "last_activity_at", "notes",
                "tags", "external_id"]
    elif entity == "activity":
        keys = ["kind", "subject", "status", "on", "due", "done_at", "owner", "body",
                "external_id"]
    for key in keys:
        if key in HIDDEN or key not in record:
            continue
        value = record[key]
        label = key.replace("_", " ").capitalize()
        if key in ("amount", "weighted_amount", "revenue") and value is not None:
            from decimal import Decimal

            text = Text(f"{Decimal(value):,.2f}", end="")
        elif key == "probability" and value is not None:
            text = Text(f"{value}%")
        elif key in ("notes", "body"):
            text = p.tm(value)
        elif key in ("status",):
            text = p.status(value)
        elif value and (key.endswith("_at") or key == "due"):
            text = Text(_when(value, clock))
        else:
            text = p.t(value)
        if not text.plain:
            text = Text("—", style="dim")
        rows.append((label, text))
    for key, value in (record.get("extra") or {}).items():
        rows.append((f"{visible(key, limit=30)} (imported)", p.t(value)))
    rows.append(("Created", Text(_when(record["created_at"], clock), style="dim")))
    rows.append(("Updated", Text(f"{_when(record['updated_at'], clock)} · version "
                                 f"{record.get('version')}", style="dim")))
    return rows


class RecordScreen(CrmScreen):
    DEFAULT_CSS = """
    RecordScreen #title {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    RecordScreen #body {
        height: 1fr;
    }
    RecordScreen #fields {
        width: 1fr;
        border: round $primary 50%;
        border-title-color: $text-accent;
    }
    RecordScreen #side {
        width: 1fr;
    }
    RecordScreen #related, RecordScreen #timeline {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-accent;
        background: $surface;
    }
    RecordScreen #fields:focus-within, RecordScreen #related:focus, RecordScreen #timeline:focus {
        border: round $accent;
    }
    RecordScreen.-narrow #body {
        layout: vertical;
    }
    RecordScreen.-narrow #fields {
        width: 100%;
        height: 1fr;
    }
    RecordScreen.-narrow #side {
        width: 100%;
        height: 1fr;
        layout: horizontal;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="record.back"),
        Binding("e", "edit", "Edit", id="record.edit"),
        Binding("c", "log('call')", "Call", id="record.call", tooltip="Log a call"),
        Binding("m", "log('email')", "Email", id="record.email", tooltip="Log an email"),
        Binding("M", "log('meeting')", "Log meeting", id="record.meeting", show=False),
        Binding("n", "log('note')", "Note", id="record.note"),
        Binding("t", "task", "Task", id="record.task"),
        Binding("C", "convert", "Convert", id="record.convert"),
        Binding("S", "lead_status", "Status", id="record.status"),
        Binding("greater_than_sign,full_stop", "move(1)", "Next", id="record.next",
                tooltip="Next stage"),
        Binding("less_than_sign,comma", "move(-1)", "Prev stage", id="record.prev",
                show=False),
        Binding("s", "stage", "Stage", id="record.stage", show=False),
        Binding("w", "win", "Win", id="record.win"),
        Binding("l", "lose", "Lose", id="record.lose"),
        Binding("R", "reopen", "Reopen", id="record.reopen"),
        Binding("x", "complete", "Complete", id="record.complete"),
        Binding("z", "snooze", "Snooze", id="record.snooze"),
        Binding("D", "delete", "Delete", id="record.delete", show=False),
    ]

    def __init__(self, entity: str, record_id: int):
        super().__init__()
        self.entity = entity
        self.record_id = record_id
        self.page: dict | None = None
        from crmtui.screens.lists import SECTION

        self.SECTION = SECTION.get(entity, "")

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield Static(Text(f"{p.LABEL[self.entity]} {self.record_id}  loading…"), id="title")
        with Horizontal(id="body"):
            with VerticalScroll(id="fields"):
                yield Static("", id="fieldtable")
            with Vertical(id="side"):
                yield OptionList(id="related")
                yield OptionList(id="timeline")
        yield self.footer()

    def on_mount(self) -> None:
        self.query_one("#fields").border_title = "Fields"
        self.query_one("#related").border_title = "Related"
        self.query_one("#timeline").border_title = "Timeline"
        self._narrow(self.size.width)
        self.query_one("#fields").focus()
        self.reload()

    def on_resize(self, event) -> None:
        self._narrow(event.size.width)

    def _narrow(self, width: int) -> None:
        self.set_class(width < 110, "-narrow")

    def reload(self) -> None:
        clock = self.crm.clock
        self.read(lambda s: load_page(s, self.entity, self.record_id, clock), self.show,
                  group="page", error=self._load_failed)

    def _load_failed(self, exc) -> None:
        from crmtui.errors import NotFound

        if isinstance(exc, NotFound):
            self.say(f"{p.LABEL[self.entity].lower()} {self.record_id} no longer exists")
            if self.app.screen is self:
                self.app.pop_screen()
            return
        self.show_error(exc)

    # -- painting -------------------------------------------------------------------------
    def show(self, page: dict) -> None:
        self.page = page
        self.mark_loaded()
        self.query_one("#title", Static).update(self._title(page))
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(style="dim", no_wrap=True, width=18)
        grid.add_column(ratio=1)
        for label, value in field_rows(self.entity, page["record"], self.crm.clock):
            grid.add_row(Text(label), value)
        self.query_one("#fieldtable", Static).update(grid)
        self._related(page)
        self._timeline(page)
        self.refresh_bindings()

    def _title(self, page: dict) -> Text:
        record = page["record"]
        out = Text(f"{p.LABEL[self.entity]} {record['id']}  ", style="dim", end="")
        out.append_text(p.t(page["name"] or "(no name)", "bold"))
        if self.entity == "opportunity":
            from decimal import Decimal

            out.append(f"   {Decimal(record['amount']):,.2f} {visible(record['currency'])}",
                       style="bold")
            out.append("\n")
            for i, (name, kind, current) in enumerate(page["stages"]):
                if i:
                    out.append(" › ", style="dim")
                style = "bold reverse" if current else p.STATUS_STYLE.get(kind, "") or "dim"
                out.append_text(p.t(f" {name} " if current else name, style))
            if page["stale"]:
                out.append("\n")
                out.append("stale: ", style="yellow bold")
                out.append_text(p.t("; ".join(page["stale"]), "yellow"))
            if page["overdue"]:
                out.append("\n" if not page["stale"] else "  ")
                out.append("overdue: expected close has passed", style="bold red")
        elif self.entity == "lead":
            out.append("  ")
            out.append_text(p.status(page["status"]))
            out.append(f"  score {record['score']}", style="dim")
        elif self.entity == "activity":
            out.append("  ")
            out.append_text(p.status("done" if page["done"] else "open"))
        return out

    def _related(self, page: dict) -> None:
        option_list = self.query_one("#related", OptionList)
        highlighted = option_list.highlighted
        option_list.clear_options()
        options: list = []
        if page["links"]:
            title = "Converted into" if self.entity == "lead" else "Linked to"
            options.append(Option(Text(title, style="bold"), disabled=True))
            for ref, rid, name in page["links"]:
                label = Text(f"  {p.LABEL[ref]}: ", style="dim", end="")
                label.append_text(p.t(name or f"#{rid}"))
                options.append(Option(label, id=f"{ref}:{rid}"))
        for key, block in page["extras"].items():
            if key == "timeline" or not isinstance(block, dict):
                continue
            sub = SECTION_ENTITY.get(key)
            if sub is None:
                continue
            count = block.get("count", 0)
            options.append(Option(Text(f"{SECTION_TITLES.get(key, key)} ({count})",
                                       style="bold"), disabled=True))
            if not count:
                options.append(Option(Text("  none", style="dim"), disabled=True))
            for item in block.get("items", []):
                options.append(Option(self._related_label(sub, item), id=f"{sub}:{item['id']}"))
            if count > len(block.get("items", [])):
                options.append(Option(Text(f"  … {count - len(block['items'])} more",
                                           style="dim"), disabled=True))
        if not options:
            options.append(Option(Text("Nothing related yet.", style="dim"), disabled=True))
        option_list.add_options(options)
        if highlighted is not None and highlighted < option_list.option_count:
            option_list.highlighted = highlighted

    def _related_label(self, entity: str, item: dict) -> Text:
        out = Text("  ", end="")
        if entity == "opportunity":
            out.append_text(p.t(item.get("name"), "bold"))
            out.append("  ")
            out.append_text(p.t(item.get("stage"), p.STATUS_STYLE.get(item.get("status"), "")))
            if item.get("amount"):
                from decimal import Decimal

                out.append(f"  {Decimal(item['amount']):,.2f}", style="dim")
        elif entity == "activity":
            out.append_text(p.t(item.get("kind"), "dim"))
            out.append(" ")
            out.append_text(p.t(item.get("subject")))
            due = item.get("due")
            if due and item.get("status") == "open":
                from datetime import datetime

                when = datetime.fromisoformat(due.replace("Z", "+00:00"))
                late = when < self.crm.clock.now()
                out.append(f"  due {p.when(when, self.crm.clock)}",
                           style="bold red" if late else "dim")
        else:
            out.append_text(p.t(item.get("name"), "bold"))
            if item.get("email"):
                out.append("  ")
                out.append_text(p.t(item.get("email"), "dim"))
        return out

    def _timeline(self, page: dict) -> None:
        option_list = self.query_one("#timeline", OptionList)
        option_list.clear_options()
        events = page["extras"].get("timeline") or []
        if not events:
            option_list.add_option(Option(Text("No activity yet.", style="dim"), disabled=True))
            return
        from datetime import datetime

        options = []
        for event in events:
            at = datetime.fromisoformat(event["at"].replace("Z", "+00:00")) if event["at"] else None
            label = Text(f"{p.when(at, self.crm.clock):>16}  ", style="dim", end="")
            style = {"activity": "", "stage": "bold cyan", "create": "green"}.get(event["type"], "dim")
            label.append_text(p.t(event["text"], style))
            options.append(Option(label))
        option_list.add_options(options)

    @on(OptionList.OptionSelected, "#related")
    def _open_related(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            entity, record_id = event.option.id.split(":")
            self.crm.open_record(entity, int(record_id))

    # -- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        entity = self.entity
        page = self.page or {}
        if action in ("log", "task"):
            return entity in ("lead", "account", "contact", "opportunity")
        if action in ("convert", "lead_status"):
            if entity != "lead":
                return False
            return None if page.get("status") == "converted" else True
        if action in ("move", "stage", "win", "lose"):
            if entity != "opportunity":
                return False
            # a closed deal: these are gone from the footer, and Reopen is there instead
            return page.get("kind") in (None, "open")
        if action == "reopen":
            return entity == "opportunity" and page.get("kind") in ("won", "lost")
        if action in ("complete", "snooze"):
            if entity != "activity":
                return False
            return None if page.get("done") else True
        return True

    @property
    def version(self) -> int | None:
        return self.page["version"] if self.page else None

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self) -> None:
        self.crm.edit_record(self.entity, self.record_id, after=lambda _: self.reload())

    def action_log(self, kind: str) -> None:
        actions.log_activity(self, kind, (self.entity, self.record_id), after=self.reload)

    def action_task(self) -> None:
        actions.log_activity(self, "task", (self.entity, self.record_id), after=self.reload)

    def action_convert(self) -> None:
        actions.convert_lead(self, self.record_id, self.version, after=self.reload)

    def action_lead_status(self) -> None:
        if self.page:
            actions.lead_status(self, self.record_id, self.page["status"], self.version,
                                after=self.reload)

    def action_move(self, step: int) -> None:
        actions.move(self, self.record_id, step, self.version, after=self.reload)

    def action_stage(self) -> None:
        actions.pick_stage(self, self.record_id, self.version, after=self.reload)

    def action_win(self) -> None:
        actions.win(self, self.record_id, self.version, after=self.reload)

    def action_lose(self) -> None:
        actions.lose(self, self.record_id, self.version, after=self.reload)

    def action_reopen(self) -> None:
        actions.reopen(self, self.record_id, self.version, after=self.reload)

    def action_complete(self) -> None:
        actions.complete(self, self.record_id, after=self.reload)

    def action_snooze(self) -> None:
        actions.snooze(self, self.record_id, after=self.reload)

    def action_delete(self) -> None:
        def gone():
            if self.app.screen is self:
                self.app.pop_screen()

        actions.delete(self, self.entity, self.record_id, self.page["name"] if self.page else "",
                       after=gone)
