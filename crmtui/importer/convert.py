"""One converter per mapped column: text from the file -> the value the store keeps.

The rules are those of `domain.values` and `domain.dates` (the CLI and the app use the same),
with what only files need on top:
- numbers: `--decimal-comma` reads amounts written `1.234,56` and whole numbers and
  percentages written `1.234` (a dot between thousands; `7,5` % is then 7.5, refused as
  `7.5` is: percentages are whole). Without it, a comma is taken only between thousands
  (`1,234`): `1,5` is refused, never read as 15;
- dates: ISO 8601 always; `--date-format` (strftime codes or DD/MM/YYYY-style tokens) for
  others (a time of day may follow a date under a date-only format, and a date may come
  without the time a format gives; Excel serials still read with `--excel-dates`); without it, numeric dates like `03/04/2024` are read only when the whole column
  reads one way (some day above 12 settles day/month versus month/day); a column where every
  value could be either, or where values disagree, stops the import and asks for
  `--date-format`. Excel serial numbers (45000) only with `--excel-dates`.
- a date without a time means 00:00 local time for history (created_at, closed_at, done_at)
  and 09:00 local time for due dates, as everywhere in crmtui.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from crmtui.domain import dates, values
from crmtui.domain.fields import FieldSpec
from crmtui.errors import Invalid, UsageError
from crmtui.importer.options import StopImport

NUMERIC_DATE = re.compile(
    r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp]\.?[Mm]\.?)?)?$")
TIME_TAIL = re.compile(  # a time of day after a date: ` 10:15`, `T10:15:30`, ` 3:05 PM`
    r"[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp]\.?[Mm]\.?)?$")
_TIME_CODES = re.compile(r"%[HIMSpfXTRrcz]")
EXCEL_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
EXCEL_EPOCH = date(1899, 12, 30)
_TOKENS = (("YYYY", "%Y"), ("YY", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"),
           ("DD", "%d"), ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("AM", "%p"),
           ("PM", "%p"), ("M", "%m"), ("D", "%d"))
_FORMAT_HINT = ("e.g. --date-format DD/MM/YYYY, DD-MMM-YYYY (30-Jun-2024), MM/DD/YY HH:mm, "
                "or strftime codes such as '%d.%m.%Y %H:%M'")
ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year"}


def strptime_format(text: str | None) -> str | None:
    """`DD/MM/YYYY HH:mm` or a strftime format -> a strftime format."""
    if not text:
        return None
    if "%" in text:
        _check_format(text, text)
        return text
    out, i = "", 0
    while i < len(text):
        for token, code in _TOKENS:
            if text.startswith(token, i):
                out += code
                i += len(token)
                break
        else:
            out += text[i]
            i += 1
    if "%" not in out:
        raise UsageError(f"--date-format {text!r} names no date parts", hint=_FORMAT_HINT)
    _check_format(text, out)
    return out


def _check_format(text: str, fmt: str) -> None:
    """A format strptime cannot use (an unknown code, a part given twice) is a usage error
    before anything is read, not a reject on every row."""
    import re as _re

    codes = _re.findall(r"%(.)", fmt.replace("%%", ""))
    twice = sorted({c for c in codes if codes.count(c) > 1 and c not in "%"})
    if twice:
        raise UsageError(f"--date-format {text!r} gives " + ", ".join(
            f"%{c}" for c in twice) + " more than once", hint=_FORMAT_HINT)
    sample = datetime(2001, 2, 3, 4, 5, 6)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except _re.error as exc:
        raise UsageError(f"--date-format {text!r} cannot be used: {exc.msg}",
                         hint=_FORMAT_HINT) from None
    except ValueError as exc:
        message = str(exc)
        if "directive" in message or "stray %" in message or "format" in message.lower():
            raise UsageError(f"--date-format {text!r} cannot be used: {message}",
                             hint=_FORMAT_HINT) from None


def date_part(fmt: str) -> str | None:
    """The date-only head of a strftime format with a time (`%d/%m/%Y %H:%M` ->
    `%d/%m/%Y`); None when the format has no time, or its time is not at the end."""
    found = _TIME_CODES.search(fmt.replace("%%", "\0\0"))
    if found is None:
        return None
    head = fmt[:found.start()].rstrip(" T,@")
    rest = fmt[found.start():].replace("%%", "")
    if "%" not in head or re.search(r"%[^HIMSpfXTRrcz]", rest):
        return None  # a date part after the time: `%H:%M %d/%m/%Y`
    return head


def _iso(text: str):
    if len(text) <= 10:  # longer text is never an ISO date (only a date and time)
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def numeric_candidates(m: re.Match) -> dict[str, date]:
    """The dates a numeric match can mean, by order (y/m/d first has only one)."""
    a, b, c = m.group(1), int(m.group(2)), m.group(3)
    out = {}
    if len(a) == 4:
        try:
            out["ymd"] = date(int(a), b, int(c))
        except ValueError:
            pass
        return out
    year = dates.full_year(c)  # 98 -> 1998, 24 -> 2024, as %y reads them
    for order, (mo, d) in (("dmy", (b, int(a))), ("mdy", (int(a), b))):
        try:
            out[order] = date(year, mo, d)
        except ValueError:
            pass
    return out


def _time_of(m: re.Match) -> time | None:
    if m.group(4) is None:
        return None
    return _clock(m.group(4), m.group(5), m.group(6), m.group(7))


def _clock(hour_text: str, minute_text: str, second_text: str | None,
           ampm_text: str | None) -> time:
    """The time of `10:15`, `10:15:30` or `3:05 PM`; ValueError when it is no time."""
    hour, minute, second = int(hour_text), int(minute_text), int(second_text or 0)
    ampm = (ampm_text or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("hour")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    return time(hour, minute, second)


class DateColumn:
    """Reads one date or datetime column; asks `infer` for the column's order when needed."""

    def __init__(self, spec: FieldSpec, column: str, index: int, *, fmt: str | None,
                 excel: bool, infer: Callable[[int], str]):
        self.spec = spec
        self.column = column
        self.index = index
        self.fmt = fmt
        self.excel = excel
        self.infer = infer
        self.order: str | None = None
        self.cache: dict[str, object] = {}
        self.default_time = dates.DEFAULT_DUE_TIME if spec.name == "due" else time(0)

    def __call__(self, text: str):
        hit = self.cache.get(text)
        if hit is not None:
            return hit
        try:
            value = self.finish(self.read(text))
        except OverflowError:  # 9999-12-31T23:59-10:00 is past the last date in UTC
            raise Invalid(f"{text!r} is outside the dates that can be stored "
                          "(years 1 to 9999, in UTC)") from None
        if len(self.cache) > 50_000:
            self.cache.clear()
        self.cache[text] = value
        return value

    def read(self, text: str):
        value = _iso(text)
        if value is not None:
            return value
        if self.fmt:
            return self.formatted(text)
        m = NUMERIC_DATE.match(text)
        if m:
            found = numeric_candidates(m)
            if not found:  # 2024-02-30, 31/31/2024: no reading is a date
                raise Invalid(f"{text!r} is not a valid date")
            if "ymd" in found:
                chosen = found["ymd"]
            else:
                if self.order is None:
                    self.order = self.infer(self.index)
                chosen = found.get(self.order)
                if chosen is None:
                    raise Invalid(f"{text!r} is not a date when read as "
                                  f"{ORDERS[self.order]} (as the rest of the column is)")
            try:
                moment = _time_of(m)
            except ValueError:
                raise Invalid(f"{text!r} has an impossible time") from None
            return datetime.combine(chosen, moment) if moment else chosen
        if EXCEL_SERIAL.match(text):
            return self.serial(text)
        if self.spec.kind == "date":
            return dates.parse_date(text, self.spec.name)
        return dates.parse_when(text, self.spec.name, default_time=self.default_time)

    def formatted(self, text: str):
        """`text` read with --date-format. A time of day may follow a value under a
        date-only format (`01/02/2026 10:15` under DD/MM/YYYY), and a value may leave out
        the time of a format with one (`14/03/2027` under DD/MM/YYYY HH:mm: the date, at the
        column's usual time); Excel serial numbers still read with --excel-dates."""
        fmt = self.fmt
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
        head = date_part(fmt)
        if head is None:  # a date-only format: perhaps a time follows the date
            tail = TIME_TAIL.search(text)
            if tail is not None and tail.start() > 0:
                try:
                    day = datetime.strptime(text[:tail.start()], fmt)
                except ValueError:
                    pass
                else:
                    try:
                        moment = _clock(*tail.groups())
                    except ValueError:
                        raise Invalid(f"{text!r} has an impossible time") from None
                    return datetime.combine(day.date(), moment)
        else:  # a format with a time: perhaps the value is only the date
            try:
                return datetime.strptime(text, head).date()
            except ValueError:
                pass
        if EXCEL_SERIAL.match(text):
            if self.excel:
                return self.serial(text)
            raise Invalid(f"{text!r} does not match --date-format {fmt}",
                          hint="pass --excel-dates to read such numbers as Excel dates")
        raise Invalid(f"{text!r} does not match --date-format {fmt}")

    def serial(self, text: str):
        """An Excel serial date number (45000, 45000.5), with --excel-dates."""
        if not self.excel:
            raise Invalid(f"{text!r} looks like an Excel serial date number",
                          hint="pass --excel-dates to read such numbers as dates")
        number = float(text)
        if not 1 <= number < 2958466:
            raise Invalid(f"{text!r} is outside Excel's dates")
        whole = int(number)
        moment = EXCEL_EPOCH + timedelta(days=whole)
        seconds = round((number - whole) * 86400)
        return datetime.combine(moment, time(0)) + timedelta(seconds=seconds) if seconds \
            else moment

    def finish(self, value):
        if self.spec.kind == "date":
            return value.date() if isinstance(value, datetime) else value
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(timezone.utc)
        if not isinstance(value, datetime):
            value = datetime.combine(value, self.default_time)
        # local wall time, with the offset of that date (DST), not of today
        return dates.localize(value).astimezone(timezone.utc)


