"""The few SQL expressions that differ between databases, in one place.

Reports build portable SQLAlchemy Core; only date bucketing and day arithmetic need a
dialect's own functions. Each helper takes the dialect name (`session.get_bind().dialect.name`)
and returns an expression; add a PostgreSQL branch beside each SQLite one.

Stored times are UTC, so buckets are UTC calendar periods:
- month: ``YYYY-MM`` (quarters are added up from months in Python: cheaper than a
  quarter expression over a million rows); week: the Monday starting it, ``YYYY-MM-DD``
  (labelled ``YYYY-Www`` by `periods.week_label`); day: ``YYYY-MM-DD``.
Constants are inlined (`literal_column`), so a bucket is the same SQL text in SELECT and
GROUP BY: PostgreSQL matches grouped expressions by text, bound parameters included.
"""

from __future__ import annotations

from sqlalchemy import Float, String, cast, extract, func, literal, literal_column, type_coerce
from sqlalchemy.orm import Session

SUPPORTED = ("sqlite", "postgresql")


def dialect_of(s: Session) -> str:
    name = s.get_bind().dialect.name
    if name not in SUPPORTED:
        from crmtui.errors import StoreError

        raise StoreError(f"reports do not support the {name} database yet")
    return name


def _text(expr):
    return type_coerce(expr, String)


def bucket(col, by: str, dialect: str):
    """The period a date or timestamp falls in, as text that sorts in time order."""
    if dialect == "sqlite":
        # Stored dates and times are ISO 8601 text (YYYY-MM-DD...), so the month is a
        # prefix: substr is several times cheaper than strftime over a million rows.
        if by == "month":
            return _text(func.substr(col, literal_column("1"), literal_column("7")))
        if by == "week":  # the Monday on or before the day
            return _text(func.date(col, literal_column("'-6 days'"),
                                   literal_column("'weekday 1'")))
        if by == "day":
            return _text(func.date(col))
    elif dialect == "postgresql":
        if by == "month":
            return _text(func.to_char(col, literal_column("'YYYY-MM'")))
        if by == "week":
            return _text(func.to_char(func.date_trunc(literal_column("'week'"), col),
                                      literal_column("'YYYY-MM-DD'")))
        if by == "day":
            return _text(func.to_char(col, literal_column("'YYYY-MM-DD'")))
    raise ValueError(f"no {by} bucket for {dialect}")


def day_number(col, dialect: str):
    """A timestamp as a (fractional) day count, so differences are days: julianday on SQLite."""
    if dialect == "sqlite":
        return func.julianday(col)
    if dialect == "postgresql":
        return cast(extract("epoch", col), Float) / 86400.0
    raise ValueError(dialect)


def days_between(earlier, later, dialect: str):
    """Days (fractional) from `earlier` to `later`."""
    return day_number(later, dialect) - day_number(earlier, dialect)


def as_float(expr):
    """Force floating-point division on every backend."""
    return expr * literal(1.0)


def day_number_of(value, dialect: str) -> float:
    """The Python twin of `day_number` for a known instant (aware datetime)."""
    seconds = value.timestamp()
    if dialect == "sqlite":
        return seconds / 86400.0 + 2440587.5  # julian day of the Unix epoch
    return seconds / 86400.0
