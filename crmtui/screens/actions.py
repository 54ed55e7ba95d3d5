"""Quick actions shared by the board, record pages, lists and the agenda.

Each one asks what it must (a lost reason, a snooze time...), then runs one domain call in a
write worker with `source="app"` and the version the screen read, and calls `after()`.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from crmtui.domain.fields import ACTIVITY_KINDS
from crmtui.screens import present as p
from crmtui.screens.base import CrmModal, error_text
from crmtui.screens.dialogs import DIALOG_CSS, ConfirmDialog, PickDialog, PromptDialog
from crmtui.textsafe import visible

Done = Callable[[], None] | None


def _after(screen, message: str | None, after: Done):
    def done(_result):
        if message:
            screen.say(message)
        if after:
            after()
    return done


def _name(obj) -> str:
    from crmtui.domain.refs import display_name

    return display_name(obj)


# -- deals -----------------------------------------------------------------------------------

def move(screen, opp_id: int, step: int, version: int | None, after: Done = None,
         done: Callable | None = None) -> None:
    from crmtui.domain import opportunities

    def run(s):
        opp = opportunities.move(s, opp_id, step=step, expected_version=version, source="app")
        from crmtui.store.models import Stage

        return _name(opp), s.get(Stage, opp.stage_id).name, opp

    def finished(result):
        name, stage, opp = result
        screen.say(f"{name} → {stage}")
        if done:
            done(opp)
        if after:
            after()

    def failed(exc):
        if isinstance(exc, opportunities.NoFurtherStage) and exc.forward:
            exc.hint = "press w to win it, or l to lose it"
        screen.show_error(exc)

    screen.write(run, finished, error=failed)


def pick_stage(screen, opp_id: int, version: int | None, after: Done = None) -> None:
    from crmtui.domain import opportunities, refs

    def stages(s):
        opp = refs.get(s, "opportunity", opp_id)
        return [(st.name, st.kind, st.id == opp.stage_id)
                for st in refs.stages_of(s, opp.pipeline_id) if st.kind != "lost"]

    def ask(options):
        def chosen(name):
            if not name:
                return

            def run(s):
                current = refs.get(s, "opportunity", opp_id)
                target = refs.resolve_stage(s, current.pipeline_id, name)
                if target.kind == "won":
                    return opportunities.win(s, opp_id, expected_version=version, source="app")
                return opportunities.move(s, opp_id, name, expected_version=version,
                                          source="app")

            screen.write(run, _after(screen, f"moved to {name}", after))

        items = [(name, Text(visible(name) + ("  (current)" if current else ""),
                             style=p.STATUS_STYLE.get(kind, "")))
                 for name, kind, current in options]
        screen.app.push_screen(PickDialog("Move to stage", items,
                                          help="to lose the deal press l (it asks why)"), chosen)

    screen.read(stages, ask, group="stages")


def win(screen, opp_id: int, version: int | None, after: Done = None) -> None:
    """Win a deal, once asked (Enter wins, Esc keeps it open): one stray key must not change
    the won figures; losing asks for its reason anyway."""
    from crmtui.domain import opportunities, refs

    def about(s):
        opp = refs.get(s, "opportunity", opp_id)
        return _name(opp), p.money(opp.amount_minor, opp.currency)

    def run(s):
        opp = opportunities.win(s, opp_id, expected_version=version, source="app")
        return f"won: {_name(opp)} ({p.money(opp.amount_minor, opp.currency)})"

    def ask(result):
        name, amount = result
        question = Text("Mark ", end="")
        question.append_text(p.t(name, "bold"))
        question.append(f" ({amount}) as won?")

        def chosen(choice):
            if choice == "win":
                screen.write(run, lambda message: (screen.say(message), after and after()))

        screen.app.push_screen(ConfirmDialog("Win", question, [("win", "Won", "success")],
                                             default="win"), chosen)

    screen.read(about, ask, group="win")


def lose(screen, opp_id: int, version: int | None, after: Done = None) -> None:
    from crmtui.domain import browse, opportunities, refs
    from crmtui.store.models import Opportunity

    def reasons(s):
        opp = refs.get(s, "opportunity", opp_id)
        return _name(opp), browse.recent_values(s, Opportunity.lost_reason,
                                                Opportunity.closed_at)

    def ask(result):
        name, suggestions = result

        def chosen(reason):
            if not reason:
                return

            def run(s):
                opportunities.lose(s, opp_id, reason, expected_version=version, source="app")
                return None

            screen.write(run, _after(screen, f"lost: {name} ({reason})", after))

        prompt = Text("Why was ", end="")
        prompt.append_text(p.t(name, "bold"))
        prompt.append(" lost?")
        screen.app.push_screen(PromptDialog("Lose deal", prompt, suggestions=suggestions,
                                            placeholder="price too high",
                                            check=lambda s, value: opportunities.lost_reason(
                                                value) and None), chosen)

    screen.read(reasons, ask, group="reasons")


def reopen(screen, opp_id: int, version: int | None, after: Done = None) -> None:
    from crmtui.domain import opportunities
    from crmtui.store.models import Stage

    def run(s):
        opp = opportunities.reopen(s, opp_id, expected_version=version, source="app")
        return f"reopened: {_name(opp)} in {s.get(Stage, opp.stage_id).name}"

    screen.write(run, lambda message: (screen.say(message), after and after()))


# -- leads -----------------------------------------------------------------------------------

def lead_status(screen, lead_id: int, status: str, version: int | None,
                after: Done = None) -> None:
    from crmtui.domain import leads

    options = [(to, p.status(to)) for to in leads.TRANSITIONS.get(status, ()) if to != "converted"]
    if not options:
        screen.say(f"a {status} lead cannot change status here")
        return

    def chosen(to):
        if not to:
            return

        def apply(reason=None):
            screen.write(lambda s: leads.set_status(s, lead_id, to, reason=reason,
                                                    expected_version=version, source="app"),
                         _after(screen, f"lead is now {to}", after))

        if to == "disqualified":
            screen.app.push_screen(PromptDialog("Disqualify lead", "Why is it disqualified?",
                                                suggestions=["no budget", "not a fit",
                                                             "no response", "duplicate"]),
                                   lambda reason: reason and apply(reason))
        else:
            apply()

    screen.app.push_screen(PickDialog("Set lead status", options,
                                      help="C converts the lead instead"), chosen)


class ConvertDialog(CrmModal):
    """Convert a lead: which account (found automatically unless you say), and a first deal."""

    DEFAULT_CSS = DIALOG_CSS + """
    ConvertDialog { align: center middle; }
    ConvertDialog .row { height: auto; }
    ConvertDialog .row Label { width: 16; }
    ConvertDialog .row Input, ConvertDialog .row Select { width: 1fr; }
    ConvertDialog Input { border: none; height: 1; background: $boost; }
    ConvertDialog Select > SelectCurrent { border: none; height: 1; padding: 0 1; }
    """

    def __init__(self, lead_id: int, info: dict):
        super().__init__()
        self.lead_id = lead_id
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical(classes="dialog"):
            title = Text("Convert lead ", end="")
            title.append_text(p.t(info["name"], "bold"))
            yield Static(title, classes="title")
            yield Static(self._plan(info), id="plan")
            with Horizontal(classes="row"):
                yield Label("Account")
                yield Input(placeholder="found automatically; or an id / exact name",
                            id="account")
            with Horizontal(classes="row"):
                yield Label("Contact")
                yield Input(placeholder="found by email; or an existing one's id / email / name",
                            id="contact")
            yield Checkbox("Create a deal", True, id="create")
            with Horizontal(classes="row"):
                yield Label("Deal name")
                yield Input(placeholder=f"{visible(info['account_name'])}: new business",
                            id="opp_name")
            with Horizontal(classes="row"):
                yield Label("Amount")
                yield Input(placeholder="e.g. 12000", id="amount")
            with Horizontal(classes="row"):
                yield Label("Close date")
                yield Input(placeholder="e.g. +30d, 2026-06-30", id="close_date")
            with Horizontal(classes="row"):
                yield Label("Stage")
                yield Select([(Text(visible(n)), n) for n in info["stages"]],
                             value=info["stages"][0] if info["stages"] else Select.NULL,
                             allow_blank=False, id="stage")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Convert", id="convert", variant="primary")
                yield Button("Cancel", id="cancel")

    @staticmethod
    def _plan(info: dict) -> Text:
        out = Text(end="")
        if info["account_id"]:
            out.append("Account: uses ")
            out.append_text(p.t(info["account_name"], "bold"))
            out.append(f" (#{info['account_id']}, found by {info['account_by']})\n")
        else:
            out.append("Account: creates ")
            out.append_text(p.t(info["account_name"], "bold"))
            out.append("\n")
        if info["contact_id"]:
            out.append("Contact: uses ")
            out.append_text(p.t(info["contact_name"], "bold"))
            out.append(f" (#{info['contact_id']}, same email)")
        else:
            out.append("Contact: creates one from the lead")
        return out

    def on_mount(self) -> None:
        self.query_one("#account", Input).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event) -> None:
        event.stop()
        self._convert()

    @on(Button.Pressed, "#convert")
    def _pressed(self, event) -> None:
        event.stop()
        self._convert()

    def _convert(self) -> None:
        from crmtui.domain import conversion

        def val(widget_id):
            return self.query_one(f"#{widget_id}", Input).value.strip() or None

        create = self.query_one("#create", Checkbox).value
        stage = self.query_one("#stage", Select).value
        kwargs = dict(account=val("account"), contact=val("contact"), create_opportunity=create,
                      expected_version=self.info["version"], source="app")
        if create:
            kwargs.update(opp_name=val("opp_name"), amount=val("amount"),
                          close_date=val("close_date"),
                          stage=None if stage is Select.NULL else stage)

        def run(s):
            result = conversion.convert(s, self.lead_id, **kwargs)
            return {"account": (result.account.id, result.account.name, result.created_account),
                    "contact": (result.contact.id, _name(result.contact), result.created_contact),
                    "opportunity": (result.opportunity.id, result.opportunity.name)
                    if result.opportunity is not None else None}

        self.write(run, self.dismiss,
                   error=lambda exc: self.query_one("#error", Static).update(
                       Text(error_text(exc))))


def convert_lead(screen, lead_id: int, version: int | None, after: Done = None) -> None:
    try:
        from crmtui.domain import conversion
    except ImportError:
        screen.say("converting leads is not available yet in this version")
        return

    def plan(s):
        from crmtui.domain import leads, refs

        lead = refs.get(s, "lead", lead_id)
        leads.check_transition(lead, "converted")
        name = _name(lead)
        account = conversion.match_account(s, lead)
        contact = conversion.match_contact(s, lead)
        by = ""
        if account is not None:
            from crmtui.domain import values

            by = "email domain" if values.domain_of(lead.email) == (account.domain or "").lower() \
                else "company name"
        pipeline = refs.default_pipeline(s)
        stages = [st.name for st in refs.stages_of(s, pipeline.id) if st.kind == "open"]
        return {"name": name, "version": lead.version,
                "account_id": account.id if account else None,
                "account_name": account.name if account else (lead.company or name),
                "account_by": by, "contact_id": contact.id if contact else None,
                "contact_name": _name(contact) if contact else "", "stages": stages}

    def ask(info):
        if version is not None and info["version"] != version:
            info["version"] = version  # the page's version: a stale page is refused on save

        def done(result):
            if not result:
                return
            acc_id, acc_name, created = result["account"]
            message = f"converted: account {acc_name} ({'new' if created else 'existing'})"
            if result["opportunity"]:
                message += f", deal {result['opportunity'][1]}"
            screen.say(message)
            if after:
                after()
            target = ("opportunity", result["opportunity"][0]) if result["opportunity"] \
                else ("contact", result["contact"][0])
            screen.crm.open_record(*target)

        screen.app.push_screen(ConvertDialog(lead_id, info), done)

    screen.read(plan, ask, group="convert-plan")


# -- activities ------------------------------------------------------------------------------

class LogDialog(CrmModal):
    """Log a call/email/meeting/note, or add a task, on a record."""

    DEFAULT_CSS = DIALOG_CSS + """
    LogDialog { align: center middle; }
    LogDialog .row { height: auto; }
    LogDialog .row Label { width: 10; }
    LogDialog .row Input, LogDialog .row Select { width: 1fr; }
    LogDialog Input { border: none; height: 1; background: $boost; }
    LogDialog Select > SelectCurrent { border: none; height: 1; padding: 0 1; }
    """

    def __init__(self, kind: str, target: tuple[str, int], target_name: str):
        super().__init__()
        self.kind = kind
        self.target = target
        self.target_name = target_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = Text("Add task on " if self.kind == "task" else "Log on ", end="")
            title.append(p.LABEL[self.target[0]].lower() + " ")
            title.append_text(p.t(self.target_name, "bold"))
            yield Static(title, classes="title")
            with Horizontal(classes="row"):
                yield Label("Kind")
                yield Select([(k, k) for k in ACTIVITY_KINDS], value=self.kind,
                             allow_blank=False, id="kind")
            with Horizontal(classes="row"):
                yield Label("Subject")
                yield Input(self._default_subject(self.kind), id="subject")
            with Horizontal(classes="row"):
                yield Label("Details")
                yield Input(placeholder="optional", id="body")
            with Horizontal(classes="row"):
                yield Label("Due")
                yield Input("tomorrow" if self.kind == "task" else "",
                            placeholder="tasks: today, +3d, next friday 10:00; "
                                        "blank = done now", id="due")
            yield Static("", classes="preview", id="preview")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    @staticmethod
    def _default_subject(kind: str) -> str:
        return {"call": "Call", "email": "Email", "meeting": "Meeting", "note": "Note",
                "task": ""}[kind]

    def on_mount(self) -> None:
        subject = self.query_one("#subject", Input)
        subject.focus()
        subject.action_end()
        self._preview()

    @on(Select.Changed, "#kind")
    def _kind(self, event: Select.Changed) -> None:
        subject = self.query_one("#subject", Input)
        if subject.value in ("", *(self._default_subject(k) for k in ACTIVITY_KINDS)):
            subject.value = self._default_subject(str(event.value))
        due = self.query_one("#due", Input)
        if event.value == "task" and not due.value:
            due.value = "tomorrow"
        self._preview()

    @on(Input.Changed, "#due")
    def _due_changed(self, event) -> None:
        self._preview()

    def _preview(self) -> None:
        from crmtui.domain import dates

        raw = self.query_one("#due", Input).value.strip()
        kind = self.query_one("#kind", Select).value
        if not raw:
            text = "open, no due date" if kind == "task" else "done now"
            self.query_one("#preview", Static).update(Text(text))
            self.query_one("#error", Static).update("")
            return

        def check(s):
            when = dates.parse_when(raw, "due", now=self.crm.clock.local_now())
            return f"due {p.when(when, self.crm.clock)}"

        self.read(check, lambda text: (self.query_one("#preview", Static).update(Text(text)),
                                       self.query_one("#error", Static).update("")),
                  group="due-check",
                  error=lambda exc: (self.query_one("#error", Static).update(
                      Text(error_text(exc))), self.query_one("#preview", Static).update("")))

    @on(Input.Submitted)
    def _submitted(self, event) -> None:
        event.stop()
        self._save()

    @on(Button.Pressed, "#save")
    def _pressed(self, event) -> None:
        event.stop()
        self._save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event) -> None:
        self.dismiss(None)

    def _save(self) -> None:
        from crmtui.domain import activities

        kind = str(self.query_one("#kind", Select).value)
        subject = self.query_one("#subject", Input).value.strip()
        body = self.query_one("#body", Input).value.strip() or None
        due = self.query_one("#due", Input).value.strip() or None
        if not subject:
            self.query_one("#error", Static).update(Text("subject is required"))
            return

        def run(s):
            activity = activities.add(s, kind, subject, on=self.target, body=body, due=due,
                                      source="app")
            return activity.id, activity.done_at is not None

        self.write(run, self.dismiss,
                   error=lambda exc: self.query_one("#error", Static).update(
                       Text(error_text(exc))))


def log_activity(screen, kind: str, target: tuple[str, int], after: Done = None) -> None:
    from crmtui.domain import refs

    def name(s):
        return _name(refs.get(s, target[0], target[1]))

    def ask(target_name):
        def done(result):
            if not result:
                return
            activity_id, is_done = result
            screen.say(f"{'logged' if is_done else 'added'} {kind if kind != 'task' else 'task'}")
            if after:
                after()

        screen.app.push_screen(LogDialog(kind, target, target_name), done)

    screen.read(name, ask, group="target-name")


def complete(screen, activity_id: int, after: Done = None) -> None:
    from crmtui.domain import activities

    def run(s):
        return activities.complete(s, activity_id, source="app").subject

    screen.write(run, lambda subject: (screen.say(f"done: {subject}"), after and after()))


def snooze(screen, activity_id: int, after: Done = None) -> None:
    from crmtui.domain import activities, dates

    clock = screen.crm.clock

    def check(_s, value):  # what the value means; whether it may be used is snooze's call
        when = dates.parse_when(value, "until", now=clock.local_now())
        return f"until {p.when(when, clock)}"

    def chosen(value):
        if not value:
            return
        screen.write(lambda s: activities.snooze(s, activity_id, value, source="app"),
                     _after(screen, f"snoozed until {value}", after))

    screen.app.push_screen(PromptDialog("Snooze", "Until when?", "tomorrow",
                                        suggestions=["tomorrow", "+2d", "next monday", "+1w"],
                                        check=check), chosen)


def confirm_delete(screen, question: Text, related: dict[str, int], count: int, run) -> None:
    """Ask before deleting; when other records depend on them, whether to delete those too or
    keep them unlinked. `run(how)` gets None, 'delete' or 'detach'."""
    body = question.copy()
    body.append(" This cannot be undone.")
    choices = [("delete", "Delete" if count == 1 else f"Delete {count}", "error")]
    if related:
        from crmtui.domain.records import describe_related

        body.append(f"\n\n{'It has' if count == 1 else 'They have'} "
                    f"{describe_related(related)}.")
        for label, how in (("Delete them too", "delete"), ("Keep them, unlinked", "detach")):
            body.append(f"\n{label}: {describe_related(related, how, owners=count)}.")
        choices = [("cascade", "Delete them too", "error"),
                   ("detach", "Keep them, unlinked", "warning")]

    def done(choice):
        if choice:
            run({"cascade": "delete", "detach": "detach"}.get(choice))

    screen.app.push_screen(ConfirmDialog("Delete", body, choices), done)


def delete(screen, entity: str, record_id: int, name: str, after: Done = None) -> None:
    from crmtui.domain import records

    def ask(related):
        question = Text(f"Delete {p.LABEL[entity].lower()} {record_id} (", end="")
        question.append_text(p.t(name, "bold"))
        question.append(")?")
        def run(how):
            also = f"; {records.describe_related(related, how, done=True)}" if related else ""
            screen.write(lambda s: records.delete(s, entity, record_id, related=how,
                                                  source="app"),
                         _after(screen, f"deleted {p.LABEL[entity].lower()} {record_id}{also}",
                                after))

        confirm_delete(screen, question, related, 1, run)

    screen.read(lambda s: records.related_counts(s, entity, record_id), ask,
                group="delete-preview")
