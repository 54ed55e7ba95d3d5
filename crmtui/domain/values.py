"""Parsing and validating single values: money, emails, phones, numbers, choices, tags.

One place for these rules: the CLI, the app's forms and the importer all call them, so a
rejected value gets the same message everywhere. Errors are `Invalid` naming the field,
the value and what would be accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from crmtui.errors import Invalid

MINOR_PER_MAJOR = 100  # money is stored in cents (two decimal places) for every currency
INT32_MAX = 2**31 - 1  # whole-number fields (head counts) are 32-bit columns
INT64_MAX = 2**63 - 1  # the largest whole number (or amount in cents) the store can hold
_MONEY_MAX = Decimal(INT64_MAX) / MINOR_PER_MAJOR
_CURRENCY_SIGNS = "$€£¥₹₩₽₺฿₫₪₦₴"
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _bad(field: str, value: object, expected: str) -> Invalid:
    return Invalid(f"{field}: {value!r} is not valid; expected {expected}", field=field,
                   value=value)


def clean_text(value: object) -> str | None:
    """Strip surrounding whitespace; empty means unset."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# Currency signs -> the ISO codes they may stand for; the first is meant when nothing else
# says (a `$` amount on a CAD deal is fine; a `€` amount on a USD deal is not).
_SIGN_CODES = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD"),
    "US$": ("USD",), "C$": ("CAD",), "CA$": ("CAD",), "A$": ("AUD",), "AU$": ("AUD",),
    "NZ$": ("NZD",), "HK$": ("HKD",), "S$": ("SGD",), "R$": ("BRL",), "MX$": ("MXN",),
    "€": ("EUR",), "£": ("GBP", "EGP", "GIP", "FKP"), "¥": ("JPY", "CNY"), "₹": ("INR",),
    "₩": ("KRW",), "₽": ("RUB",), "₺": ("TRY",), "฿": ("THB",), "₫": ("VND",),
    "₪": ("ILS",), "₦": ("NGN",), "₴": ("UAH",),
}
_MARK = "|".join(re.escape(k) for k in sorted(_SIGN_CODES, key=len, reverse=True))
_MONEY_PARTS = re.compile(rf"^(?:(?P<code>[A-Za-z]{{3}})\s*|(?P<sign>{_MARK})\s*)?"
                          rf"(?P<core>.*?)"
                          rf"(?:\s*(?P<code2>[A-Za-z]{{3}})|\s*(?P<sign2>{_MARK}))?$")


@dataclass(frozen=True)
class MoneyCurrency:
    """The currency an amount was written in: `written` as typed, `codes` what it may mean
    (the first when nothing else says)."""

    written: str
    codes: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.codes[0]


def parse_money(value: object, field: str = "amount", *, decimal_comma: bool = False) -> Decimal:
    """`1234.56`, `1,234.56`, `$1,234.56`, `1234`, `USD 1,234` (or `1.234,56` with decimal_comma).

    Exact: never goes through float. Negative amounts and more than two decimals are refused.
    The currency sign or code, if any, is left out (`parse_money_currency` returns it).
    """
    return parse_money_currency(value, field, decimal_comma=decimal_comma)[0]


