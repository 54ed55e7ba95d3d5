"""Reports: pick one, set its options, see the table and a chart (the numbers of `crm report`)."""

from __future__ import annotations

import re
from decimal import Decimal

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from crmtui.screens import present as p
from crmtui.screens.base import CrmModal, CrmScreen, error_text
from crmtui.screens.dialogs import DIALOG_CSS
from crmtui.textsafe import visible
from crmtui.widgets.charts import BLOCKS

OPTION_LABELS = {"date_from": "From", "date_to": "To", "owner": "Owner", "pipeline": "Pipeline",
                 "as_of": "As of", "by": "By", "periods": "Periods", "currency": "Currency",
                 "days": "Days", "period": "Period", "limit": "Limit"}
DATES = {"date_from", "date_to", "as_of"}
NUMBERS = {"periods", "days", "limit"}
SKIP_COLUMNS = {"stage_id", "position", "pipeline_id", "id", "start", "end"}
CHART_KEYS = ("amount", "won_amount", "won", "weighted", "expected", "velocity_per_day",
              "count", "deals", "leads", "done", "win_rate", "rate")


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


def _cell(key: str, value) -> Text:
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, float) and ("rate" in key or key in ("share",)):
        return Text(f"{value * 100:.1f}%")
    if isinstance(value, float):
        return Text(f"{value:,.1f}")
    if isinstance(value, int) and not isinstance(value, bool):
        return Text(f"{value:,}")
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value):  # an amount
        return Text(f"{Decimal(value):,.2f}")
    if isinstance(value, (list, dict)):
        return p.t(", ".join(map(str, value)) if isinstance(value, list) else str(value),
                   limit=40)
    return p.t(value, limit=60)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value))
        return True
    except ValueError:
        return False


def render_result(result: dict, width: int) -> list:
    """A report result as Rich renderables: key figures, the rows table, a bar chart."""
    parts: list = []
    figures = Text(end="")
    for key, value in result.items():
        if key in ("report", "title", "currency", "generated_at", "filters", "excluded",
                   "rows", "total", "by", "as_of", "pipelines") or isinstance(value, (dict, list)):
            continue
        if value is None:
            continue
        figures.append(f"{key.replace('_', ' ')} ", style="dim")
        figures.append_text(_cell(key, value))
        figures.append("   ")
    if figures.plain:
        parts.append(figures)
    sections = [(k, v) for k, v in result.items()
                if isinstance(v, list) and v and isinstance(v[0], dict)]
    for key, rows in sections:
        columns = [c for c in rows[0].keys() if c not in SKIP_COLUMNS]
        table = Table(title=key.replace("_", " ").capitalize() if key != "rows" else None,
                      expand=False, box=None, header_style="bold", padding=(0, 1),
                      title_justify="left", title_style="bold")
        for column in columns:
            numeric = all(_is_number(r.get(column)) for r in rows if r.get(column) is not None)
            table.add_column(column.replace("_", " "), justify="right" if numeric else "left",
                             no_wrap=True)
        for row in rows[:200]:
            table.add_row(*[_cell(c, row.get(c)) for c in columns])
        total = result.get("total") if key == "rows" else None
        if isinstance(total, dict):
            table.add_row(*[_cell(c, total.get(c)) if c in total else
                            (Text("Total", style="bold") if i == 0 else Text(""))
                            for i, c in enumerate(columns)], style="bold")
        parts.append(table)
        chart = _chart(rows, columns, width)
        if chart is not None:
            parts.append(chart)
    for key in ("excluded",):
        if result.get(key):
            parts.append(Text(f"excluded (other currencies): {result[key]}", style="dim"))
    if not sections:
        parts.append(Text("No rows for these options.", style="dim"))
    return parts


def _chart(rows: list[dict], columns: list[str], width: int) -> Text | None:
    key = next((k for k in CHART_KEYS if k in columns), None)
    label_key = next((c for c in columns if not _is_number(rows[0].get(c))
                      and rows[0].get(c) is not None
                      and len({str(r.get(c)) for r in rows}) == len(rows)), None)
    if key is None or label_key is None or len(rows) < 2:
        return None
    values = []
    for row in rows[:40]:
        try:
            values.append((visible(row.get(label_key), limit=18), float(row.get(key) or 0)))
        except (TypeError, ValueError):
            return None
    top = max(v for _, v in values) or 1
    label_w = max(len(label) for label, _ in values)
    bar_w = max(5, width - label_w - 4)
    out = Text(f"\n{key.replace('_', ' ')} by {label_key.replace('_', ' ')}\n", style="bold",
               end="")
    for label, value in values:
        cells = value / top * bar_w
        full = int(cells)
        part = int((cells - full) * 8)
        out.append(label.ljust(label_w + 1))
        out.append("█" * full + (BLOCKS[part] if part else ""), style="cyan")
        out.append("\n")
    return out


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
    ReportsScreen #output { width: auto; }
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
        yield Footer()

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
        clock = self.crm.clock
        width = max(30, self.query_one("#result").size.width - 4)

        def run(s):
            return spec.compute(s, parse_options(values, spec, clock))

        def done(result):
            from rich.console import Group
            from rich.measure import Measurement

            group = Group(*render_result(result, width))
            console = self.app.console
            natural = Measurement.get(console, console.options.update(width=2000), group).maximum
            output = self.query_one("#output", Static)
            output.styles.width = max(natural, width)  # wider than the pane: it scrolls
            output.update(group)
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
