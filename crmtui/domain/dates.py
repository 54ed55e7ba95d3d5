"""Dates as people type them and as files carry them.

- ISO 8601 always works (`2026-12-31`, `2026-12-31T14:00`, `...Z`, `...+02:00`).
- Friendly forms (`today`, `tomorrow`, `+3d`, `in 2 weeks`, `next friday`, `monday`) go
  through `dateparser`, relative to the local clock, preferring the future.
- Numeric day/month forms (`03/04/2024`) are read only when they cannot mean two dates
  (`13/04/2024`); otherwise the caller must say the format.

Times are stored in UTC; a date given without a time means 09:00 local time for due dates.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from crmtui.errors import Invalid

_NUMERIC = re.compile(r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\s*$")
DEFAULT_DUE_TIME = time(9, 0)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local_now() -> datetime:
    return datetime.now().astimezone()


def local_today() -> date:
    return local_now().date()


def localize(naive: datetime, tz=None) -> datetime:
    """A naive local time made aware with the zone rules *of that date* (daylight saving
    time included), not today's offset: 2024-07-01 00:00 in Sydney is +10:00 even when
    it is read in November (+11:00). `tz`, when given and not the machine's own zone at
    present (a caller's fixed clock), is used as is."""
    if naive.tzinfo is not None:
        return naive
    if tz is not None and tz.utcoffset(None) != local_now().utcoffset():
        return naive.replace(tzinfo=tz)
    try:
        return naive.astimezone()  # mktime: the local zone's rules for that moment
    except (OverflowError, ValueError, OSError):  # outside what the C library handles
        return naive.replace(tzinfo=tz or local_now().tzinfo)


def local_midnight(d: date, at: time = time(0), tz=None) -> datetime:
    """`d` at local time `at` (midnight by default), in UTC, with that date's offset."""
    return localize(datetime.combine(d, at), tz).astimezone(timezone.utc)


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 for JSON/CSV: dates as YYYY-MM-DD, datetimes in UTC with a Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def human(value: datetime | date | None) -> str:
    """For tables: local time without seconds, or the date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _bad(field: str, value: object, extra: str = "") -> Invalid:
    return Invalid(
        f"{field}: {value!r} is not a date I can read{extra}",
        field=field, value=value,
        hint="use ISO 8601 (2026-12-31) or a form like 'today', 'tomorrow', '+3d', 'next friday'",
    )


def full_year(text: str) -> int:
    """A year as written: two digits follow Python's `%y` (and so `--date-format MM/DD/YY`):
    69-99 are 1969-1999, 00-68 are 2000-2068; more digits are the year itself."""
    year = int(text)
    if len(text) <= 2:
        return year + (1900 if year >= 69 else 2000)
    return year


def read_numeric(text: str, field: str = "date") -> date | None:
    """`13/04/2024` or `2024/04/13`; None when not of that shape; Invalid when ambiguous."""
    m = _NUMERIC.match(text)
    if not m:
        return None
    a, b, c = (int(x) for x in m.groups())
    if len(m.group(1)) == 4:  # year first: y/m/d
        candidates = {(a, b, c)}
    else:
        year = full_year(m.group(3))
        candidates = {(year, b, a), (year, a, b)}  # d/m/y and m/d/y
    valid = set()
    for y, mo, d in candidates:
        try:
            valid.add(date(y, mo, d))
        except ValueError:
            pass
    if len(valid) == 1:
        return valid.pop()
    if not valid:
        raise _bad(field, text)
    raise Invalid(
        f"{field}: {text!r} could be day/month or month/day",
        field=field, value=text, hint="write it as ISO 8601 (YYYY-MM-DD)",
    )


def _friendly(text: str, field: str, now: datetime) -> datetime:
    import dateparser

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "STRICT_PARSING": False,
    }
    result = dateparser.parse(text, languages=["en"], settings=settings)
    if result is None:
        raise _bad(field, text)
    return result


def parse_date(value: object, field: str = "date", *, now: datetime | None = None) -> date:
    try:
        return _parse_date(value, field, now=now)
    except (OverflowError, ValueError):  # e.g. past year 9999 once moved to UTC
        raise _bad(field, value, " (it is outside the years 1 to 9999)") from None


def _parse_date(value: object, field: str = "date", *, now: datetime | None = None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        raise _bad(field, value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    numeric = read_numeric(text, field)
    if numeric is not None:
        return numeric
    return _friendly(text, field, now or local_now()).date()


def parse_when(value: object, field: str = "due", *, now: datetime | None = None,
               default_time: time = DEFAULT_DUE_TIME) -> datetime:
    """A point in time, returned aware in UTC. Dates without a time get `default_time` local."""
    try:
        return _parse_when(value, field, now=now, default_time=default_time)
    except (OverflowError, ValueError):
        raise _bad(field, value, " (it is outside the years 1 to 9999)") from None


def _parse_when(value: object, field: str, *, now: datetime | None,
                default_time: time) -> datetime:
    now = now or local_now()
    tz = now.tzinfo or timezone.utc

    def utc(naive: datetime) -> datetime:  # local wall time -> UTC, with that date's offset
        return localize(naive, tz).astimezone(timezone.utc)

    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else utc(value)
    if isinstance(value, date):
        return utc(datetime.combine(value, default_time))
    text = str(value).strip()
    if not text:
        raise _bad(field, value)
    try:
        d = date.fromisoformat(text)
        return utc(datetime.combine(d, default_time))
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt.astimezone(timezone.utc) if dt.tzinfo else utc(dt)
    except ValueError:
        pass
    numeric = read_numeric(text, field)
    if numeric is not None:
        return utc(datetime.combine(numeric, default_time))
    result = _friendly(text, field, now)
    base = now.replace(tzinfo=None)
    has_time = result.time() != base.time() and result.time() != time(0)
    if not has_time:
        result = datetime.combine(result.date(), default_time)
    return utc(result)


def start_of_local_day(d: date) -> datetime:
    return local_midnight(d)


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier) / timedelta(days=1)
