"""Turning records into what the app shows: safe Rich `Text`, formatted amounts and dates.

Everything from the store passes through `textsafe.visible` and becomes a `Text` object, so
nothing a record holds is ever read as markup or reaches the terminal as a control sequence.
These functions run in worker threads; they import no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from rich.text import Text

from crmtui.domain import dates, values
from crmtui.textsafe import visible

LABEL = {"lead": "Lead", "account": "Account", "contact": "Contact", "opportunity": "Deal",
         "activity": "Activity"}
PLURAL = {"lead": "Leads", "account": "Accounts", "contact": "Contacts",
          "opportunity": "Deals", "activity": "Activities"}


class Clock:
    """The app's idea of now. Tests pin it; otherwise it is the real time."""

    def __init__(self, fixed: datetime | None = None):
        if fixed is not None and fixed.tzinfo is None:
            fixed = fixed.replace(tzinfo=timezone.utc)
        self.fixed = fixed

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(timezone.utc)

    def local_now(self) -> datetime:
        return self.fixed.astimezone() if self.fixed is not None else dates.local_now()

    def today(self) -> date:
        return self.local_now().date()


def t(value: object, style: str = "", *, limit: int | None = None) -> Text:
    """A store value as literal, terminal-safe text."""
    return Text(visible(value, limit=limit), style=style, end="")


def tm(value: object, style: str = "") -> Text:
    """Multi-line store text (notes, bodies): newlines kept, every control made visible."""
    return Text(visible(value, multiline=True), style=style, end="")


def money(minor: int | None, currency: str | None = None) -> str:
    return values.money_human(minor, currency) if minor is not None else ""


SHORT_UNITS = ((1, "", 0), (10**3, "k", 1), (10**6, "M", 1), (10**9, "B", 1))


def short_money(minor: int | None) -> str:
    """12,345,678.00 -> 12.3M; for headers and charts where space is tight. Rounded (half
    up) before the unit is chosen, so 999,999 is 1M, never 1000k."""
    if minor is None:
        return ""
    major = Decimal(minor) / 100
    for i, (size, suffix, places) in enumerate(SHORT_UNITS):
        value = (major / size).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if abs(value) < 1000 or i == len(SHORT_UNITS) - 1:
            text = f"{value:,.{places}f}"
            if places:
                text = text.rstrip("0").rstrip(".")
            return ("0" if text == "-0" else text) + suffix
    raise AssertionError("unreachable")


def when(value: datetime | None, clock: Clock) -> str:
    """A timestamp for people: local time, with 'today'/'tomorrow'/'yesterday' when near."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(clock.local_now().tzinfo)
    day = rel_day(local.date(), clock.today())
    return f"{day} {local:%H:%M}"


def rel_day(d: date | None, today: date) -> str:
    if d is None:
        return ""
    delta = (d - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return d.isoformat()




def date_text(d: date | None, today: date, *, overdue: bool = False) -> Text:
    if d is None:
        return Text("")
    return Text(d.isoformat(), style="bold red" if overdue else "", end="")


STATUS_STYLE = {
    "new": "cyan", "working": "yellow", "qualified": "green", "disqualified": "dim",
    "converted": "magenta", "open": "", "won": "bold green", "lost": "red", "done": "dim",
}


def status(value: str | None) -> Text:
    return Text(visible(value), style=STATUS_STYLE.get(value or "", ""), end="")


def flags(stale: bool, overdue: bool) -> Text:
    out = Text(end="")
    if stale:
        out.append("stale", style="yellow")
    if overdue:
        if stale:
            out.append(" ")
        out.append("overdue", style="bold red")
    return out


@dataclass
class Facts:
    """What the app needs to judge deals: the clock, stages by id, and the domain's rules."""

    clock: Clock
    stages: dict

    def stale(self, opp) -> list[str]:
        from crmtui.domain import opportunities

        stage = self.stages.get(opp.stage_id)
        return opportunities.stale_reasons(opp, stage, now=self.clock.now()) if stage else []

    def overdue(self, opp) -> bool:
        from crmtui.domain import opportunities

        stage = self.stages.get(opp.stage_id)
        return bool(stage) and opportunities.is_overdue(opp, stage, today=self.clock.today())


def facts(s, clock: Clock) -> Facts:
    from sqlalchemy import select

    from crmtui.store.models import Stage

    return Facts(clock=clock, stages={st.id: st for st in s.scalars(select(Stage))})



