"""Create and edit forms, built from the field specs (`domain.fields`).

Each value is checked by the domain as you type (`records.coerce`, the same code and the same
messages as `crm X add/edit`), with a preview of what it means (`+3d` -> the date). Saving an
edit sends only the fields you changed, with the version you opened: if someone else saved the
record meanwhile the domain refuses, and the conflict dialog shows your value and theirs for
each field and lets you choose. Nothing is overwritten silently.
"""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static, TextArea
from textual.widgets._select import InvalidSelectValueError

from crmtui.domain.fields import ACTIVITY_KINDS, FIELDS, FieldSpec, settable
from crmtui.errors import Conflict, CrmError, Invalid
from crmtui.screens import present as p
from crmtui.screens.base import CrmModal, CrmScreen, error_text
from crmtui.screens.dialogs import DIALOG_CSS, ConfirmDialog
from crmtui.textsafe import visible

SELECTS = {"pipeline", "stage"}
MULTILINE = {"notes", "body"}
ON_SPEC = FieldSpec(name="on", kind="on", help="What it is about: lead:12, account:Acme, "
                                               "contact:7, opp:45")


def form_fields(entity: str, creating: bool) -> list[FieldSpec]:
    specs = list(settable(entity))
    if entity == "activity" and creating:
        specs.insert(2, ON_SPEC)
    return specs


def display_values(entity: str, record: dict) -> dict[str, str]:
    """A record as the strings the form shows (what the user would type)."""
    out = {}
    for spec in FIELDS[entity] + (ON_SPEC,):
        value = record.get(spec.name)
        if value is None:
            out[spec.name] = ""
        elif spec.kind == "datetime":
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone()
            out[spec.name] = when.strftime("%Y-%m-%d %H:%M")
        else:
            out[spec.name] = visible(value, multiline=spec.name in MULTILINE)
    return out


def load_form(s, entity: str, record_id: int | None) -> dict:
    from sqlalchemy import select

    from crmtui.domain import browse, records, refs
    from crmtui.store.models import Pipeline

    out: dict = {"record": None, "version": None}
    if record_id is not None:
        obj = refs.get(s, entity, record_id)
        out["record"] = records.to_dict(s, entity, obj)
        out["version"] = obj.version
        out["name"] = refs.display_name(obj)
    if entity == "opportunity":
        out["pipelines"] = [(pl.name, pl.id) for pl in s.scalars(select(Pipeline).order_by(Pipeline.id))]
        out["stages"] = {pl_id: [st.name for st in refs.stages_of(s, pl_id)]
                         for _, pl_id in out["pipelines"]}
        out["default_pipeline"] = refs.default_pipeline(s).name
    if "owner" in {f.name for f in FIELDS[entity]}:
        out["owners"] = browse.distinct_values(s, entity, "owner")
    return out


def check_value(s, entity: str, spec: FieldSpec, raw: str, pipeline: str | None,
                clock: p.Clock) -> str:
    """Validate one value the way saving will; returns a preview of what it means."""
    from crmtui.domain import activities, records, refs

    if spec.kind == "on":
        target, record_id = activities.parse_target(s, raw)
        obj = refs.get(s, target, record_id)
        return f"→ {p.LABEL[target].lower()} #{record_id} {visible(refs.display_name(obj))}"
    pipeline_id = None
    if spec.ref == "stage" and pipeline:
        pipeline_id = refs.resolve(s, "pipeline", pipeline).id
    value = records.coerce(s, spec, raw, pipeline_id=pipeline_id)
    if value is None:
        return ""
    if spec.kind == "ref":
        from crmtui.store.models import TABLES_BY_ENTITY

        obj = s.get(TABLES_BY_ENTITY[spec.ref], value)
        return f"→ #{value} {visible(refs.display_name(obj))}"
    if spec.kind == "money":
        return f"→ {p.money(value)}"
    if spec.kind == "date":
        return f"→ {value:%a %Y-%m-%d}"
    if spec.kind == "datetime":
        return f"→ {p.when(value, clock)} ({value.astimezone():%a %Y-%m-%d})"
    if spec.kind in ("email", "phone", "tags") and str(value) != raw.strip():
        return f"→ {visible(value)}"
    return ""