def order_verdict(column: str, stats: dict) -> str:
    """The column's order from a scan, or Invalid asking for --date-format."""
    possible = stats["possible"]
    if not stats["differs"]:
        return "dmy"  # every value reads the same either way
    if len(possible) == 1:
        return next(iter(possible))
    if not possible:
        (dmy_value, dmy_line), (mdy_value, mdy_line) = stats["only"]["dmy"], stats["only"]["mdy"]
        raise StopImport(
            f"column {column!r} mixes day/month dates ({dmy_value!r}, line {dmy_line}) with "
            f"month/day dates ({mdy_value!r}, line {mdy_line})",
            hint="say how to read it: --date-format DD/MM/YYYY or --date-format MM/DD/YYYY; "
                 "nothing was imported")
    value, line = stats["example"]
    raise StopImport(
        f"column {column!r} has dates like {value!r} (line {line}) that read as day/month or "
        "as month/day, and no value in the column settles which",
        hint="say how to read it: --date-format DD/MM/YYYY or --date-format MM/DD/YYYY; "
             "nothing was imported")


def new_stats() -> dict:
    return {"possible": {"dmy", "mdy"}, "differs": False, "example": None,
            "only": {"dmy": None, "mdy": None}}


def observe(stats: dict, text: str, line: int) -> None:
    """Fold one value of a date column into the scan's statistics."""
    if _iso(text) is not None:
        return
    m = NUMERIC_DATE.match(text)
    if not m:
        return
    found = numeric_candidates(m)
    if "ymd" in found or not found:
        return
    if len(found) == 2 and found["dmy"] != found["mdy"]:
        stats["differs"] = True
        if stats["example"] is None:
            stats["example"] = (text, line)
    elif len(found) == 1:
        order = next(iter(found))
        stats["differs"] = True
        stats["possible"] &= {order}
        if stats["only"][order] is None:
            stats["only"][order] = (text, line)


