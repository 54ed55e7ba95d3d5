"""What every report shares: the resolved options, scope filters, money in one currency.

Rules that hold in every report (README "Reports"):
- dates are UTC calendar days; `--from`/`--to` are inclusive; `--as-of DAY` means the end of
  that day;
- amounts are in one currency (`--currency`, else `currency` in config.toml, else USD); a deal
  in another currency counts only when `[rates]` gives both currencies a rate, otherwise it is
  left out of every figure and listed under `excluded` (count and amount in its currency);
- amounts are summed exactly in integer cents and rounded half-up once, when shown; a
  converted or weighted amount is rounded to the cent at the end, not per deal;
- rates are floats 0..1 rounded to 4 places, days to 1 place; a figure with nothing to
  divide by is null, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import Integer, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from crmtui import config
from crmtui.domain import dates, refs, values
from crmtui.errors import Invalid
from crmtui.reports import REPORTS, ReportOptions
from crmtui.reports import sql as dialect_sql
from crmtui.store.models import Opportunity, Pipeline, Stage

DEFAULT_CURRENCY = "USD"
NONE_LABEL = "(none)"
UNKNOWN_STAGE = "(unknown)"
TS = Opportunity.__table__.c.created_at.type  # the stored timestamp type (aware UTC)


def utc_start(d: date) -> datetime:
    return datetime.combine(d, time(0), timezone.utc)


@dataclass
class Context:
    """One report run: the session, the options resolved against the store, and tallies."""

    s: Session
    name: str
    options: ReportOptions
    dialect: str
    now: datetime
    pipeline: Pipeline | None
    pipelines: list[Pipeline]
    stages: list[Stage]  # every stage in scope, in pipeline order
    currency: str
    rates: dict[str, Decimal]  # currency -> factor into the report currency
    excluded: dict[str, list] = field(default_factory=dict)  # currency -> [count, minor]

    # -- time -------------------------------------------------------------------------------
    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def start(self) -> datetime | None:
        d = self.options.date_from
        return utc_start(d) if d else None

    @property
    def end(self) -> datetime | None:
        """Exclusive end of the range: the start of the day after `--to`."""
        d = self.options.date_to
        return utc_start(d + timedelta(days=1)) if d else None

    def time_range(self, col) -> list:
        out = []
        if self.start is not None:
            out.append(col >= self.start)
        if self.end is not None:
            out.append(col < self.end)
        return out

    def date_range(self, col) -> list:
        out = []
        if self.options.date_from:
            out.append(col >= self.options.date_from)
        if self.options.date_to:
            out.append(col <= self.options.date_to)
        return out

    def ts(self, value: datetime):
        """A timestamp as a bound SQL value of the stored type."""
        return literal(value, TS)

    # -- scope ------------------------------------------------------------------------------
    def owner_is(self, col) -> list:
        owner = (self.options.owner or "").strip()
        return [func.lower(col) == owner.lower()] if owner else []

    def in_pipeline(self, stage_col) -> list:
        """The chosen pipeline as a condition on a deal's stage (a deal's stage is always in
        its pipeline; the stage leads the report index, the pipeline id does not)."""
        if self.pipeline is None:
            return []
        return [stage_col.in_([st.id for st in self.stages])]

    def stage_ids(self, *kinds: str) -> list[int]:
        return [st.id for st in self.stages if not kinds or st.kind in kinds]

    def stage(self, stage_id: int | None) -> Stage | None:
        return self._by_id.get(stage_id)

    def pipeline_name(self, pipeline_id: int | None) -> str | None:
        for p in self.pipelines:
            if p.id == pipeline_id:
                return p.name
        return None

    def one_pipeline(self) -> Pipeline:
        """Reports read along one pipeline's stages: the chosen one, else the default."""
        return self.pipeline or refs.default_pipeline(self.s)

    def __post_init__(self):
        self._by_id = {st.id: st for st in self.stages}

    # -- money ------------------------------------------------------------------------------
    def factor(self, currency: str | None) -> Decimal | None:
        """Multiplier from `currency` into the report currency; None: leave the deal out."""
        return self.rates.get((currency or DEFAULT_CURRENCY).upper())

    def exclude(self, currency: str | None, count: int, minor: int | None) -> None:
        entry = self.excluded.setdefault((currency or DEFAULT_CURRENCY).upper(), [0, 0])
        entry[0] += count or 0
        entry[1] += minor or 0

    def excluded_list(self) -> list[dict]:
        return [{"currency": cur, "count": n, "amount": values.money_str(minor)}
                for cur, (n, minor) in sorted(self.excluded.items()) if n]

    # -- result -----------------------------------------------------------------------------
    def result(self, **payload) -> dict:
        spec = REPORTS[self.name]
        out = {"report": self.name, "title": spec.title, "currency": self.currency,
               "generated_at": dates.iso(self.now)}
        out.update(payload)
        out["excluded"] = self.excluded_list()
        out["filters"] = self.options.given()
        return out


