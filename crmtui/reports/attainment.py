"""`crm report attainment`: quota per owner and period against what was won.

Quotas (`crm quota set --owner NAME --period 2026-Q4 --amount 50000`): the one `--period`,
else those whose period overlaps `--from`..`--to`, else those whose period holds today;
`--owner` picks one owner. Deals count when their owner matches the quota's (ignoring case)
and they are in scope (pipeline, currency). Per quota, in `rows` (by period, then owner):

- `quota`; `won` and `won_count`: deals won (closed) in the period;
- `attainment` = won / quota (above 1 when the quota is beaten), rounded down (not to the
  nearest) to 4 places, so it is below 1 whenever there is a gap: won 199,931 of 199,932
  is 0.9999, never 1.0; the text shows it rounded down too (99.9%);
- `gap` = quota - won (both to the cent, as shown), at least 0;
- `open_count`, `open_amount`, `weighted`: open deals expected to close in the period
  (close date in it), and their weighted amount: the pipeline that could close the gap;
- `coverage` = weighted / gap (null when there is no gap).
`total` sums the rows. A quota in a currency without a rate is listed in `skipped_quotas`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base, periods
from crmtui.reports import sql as dsql
from crmtui.reports.quotas import list_quotas
from crmtui.store.models import Opportunity, Quota


def _pick(ctx) -> list[Quota]:
    opts = ctx.options
    quotas = list_quotas(ctx.s, owner=opts.owner, period=opts.period)
    if opts.period:
        return quotas
    lo = opts.date_from or (ctx.today if not opts.date_to else None)
    hi = opts.date_to or (ctx.today if not opts.date_from else None)
    out = []
    for q in quotas:
        start, end = periods.bounds(q.period)
        if (hi is None or start <= hi) and (lo is None or end >= lo):
            out.append(q)
    return out


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "attainment", options)
    quotas = _pick(ctx)
    rows, skipped = [], []
    kinds = {periods.kind_of(q.period) for q in quotas}
    won: dict = {}
    pipe: dict = {}
    for kind in sorted(kinds):
        mine = [q for q in quotas if periods.kind_of(q.period) == kind]
        first = min(periods.bounds(q.period)[0] for q in mine)
        last = max(periods.bounds(q.period)[1] for q in mine)
        owners = sorted({q.owner.lower() for q in mine})
        _won(ctx, kind, first, last, owners, won)
        _open(ctx, kind, first, last, owners, pipe)
    total = {"quota": Decimal(0), "won": Decimal(0), "won_count": 0, "gap": Decimal(0),
             "open_count": 0, "open_amount": Decimal(0), "weighted": Decimal(0)}
    for q in quotas:
        factor = ctx.factor(q.currency)
        if factor is None:
            skipped.append({"owner": q.owner, "period": q.period, "currency": q.currency,
                            "amount": base.money(q.amount_minor)})
            continue
        quota = Decimal(q.amount_minor) * factor
        key = (q.owner.lower(), q.period)
        won_n, won_amount = won.get(key, (0, Decimal(0)))
        open_n, open_amount, weighted = pipe.get(key, (0, Decimal(0), Decimal(0)))
        gap = max(Decimal(base.cents(quota) - base.cents(won_amount)), Decimal(0))
        start, end = periods.bounds(q.period)
        rows.append({
            "owner": q.owner, "period": q.period, "start": start.isoformat(),
            "end": end.isoformat(), "quota": base.money(quota), "won": base.money(won_amount),
            "won_count": won_n, "attainment": attained(won_amount, quota),
            "gap": base.money(gap), "open_count": open_n, "open_amount": base.money(open_amount),
            "weighted": base.money(weighted), "coverage": base.ratio(weighted, gap),
        })
        for name, value in (("quota", quota), ("won", won_amount), ("won_count", won_n),
                            ("gap", gap), ("open_count", open_n), ("open_amount", open_amount),
                            ("weighted", weighted)):
            total[name] += value
    totals = {
        "quota": base.money(total["quota"]), "won": base.money(total["won"]),
        "won_count": total["won_count"], "attainment": attained(total["won"], total["quota"]),
        "gap": base.money(total["gap"]), "open_count": total["open_count"],
        "open_amount": base.money(total["open_amount"]), "weighted": base.money(total["weighted"]),
        "coverage": base.ratio(total["weighted"], total["gap"]),
    }
    has_quotas = ctx.s.scalar(select(func.count()).select_from(Quota)) > 0
    return ctx.result(quotas=len(rows), has_quotas=has_quotas, rows=rows, total=totals,
                      skipped_quotas=skipped)


def attained(won: Decimal, quota: Decimal) -> float | None:
    """won / quota of the amounts to the cent, rounded down to 4 places: 1.0 only when the
    quota is met."""
    quota_cents = base.cents(quota)
    if not quota_cents:
        return None
    share = Decimal(base.cents(won)) / Decimal(quota_cents)
    return float(share.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR))


def _won(ctx, kind, first, last, owners, out) -> None:
    o = Opportunity
    owner = func.lower(o.owner)
    label = dsql.bucket(o.closed_at, "month", ctx.dialect)
    query = (select(owner, label, o.currency, func.count(), func.sum(o.amount_minor))
             .where(o.stage_id.in_(ctx.stage_ids("won")), owner.in_(owners),
                    o.closed_at >= ctx.ts(base.utc_start(first)),
                    o.closed_at < ctx.ts(base.utc_start(last + timedelta(days=1))))
             .group_by(owner, label, o.currency))
    for who, month, currency, n, amount in ctx.s.execute(query):
        period = periods.roll_up(month, kind)
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, n, amount)
            continue
        count, total = out.get((who, period), (0, Decimal(0)))
        out[(who, period)] = (count + n, total + Decimal(amount or 0) * factor)


def _open(ctx, kind, first, last, owners, out) -> None:
    o = Opportunity
    owner = func.lower(o.owner)
    label = dsql.bucket(o.close_date, "month", ctx.dialect)
    query = (select(owner, label, o.stage_id, o.currency, func.count(), func.sum(o.amount_minor),
                    func.sum(case((o.probability.is_(None), o.amount_minor), else_=0)),
                    func.sum(o.amount_minor * o.probability))
             .where(o.stage_id.in_(ctx.stage_ids("open")), owner.in_(owners),
                    o.close_date >= first, o.close_date <= last)
             .group_by(owner, label, o.stage_id, o.currency))
    for who, month, stage_id, currency, n, amount, plain, overridden in ctx.s.execute(query):
        period = periods.roll_up(month, kind)
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, n, amount)
            continue
        prob = ctx.stage(stage_id).probability
        count, total, weighted = out.get((who, period), (0, Decimal(0), Decimal(0)))
        out[(who, period)] = (
            count + n, total + Decimal(amount or 0) * factor,
            weighted + (Decimal(plain or 0) * prob + Decimal(overridden or 0)) * factor / 100)
