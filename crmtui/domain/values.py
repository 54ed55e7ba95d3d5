"""Parsing and validating single values: money, emails, phones, numbers, choices, tags.

One place for these rules: the CLI, the app's forms and the importer all call them, so a
rejected value gets the same message everywhere. Errors are `Invalid` naming the field,
the value and what would be accepted.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from crmtui.errors import Invalid

MINOR_PER_MAJOR = 100  # money is stored in cents (two decimal places) for every currency
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


def parse_money(value: object, field: str = "amount", *, decimal_comma: bool = False) -> Decimal:
    """`1234.56`, `1,234.56`, `$1,234.56`, `1234`, `USD 1,234` (or `1.234,56` with decimal_comma).

    Exact: never goes through float. Negative amounts and more than two decimals are refused.
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        text = str(value).strip().replace("\u00a0", " ")
        core = text.strip(_CURRENCY_SIGNS + " ")
        core = re.sub(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$", "", core).strip(_CURRENCY_SIGNS + " ")
        if decimal_comma:
            if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?", core):
                raise _bad(field, value, "an amount like 1.234,56")
            core = core.replace(".", "").replace(",", ".")
        else:
            if not re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?|-?\.\d+", core):
                raise _bad(field, value, "an amount like 1234.56 or 1,234.56"
                           + (" (pass --decimal-comma for 1.234,56)" if "," in core else ""))
            core = core.replace(",", "")
        try:
            number = Decimal(core)
        except InvalidOperation:
            raise _bad(field, value, "an amount like 1234.56") from None
    if not number.is_finite():
        raise _bad(field, value, "a finite amount")
    if number < 0:
        raise _bad(field, value, "an amount of zero or more")
    if number != number.quantize(Decimal("0.01")):
        raise _bad(field, value, "at most two decimal places")
    return number


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
    from email_validator import EmailNotValidError, validate_email

    text = str(value).strip()
    fast = _simple_email(text)
    if fast is not None:
        return fast
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _bad(field, value, f"an email address like name@example.com ({exc})") from None
    return result.normalized


def parse_phone(value: object, field: str = "phone", region: str | None = None) -> str:
    """Normalise to E.164 (+15551234567) when the number can be read; otherwise keep it as given."""
    text = str(value).strip()
    if not re.search(r"\d", text):
        raise _bad(field, value, "a phone number with digits")
    if _E164.match(text) and _e164_kept(text):
        return text
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region or ("US" if not text.startswith("+") else None))
    except phonenumbers.NumberParseException:
        return text
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


# -- fast paths for values that are already clean (bulk imports) ------------------------------
# Each returns exactly what the full validator would, or None (False) to send the value
# through it; tests/test_import_values.py checks the equivalence with property tests.

@lru_cache(maxsize=8192)
def _plain_email_domain(domain: str) -> bool:
    """True when `x@domain` passes the validator and the domain comes back as its lowercase."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email("x@" + domain, check_deliverability=False).domain == domain.lower()
    except EmailNotValidError:
        return False


def _simple_email(text: str) -> str | None:
    """`local@domain` with a plain dot-atom ASCII local part: the validator's normal form."""
    from email_validator.rfc_constants import DOT_ATOM_TEXT

    local, at, domain = text.partition("@")
    if (not at or len(text) > 254 or not text.isascii() or not DOT_ATOM_TEXT.match(local)
            or not _plain_email_domain(domain)):
        return None
    return local + "@" + domain.lower()


_E164 = re.compile(r"\+[1-9]\d{6,16}\Z")


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
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    digits = text[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return False
    national = digits[size:]
    if len(national) < 2 or len(national) > 17 or national[0] == "0":
        return False
    prefix = _national_prefix(code)
    if prefix is None:
        return False
    return prefix == "" or prefix.match(national) is None


def parse_int(value: object, field: str, *, minimum: int | None = 0,
              maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise _bad(field, value, "a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("_", "")
        if not re.fullmatch(r"-?\d+", text):
            raise _bad(field, value, "a whole number")
        number = int(text)
    if minimum is not None and number < minimum:
        raise _bad(field, value, f"a number of at least {minimum}")
    if maximum is not None and number > maximum:
        raise _bad(field, value, f"a number of at most {maximum}")
    return number


def parse_percent(value: object, field: str = "probability") -> int:
    text = str(value).strip().rstrip("%").strip() if not isinstance(value, int) else value
    return parse_int(text, field, minimum=0, maximum=100)


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