def context(s: Session, name: str, options: ReportOptions | None) -> Context:
    options = options or ReportOptions()
    spec = REPORTS[name]
    _check_options(spec, options)
    now = options.now or dates.utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    now = now.astimezone(timezone.utc)
    pipeline = None
    if options.pipeline not in (None, ""):
        pipeline = refs.resolve(s, "pipeline", options.pipeline)
    pipelines = list(s.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(),
                                                         Pipeline.id)))
    if pipeline is not None:
        pipelines = [p for p in pipelines if p.id == pipeline.id]
    order = {p.id: i for i, p in enumerate(pipelines)}
    stages = sorted((st for st in s.scalars(select(Stage)) if st.pipeline_id in order),
                    key=lambda st: (order[st.pipeline_id], st.position, st.id))
    currency = report_currency(options.currency)
    return Context(s=s, name=name, options=options, dialect=dialect_sql.dialect_of(s), now=now,
                   pipeline=pipeline, pipelines=pipelines, stages=stages, currency=currency,
                   rates=conversion_rates(currency))


def _check_options(spec, options: ReportOptions) -> None:
    if options.by is not None and options.by not in spec.by:
        if spec.by:
            raise Invalid(f"by: {spec.name} cannot be grouped by {options.by!r}", field="by",
                          value=options.by, hint="use one of: " + ", ".join(spec.by))
        raise Invalid(f"by: {spec.name} takes no --by", field="by", value=options.by)
    if options.date_from and options.date_to and options.date_from > options.date_to:
        raise Invalid(f"--from {options.date_from} is after --to {options.date_to}",
                      field="from")
    for name in ("periods", "days", "limit"):
        value = getattr(options, name)
        if value is not None and value < 1:
            raise Invalid(f"{name} must be at least 1", field=name, value=value)
    if options.periods is not None and options.periods > 120:
        raise Invalid("periods: at most 120", field="periods", value=options.periods)


def report_currency(given: str | None) -> str:
    chosen = given or config.get("currency") or DEFAULT_CURRENCY
    return values.parse_currency(chosen, "currency")


def _rate_value(currency: str, raw: object) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise Invalid(f"settings: [rates] {currency} = {raw!r} is not a positive number",
                      hint="write e.g. EUR = 1.08 (the value of 1 EUR in the base currency)")
    return value


def conversion_rates(currency: str) -> dict[str, Decimal]:
    """Factors into `currency` from the `[rates]` table of config.toml.

    ``[rates]`` gives the value of one unit of each currency in a base currency (``base =
    "USD"``; default: the `currency` setting, else USD); the base itself is 1. A deal in X
    converts into report currency R as amount x rate(X) / rate(R).
    """
    table = config.get("rates") or {}
    if not isinstance(table, dict):
        raise Invalid("settings: [rates] must be a table of CURRENCY = rate")
    base = values.parse_currency(table.get("base") or config.get("currency")
                                 or DEFAULT_CURRENCY, "rates.base")
    per_base = {base: Decimal(1)}
    for key, raw in table.items():
        if key == "base":
            continue
        code = values.parse_currency(key, "rates")
        per_base[code] = _rate_value(code, raw)
    out = {currency: Decimal(1)}
    if currency in per_base:
        for code, rate in per_base.items():
            out[code] = rate / per_base[currency]
    return out


# -- formatting ---------------------------------------------------------------------------------

def cents(amount: Decimal | int | None) -> int:
    """An exact (possibly fractional) amount of cents, rounded half-up to whole cents."""
    if amount is None:
        return 0
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(amount: Decimal | int | None) -> str | None:
    """The JSON form of an amount in cents: "1234.50"."""
    if amount is None:
        return None
    return values.money_str(cents(amount))


def ratio(part, whole, places: int = 4) -> float | None:
    if not whole:
        return None
    return round(float(Decimal(part or 0) / Decimal(whole)), places)


