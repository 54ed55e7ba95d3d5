"""Property tests: the parsers as the importer uses them, and the fast paths' equivalence."""

from __future__ import annotations

from datetime import date
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


@settings(max_examples=300)
@given(st.from_regex(r"\+[1-9][0-9]{6,16}", fullmatch=True))
def test_e164_fast_path_matches_the_full_parser(text):
    if values._e164_kept(text):
        assert _slow_phone(text) == text


local = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,12}(\.[A-Za-z0-9_-]{1,8}){0,2}",
                      fullmatch=True)
domain = st.sampled_from(["example.com", "Example.COM", "sub.example.org", "x.io", "localhost",
                          "bad..com", "-x.com", "xn--bcher-kva.example", "a.b", "exa_mple.com",
                          "test", "mail.invalid"])


@settings(max_examples=300)
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
