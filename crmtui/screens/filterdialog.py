"""The filter dialog of a list: one input per filter the record type accepts (`fields.FILTERS`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from crmtui.domain.fields import ACTIVITY_KINDS, FILTERS, LEAD_STATUSES
from crmtui.screens.base import CrmModal, error_text
from crmtui.screens.dialogs import DIALOG_CSS
from crmtui.textsafe import visible

BOOLEAN = {"stale": "Only stale deals", "overdue": "Only overdue deals"}
CHOICES = {
    ("lead", "status"): LEAD_STATUSES,
    ("opportunity", "status"): ("open", "won", "lost", "closed"),
    ("activity", "status"): ("open", "done"),
    ("activity", "kind"): ACTIVITY_KINDS,
}
LABELS = {"closing_before": "Closing on/before", "closing_after": "Closing on/after",
          "closed_after": "Closed on/after", "closed_before": "Closed on/before",
          "due_before": "Due on/before", "since": "Created since", "on": "About (lead:12)"}
PLACEHOLDER = {"since": "date: 2026-01-31, -30d, last monday",
               "closing_before": "date or @month_end", "closing_after": "date or @month_start",
               "closed_after": "date: 2026-01-31, -90d", "closed_before": "date or @today",
               "due_before": "date: today, +7d", "owner": "user name or @me",
               "account": "id or exact name", "stage": "stage name", "pipeline": "pipeline name",
               "on": "lead:12, account:Acme, opp:45", "tag": "a tag"}


class FilterDialog(CrmModal):
    DEFAULT_CSS = DIALOG_CSS + """
    FilterDialog { align: center middle; }
    FilterDialog .row { height: auto; }
    FilterDialog .row Label { width: 20; padding-top: 0; }
    FilterDialog .row Input, FilterDialog .row Select { width: 1fr; }
    FilterDialog VerticalScroll { height: auto; max-height: 60vh; }
    FilterDialog Checkbox { border: none; padding: 0; height: 1; }
    FilterDialog Checkbox:focus { border: none; background: $primary 20%; }
    """

    def __init__(self, entity: str, filters: dict, suggestions: dict[str, list[str]]):
        super().__init__()
        self.entity = entity
        self.filters = dict(filters)
        self.suggestions = suggestions

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Filter"), classes="title")
            with VerticalScroll():
                for name in FILTERS[self.entity]:
                    if name == "search":
                        continue
                    value = self.filters.get(name)
                    if name in BOOLEAN:
                        yield Checkbox(BOOLEAN[name], bool(value), id=f"f-{name}")
                        continue
                    with Horizontal(classes="row"):
                        yield Label(LABELS.get(name, name.replace("_", " ").capitalize()))
                        choices = CHOICES.get((self.entity, name))
                        if choices:
                            yield Select([(c, c) for c in choices], value=value or Select.NULL,
                                         allow_blank=True, prompt="any", id=f"f-{name}")
                        else:
                            options = [visible(o) for o in self.suggestions.get(name) or []]
                            yield Input("" if value is None else visible(value),
                                        placeholder=PLACEHOLDER.get(name, ""), id=f"f-{name}",
                                        suggester=SuggestFromList(options, case_sensitive=False)
                                        if options else None)
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Apply", id="apply", variant="primary")
                yield Button("Clear all", id="clear")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        first = self.query("Input, Select, Checkbox").first()
        first.focus()

    def values(self) -> dict:
        out = {}
        for name in FILTERS[self.entity]:
            if name == "search":
                continue
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Checkbox):
                value = widget.value or None
            elif isinstance(widget, Select):
                value = None if widget.value is Select.NULL else widget.value
            else:
                value = widget.value.strip() or None
            if value is not None:
                out[name] = value
        return out

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._apply()

    @on(Button.Pressed, "#clear")
    def _clear(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss({})

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def _apply(self) -> None:
        from crmtui.domain import browse, savedfilters

        chosen = self.values()
        clock = self.crm.clock
        resolved = savedfilters.resolve(chosen, today=clock.today())

        def check(s):
            browse.count(s, self.entity, resolved, cap=1)

        self.read(check, lambda _: self.dismiss(chosen), group="filter-check",
                  error=lambda exc: self.query_one("#error", Static).update(Text(error_text(exc))))