def days(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def label(value: str | None) -> str:
    text = (value or "").strip()
    return text or NONE_LABEL


class Spread:
    """Count, average, minimum, maximum and median of durations, built from a histogram.

    SQL groups the values by (key, value rounded to 0.1) and returns per bucket the count,
    sum, min and max, so count/average/min/max are exact and spreads merge (won + lost =
    all) without another pass. The median is exact to the 0.1 day reports show, in bounded
    memory (never every value in Python):

    - a middle value first or last in its bucket is that bucket's min or max: exact. Two
      middle values in different buckets are always such edges (the last of one bucket, the
      first of the next), so their mean is exact too;
    - a middle value strictly inside a bucket lies between the bucket's min and max; when
      both show as the same 0.1 day, so does the median (rounding is monotonic) and the
      middle of that range is given, which shows the same;
    - otherwise (a bucket straddling a rounding tie) the middle values are read from the
      store by `fetch`: one ORDER BY ... LIMIT 2 within that bucket.
    """

    STEP = 10  # buckets per day

    def __init__(self, fetch=None, keys=()):
        self.buckets: dict[int, list] = {}  # bucket -> [count, min, max]
        self.n = 0
        self.total = 0.0
        self.fetch = fetch  # (keys, bucket, offset, count) -> the values, in order
        self.keys = set(keys)

    def add(self, bucket: int, n: int, total: float, lo: float, hi: float) -> None:
        self._add_bucket(bucket, n, lo, hi)
        self.n += n
        self.total += total

    def _add_bucket(self, bucket: int, n: int, lo: float, hi: float) -> None:
        entry = self.buckets.get(bucket)
        if entry is None:
            self.buckets[bucket] = [n, lo, hi]
        else:
            entry[0] += n
            entry[1] = min(entry[1], lo)
            entry[2] = max(entry[2], hi)

    def merge(self, other: "Spread") -> None:
        if other.n and self.fetch is not other.fetch:
            # values from elsewhere: this spread can read its middle from one source only
            self.fetch = other.fetch if not self.n else None
        for bucket, (n, lo, hi) in other.buckets.items():
            self._add_bucket(bucket, n, lo, hi)
        self.n += other.n
        self.total += other.total
        self.keys |= other.keys

    @property
    def lo(self) -> float | None:
        return min((entry[1] for entry in self.buckets.values()), default=None)

    @property
    def hi(self) -> float | None:
        return max((entry[2] for entry in self.buckets.values()), default=None)

    @property
    def avg(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def median(self) -> float | None:
        if not self.n:
            return None
        ranks = sorted({(self.n + 1) // 2, (self.n + 2) // 2})  # 1-based middle rank(s)
        picks = []  # (bucket, offset in it, its count, min, max) per middle rank
        seen = 0
        for bucket in sorted(self.buckets):
            n, lo, hi = self.buckets[bucket]
            picks += [(bucket, rank - seen - 1, n, lo, hi) for rank in ranks
                      if seen < rank <= seen + n]
            seen += n
            if len(picks) == len(ranks):
                break
        values = [lo if offset == 0 else hi if offset == n - 1 else None
                  for _, offset, n, lo, hi in picks]
        if None not in values:
            return sum(values) / len(values)
        # a middle value inside a bucket: then both middle values are in that bucket
        bucket, offset, _, lo, hi = picks[0]
        if round(lo, 1) == round(hi, 1) or self.fetch is None:
            return (lo + hi) / 2
        found = self.fetch(self.keys, bucket, offset, len(ranks))
        return sum(found) / len(found) if found else (lo + hi) / 2


def spreads(s: Session, rows, key: str, value: str) -> dict:
    """`Spread` per `key` of the subquery `rows`, over its non-NULL `value`s, in one GROUP BY
    (and, rarely, a bounded read of the middle of one bucket for an exact median)."""
    k, v = rows.c[key], rows.c[value]
    bucket = cast(func.round(v * Spread.STEP), Integer)
    query = (select(k, bucket, func.count(), func.sum(v), func.min(v), func.max(v))
             .where(v.is_not(None)).group_by(k, bucket))

    def fetch(keys, bucket_no: int, offset: int, count: int) -> list[float]:
        wanted = [x for x in keys if x is not None]
        key_is = or_(k.in_(wanted), k.is_(None)) if None in keys else k.in_(wanted)
        return [float(x) for x in s.scalars(
            select(v).where(v.is_not(None), key_is, bucket == bucket_no)
            .order_by(v).offset(offset).limit(count))]

    out: dict = {}
    for key_value, b, n, total, lo, hi in s.execute(query):
        out.setdefault(key_value, Spread(fetch, [key_value])).add(
            b, n, float(total), float(lo), float(hi))
    return out
