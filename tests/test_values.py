"""Parsers of typed values: money, dates, phones (property tests where it pays)."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from crmtui.domain import dates, values
from crmtui.errors import Invalid

pytestmark = pytest.mark.sqlite_only


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_money_round_trips_exactly(amount):
    text = f"{amount:,.2f}"
    assert values.parse_money(text) == amount
    assert values.from_minor(values.to_minor(values.parse_money(text))) == amount
    assert values.parse_money(f"${amount:.2f}") == amount


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_decimal_comma_money(amount):
    text = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert values.parse_money(text, decimal_comma=True) == amount


@pytest.mark.parametrize("bad", ["abc", "1.2.3", "-1", "1,23.4", "1e5", "NaN", "12.345", ""])
def test_bad_money_is_refused(bad):
    with pytest.raises(Invalid):
        values.parse_money(bad)


def test_money_human_and_json_forms():
    assert values.money_str(123450) == "1234.50"
    assert values.money_human(123450, "EUR") == "1,234.50 EUR"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_iso_dates_always_parse(d):
    assert dates.parse_date(d.isoformat()) == d


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_numeric_dates_only_when_unambiguous(d):
    text = f"{d.day:02d}/{d.month:02d}/{d.year}"
    if d.day > 12:
        assert dates.parse_date(text) == d
    elif d.day == d.month:
        assert dates.parse_date(text) == d
    else:
        with pytest.raises(Invalid, match="day/month"):
            dates.parse_date(text)


def test_friendly_dates_relative_to_now():
    now = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)  # a Wednesday
    assert dates.parse_date("today", now=now) == date(2026, 11, 25)
    assert dates.parse_date("tomorrow", now=now) == date(2026, 11, 26)
    assert dates.parse_date("+3d", now=now) == date(2026, 11, 28)
    assert dates.parse_date("next friday", now=now) == date(2026, 11, 27)
    assert dates.parse_date("monday", now=now) == date(2026, 11, 30)
    assert dates.parse_when("tomorrow", now=now).hour == 9
    assert dates.parse_when("tomorrow 3pm", now=now).hour == 15
    with pytest.raises(Invalid):
        dates.parse_date("the twelfth of never", now=now)


def test_phone_normalised_or_kept():
    assert values.parse_phone("+44 20 7946 0958") == "+442079460958"
    assert values.parse_phone("(415) 555-0132") in ("+14155550132", "(415) 555-0132")
    assert values.parse_phone("ext 12") == "ext 12"
    with pytest.raises(Invalid):
        values.parse_phone("none")


def test_domain_of_and_split_name():
    assert values.domain_of("Ada@Example.COM") == "example.com"
    assert values.domain_of("https://www.acme.com/about") == "acme.com"
    assert values.split_name("Ada King Lovelace") == ("Ada King", "Lovelace")
    assert values.split_name("Cher") == ("", "Cher")


def test_dates_beyond_the_calendar_are_refused_not_crashed():
    with pytest.raises(Invalid, match="years 1 to 9999"):
        dates.parse_when("9999-12-31T23:59-10:00")
    with pytest.raises(Invalid, match="years 1 to 9999"):
        dates.parse_when("0001-01-01T00:00+05:00")


def test_whole_numbers_fit_their_columns_on_every_backend(cli):
    result = cli("lead", "add", "Big Co", "--employees", "99999999999", code=1)
    assert "at most 2147483647" in result.stderr


def test_phone_region_setting(cli, crm_home):
    from crmtui import config

    crm_home.mkdir(exist_ok=True)
    (crm_home / "config.toml").write_text('phone_region = "GB"\n')
    config.load.cache_clear()
    assert values.parse_phone("020 7946 0958") == "+442079460958"
    config.load.cache_clear()


@pytest.mark.parametrize("text,number", [("1,234", 1234), ("12,345,678", 12345678),
                                         ("1234", 1234), (" 1,000 ", 1000), ("0", 0)])
def test_whole_numbers_take_commas_between_thousands(text, number):
    assert values.parse_int(text, "employees") == number


@pytest.mark.parametrize("text", ["1,5", "12,34,5", "1,2345", ",123", "1,234,", "1,,234"])
def test_a_comma_elsewhere_is_refused_not_dropped(text):
    """`1,5` employees was stored as 15 and `12,34,5` as 12345."""
    with pytest.raises(Invalid, match=r"whole number \(a comma only between thousands"):
        values.parse_int(text, "employees")
    with pytest.raises(Invalid, match=repr(text).replace("(", r"\(")):
        values.parse_int(text, "employees")


def test_whole_numbers_with_a_decimal_comma():
    assert values.parse_int("1.200", "employees", decimal_comma=True) == 1200
    assert values.parse_int("12.345.678", "employees", decimal_comma=True) == 12345678
    for text in ("1,5", "1,234", "1.5", "12.34.5"):
        with pytest.raises(Invalid):
            values.parse_int(text, "employees", decimal_comma=True)
    with pytest.raises(Invalid, match="without decimals"):
        values.parse_int("1.200", "employees")  # a dot is a decimal point by default


@pytest.mark.parametrize("text", ["7,5", "2,5", "2,5%", "7.5", "7.5%", "12,34,5"])
def test_percentages_with_a_comma_are_not_multiplied_by_ten(text):
    """`7,5` % was stored as 75; percentages are whole, so `7.5` and `7,5` are refused."""
    with pytest.raises(Invalid, match=repr(text)):
        values.parse_percent(text)
    with pytest.raises(Invalid, match="whole number"):
        values.parse_percent(text, decimal_comma=True)
    assert values.parse_percent("75%") == values.parse_percent("75", decimal_comma=True) == 75


def test_cli_refuses_a_probability_with_a_comma(cli):
    result = cli("opp", "add", "Deal", "--probability", "2,5", code=1)
    assert "'2,5'" in result.stderr and "between thousands" in result.stderr
    assert cli.json("opp", "list") == []
    result = cli("lead", "add", "Ada", "--employees", "1,5", code=1)
    assert "'1,5'" in result.stderr
    cli("lead", "add", "Bob", "--employees", "1,500")
    assert [lead["employees"] for lead in cli.json("lead", "list")] == [1500]