def parse_money_currency(value: object, field: str = "amount", *,
                         decimal_comma: bool = False) -> tuple[Decimal, MoneyCurrency | None]:
    """`parse_money`, and the currency the amount is written in (`€12`, `1234 EUR`,
    `CHF 99.95`, `US$5`), None when it names none. `settle_currency` reconciles it with a
    currency given beside it."""
    mark = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        text = str(value).strip().replace("\u00a0", " ")
        parts = _MONEY_PARTS.match(text)
        core = text
        if parts is not None and (parts["code"] or parts["sign"] or parts["code2"]
                                  or parts["sign2"]):
            marks = [m for m in (parts["code"], parts["sign"], parts["code2"], parts["sign2"])
                     if m]
            found = [_mark(m) for m in marks]
            if len(found) == 2 and (found[0] is None or found[1] is None or
                                    not set(found[0].codes) & set(found[1].codes)):
                raise _bad(field, value, "an amount in one currency")
            if all(found):
                core = parts["core"]
                mark = found[0] if len(found) == 1 or len(found[0].codes) <= len(
                    found[1].codes) else found[1]
        core = core.strip()
        if decimal_comma:
            if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?", core):
                raise _bad(field, value, "an amount like 1.234,56")
            core = core.replace(".", "").replace(",", ".")
        else:
            if not re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?|-?\.\d+", core):
                raise _bad(field, value, "an amount like 1234.56 or 1,234.56")
            core = core.replace(",", "")
        try:
            number = Decimal(core)
        except InvalidOperation:
            raise _bad(field, value, "an amount like 1234.56") from None
    if not number.is_finite():
        raise _bad(field, value, "a finite amount")
    if number < 0:
        raise _bad(field, value, "an amount of zero or more")
    if number > _MONEY_MAX:  # beyond what the store holds (and Decimal's precision)
        raise _bad(field, value, f"an amount of at most {_MONEY_MAX:,}")
    if number != number.quantize(Decimal("0.01")):
        raise _bad(field, value, "at most two decimal places")
    return number, mark


def _mark(text: str) -> MoneyCurrency | None:
    codes = _SIGN_CODES.get(text)
    if codes is not None:
        return MoneyCurrency(text, codes)
    if _CURRENCY_RE.fullmatch(text):  # ISO codes in capitals only: `1e3` is no currency
        return MoneyCurrency(text, (text,))
    return None


def settle_currency(field: str, value: object, mark: MoneyCurrency | None,
                    currency: str | None, *, currency_label: str = "currency") -> str | None:
    """The currency of an amount written as `value` (its sign or code: `mark`) given
    `currency` beside it: the amount's own when nothing is given, the given one when the
    amount's sign allows it (`$` and CAD), else Invalid naming both."""
    if mark is None:
        return currency
    if currency is None:
        return mark.code
    if currency.upper() in mark.codes:
        return currency.upper()
    raise Invalid(f"{field}: {value!r} is in {mark.written}"
                  + (f" ({'/'.join(mark.codes)})" if mark.codes != (mark.written,) else "")
                  + f" but the {currency_label} is {currency}", field=field, value=value,
                  hint="give the amount without a currency sign, or make them agree")


def to_minor(amount: Decimal) -> int:
    return int(amount * MINOR_PER_MAJOR)


def from_minor(minor: int | None) -> Decimal | None:
    if minor is None:
        return None
    return (Decimal(minor) / MINOR_PER_MAJOR).quantize(Decimal("0.01"))


def money_str(minor: int | None) -> str | None:
    """The JSON/CSV form of an amount: a string with two decimals, e.g. "1234.50"."""
    value = from_minor(minor)
    return None if value is None else f"{value:.2f}"


def money_human(minor: int | None, currency: str | None = None) -> str:
    """For people: thousands separators, e.g. "1,234.50 USD"."""
    value = from_minor(minor)
    if value is None:
        return ""
    text = f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def parse_currency(value: object, field: str = "currency") -> str:
    text = str(value).strip().upper()
    if not _CURRENCY_RE.fullmatch(text):
        raise _bad(field, value, "a three-letter ISO currency code such as USD or EUR")
    return text


def parse_email(value: object, field: str = "email") -> str:
    text = str(value).strip()
    fast = _simple_email(text)
    if fast is None and not text.isascii():
        fast = _intl_email(text)
    if fast is not None:
        return fast
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _bad(field, value, f"an email address like name@example.com ({exc})") from None
    return result.normalized


def parse_phone(value: object, field: str = "phone", region: str | None = None) -> str:
    """Normalise to E.164 (+15551234567) when the number can be read; otherwise keep it as given.

    A number without +CC is read in `phone_region` of the settings (default US)."""
    text = str(value).strip()
    if text[:1] == "+":
        fast = _international_phone(text)
        if fast is not None:
            return fast
    if not re.search(r"\d", text):
        raise _bad(field, value, "a phone number with digits")
    import phonenumbers

    try:
        if region is None and not text.startswith("+"):
            from crmtui import config

            region = str(config.get("phone_region", "US")).upper()
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


