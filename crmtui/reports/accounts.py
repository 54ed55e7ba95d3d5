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
same keys). Converted amounts are summed per account and currency, then converted (to the
cent).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import (
    BigInteger, Float, Integer, String, and_, case, cast, exists, func, literal, literal_column,
    null, or_, select, union_all,
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

    # deals in other currencies: tallied, then left out
    is_won = and_(o.stage_id.in_(won_ids), *ctx.time_range(o.closed_at))
    for currency, n, minor in s.execute(
            select(o.currency, func.count(), func.sum(o.amount_minor))
            .where(*scope, or_(is_won, o.stage_id.in_(open_ids)), o.currency.not_in(included))
            .group_by(o.currency)):
        ctx.exclude(currency, n, minor)

    pac = (select(o.account_id.label("account_id"), o.currency.label("currency"),
                  func.sum(case((is_won, o.amount_minor), else_=0)).label("won_minor"),
                  func.sum(case((is_won, 1), else_=0)).label("won_n"),
                  func.sum(case((o.stage_id.in_(open_ids), o.amount_minor), else_=0))
                  .label("open_minor"),
                  func.sum(case((o.stage_id.in_(open_ids), 1), else_=0)).label("open_n"),
                  func.max(case((o.stage_id.in_(closed_ids), o.closed_at))).label("closed"))
           .where(*scope, o.stage_id.in_(won_ids + open_ids + closed_ids),
                  o.currency.in_(included))
           .group_by(o.account_id, o.currency).cte("pac"))

    def converted(col):
        return case(*[(pac.c.currency == cur, col if factor == 1 else
                       cast(func.round(col * float(factor)), Integer))
                      for cur, factor in ctx.rates.items()], else_=0)

    pa = (select(pac.c.account_id, func.sum(converted(pac.c.won_minor)).label("value"),
                 func.sum(pac.c.won_n).label("won_n"),
                 func.sum(converted(pac.c.open_minor)).label("open_value"),
                 func.sum(pac.c.open_n).label("open_n"), func.max(pac.c.closed).label("closed"))
          .group_by(pac.c.account_id).cte("pa"))
    running = func.sum(pa.c.value).over(order_by=(pa.c.value.desc(), pa.c.account_id),
                                        rows=(None, 0))
    ranked = (select(pa.c.account_id, pa.c.value, pa.c.won_n, pa.c.open_value, pa.c.open_n,
                     pa.c.closed, (running - pa.c.value).label("before"),
                     func.sum(pa.c.value).over().label("total"))
              .where(pa.c.value > 0).cte("ranked"))
    segment = case((ranked.c.before < ranked.c.total * float(SEGMENTS[0][1]), literal("A")),
                   (ranked.c.before < ranked.c.total * float(SEGMENTS[1][1]), literal("B")),
                   else_=literal("C"))
    segmented = select(*ranked.c, segment.label("segment")).cte("segmented")
    r = segmented.c
    a = Activity
    recent_activity = exists(select(literal(1)).where(a.account_id == r.account_id,
                                                      a.done_at >= ctx.ts(cutoff)))
    at_risk = and_(r.open_n == 0, or_(r.closed.is_(None), r.closed < ctx.ts(cutoff)),
                   ~recent_activity)
    cols = (r.account_id, r.value, r.won_n, r.open_value, r.open_n, r.closed, r.before,
            r.total, r.segment)

    def part(name, *columns):
        return literal_column(f"'{name}'").label("part"), *columns

    def largest(*conditions):
        inner = (select(*[c.label(f"c{i}") for i, c in enumerate(cols)]).where(*conditions)
                 .order_by(r.value.desc(), r.account_id).limit(limit).subquery())
        return list(inner.c)

    def nothing(*types):  # typed NULLs, so every backend can line up the UNION's columns
        return [cast(null(), type_) for type_ in types]

    blanks = nothing(BigInteger, BigInteger, BigInteger, base.TS, Float, Float)
    statement = union_all(
        select(*part("segment", blanks[0], func.sum(r.value), func.count(), *blanks[1:],
                     r.segment)).group_by(r.segment),
        select(*part("top", *largest())),
        select(*part("risk_total", blanks[0], func.sum(r.value), func.count(), *blanks[1:],
                     cast(null(), String))).where(at_risk),
        select(*part("risk", *largest(at_risk))),
    )
    segments = {}
    top, risky = [], []
    at_risk_count, at_risk_value, total_value = 0, 0, 0
    for part_name, account_id, value, n, open_value, open_n, closed, before, total, seg \
            in s.execute(statement):
        if part_name == "segment":
            segments[seg] = (n, value or 0)
            total_value += value or 0
        elif part_name == "risk_total":
            at_risk_count, at_risk_value = n or 0, value or 0
        else:
            row = {"id": account_id, "segment": seg, "won_amount": value, "won_deals": n,
                   "before": before, "total": total, "open_amount": open_value,
                   "open_deals": open_n, "last_closed_at": closed}
            (top if part_name == "top" else risky).append(row)
    _names_and_activity(ctx, top + risky)
    customers = sum(n for n, _ in segments.values())
    n_accounts = s.scalar(select(func.count()).select_from(Account)
                          .where(*ctx.owner_is(Account.owner)))
    return ctx.result(
        accounts=n_accounts, customers=customers, won_amount=base.money(total_value),
        segments=[{"segment": name, "accounts": segments.get(name, (0, 0))[0],
                   "won_amount": base.money(segments.get(name, (0, 0))[1]),
                   "share": base.ratio(segments.get(name, (0, 0))[1], total_value)}
                  for name, _ in SEGMENTS],
        rows=[_row(x) for x in top], at_risk_days=days, at_risk=at_risk_count,
        at_risk_amount=base.money(at_risk_value), at_risk_rows=[_row(x) for x in risky],
    )


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


def _row(x: dict) -> dict:
    def stamp(value):
        if value is None:
            return None
        if isinstance(value, str):  # MAX() over a timestamp comes back as stored text
            from datetime import datetime, timezone

            value = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        return dates.iso(value)

    def number(value) -> Decimal:
        return Decimal(str(value or 0))

    total = number(x["total"])
    won = number(x["won_amount"])
    return {
        "id": x["id"], "account": x.get("account"), "segment": x["segment"],
        "won_amount": base.money(won), "won_deals": int(x["won_deals"] or 0),
        "share": base.ratio(won, total),
        "cumulative_share": base.ratio(number(x["before"]) + won, total),
        "open_amount": base.money(number(x["open_amount"])),
        "open_deals": int(x["open_deals"] or 0),
        "last_activity_at": stamp(x.get("last_activity_at")),
        "last_closed_at": stamp(x["last_closed_at"]),
    }
