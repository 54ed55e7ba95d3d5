"""Small dialogs: confirm, ask for a value (checked by the domain as you type), pick one of many.

Texts that come from the store are passed in as `Text` (built with `present.t`), never as
markup strings.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.screens.base import CrmModal, error_text
from crmtui.textsafe import visible

DIALOG_CSS = """
.dialog {
    width: 72;
    max-width: 95%;
    height: auto;
    max-height: 90%;
    border: thick $primary;
    background: $surface;
    padding: 0 1;
}
.dialog .title {
    text-style: bold;
    color: $text-accent;
    padding-bottom: 1;
}
.dialog .error {
    color: $text-error;
    height: auto;
}
.dialog .preview {
    color: $text-success;
    height: auto;
}
.dialog .help {
    color: $text-muted;
    height: auto;
}
.dialog .buttons {
    height: auto;
    align-horizontal: right;
    padding-top: 1;
}
.dialog .buttons Button {
    margin-left: 1;
    min-width: 10;
}
.dialog OptionList {
    height: auto;
    max-height: 16;
}
"""


class ConfirmDialog(CrmModal):
    """A question with buttons; dismisses with the chosen button's id (None on escape)."""

    DEFAULT_CSS = DIALOG_CSS + "ConfirmDialog { align: center middle; }"

    def __init__(self, title: str, body: Text | str, choices: list[tuple[str, str, str]],
                 *, default: str | None = None):
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.choices = choices  # (id, label, variant)
        self.default = default  # the choice Enter takes; None: Cancel (for anything risky)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="title")
            yield Static(self.body)
            with Horizontal(classes="buttons"):
                for choice_id, label, variant in self.choices:
                    yield Button(label, id=f"choice-{choice_id}", variant=variant)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        if self.default is not None:
            self.query_one(f"#choice-{self.default}", Button).focus()
        else:
            self.query(Button).last().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        self.dismiss(button_id.removeprefix("choice-") if button_id.startswith("choice-") else None)


class PromptDialog(CrmModal):
    """Ask for one value. `check(session, value)` (run off the UI thread) may raise a CrmError,
    shown under the input, or return a preview of what the value means ('Fri 2026-03-20 09:00')."""

    DEFAULT_CSS = DIALOG_CSS + "PromptDialog { align: center middle; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: Text | str, value: str = "", *,
                 placeholder: str = "", suggestions: Iterable[str] = (),
                 check: Callable[[Any, str], str | None] | None = None,
                 required: bool = True, help: str = ""):
        super().__init__()
        self.title_text = title
        self.prompt = prompt if isinstance(prompt, Text) else Text(prompt)
        self.value = value
        self.placeholder = placeholder
        self.suggestions = list(dict.fromkeys(visible(s) for s in suggestions if s))
        self.check = check
        self.required = required
        self.help = help

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="title")
            yield Static(self.prompt)
            suggester = SuggestFromList(self.suggestions, case_sensitive=False) \
                if self.suggestions else None
            yield Input(self.value, placeholder=self.placeholder, suggester=suggester,
                        id="value")
            yield Static("", classes="error", id="error")
            yield Static("", classes="preview", id="preview")
            if self.suggestions:
                hint = ", ".join(self.suggestions[:6])
                yield Static(Text("e.g. " + hint + ("…" if len(self.suggestions) > 6 else "")),
                             classes="help")
            if self.help:
                yield Static(Text(self.help), classes="help")
            with Horizontal(classes="buttons"):
                yield Button("OK", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _show(self, error: str = "", preview: str = "") -> None:
        self.query_one("#error", Static).update(Text(error))
        self.query_one("#preview", Static).update(Text(preview))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.check is None or not event.value.strip():
            self._show()
            return
        value = event.value
        self.read(lambda s: self.check(s, value), lambda preview: self._show("", preview or ""),
                  group="prompt-check", error=lambda exc: self._show(error_text(exc)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._accept()

    @on(Button.Pressed, "#ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self._accept()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def _accept(self) -> None:
        value = self.query_one(Input).value
        if self.required and not value.strip():
            if self.check is None:
                self._show("a value is required")
            else:  # the domain says why a value is needed, in its own words
                self.read(lambda s: self.check(s, value),
                          lambda _: self._show("a value is required"), group="prompt-check",
                          error=lambda exc: self._show(error_text(exc)))
            return
        if self.check is None or not value.strip():
            self.dismiss(value)
            return
        self.read(lambda s: self.check(s, value), lambda _: self.dismiss(value),
                  group="prompt-check", error=lambda exc: self._show(error_text(exc)))


class PickDialog(CrmModal):
    """Pick one option (arrows/j/k and enter, or click); dismisses with its value."""

    DEFAULT_CSS = DIALOG_CSS + "PickDialog { align: center middle; }"

    def __init__(self, title: str, options: list[tuple[str, Text | str]], *,
                 current: str | None = None, help: str = ""):
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current
        self.help = help

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="title")
            yield OptionList(*[Option(label if isinstance(label, Text) else Text(label), id=value)
                               for value, label in self.options], id="options")
            if self.help:
                yield Static(Text(self.help), classes="help")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.focus()
        if self.current is not None:
            for index, (value, _) in enumerate(self.options):
                if value == self.current:
                    option_list.highlighted = index

    def on_key(self, event) -> None:
        option_list = self.query_one(OptionList)
        if event.key == "j":
            option_list.action_cursor_down()
            event.stop()
        elif event.key == "k":
            option_list.action_cursor_up()
            event.stop()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

