"""Property tests: the parsers as the importer uses them, and the fast paths' equivalence."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import phonenumbers
from hypothesis import given, settings, strategies as st

from crmtui.domain import values
from crmtui.domain.fields import field
from crmtui.importer import convert

money = convert.make(field("opportunity", "amount"), decimal_comma=False)
money_comma = convert.make(field("opportunity", "amount"), decimal_comma=True)


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_amounts_in_every_written_form_import_exactly(amount):
    cents = int(amount * 100)
    for text in (f"{amount:.2f}", f"{amount:,.2f}", f"${amount:,.2f}", f"USD {amount:.2f}"):
        assert money(text) == cents
    comma = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert money_comma(comma) == cents
    if amount == amount.to_integral_value():
        assert money(str(int(amount))) == cents


def _column(dates_list, order):
    stats = convert.new_stats()
    texts = []
    for d in dates_list:
        a, b = (d.day, d.month) if order == "dmy" else (d.month, d.day)
        texts.append(f"{a:02d}/{b:02d}/{d.year}")
    for i, t in enumerate(texts):
        convert.observe(stats, t, i + 2)
    return stats, texts


dates_ = st.lists(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
                  min_size=1, max_size=30)


@given(dates_, st.sampled_from(["dmy", "mdy"]))
def test_a_column_that_reads_one_way_is_read_that_way(ds, order):
    stats, texts = _column(ds, order)
    decisive = any(d.day > 12 and d.day != d.month for d in ds)
    if not decisive:
        ambiguous = any(d.day != d.month and d.day <= 12 for d in ds)
        if ambiguous:
            try:
                convert.order_verdict("c", stats)
            except convert.StopImport:
                return
            raise AssertionError("an undecidable column was accepted")
        return
    chosen = convert.order_verdict("c", stats)
    assert chosen == order
    column = convert.DateColumn(field("opportunity", "close_date"), "c", 0, fmt=None,
                                excel=False, infer=lambda i: chosen)
    assert [column(t) for t in texts] == ds


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_iso_dates_always_import(d):
    column = convert.DateColumn(field("opportunity", "close_date"), "c", 0, fmt=None,
                                excel=False, infer=lambda i: 1 / 0)
    assert column(d.isoformat()) == d


def _slow_phone(text):
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+[1-9][0-9]{6,16}", fullmatch=True))
def test_e164_fast_path_matches_the_full_parser(text):
    if values._e164_kept(text):
        assert _slow_phone(text) == text


local = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,12}(\.[A-Za-z0-9_-]{1,8}){0,2}",
                      fullmatch=True)
domain = st.sampled_from(["example.com", "Example.COM", "sub.example.org", "x.io", "localhost",
                          "bad..com", "-x.com", "xn--bcher-kva.example", "a.b", "exa_mple.com",
                          "test", "mail.invalid"])


@settings(max_examples=300, deadline=None)
@given(local, domain)
def test_email_fast_path_matches_the_validator(loc, dom):
    from email_validator import EmailNotValidError, validate_email

    text = f"{loc}@{dom}"
    try:
        slow = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        slow = None
    fast = values._simple_email(text)
    if fast is not None:
        assert fast == slow


def test_email_fast_path_lowercases_role_mailboxes_as_the_validator_does():
    # regression: `Sales@x.com` kept its capital while the validator gives `sales@x.com`
    from email_validator import validate_email

    for text in ("Sales@Example.com", "POSTMASTER@example.org", "Info@x.io"):
        assert values.parse_email(text) == validate_email(
            text, check_deliverability=False).normalized


intl_local = st.lists(st.sampled_from(
    list("abcxyzAZ09._-+'") + list("éëüßçøłñÅÉŁŽžαβγжЖ中文ー한国ｱ") +
    ["e\u0301", "\u0301", "\u200b", "\u202e", "\u00a0", " ", "\ufb01", "Å", "\u1100\u1161",
     "\U0001F600", "\u2160", "¹", "@", '"']), min_size=1, max_size=14).map("".join)


@settings(max_examples=400, deadline=None)
@given(intl_local, domain)
def test_internationalised_email_fast_path_matches_the_validator(loc, dom):
    from email_validator import EmailNotValidError, validate_email

    text = f"{loc}@{dom}"
    try:
        slow = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        slow = None
    fast = values._intl_email(text)
    if fast is not None:
        assert fast == slow
    try:  # parse_email strips the text first
        slow = validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        slow = None
    try:
        assert values.parse_email(text) == slow
    except values.Invalid:
        assert slow is None


written_phone = st.builds(
    lambda cc, groups, seps: "+" + cc + "".join(s + g for s, g in zip(seps, groups)),
    st.sampled_from(["1", "44", "49", "33", "39", "7", "86", "91", "351", "420", "800", "882",
                     "979", "1268", "2", "0", "999", "262", "590", "47", "61", "672"]),
    st.lists(st.from_regex(r"[0-9]{1,5}", fullmatch=True), min_size=1, max_size=5),
    st.lists(st.sampled_from(["", " ", "-", ".", "(", ")", " (", ") ", "--", " - "]),
             min_size=5, max_size=5))


@settings(max_examples=600, deadline=None)
@given(written_phone)
def test_written_international_phone_fast_path_matches_the_full_parser(text):
    fast = values._international_phone(text)
    if fast is not None:
        assert fast == _slow_phone(text)
    assert values.parse_phone(text) == _slow_phone(text)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
       st.from_regex(r"[1-9][0-9]{1,16}", fullmatch=True))
def test_precompiled_validity_is_phonenumbers_is_valid_number(code, national):
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    assert values._valid_number(code, national) == phonenumbers.is_valid_number(number)


def test_precompiled_validity_on_real_numbers_of_every_region():
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.TOLL_FREE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            national = phonenumbers.national_significant_number(number)
            text = "+" + str(number.country_code) + national
            assert values.parse_phone(text) == _slow_phone(text), text
            if national.startswith("0"):  # Italian leading zero: never on the fast path
                assert not values._e164_kept(text)
                continue
            assert values._valid_number(number.country_code, national) == \
                phonenumbers.is_valid_number(number), (region, kind)
            written = phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            assert values.parse_phone(written) == _slow_phone(written), written


@settings(deadline=None)
@given(st.text(alphabet="0123456789,._- ٣²", min_size=1, max_size=8), st.booleans())
def test_plain_digits_fast_path_of_parse_int(text, decimal_comma):
    import re

    group = "." if decimal_comma else ","

    def slow(t):  # parse_int's own rule, spelled out
        t = t.strip().replace("_", "")
        if group in t:  # a separator only between thousands: 1,234 (never 1,5 as 15)
            if not re.fullmatch(r"-?\d{1,3}(" + re.escape(group) + r"\d{3})+", t):
                return "bad"
            t = t.replace(group, "")
        if not re.fullmatch(r"-?\d+", t):
            return "bad"
        return int(t) if int(t) >= 0 else "bad"

    try:
        got = values.parse_int(text, "n", decimal_comma=decimal_comma)
    except values.Invalid:
        got = "bad"
    assert got == slow(text)


whole = convert.make(field("account", "employees"), decimal_comma=False)
whole_comma = convert.make(field("account", "employees"), decimal_comma=True)
percent = convert.make(field("opportunity", "probability"), decimal_comma=False)
percent_comma = convert.make(field("opportunity", "probability"), decimal_comma=True)


@given(st.integers(min_value=0, max_value=values.INT32_MAX))
def test_whole_numbers_in_every_written_form_import_exactly(number):
    grouped = f"{number:,}"
    assert whole(str(number)) == whole(grouped) == number
    assert whole_comma(str(number)) == whole_comma(grouped.replace(",", ".")) == number
    if number <= 100:
        assert percent(f"{number}%") == percent_comma(f"{number} %") == number


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=2, max_size=4),
       st.integers(min_value=0, max_value=2))
def test_a_separator_not_between_thousands_is_refused_never_dropped(groups, short):
    """`1,5`, `12,34,5`, `1,2345`: refused (not 15, 12345); so `1.5` with --decimal-comma."""
    import pytest

    parts = [str(groups[0])] + [f"{g:03d}" for g in groups[1:]]
    i = 1 + short % (len(parts) - 1)
    parts[i] = parts[i][:-1] if short else parts[i] + "0"  # one group of 2 or 4 digits
    for sep, read in ((",", whole), (".", whole_comma)):
        text = sep.join(parts)
        with pytest.raises(values.Invalid, match="between thousands"):
            read(text)


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=1, max_value=9))
def test_percentages_with_a_decimal_part_are_refused_either_way(units, tenths):
    """The store keeps whole percentages: `7.5` is refused, and so is `7,5` -- never 75 --
    with or without --decimal-comma."""
    import pytest

    for read, text in ((percent, f"{units}.{tenths}"), (percent, f"{units},{tenths}"),
                       (percent_comma, f"{units},{tenths}"), (percent_comma, f"{units},{tenths}%"),
                       (percent_comma, f"{units}.{tenths}")):
        with pytest.raises(values.Invalid):
            read(text)


@settings(deadline=None)
@given(st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()),
                 st.text(alphabet="0123456789-:TWZz+ .", max_size=26)))
def test_iso_reader_skips_the_date_parser_only_when_it_cannot_apply(text):
    from datetime import date, datetime

    def slow(t):
        try:
            return date.fromisoformat(t)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None

    assert convert._iso(text) == slow(text)


json_keys = st.one_of(st.text(max_size=8), st.integers(), st.none(), st.booleans())
json_leaf = st.one_of(st.text(max_size=8), st.integers(), st.none(), st.floats(allow_nan=False),
                      st.lists(st.text(max_size=3), max_size=2))


@settings(deadline=None)
@given(st.one_of(st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=5),
                 st.dictionaries(json_keys, json_leaf, max_size=4), st.none(),
                 st.lists(st.text(max_size=3), max_size=3)))
def test_bulk_inserts_write_extra_exactly_as_the_json_column_does(value):
    from sqlalchemy.dialects import sqlite

    from crmtui.store import bulk
    from crmtui.store.models import Lead

    column = Lead.__table__.c.extra
    dialect = sqlite.dialect()
    fast = bulk._fast_json(column.type, dialect)
    slow = column.type._cached_bind_processor(dialect)
    try:
        expected = slow(value)
    except (TypeError, ValueError):
        expected = "error"
    try:
        got = fast(value)
    except (TypeError, ValueError):
        got = "error"
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(intl_local.map(lambda loc: f"{loc}@example.com"), written_phone,
                 st.text(max_size=20)))
def test_the_importers_quick_paths_are_parse_email_and_parse_phone(text):
    text = text.strip()
    if not text:
        return
    for quick, full in ((values.quick_email, values.parse_email),
                        (values.quick_phone, values.parse_phone)):
        fast = quick(text)
        if fast is not None:
            assert fast == full(text)


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9998, 12, 31)),
       st.sampled_from(["DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "%d-%b-%Y", "YYYY/MM/DD"]))
def test_a_date_format_reads_its_dates_with_or_without_a_time(moment, written):
    """Under a date-only --date-format a time of day may follow the date; under the same
    format with a time, a value may give only the date (read at the column's usual time)."""
    moment = moment.replace(second=0, microsecond=0)
    day_only = convert.strptime_format(written)
    with_time = convert.strptime_format(written + (" %H:%M" if "%" in written else " HH:mm"))
    spec = field("activity", "done_at")

    def column(fmt):
        return convert.DateColumn(spec, "c", 0, fmt=fmt, excel=False, infer=lambda i: "dmy")

    day = moment.strftime(day_only)
    full = moment.strftime(day_only + " %H:%M")
    for fmt in (day_only, with_time):
        assert column(fmt).read(full) == moment
        assert column(fmt).read(day) in (moment.date(), datetime.combine(moment.date(),
                                                                         time(0)))
    assert column(day_only).read(moment.strftime(day_only + "T%H:%M:%S")) == moment
