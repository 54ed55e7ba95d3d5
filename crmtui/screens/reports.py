"""Reports: pick one, set its options, see the table and a chart (the numbers of `crm report`)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from crmtui.screens import present as p
from crmtui.screens.base import CrmModal, CrmScreen, error_text
from crmtui.screens.dialogs import DIALOG_CSS
from crmtui.textsafe import visible

OPTION_LABELS = {"date_from": "From", "date_to": "To", "owner": "Owner", "pipeline": "Pipeline",
                 "as_of": "As of", "by": "By", "periods": "Periods", "currency": "Currency",
                 "days": "Days", "period": "Period", "limit": "Limit"}
DATES = {"date_from", "date_to", "as_of"}
NUMBERS = {"periods", "days", "limit"}


def _reports():
    try:
        from crmtui.reports import REPORTS, ReportOptions
    except ImportError:
        return None, None
    return REPORTS, ReportOptions


def parse_options(raw: dict[str, str], spec, clock: p.Clock):
    """Typed ReportOptions from what was typed; the domain's parsers, the domain's messages."""
    from crmtui.domain import dates, values

    _, Options = _reports()
    kwargs: dict = {"now": clock.now()}
    for name, text in raw.items():
        text = (text or "").strip()
        if not text or name not in spec.options:
            continue
        if name in DATES:
            kwargs[name] = dates.parse_date(text, OPTION_LABELS[name].lower(),
                                            now=clock.local_now())
        elif name in NUMBERS:
            kwargs[name] = values.parse_int(text, name, minimum=1)
        else:
            kwargs[name] = text
    return Options(**kwargs)


def render_result(name: str, result: dict) -> tuple[list, list]:
    """A report result as Rich renderables, laid out as `crm report` lays it out
    (`reports.layout`: the same sections, columns, formats, totals and notes): the headline
    and each table with its header and total row (they may be wider than the pane, which then
    scrolls sideways); then a bar chart of the main table's bar column and the notes, which
    take the width the pane has when it paints."""
    from crmtui.reports import layout

    parts: list = [Text(visible(layout.title(name, result)), style="bold")]
    below: list = []
    empty = layout.empty(name, result)
    if empty:
        below.append(Text(visible(empty), style="dim"))
        below.extend(Text(visible(line), style="dim") for line in layout.notes(name, result))
        return parts, below
    chart = None
    for section in layout.sections(name, result):
        if not section.rows:
            continue
        parts.append(Text(""))
        parts.append(_table(section))
        bar = next((c for c in section.columns if c.kind == "bar"), None)
        if chart is None and bar is not None and section.main and len(section.rows) > 1:
            chart = _chart(section, bar)
    if chart is not None:
        below.append(chart)
    notes = layout.all_notes(name, result)
    if notes:
        below.append(Text(""))
        below.extend(Text(visible(line, multiline=True), style="dim") for line in notes)
    return parts, below


def _table(section) -> Table:
    from crmtui.reports import layout

    columns = [c for c in section.columns if c.kind != "bar"]  # the chart draws those
    rows, total = layout.formatted(section)
    table = Table(title=Text(visible(section.title), style="bold") if section.title else None,
                  expand=False, box=None, header_style="bold", padding=(0, 1),
                  title_justify="left")
    for column in columns:
        table.add_column(Text(column.header), no_wrap=True,
                         justify="right" if column.kind in layout.RIGHT else "left")
    for row in rows[:200]:
        table.add_row(*[p.t(row[c.key], limit=60) for c in columns])
    if total is not None:
        table.add_row(*[p.t(total.get(c.key, ""), limit=60) for c in columns], style="bold")
    return table


class Bars:
    """A horizontal bar chart that fills the width it is given when it is drawn (not the
    width the pane had when the report was computed, which is 0 before the first layout)."""

    def __init__(self, title: str, rows: list[tuple[str, float, str]]):
        self.title = title
        self.rows = rows  # (label, value, value as shown)

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        label_w = max(len(label) for label, _, _ in self.rows)
        return Measurement(label_w + 12, options.max_width)

    def __rich_console__(self, console, options):
        from crmtui.reports import charts

        label_w = max(len(label) for label, _, _ in self.rows)
        shown_w = max(len(shown) for _, _, shown in self.rows)
        bar_w = max(4, options.max_width - label_w - shown_w - 3)
        top = max((value for _, value, _ in self.rows), default=0)
        yield Text("")
        yield Text(self.title, style="bold")
        for label, value, shown in self.rows:
            line = Text(label.ljust(label_w + 1))
            drawn = charts.bar(value, top, bar_w)
            line.append(drawn, style="cyan")
            line.append(" " * (bar_w - len(drawn) + 1))
            line.append(shown.rjust(shown_w), style="dim")
            yield line


def _chart(section, bar) -> Bars | None:
    from decimal import Decimal, InvalidOperation

    from crmtui.reports import layout

    label_col = section.columns[0]
    source = next((c for c in section.columns if c.key == (bar.of or bar.key)), None)
    rows = []
    for row in section.rows[:40]:
        raw = row.get(bar.of or bar.key)
        try:
            value = float(Decimal(str(raw))) if raw not in (None, "") else 0.0
        except InvalidOperation:
            return None
        shown = layout.cell(raw, source.kind) if source is not None else ""
        rows.append((visible(row.get(label_col.key), limit=24), value, shown))
    title = f"{source.header if source else bar.of} by {label_col.header.lower()}"
    return Bars(title, rows)


class OptionsDialog(CrmModal):
    DEFAULT_CSS = DIALOG_CSS + """
    OptionsDialog { align: center middle; }
    OptionsDialog .row { height: auto; }
    OptionsDialog .row Label { width: 12; }
    OptionsDialog .row Input, OptionsDialog .row Select { width: 1fr; }
    OptionsDialog Input { border: none; height: 1; background: $boost; }
    OptionsDialog Select > SelectCurrent { border: none; height: 1; padding: 0 1; }
    """

    def __init__(self, spec, values: dict[str, str]):
        super().__init__()
        self.spec = spec
        self.values = dict(values)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Options: {self.spec.title}"), classes="title")
            for name in self.spec.options:
                with Horizontal(classes="row"):
                    yield Label(OPTION_LABELS.get(name, name))
                    if name == "by" and self.spec.by:
                        yield Select([(b, b) for b in self.spec.by],
                                     value=self.values.get("by") or self.spec.by[0],
                                     allow_blank=False, id="o-by")
                    else:
                        yield Input(self.values.get(name, ""),
                                    placeholder=self.spec.help.get(name, ""), id=f"o-{name}")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Run", id="run", variant="primary")
                yield Button("Reset", id="reset")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query("Input, Select").first().focus()

    def collect(self) -> dict[str, str]:
        out = {}
        for name in self.spec.options:
            widget = self.query_one(f"#o-{name}")
            out[name] = str(widget.value) if not isinstance(widget, Select) else str(widget.value)
        return out

    @on(Input.Submitted)
    def _submitted(self, event) -> None:
        event.stop()
        self.apply()

    @on(Button.Pressed, "#run")
    def _run_pressed(self, event) -> None:
        event.stop()
        self.apply()

    @on(Button.Pressed, "#reset")
    def _reset(self, event) -> None:
        event.stop()
        self.dismiss({})

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event) -> None:
        event.stop()
        self.dismiss(None)

    def apply(self) -> None:
        """Check the options with the domain (parsers and the report's own checks); close
        with them when they hold, else say why under the inputs."""
        values = self.collect()
        spec = self.spec
        clock = self.crm.clock
        error = self.query_one("#error", Static)
        error.update("")

        def check(s):
            options = parse_options(values, spec, clock)
            spec.compute(s, options)  # the report's own checks (e.g. --from after --to)

        self.read(check, lambda _: self.dismiss(values), group="options-check",
                  error=lambda exc: error.update(Text(error_text(exc))))


class ReportsScreen(CrmScreen):
    MIN_RELOAD_INTERVAL = 3.0  # report queries: at most every few seconds while a script writes
    SECTION = "reports"
    DEFAULT_CSS = """
    ReportsScreen #reports {
        width: 26;
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-accent;
    }
    ReportsScreen #reports:focus { border: round $accent; }
    ReportsScreen #right { width: 1fr; }
    ReportsScreen #about { height: auto; padding: 0 1; background: $boost; }
    ReportsScreen #result {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-accent;
        padding: 0 1;
    }
    ReportsScreen #result:focus-within { border: round $accent; }
    ReportsScreen #output { width: 100%; }
    ReportsScreen #below { width: 100%; }
    ReportsScreen.-narrow #reports { width: 20; }
    """
    BINDINGS = [
        Binding("o", "options", "Options", id="reports.options"),
        Binding("b", "by", "Group by", id="reports.by"),
        Binding("r", "run", "Run", id="reports.run", show=False),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="reports.next"),
        Binding("escape", "back", "Back", id="reports.back", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.name_: str | None = None
        self.values: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        with Horizontal():
            yield OptionList(id="reports")
            with Vertical(id="right"):
                yield Static("", id="about")
                with ScrollableContainer(id="result"):
                    yield Static("", id="output")
                    yield Static("", id="below")
        yield self.footer()

    def on_mount(self) -> None:
        self.query_one("#reports").border_title = "Reports"
        self.query_one("#result").border_title = "Result"
        self.set_class(self.size.width < 100, "-narrow")
        REPORTS, _ = _reports()
        option_list = self.query_one("#reports", OptionList)
        if REPORTS is None:
            option_list.add_option(Option(Text("not available yet", style="dim"), disabled=True))
            self.query_one("#about", Static).update(
                Text("Reports are not available yet in this version.", style="dim"))
            return
        option_list.add_options([Option(Text(spec.title), id=name)
                                 for name, spec in REPORTS.items()])
        option_list.focus()
        option_list.highlighted = 0
        self.choose(next(iter(REPORTS)))

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < 100, "-narrow")

    @on(OptionList.OptionHighlighted, "#reports")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.name_:
            self.choose(event.option.id)

    @on(OptionList.OptionSelected, "#reports")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#result").focus()

    def choose(self, name: str) -> None:
        self.name_ = name
        self.reload()

    def spec(self):
        REPORTS, _ = _reports()
        return REPORTS[self.name_] if REPORTS and self.name_ else None

    def reload(self) -> None:
        spec = self.spec()
        if spec is None:
            return
        values = self.values.get(spec.name, {})
        about = Text(spec.title, style="bold", end="")
        about.append("  " + spec.description, style="dim")
        given = {k: v for k, v in values.items() if v}
        if given:
            about.append("\n")
            about.append("  ".join(f"{OPTION_LABELS.get(k, k)}: {visible(v)}"
                                   for k, v in given.items()), style="yellow")
        self.query_one("#about", Static).update(about)
        self.query_one("#output", Static).update(Text("running…", style="dim"))
        self.query_one("#below", Static).update("")
        clock = self.crm.clock

        def run(s):
            return spec.compute(s, parse_options(values, spec, clock))

        def done(result):
            from rich.console import Group
            from rich.measure import Measurement

            parts, below = render_result(spec.name, result)
            console = self.app.console
            wide = console.options.update(width=2000)
            natural = max((Measurement.get(console, wide, part).maximum for part in parts
                           if not isinstance(part, Text)), default=0)
            output = self.query_one("#output", Static)
            output.styles.min_width = natural  # wider than the pane: it scrolls sideways
            output.update(Group(*parts))
            self.query_one("#below", Static).update(Group(*below))
            self.mark_loaded()

        self.read(run, done, group="report",
                  error=lambda exc: self.query_one("#output", Static).update(
                      Text(error_text(exc), style="red")))

    def action_run(self) -> None:
        self.reload()

    def action_options(self) -> None:
        spec = self.spec()
        if spec is None:
            return

        def done(values):
            if values is not None:
                self.values[spec.name] = values
                self.reload()

        self.app.push_screen(OptionsDialog(spec, self.values.get(spec.name, {})), done)

    def action_by(self) -> None:
        spec = self.spec()
        if spec is None or not spec.by:
            self.say("this report has no grouping")
            return
        values = self.values.setdefault(spec.name, {})
        current = values.get("by") or spec.by[0]
        values["by"] = spec.by[(spec.by.index(current) + 1) % len(spec.by)]
        self.reload()

    def action_back(self) -> None:
        self.crm.back()