# -- fast paths for values that are already clean (bulk imports) ------------------------------
# Each returns exactly what the full validator would, or None (False) to send the value
# through it; tests/test_import_properties.py checks the equivalence with property tests.

def quick_email(text: str) -> str | None:
    """`parse_email(text)` of a stripped text when a fast path decides it, else None."""
    return _simple_email(text) or (None if text.isascii() else _intl_email(text))


def quick_phone(text: str) -> str | None:
    """`parse_phone(text)` of a stripped text when a fast path decides it, else None."""
    return _international_phone(text) if text[:1] == "+" else None


@lru_cache(maxsize=8192)
def _plain_email_domain(domain: str) -> bool:
    """True when `x@domain` passes the validator and the domain comes back as its lowercase."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email("x@" + domain, check_deliverability=False).domain == domain.lower()
    except EmailNotValidError:
        return False


@lru_cache(maxsize=1)
def _email_rules():
    """The validator's own patterns and constants (imported on first use, not at start-up)."""
    from email_validator.rfc_constants import (
        CASE_INSENSITIVE_MAILBOX_NAMES, DOT_ATOM_TEXT, DOT_ATOM_TEXT_INTL, EMAIL_MAX_LENGTH,
    )

    return (DOT_ATOM_TEXT.match, DOT_ATOM_TEXT_INTL.match, frozenset(CASE_INSENSITIVE_MAILBOX_NAMES),
            EMAIL_MAX_LENGTH)


def _simple_email(text: str) -> str | None:
    """`local@domain` with a plain dot-atom ASCII local part: the validator's normal form."""
    dot_atom, _intl, case_insensitive, max_length = _email_rules()
    local, at, domain = text.partition("@")
    if (not at or len(text) > max_length or not text.isascii() or not dot_atom(local)
            or local.lower() in case_insensitive  # the validator lowercases those
            or not _plain_email_domain(domain)):
        return None
    return local + "@" + domain.lower()


@lru_cache(maxsize=4096)
def _safe_intl_char(ch: str) -> bool:
    """A letter, digit, punctuation or symbol: safe anywhere in a local part for the
    validator (it refuses controls, spaces, and combining marks in the first place)."""
    import unicodedata

    return unicodedata.category(ch)[0] in "LNPS"


def _intl_email(text: str) -> str | None:
    """`local@domain`, the local part internationalised (`zoë.1@example.com`), the domain
    plain ASCII: the validator's normal form, or None to ask the validator."""
    import unicodedata

    _ascii, dot_atom_intl, _names, max_length = _email_rules()
    local, at, domain = text.partition("@")
    if (not at or not domain.isascii() or not dot_atom_intl(local)
            or not all(ch.isascii() or _safe_intl_char(ch) for ch in local)
            or not unicodedata.is_normalized("NFC", local)
            or len(text.encode("utf-8")) > max_length
            or not _plain_email_domain(domain)):
        return None
    return local + "@" + domain.lower()


_E164 = re.compile(r"\+[1-9]\d{6,16}\Z")
_WRITTEN_E164 = re.compile(r"\+[0-9][0-9 ().-]*\Z")  # +44 20 7946 0000, +1 (415) 555-0132
_SEPARATORS = str.maketrans("", "", " ().-")


def _international_phone(text: str) -> str | None:
    """`parse_phone` of a number written as +CC... with only spaces, dots, dashes and
    brackets between the digits, without phonenumbers' parser; None when not that simple.

    The parser reads such a number as country code and national number from its digits
    alone (so `_e164_kept` applies to them); then a valid number becomes its E.164 form
    and an invalid one is kept as written (`_valid_number` is phonenumbers' own test).
    """
    if _E164.match(text):
        return text if _e164_split(text) is not None else None
    if not _WRITTEN_E164.match(text):
        return None
    digits = text.translate(_SEPARATORS)
    if not _E164.match(digits):
        return None
    split = _e164_split(digits)
    if split is None:
        return None
    return digits if _valid_number(*split) else text


