"""`crm report accounts`: what each customer is worth, which ones matter, which are slipping.

Per account (deals in scope: pipeline, currency; `--owner` is the account's owner):
`won_amount` and `won_deals` (won, closed in `--from`..`--to`, all time by default),
`open_amount` and `open_deals` (open now), `last_activity_at` (latest done activity linked
to the account or its deals), `last_closed_at`.

Segments by share of won revenue (Pareto), customers (won_amount > 0) ranked by it:
A = the accounts bringing the first 80 % of won revenue (the one crossing 80 % included),
B = the next 15 %, C = the rest. Accounts without a win have no segment.

At risk: customers with no open deal, no activity and no deal closed in the last `--days`
(default 90) days.

Keys: `accounts` (in scope), `customers`, `won_amount`, `segments` (`segment`,
`accounts`, `won_amount`, `share`), `rows`: the `--limit` (default 20) largest customers
(`id`, `account`, `segment`, `won_amount`, `won_deals`, `share`, `cumulative_share`,
`open_amount`, `open_deals`, `last_activity_at`, `last_closed_at`), `at_risk_days`,
`at_risk` (count), `at_risk_amount` (their won amount) and `at_risk_rows` (largest first,
same keys). Amounts are summed exactly per account and currency in SQL, then converted
with Decimal arithmetic and rounded half-up to the cent once, as every report does; counts are
integers. Ranking (and so the segments) uses the converted won amount computed in SQL.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import (
    BigInteger, Numeric, String, and_, case, cast, exists, func, literal, literal_column, null,
    or_, select, union_all,
)
from sqlalchemy.orm import Session

from crmtui.domain import dates
from crmtui.reports import ReportOptions, base
from crmtui.store.models import Account, Activity, Opportunity

DEFAULT_DAYS = 90
DEFAULT_LIMIT = 20
SEGMENTS = (("A", Decimal("0.80")), ("B", Decimal("0.95")), ("C", None))


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "accounts", options)
    o = Opportunity
    days = ctx.options.days or DEFAULT_DAYS
    limit = ctx.options.limit or DEFAULT_LIMIT
    cutoff = ctx.now - timedelta(days=days)
    won_ids = ctx.stage_ids("won")
    open_ids = ctx.stage_ids("open")
    closed_ids = ctx.stage_ids("won", "lost")
    included = sorted(ctx.rates)
    scope = [o.account_id.is_not(None)]
    if ctx.options.owner:
        scope.append(o.account_id.in_(select(Account.id).where(*ctx.owner_is(Account.owner))))

    # deals per currency: those without a rate are tallied, then left out; the others get
    # a won and an open column each below, summed exactly in cents
    is_won = and_(o.stage_id.in_(won_ids), *ctx.time_range(o.closed_at))
    is_open = o.stage_id.in_(open_ids)
    present = []
    for currency, n, minor in s.execute(
            select(o.currency, func.count(), func.sum(o.amount_minor))
            .where(*scope, or_(is_won, is_open)).group_by(o.currency)):
        if currency not in ctx.rates:  # as stored: `included` below is matched the same way
            ctx.exclude(currency, n, minor)
        elif n:
            present.append(currency)
    present.sort()
    factors = [ctx.factor(cur) for cur in present]

    def per_currency(condition, prefix):
        return [func.sum(case((and_(condition, o.currency == cur), o.amount_minor), else_=0))
                .label(f"{prefix}{i}") for i, cur in enumerate(present)]

    def count_of(condition):
        return cast(func.sum(case((condition, 1), else_=0)), BigInteger)

    pa = (select(o.account_id.label("account_id"), *per_currency(is_won, "w"),
                 *per_currency(is_open, "p"), count_of(is_won).label("won_n"),
                 count_of(is_open).label("open_n"),
                 func.max(case((o.stage_id.in_(closed_ids), o.closed_at))).label("closed"))
          .where(*scope, o.stage_id.in_(won_ids + open_ids + closed_ids),
                 o.currency.in_(included))
          .group_by(o.account_id).cte("pa"))
    won_cols = [pa.c[f"w{i}"] for i in range(len(present))]

    # The won amount in the report currency, for ranking and segments only: exact on
    # PostgreSQL (numeric), in floating point on SQLite. Every amount shown is converted
    # from the exact per-currency sums in Python instead (`_exact`), rounded once.
    terms = [col if factor == 1 else col * literal(factor, Numeric())
             for col, factor in zip(won_cols, factors)]
    value = sum(terms[1:], terms[0]) if terms else literal(0)
    valued = select(*pa.c, value.label("value")).cte("valued")
    v = valued.c
    running = func.sum(v.value).over(order_by=(v.value.desc(), v.account_id), rows=(None, 0))
    ranked = (select(*v, (running - v.value).label("before"),
                     func.sum(v.value).over().label("total"))
              .where(v.value > 0).cte("ranked"))
    segment = case(*[(ranked.c.before < ranked.c.total * literal(share, Numeric()),
                      literal(name)) for name, share in SEGMENTS if share is not None],
                   else_=literal(SEGMENTS[-1][0]))
    segmented = select(*ranked.c, segment.label("segment")).cte("segmented")
    r = segmented.c
    a = Activity
    recent_activity = exists(select(literal(1)).where(a.account_id == r.account_id,
                                                      a.done_at >= ctx.ts(cutoff)))
    at_risk = and_(r.open_n == 0, or_(r.closed.is_(None), r.closed < ctx.ts(cutoff)),
                   ~recent_activity)
    w = [r[f"w{i}"] for i in range(len(present))]
    p = [r[f"p{i}"] for i in range(len(present))]
    cols = (r.account_id, r.value, r.won_n, r.open_n, r.closed, r.before, r.total, r.segment,
            *w, *p)

    def part(name, *columns):
        return literal_column(f"'{name}'").label("part"), *columns

    def largest(*conditions):
        inner = (select(*[c.label(f"c{i}") for i, c in enumerate(cols)]).where(*conditions)
                 .order_by(r.value.desc(), r.account_id).limit(limit).subquery())
        return list(inner.c)

    def nothing(*types):  # typed NULLs, so every backend can line up the UNION's columns
        return [cast(null(), type_) for type_ in types]

    def totals(seg):  # account id, value, count, open_n, closed, before, total, segment, w, p
        return (*nothing(BigInteger), func.sum(r.value), cast(func.count(), BigInteger),
                *nothing(BigInteger, base.TS, Numeric, Numeric), seg,
                *[func.sum(col) for col in w], *nothing(*[Numeric] * len(p)))

    statement = union_all(
        select(*part("segment", *totals(r.segment))).group_by(r.segment),
        select(*part("top", *largest())),
        select(*part("risk_total", *totals(cast(null(), String)))).where(at_risk),
        select(*part("risk", *largest(at_risk))),
    )
    segments = {}
    top, risky = [], []
    at_risk_count, at_risk_value = 0, Decimal(0)
    k = len(present)
    for row in s.execute(statement) if present else ():
        part_name, account_id, rank, n, open_n, closed, before, total, seg = row[:9]
        won = _exact(row[9:9 + k], factors)
        if part_name == "segment":
            segments[seg] = (int(n or 0), won)
        elif part_name == "risk_total":
            at_risk_count, at_risk_value = int(n or 0), won
        else:
            row = {"id": account_id, "segment": seg, "won_amount": won,
                   "won_deals": int(n or 0), "rank": rank, "before": before, "total": total,
                   "open_amount": _exact(row[9 + k:], factors), "open_deals": int(open_n or 0),
                   "last_closed_at": closed}
            (top if part_name == "top" else risky).append(row)
    _names_and_activity(ctx, top + risky)
    customers = sum(n for n, _ in segments.values())
    total_value = sum((amount for _, amount in segments.values()), Decimal(0))
    n_accounts = s.scalar(select(func.count()).select_from(Account)
                          .where(*ctx.owner_is(Account.owner)))
    return ctx.result(
        accounts=int(n_accounts or 0), customers=customers,
        won_amount=base.money(total_value),
        segments=[{"segment": name, "accounts": segments.get(name, (0, 0))[0],
                   "won_amount": base.money(segments.get(name, (0, 0))[1]),
                   "share": base.ratio(segments.get(name, (0, 0))[1], total_value)}
                  for name, _ in SEGMENTS],
        rows=[_row(x, total_value) for x in top], at_risk_days=days, at_risk=at_risk_count,
        at_risk_amount=base.money(at_risk_value),
        at_risk_rows=[_row(x, total_value) for x in risky],
    )


def _exact(sums, factors) -> Decimal:
    """Exact cents (possibly fractional) in the report currency from per-currency sums."""
    return sum((Decimal(amount or 0) * factor for amount, factor in zip(sums, factors)),
               Decimal(0))


def _names_and_activity(ctx, rows: list[dict]) -> None:
    ids = sorted({row["id"] for row in rows})
    if not ids:
        return
    names = dict(ctx.s.execute(select(Account.id, Account.name)
                               .where(Account.id.in_(ids))).all())
    a = Activity
    last = dict(ctx.s.execute(select(a.account_id, func.max(a.done_at))
                              .where(a.account_id.in_(ids), a.done_at.is_not(None))
                              .group_by(a.account_id)).all())
    for row in rows:
        row["account"] = names.get(row["id"])
        row["last_activity_at"] = last.get(row["id"])


def _row(x: dict, total_value: Decimal) -> dict:
    def stamp(value):
        if value is None:
            return None
        if isinstance(value, str):  # MAX() over a timestamp comes back as stored text
            from datetime import datetime, timezone

            value = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        return dates.iso(value)

    def number(value) -> Decimal:
        return Decimal(str(value or 0))

    won = x["won_amount"]
    return {
        "id": x["id"], "account": x.get("account"), "segment": x["segment"],
        "won_amount": base.money(won), "won_deals": x["won_deals"],
        "share": base.ratio(won, total_value),
        # where the account stands in the ranking (the SQL ranking value)
        "cumulative_share": base.ratio(number(x["before"]) + number(x["rank"]),
                                       number(x["total"])),
        "open_amount": base.money(x["open_amount"]),
        "open_deals": x["open_deals"],
        "last_activity_at": stamp(x.get("last_activity_at")),
        "last_closed_at": stamp(x["last_closed_at"]),
    }