# Lead statuses other CRMs export -> ours (compared ignoring case, spaces and punctuation).
#
# | exported by          | value                                   | becomes      |
# |----------------------|-----------------------------------------|--------------|
# | Salesforce           | Open - Not Contacted                    | new          |
# | Salesforce           | Working - Contacted                     | working      |
# | Salesforce           | Closed - Converted                      | converted    |
# | Salesforce           | Closed - Not Converted                  | disqualified |
# | HubSpot (lead status)| New, Open                               | new          |
# | HubSpot              | In Progress, Attempted to Contact,      | working      |
# |                      | Connected                               |              |
# | HubSpot              | Open Deal                               | qualified    |
# | HubSpot              | Unqualified, Bad Timing                 | disqualified |
# | Pipedrive (leads)    | Open                                    | new          |
# | Pipedrive            | Archived, Lost                          | disqualified |
# | Pipedrive            | Won, Converted                          | converted    |
# | common               | Contacted, Nurturing, Engaged           | working      |
# | common               | Qualified, SQL, MQL                     | qualified    |
# | common               | Not Qualified, Junk, Disqualified       | disqualified |
#
# A lead disqualified this way without a disqualify_reason column keeps the exported value
# as its reason ("Closed - Not Converted (imported status)"). HubSpot's lifecycle stage is
# not a lead status (subscriber, customer, evangelist...): that column goes to extra.
LEAD_STATUS_MAP = {
    "opennotcontacted": "new", "workingcontacted": "working",
    "closedconverted": "converted", "closednotconverted": "disqualified",
    "new": "new", "open": "new", "notcontacted": "new",
    "inprogress": "working", "attemptedtocontact": "working", "connected": "working",
    "contacted": "working", "nurturing": "working", "nurture": "working",
    "engaged": "working", "working": "working",
    "opendeal": "qualified", "qualified": "qualified", "sql": "qualified",
    "mql": "qualified", "salesqualified": "qualified", "marketingqualified": "qualified",
    "unqualified": "disqualified", "badtiming": "disqualified", "notqualified": "disqualified",
    "junk": "disqualified", "archived": "disqualified", "lost": "disqualified",
    "disqualified": "disqualified",
    "won": "converted", "converted": "converted",
}