@lru_cache(maxsize=1)
def _country_codes():
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return COUNTRY_CODE_TO_REGION_CODE


def _valid_number(country_code: int, national: str) -> bool:
    """phonenumbers.is_valid_number of +CC NATIONAL (no leading zero), with the metadata's
    patterns compiled once per calling code instead of looked up on every test."""
    regions = _number_rules(country_code)
    if not regions:
        return False
    if len(regions) == 1:
        chosen = regions[0]
    else:  # as region_code_for_number: leading digits decide, else the first that fits
        chosen = None
        for rules in regions:
            leading, region_ok, known = rules
            if leading is not None:
                if leading.match(national):
                    chosen = rules
                    break
            elif known(national):
                chosen = rules
                break
        if chosen is None:
            return False
    _leading, region_ok, known = chosen
    return region_ok and known(national)


@lru_cache(maxsize=None)
def _number_rules(country_code: int) -> tuple:
    """Per region of a calling code: (leading digits pattern, whether is_valid_number_for_region
    accepts the region for this code, test that the number is of a known type)."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

    out = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        listed = PhoneMetadata.metadata_for_region(region.upper(), None)
        if listed is None and len(COUNTRY_CODE_TO_REGION_CODE[country_code]) > 1:
            continue  # skipped by region_code_for_number
        if region == "001":
            metadata = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
            region_ok = metadata is not None
        else:
            metadata = listed
            region_ok = metadata is not None and metadata.country_code == country_code
        leading = None
        if listed is not None and listed.leading_digits is not None:
            leading = re.compile(listed.leading_digits)
        out.append((leading, region_ok, _known_type(metadata)))
    return tuple(out)


def _known_type(metadata):
    """phonenumbers' `_number_type_helper(nsn, metadata) != UNKNOWN`, precompiled: the
    general pattern fits, and so does the pattern of one of the number types (which one
    does not matter here, so the usual ones are tried first)."""
    if metadata is None:
        return lambda national: False

    def desc(d):
        if d is None or not d.national_number_pattern:
            return None
        return (frozenset(d.possible_length), re.compile(d.national_number_pattern).fullmatch)

    general = desc(metadata.general_desc)
    names = ["fixed_line", "premium_rate", "toll_free", "shared_cost", "voip",
             "personal_number", "pager", "uan", "voicemail"]
    if not metadata.same_mobile_and_fixed_line_pattern:
        names.insert(1, "mobile")
    types = tuple(d for d in (desc(getattr(metadata, name)) for name in names) if d is not None)
    if general is None or not types:
        return lambda national: False
    general_lengths, general_full = general

    def known(national: str) -> bool:
        size = len(national)
        if (general_lengths and size not in general_lengths) or general_full(national) is None:
            return False
        for lengths, full in types:
            if (not lengths or size in lengths) and full(national) is not None:
                return True
        return False

    return known


@lru_cache(maxsize=1024)
def _national_prefix(country_code: int):
    """The compiled national-prefix-for-parsing pattern of a calling code ('' when none)."""
    from phonenumbers import PhoneMetadata, region_code_for_country_code

    region = region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    pattern = metadata.national_prefix_for_parsing
    return re.compile(pattern) if pattern else ""


def _e164_kept(text: str) -> bool:
    """True when `parse_phone` would return an E.164 string unchanged (valid or not).

    phonenumbers reads `+CC NSN` as country code and national number and only rewrites the
    digits when it strips a national prefix; when that cannot happen, the E.164 form of the
    parsed number is the input itself, and an invalid number is kept as given anyway.
    """
    return _e164_split(text) is not None


def _e164_split(text: str) -> tuple[int, str] | None:
    """(country code, national number) of an E.164 string that `_e164_kept` accepts."""
    codes = _country_codes()
    for size in (1, 2, 3):
        code = int(text[1:1 + size])
        if code in codes:
            break
    else:
        return None
    national = text[1 + size:]
    if len(national) < 2 or len(national) > 17 or national[0] == "0":
        return None
    prefix = _national_prefix(code)
    if prefix is None:
        return None
    if prefix == "" or prefix.match(national) is None:
        return code, national
    return None


_GROUPED = {",": re.compile(r"-?\d{1,3}(?:,\d{3})+"), ".": re.compile(r"-?\d{1,3}(?:\.\d{3})+")}


def parse_int(value: object, field: str, *, minimum: int | None = 0,
              maximum: int | None = None, decimal_comma: bool = False) -> int:
    """A whole number: `1234`, `1,234` (or `1.234` with decimal_comma).

    The thousands separator is taken only where it separates thousands: `1,5` or `12,34,5`
    is refused, never read as 15 or 12345 (so is `1,5` with decimal_comma: it has decimals).
    """
    return _whole(value, value, field, minimum, maximum, decimal_comma)


def _whole(value: object, shown: object, field: str, minimum: int | None,
           maximum: int | None, decimal_comma: bool) -> int:
    """`parse_int` of `value`, its errors naming `shown` (what was written)."""
    if isinstance(value, bool):
        raise _bad(field, shown, "a whole number")
    if isinstance(value, int):
        number = value
    elif type(value) is str and value.isascii() and value.isdigit() and len(value) < 20:
        number = int(value)  # plain digits: fast
    else:
        text = str(value).strip().replace("_", "")
        group, point = (".", ",") if decimal_comma else (",", ".")
        if point in text and re.fullmatch(r"-?[\d.,]+", text):
            raise _bad(field, shown, "a whole number, without decimals")
        if group in text:
            if not _GROUPED[group].fullmatch(text):
                raise _bad(field, shown, "a whole number ("
                           + ("a dot" if group == "." else "a comma")
                           + f" only between thousands, as in 1{group}234)")
            text = text.replace(group, "")
        if not re.fullmatch(r"-?\d+", text):
            raise _bad(field, shown, "a whole number")
        if len(text.lstrip("-").lstrip("0")) > 19:  # spares int() a 5,000-digit string
            number = -INT64_MAX - 1 if text.startswith("-") else INT64_MAX + 1
        else:
            number = int(text)
    if minimum is not None and number < minimum:
        raise _bad(field, shown, f"a number of at least {minimum}")
    if maximum is not None and number > maximum:
        raise _bad(field, shown, f"a number of at most {maximum}")
    if not -INT64_MAX <= number <= INT64_MAX:  # beyond what the store holds
        raise _bad(field, shown, f"a number from {-INT64_MAX:,} to {INT64_MAX:,}")
    return number


def parse_percent(value: object, field: str = "probability", *,
                  decimal_comma: bool = False) -> int:
    """A whole percentage 0-100: `75`, `75%`. Probabilities are stored as whole numbers, so
    `7.5` (or `7,5` with decimal_comma) is refused, not rounded; `7,5` without it is refused
    too (a comma only separates thousands), never read as 75."""
    text = str(value).strip().rstrip("%").strip() if not isinstance(value, int) else value
    return _whole(text, value, field, 0, 100, decimal_comma)


def parse_choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise _bad(field, value, "one of " + ", ".join(choices))
    return text


def parse_url(value: object, field: str = "website") -> str:
    text = str(value).strip()
    if any(ch.isspace() for ch in text) or "." not in text:
        raise _bad(field, value, "a web address like example.com or https://example.com")
    return text


def parse_tags(value: object, field: str = "tags") -> str | None:
    """Comma-separated tags, trimmed, de-duplicated (case-insensitively), order kept."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    seen: dict[str, str] = {}
    for item in items:
        tag = str(item).strip()
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return ",".join(seen.values()) or None


def domain_of(text: str | None) -> str | None:
    """`ada@Example.com` or `https://www.example.com/x` -> `example.com`."""
    if not text:
        return None
    text = text.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split(":", 1)[0]
    if text.startswith("www."):
        text = text[4:]
    return text or None


def split_name(full: str) -> tuple[str, str]:
    """'Ada King Lovelace' -> ('Ada King', 'Lovelace'); a single word is a last name."""
    parts = full.strip().split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return "", parts[0]
    return " ".join(parts[:-1]), parts[-1]
