"""Calendar periods as reports name them: ``2026-11`` (month), ``2026-Q4`` (quarter), ISO weeks.

Pure Python: the same labels the SQL buckets in `crmtui.reports.sql` produce.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from crmtui.errors import Invalid

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$|^\s*[Qq]([1-4])\s*[-/ ]?\s*(\d{4})\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def label(d: date, by: str) -> str:
    if by == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if by == "quarter":
        return f"{d.year:04d}-Q{(d.month + 2) // 3}"
    if by == "week":
        return week_label(monday(d))
    if by == "day":
        return d.isoformat()
    raise ValueError(by)


def roll_up(month: str | None, by: str) -> str | None:
    """A month label (``2026-11``) as the label of the `by` period holding it."""
    if month is None or by == "month":
        return month
    if by == "quarter":
        return f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}"
    raise ValueError(by)


def kind_of(text: str) -> str:
    return "quarter" if "Q" in text else "month"


def parse(text: object, field: str = "period") -> str:
    """`2026-Q4`, `2026q4`, `Q4 2026` or `2026-11` -> the canonical label; Invalid otherwise."""
    raw = str(text or "")
    m = _QUARTER.match(raw)
    if m:
        year, quarter = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return f"{int(year):04d}-Q{int(quarter)}"
    m = _MONTH.match(raw)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    raise Invalid(f"{field}: {raw!r} is not a period", field=field, value=raw,
                  hint="write a quarter as 2026-Q4 or a month as 2026-11")


def bounds(text: str) -> tuple[date, date]:
    """First and last day of a period label (month or quarter)."""
    text = parse(text)
    year = int(text[:4])
    if "Q" in text:
        first_month = (int(text[-1]) - 1) * 3 + 1
        start = date(year, first_month, 1)
        end = _add_months(start, 3) - timedelta(days=1)
    else:
        start = date(year, int(text[5:7]), 1)
        end = _add_months(start, 1) - timedelta(days=1)
    return start, end


def start_of(d: date, by: str) -> date:
    if by == "month":
        return d.replace(day=1)
    if by == "quarter":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    if by == "week":
        return monday(d)
    return d


def step(d: date, by: str, n: int = 1) -> date:
    """The start of the period `n` periods after the one starting at `d`."""
    if by == "month":
        return _add_months(d, n)
    if by == "quarter":
        return _add_months(d, 3 * n)
    if by == "week":
        return d + timedelta(weeks=n)
    return d + timedelta(days=n)


def span(first: date, last: date, by: str) -> list[tuple[str, date, date]]:
    """Every period from the one holding `first` to the one holding `last`:
    (label, first day, last day)."""
    out = []
    start = start_of(first, by)
    while start <= last:
        nxt = step(start, by)
        out.append((label(start, by), start, nxt - timedelta(days=1)))
        start = nxt
    return out


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def week_label(monday_: date) -> str:
    year, week, _ = monday_.isocalendar()
    return f"{year:04d}-W{week:02d}"


def fill(labels: list[str], by: str) -> list[str]:
    """Sorted period labels with the gaps between the first and last filled in."""
    if by not in ("month", "quarter") or not labels:
        return sorted(labels)
    ordered = sorted(labels)
    first, _ = bounds(ordered[0])
    last, _ = bounds(ordered[-1])
    return [lbl for lbl, _, _ in span(first, last, by)]


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    return date(d.year + month // 12, month % 12 + 1, 1)