class FormScreen(CrmScreen):
    DEFAULT_CSS = """
    FormScreen #title {
        height: auto;
        padding: 0 1;
        background: $boost;
        text-style: bold;
    }
    FormScreen #banner {
        height: auto;
        padding: 0 1;
        background: $warning 30%;
        display: none;
    }
    FormScreen #banner.-shown { display: block; }
    FormScreen #fields { height: 1fr; padding: 0 1; }
    FormScreen .field { height: auto; }
    FormScreen .field > Label {
        width: 16;
        color: $text-muted;
        padding-top: 0;
    }
    FormScreen .field.-required > Label { color: $text; text-style: bold; }
    FormScreen .field.-invalid > Label { color: $text-error; }
    FormScreen .field > Vertical { width: 1fr; height: auto; }
    FormScreen Input {
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    FormScreen Input:focus { border: none; background: $primary 20%; }
    /* one line even when invalid: Textual's own `Input.-invalid` rule draws a tall border,
       which in a one-line input leaves no room for the text */
    FormScreen Input.-invalid, FormScreen Input.-invalid:focus,
    FormScreen Input:ansi.-invalid, FormScreen Input:ansi.-invalid:focus {
        border: none;
        background: $error 20%;
        color: $text-error;
    }
    FormScreen TextArea { height: 4; border: none; background: $boost; }
    FormScreen TextArea:focus { background: $primary 20%; }
    FormScreen Select > SelectCurrent { border: none; height: 1; padding: 0 1; }
    FormScreen .msg { height: auto; color: $text-success; display: none; }
    FormScreen .msg.-shown { display: block; }
    FormScreen .msg.-error { color: $text-error; }
    FormScreen .field { margin-bottom: 0; }
    FormScreen #error { height: auto; color: $text-error; padding: 0 1; }
    FormScreen #buttons { height: auto; padding: 0 1; }
    FormScreen #buttons Button { margin-right: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, entity: str, record_id: int | None, preset: dict | None = None):
        super().__init__()
        self.entity = entity
        self.record_id = record_id
        self.preset = preset or {}
        self.creating = record_id is None
        self.specs = form_fields(entity, self.creating)
        self.original: dict[str, str] = {}
        self.version: int | None = None
        self.info: dict = {}
        self.loaded = False
        self.saving = False
        self.errors: dict[str, str] = {}
        self._check_timers: dict[str, object] = {}
        from crmtui.screens.lists import SECTION

        self.SECTION = SECTION.get(entity, "")

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield self.top_bar()
        verb = "New" if self.creating else "Edit"
        yield Static(Text(f"{verb} {p.LABEL[self.entity].lower()}"
                          + ("" if self.creating else f" {self.record_id}")), id="title")
        yield Static("", id="banner")
        with VerticalScroll(id="fields"):
            for spec in self.specs:
                classes = "field -required" if spec.required else "field"
                with Horizontal(classes=classes, id=f"row-{spec.name}"):
                    yield Label(spec.name.replace("_", " ").capitalize())
                    with Vertical():
                        yield self._widget(spec)
                        yield Static("", classes="msg", id=f"msg-{spec.name}")
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")
        yield self.footer()

    def _widget(self, spec: FieldSpec):
        wid = f"in-{spec.name}"
        if spec.name == "pipeline":
            return Select([], prompt="default pipeline", id=wid, allow_blank=True)
        if spec.name == "stage":
            return Select([], prompt="first open stage", id=wid, allow_blank=True)
        if spec.kind == "choice":
            return Select([(c, c) for c in (spec.choices or ACTIVITY_KINDS)], id=wid,
                          allow_blank=not spec.required, prompt="choose")
        if spec.name in MULTILINE:
            area = TextArea(id=wid, soft_wrap=True, show_line_numbers=False)
            return area
        return Input(placeholder=spec.form_help or spec.help, id=wid)

    def on_mount(self) -> None:
        self.read(lambda s: load_form(s, self.entity, self.record_id), self._loaded,
                  group="form-load", error=self._load_failed)

    def _load_failed(self, exc) -> None:
        self.show_error(exc)
        self.dismiss(None)

    def _loaded(self, info: dict) -> None:
        self.info = info
        self.version = info.get("version")
        record = info.get("record")
        values = display_values(self.entity, record) if record else {}
        for key, value in self.preset.items():
            values[key] = visible(value)
        if self.entity == "opportunity":
            pipelines = info["pipelines"]
            pipe = self.query_one("#in-pipeline", Select)
            pipe.set_options([(Text(visible(name)), name) for name, _ in pipelines])
            self._stage_options(values.get("pipeline") or info["default_pipeline"])
        if "owner" in {s.name for s in self.specs} and info.get("owners"):
            self.query_one("#in-owner", Input).suggester = SuggestFromList(
                [visible(o) for o in info["owners"]], case_sensitive=False)
        for spec in self.specs:
            self._set(spec, values.get(spec.name, ""))
        self.original = {spec.name: (values.get(spec.name, "") if not self.creating else "")
                         for spec in self.specs}
        if self.creating:
            self.original = {spec.name: "" for spec in self.specs}
        self.loaded = True
        self.mark_loaded()
        first = self.query(f"#in-{self.specs[0].name}").first()
        first.focus()
        if record:
            title = Text(f"Edit {p.LABEL[self.entity].lower()} {self.record_id}  ", end="")
            title.append_text(p.t(info.get("name"), "bold"))
            title.append(f"  (version {self.version})", style="dim")
            self.query_one("#title", Static).update(title)

    def _stage_options(self, pipeline_name: str | None) -> None:
        info = self.info
        pipe_id = next((pid for name, pid in info.get("pipelines", []) if name == pipeline_name),
                       None)
        stages = info.get("stages", {}).get(pipe_id, [])
        select = self.query_one("#in-stage", Select)
        current = select.value
        select.set_options([(Text(visible(n)), n) for n in stages])
        if current in stages:
            select.value = current

    # -- values ---------------------------------------------------------------------------
    def _set(self, spec: FieldSpec, value: str) -> None:
        widget = self.query_one(f"#in-{spec.name}")
        if isinstance(widget, Select):
            if value:
                try:
                    widget.value = value
                except InvalidSelectValueError:
                    pass
            elif widget._allow_blank:
                widget.clear()
        elif isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value

    def _get(self, spec: FieldSpec) -> str:
        widget = self.query_one(f"#in-{spec.name}")
        if isinstance(widget, Select):
            return "" if widget.value is Select.NULL or widget.value is None else str(widget.value)
        if isinstance(widget, TextArea):
            return widget.text
        return widget.value

    def current(self) -> dict[str, str]:
        return {spec.name: self._get(spec) for spec in self.specs}

    def changes(self) -> dict[str, str]:
        now = self.current()
        return {k: v for k, v in now.items() if v != self.original.get(k, "")}

    def dirty(self) -> bool:
        return self.loaded and bool(self.changes())

    # -- inline validation ----------------------------------------------------------------
    def _spec(self, name: str) -> FieldSpec:
        return next(spec for spec in self.specs if spec.name == name)

    def _message(self, name: str, text: str = "", error: bool = False) -> None:
        msg = self.query_one(f"#msg-{name}", Static)
        msg.update(Text(text))
        msg.set_class(bool(text), "-shown")
        msg.set_class(error, "-error")
        widget = self.query_one(f"#in-{name}")
        widget.set_class(error, "-invalid")
        self.query_one(f"#row-{name}").set_class(error, "-invalid")
        if error:
            self.errors[name] = text
        else:
            self.errors.pop(name, None)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if not self.loaded or not event.input.id or not event.input.id.startswith("in-"):
            return
        name = event.input.id[3:]
        timer = self._check_timers.pop(name, None)
        if timer is not None:
            timer.stop()
        if event.value == self.original.get(name, ""):
            self._message(name)  # as it was: nothing to say
            return
        self._check_timers[name] = self.set_timer(0.25, lambda: self._validate(name))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if not self.loaded or not event.select.id:
            return
        if event.select.id == "in-pipeline":
            value = None if event.value is Select.NULL else str(event.value)
            self._stage_options(value or self.info.get("default_pipeline"))

    def _validate(self, name: str) -> None:
        spec = self._spec(name)
        raw = self._get(spec)
        if not raw.strip():
            if spec.required:
                self._message(name, f"{name} is required", True)
            else:
                self._message(name)
            return
        pipeline = self._get(self._spec("pipeline")) if self.entity == "opportunity" else None
        clock = self.crm.clock
        self.read(lambda s: check_value(s, self.entity, spec, raw, pipeline, clock),
                  lambda preview: self._message(name, preview or ""), group=f"check-{name}",
                  error=lambda exc: self._message(name, error_text(exc), True))

    # -- saving ---------------------------------------------------------------------------
    def action_save(self) -> None:
        if not self.loaded or self.saving:
            return
        self.query_one("#error", Static).update("")
        changes = self.changes()
        if self.entity in ("lead", "contact"):
            now = self.current()
            if not now.get("first_name", "").strip() and not now.get("last_name", "").strip():
                self._message("last_name", "name: a name is required", True)
                return
        if not self.creating and not changes:
            self.say("nothing changed")
            self.dismiss(None)
            return
        self.save(changes, self.version)

    def save(self, changes: dict[str, str], version: int | None) -> None:
        from crmtui.domain import activities, records

        self.saving = True
        entity = self.entity
        raw = {k: (v if v.strip() else None) for k, v in changes.items()}

        def run(s):
            if self.creating:
                if entity == "activity":
                    fields = {k: v for k, v in raw.items() if v is not None}
                    on = fields.pop("on", None)
                    kind = fields.pop("kind", None)
                    subject = fields.pop("subject", None)
                    if not kind:
                        raise Invalid("kind is required", field="kind")
                    if not subject:
                        raise Invalid("subject is required", field="subject")
                    activity = activities.add(s, kind, subject, on=on, body=fields.get("body"),
                                              due=fields.get("due"), owner=fields.get("owner"),
                                              source="app")
                    extra = {k: v for k, v in fields.items() if k not in ("body", "due", "owner")}
                    if extra:
                        records.update(s, entity, activity.id, extra, source="app")
                    return activity.id
                obj = records.create(s, entity, {k: v for k, v in raw.items() if v is not None},
                                     source="app")
                return obj.id
            obj = records.update(s, entity, self.record_id, {k: v or "" for k, v in raw.items()},
                                 expected_version=version, source="app")
            return obj.id

        self.write(run, self._saved, error=self._save_failed)

    def _saved(self, record_id: int) -> None:
        self.saving = False
        verb = "added" if self.creating else "saved"
        self.say(f"{verb} {p.LABEL[self.entity].lower()} {record_id}")
        self.original = self.current()
        self.dismiss(record_id)

    def _save_failed(self, exc: CrmError) -> None:
        self.saving = False
        if isinstance(exc, Conflict) and exc.current:
            self._conflict(exc)
            return
        field = getattr(exc, "field", None)
        if field == "reason":
            field = "lost_reason"
        if field and any(spec.name == field for spec in self.specs):
            self._message(field, error_text(exc), True)
            self.query_one(f"#in-{field}").focus()
        else:
            self.query_one("#error", Static).update(Text(error_text(exc)))

    # -- conflicts ------------------------------------------------------------------------
    def _conflict(self, exc: Conflict) -> None:
        theirs = display_values(self.entity, exc.current)
        mine = self.current()
        names = [spec.name for spec in self.specs]
        version = exc.current.get("version")

        def resolved(result):
            if result is None:
                return
            action, chosen = result
            if action == "save":
                self.original = {n: theirs.get(n, "") for n in names}
                self.version = version
                for name in names:
                    self._set(self._spec(name), chosen.get(name, theirs.get(name, "")))
                self._banner("")
                changes = {n: v for n, v in chosen.items() if v != theirs.get(n, "")}
                if changes:
                    self.save(changes, version)
                else:
                    self.say("kept their version; nothing to save")
                    self.dismiss(self.record_id)
            elif action == "edit":
                for name in names:  # fields you did not touch take their values
                    if mine.get(name) == self.original.get(name):
                        self._set(self._spec(name), theirs.get(name, ""))
                self.original = {n: theirs.get(n, "") for n in names}
                self.version = version
                self._banner(f"now editing version {version}: fields you had changed keep "
                             "your values")

        self.app.push_screen(ConflictScreen(exc.message, names, self.original, mine, theirs),
                             resolved)

    def _banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Text(text))
        banner.set_class(bool(text), "-shown")

    def reload(self) -> None:
        """The store changed: never touch what is typed; say so when this record moved on."""
        if self.creating or not self.loaded:
            return
        from crmtui.domain import refs

        def version(s):
            return refs.get(s, self.entity, self.record_id).version

        def seen(current):
            if current != self.version:
                self._banner(f"⚠ someone saved this record since you opened it (now version "
                             f"{current}); saving will show both values so you can choose")

        self.read(version, seen, group="form-version", error=lambda exc: self._banner(
            "⚠ " + error_text(exc)))

    # -- leaving --------------------------------------------------------------------------
    @on(Button.Pressed, "#save")
    def _save_pressed(self, event) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self.dirty():
            self.dismiss(None)
            return

        def done(choice):
            if choice == "discard":
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("Discard changes?", "Your changes are not saved.",
                                           [("discard", "Discard", "error")]), done)


class ConflictScreen(CrmModal):
    """Someone saved the record since the form opened: show both values, let the user choose."""

    DEFAULT_CSS = DIALOG_CSS + """
    ConflictScreen { align: center middle; }
    ConflictScreen .dialog { width: 110; }
    ConflictScreen #choices { height: auto; max-height: 16; }
    ConflictScreen .choice { height: auto; }
    ConflictScreen .choice Label { width: 16; }
    ConflictScreen .choice Button { width: 1fr; height: 3; }
    ConflictScreen .choice Button.-picked { border: tall $accent; text-style: bold; }
    """
    BINDINGS = [Binding("escape", "cancel", "Back to the form")]

    def __init__(self, message: str, names: list[str], original: dict, mine: dict,
                 theirs: dict):
        super().__init__()
        self.message = message
        self.names = names
        self.original = original
        self.mine = mine
        self.theirs = theirs
        self.rows = self._rows()
        # both changed and differ: the user must pick; theirs is shown picked until they do
        self.picked = {name: ("mine" if kind == "mine-only" else "theirs")
                       for name, kind in self.rows}

    def _rows(self) -> list[tuple[str, str]]:
        rows = []
        for name in self.names:
            orig, mine, theirs = (self.original.get(name, ""), self.mine.get(name, ""),
                                  self.theirs.get(name, ""))
            mine_changed, theirs_changed = mine != orig, theirs != orig
            if mine_changed and theirs_changed and mine != theirs:
                rows.append((name, "both"))
            elif mine_changed and not theirs_changed:
                rows.append((name, "mine-only"))
            elif theirs_changed and not mine_changed:
                rows.append((name, "theirs-only"))
        return rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Changed by someone else"), classes="title")
            yield Static(Text(visible(self.message, multiline=True)), classes="help")
            table = Table(expand=True, box=None, padding=(0, 1))
            table.add_column("Field", style="dim", no_wrap=True)
            table.add_column("When you opened it")
            table.add_column("Yours")
            table.add_column("Theirs (saved now)")
            for name, kind in self.rows:
                table.add_row(Text(name), Text(self.original.get(name, "") or "—", style="dim"),
                              Text(self.mine.get(name, "") or "—",
                                   style="bold" if kind != "theirs-only" else ""),
                              Text(self.theirs.get(name, "") or "—",
                                   style="bold" if kind != "mine-only" else ""))
            yield Static(table)
            yield Static(Text("For each field you both changed, pick the value to keep "
                              "(press the one to keep). Fields only they changed keep their value; "
                              "fields only you changed keep yours."), classes="help")
            with VerticalScroll(id="choices"):
                for name, kind in self.rows:
                    if kind != "both":
                        continue
                    with Horizontal(classes="choice"):
                        yield Label(name)
                        yield Button(self._label("mine", name), id=f"mine-{name}")
                        yield Button(self._label("theirs", name), id=f"theirs-{name}",
                                     classes="-picked")
            with Horizontal(classes="buttons"):
                yield Button("Save with these choices", id="save", variant="primary")
                yield Button("Back to the form", id="edit")

    def _label(self, side: str, name: str) -> Text:
        value = (self.mine if side == "mine" else self.theirs).get(name, "") or "(empty)"
        return Text(("keep mine: " if side == "mine" else "keep theirs: ") + value[:40])

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        if button_id == "save":
            chosen = {}
            for name, kind in self.rows:
                side = self.picked[name]
                chosen[name] = self.mine[name] if side == "mine" else self.theirs.get(name, "")
            self.dismiss(("save", chosen))
        elif button_id == "edit":
            self.dismiss(("edit", {}))
        elif "-" in button_id:
            side, name = button_id.split("-", 1)
            self.picked[name] = side
            self.query_one(f"#mine-{name}", Button).set_class(side == "mine", "-picked")
            self.query_one(f"#theirs-{name}", Button).set_class(side == "theirs", "-picked")

    def action_cancel(self) -> None:
        self.dismiss(None)