def lead_status(text: str, column: str | None = None) -> str:
    """A lead status as ours or as another CRM exports it (`LEAD_STATUS_MAP`)."""
    from crmtui.domain.fields import LEAD_STATUSES

    from crmtui.importer.mapping import norm

    found = LEAD_STATUS_MAP.get(norm(text))
    if found is not None:
        return found
    where = f"--map '{column}=extra'" if column else "--map 'COLUMN=extra'"
    raise Invalid(f"status: {text!r} is not a lead status; expected one of "
                  + ", ".join(LEAD_STATUSES) + " (or a Salesforce, HubSpot or Pipedrive one)",
                  field="status", value=text,
                  hint=f"if the column is something else, keep it in extra: {where}")


def comma_hint(read, decimal_comma: bool):
    """`read` (an amount parser), whose refusal of `1.234,56` also names the import's
    `--decimal-comma` option (the domain's message cannot: no other command has it)."""
    if decimal_comma:
        return read

    def reading(value):
        try:
            return read(value)
        except Invalid as exc:
            if "," not in str(value):
                raise
            raise Invalid(f"{exc.message} (pass --decimal-comma for 1.234,56)",
                          field=exc.field, value=exc.value, hint=exc.hint) from None

    return reading


def comma_retry(read: Callable[[str, bool], object], decimal_comma: bool):
    """`read(value, decimal_comma)` for one column; without `--decimal-comma`, a value it
    refuses that would read with it (`1.200` for 1200) says so in the refusal."""
    if decimal_comma:
        return lambda v: read(v, True)

    def reading(value):
        try:
            return read(value, False)
        except Invalid as exc:
            try:
                would = read(value, True)
            except Invalid:
                raise exc from None
            raise Invalid(f"{exc.message} (pass --decimal-comma to read {value!r} as {would})",
                          field=exc.field, value=exc.value, hint=exc.hint) from None

    return reading


def make(spec: FieldSpec, *, decimal_comma: bool, entity: str | None = None,
         column: str | None = None) -> Callable[[str], object] | None:
    """A converter for a non-date field kind (None: the raw text is resolved later)."""
    name, kind = spec.name, spec.kind
    if entity == "lead" and name == "status":
        return lambda v: lead_status(v, column)
    if name == "currency":
        return lambda v: values.parse_currency(v, name)
    if kind == "text":
        return None
    if kind == "email":  # cells come stripped: try the validator's fast path first
        quick = values.quick_email
        return lambda v: quick(v) or values.parse_email(v, name)
    if kind == "phone":
        quick = values.quick_phone
        return lambda v: quick(v) or values.parse_phone(v, name)
    if kind == "url":
        return lambda v: values.parse_url(v, name)
    if kind == "int":  # 1,234 (1.234 with --decimal-comma); never 1,5 as 15
        return comma_retry(lambda v, comma: values.parse_int(
            v, name, maximum=values.INT32_MAX, decimal_comma=comma), decimal_comma)
    if kind == "money":
        read = comma_hint(lambda v: values.parse_money(v, name, decimal_comma=decimal_comma),
                          decimal_comma)
        return lambda v: values.to_minor(read(v))
    if kind == "percent":
        return comma_retry(lambda v, comma: values.parse_percent(
            v, name, decimal_comma=comma), decimal_comma)
    if kind == "choice":
        choices = spec.choices
        where = f"--map '{column}=extra'" if column else "--map 'COLUMN=extra'"

        def choice(v: str):
            try:
                return values.parse_choice(v, name, choices)
            except Invalid as exc:
                raise Invalid(exc.message, field=name, value=v,
                              hint=f"if the column is something else, keep it in extra: "
                                   f"{where}") from None
        return choice
    if kind == "tags":
        return lambda v: values.parse_tags(v, name)
    return None  # ref, target, fullname: handled by the row builder and the writer
