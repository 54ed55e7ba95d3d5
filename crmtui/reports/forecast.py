"""`crm report forecast`: open deals by expected close period, and what was won in each.

Periods are months (default, 6 of them) or quarters (4), from the current one, or the ones
holding `--from` .. `--to`. Per period:
- `count`, `amount`, `weighted`: open deals whose expected close date falls in the period;
- `commit`: the amount of those with an effective probability >= `commit_probability`
  (default 75), or sitting in a commit stage (settings: `[forecast] commit_probability = 75`,
  `commit_stages = ["Negotiation"]`);
- `won_count`, `won`: deals won (closed) in the period;
- `worst_case` = won + commit, `expected` = won + weighted, `best_case` = won + amount.

Open deals outside the periods are summed in `earlier` (expected before the first period:
slipped), `later` and `undated` (no expected close date); `overdue` counts open deals whose
expected close date has passed (also inside the first period).

`--as-of DAY` rebuilds which deals were open or won at the end of that day (stage history;
close dates are today's) and starts the periods there.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crmtui import config
from crmtui.errors import Invalid
from crmtui.reports import ReportOptions, base, history, periods
from crmtui.reports import sql as dsql
from crmtui.store.models import Opportunity

DEFAULT_PERIODS = {"month": 6, "quarter": 4}
DEFAULT_COMMIT = 75

FIGURES = ("amount", "weighted", "commit", "won", "worst_case", "expected", "best_case")


def commit_rule(ctx) -> tuple[int, set[int], list[str]]:
    settings = config.get("forecast") or {}
    try:
        threshold = int(settings.get("commit_probability", DEFAULT_COMMIT))
    except (TypeError, ValueError):
        raise Invalid("settings: [forecast] commit_probability must be a number 0-100") from None
    names = settings.get("commit_stages") or []
    if isinstance(names, str):
        names = [names]
    wanted = {str(n).strip().lower() for n in names}
    ids = {st.id for st in ctx.stages if st.kind == "open" and st.name.lower() in wanted}
    return threshold, ids, sorted({st.name for st in ctx.stages if st.id in ids})


class _Bucket:
    def __init__(self):
        self.count = 0
        self.amount = Decimal(0)
        self.weighted = Decimal(0)
        self.commit = Decimal(0)
        self.won_count = 0
        self.won = Decimal(0)
        self.overdue = 0
        self.overdue_amount = Decimal(0)

    def add(self, other: "_Bucket") -> None:
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)

    def figures(self) -> dict:
        return {
            "count": self.count,
            "amount": base.money(self.amount),
            "weighted": base.money(self.weighted),
            "commit": base.money(self.commit),
            "won_count": self.won_count,
            "won": base.money(self.won),
            "worst_case": base.money(self.won + self.commit),
            "expected": base.money(self.won + self.weighted),
            "best_case": base.money(self.won + self.amount),
        }


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "forecast", options)
    by = ctx.options.by or "month"
    as_of = ctx.options.as_of is not None
    t = history.as_of_end(ctx.options.as_of, ctx.now) if as_of else ctx.now
    today = (t - timedelta(microseconds=1)).date() if as_of else ctx.today
    first = ctx.options.date_from or today
    if ctx.options.date_to:
        last = ctx.options.date_to
    else:
        n = ctx.options.periods or DEFAULT_PERIODS[by]
        last = periods.step(periods.start_of(first, by), by, n) - timedelta(days=1)
    window = periods.span(first, last, by)
    start, end = window[0][1], window[-1][2]
    threshold, commit_ids, commit_names = commit_rule(ctx)

    buckets: dict[str, _Bucket] = {label: _Bucket() for label, _, _ in window}
    earlier, later, undated = _Bucket(), _Bucket(), _Bucket()
    for (label, stage_id, currency, count, amount, plain, overridden, commit_over,
         overdue, overdue_amount) in _open_groups(ctx, by, t, today, threshold):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        st = ctx.stage(stage_id)
        if label is None:
            bucket = undated
        elif label < window[0][0]:
            bucket = earlier
        elif label > window[-1][0]:
            bucket = later
        else:
            bucket = buckets[label]
        amount_d = Decimal(amount or 0)
        bucket.count += count
        bucket.amount += amount_d * factor
        bucket.weighted += (Decimal(plain or 0) * st.probability
                            + Decimal(overridden or 0)) * factor / 100
        if stage_id in commit_ids:
            committed = amount_d
        else:
            committed = Decimal(commit_over or 0)
            if st.probability >= threshold:
                committed += Decimal(plain or 0)
        bucket.commit += committed * factor
        bucket.overdue += overdue or 0
        bucket.overdue_amount += Decimal(overdue_amount or 0) * factor
    for label, currency, count, amount in _won_groups(ctx, by, t, start, end):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        bucket = buckets.get(label)
        if bucket is not None:
            bucket.won_count += count
            bucket.won += Decimal(amount or 0) * factor

    total = _Bucket()
    rows = []
    for label, first_day, last_day in window:
        b = buckets[label]
        total.add(b)
        rows.append({"period": label, "start": first_day.isoformat(),
                     "end": last_day.isoformat(), **b.figures()})
    overdue = _Bucket()
    for b in (*buckets.values(), earlier, later, undated):
        overdue.overdue += b.overdue
        overdue.overdue_amount += b.overdue_amount

    def outside(b: _Bucket) -> dict:
        return {"count": b.count, "amount": base.money(b.amount),
                "weighted": base.money(b.weighted), "commit": base.money(b.commit)}

    return ctx.result(
        as_of=history.as_of_label(ctx.options.as_of), by=by, periods=len(window),
        start=start.isoformat(), end=end.isoformat(), commit_probability=threshold,
        commit_stages=commit_names, rows=rows, total=total.figures(),
        earlier=outside(earlier), later=outside(later), undated=outside(undated),
        overdue={"count": overdue.overdue, "amount": base.money(overdue.overdue_amount)},
    )


def _open_groups(ctx, by, t, today, threshold):
    o = Opportunity
    if ctx.options.as_of is None:
        src = o
        stage_col, close_col, amount_col, prob_col, currency_col = (
            o.stage_id, o.close_date, o.amount_minor, o.probability, o.currency)
        where = [o.stage_id.in_(ctx.stage_ids("open")), *ctx.owner_is(o.owner)]
    else:
        conditions = [*ctx.owner_is(o.owner)]
        if ctx.pipeline is not None:
            conditions.append(o.pipeline_id == ctx.pipeline.id)
        src = history.states(ctx, t, *conditions)
        stage_col, close_col, amount_col, prob_col, currency_col = (
            src.c.stage_id, src.c.close_date, src.c.amount_minor, src.c.probability,
            src.c.currency)
        where = [stage_col.in_(ctx.stage_ids("open"))]
    label = dsql.bucket(close_col, by, ctx.dialect)
    overdue = close_col < today
    query = (
        select(label, stage_col, currency_col, func.count(), func.sum(amount_col),
               func.sum(case((prob_col.is_(None), amount_col), else_=0)),
               func.sum(amount_col * prob_col),
               func.sum(case((prob_col >= threshold, amount_col), else_=0)),
               func.sum(case((overdue, 1), else_=0)),
               func.sum(case((overdue, amount_col), else_=0)))
        .select_from(src)
        .where(*where)
        .group_by(label, stage_col, currency_col)
    )
    return ctx.s.execute(query).all()


def _won_groups(ctx, by, t, start, end):
    o = Opportunity
    lo, hi = base.utc_start(start), min(base.utc_start(end + timedelta(days=1)), t)
    if ctx.options.as_of is None:
        closed_col, currency_col, amount_col = o.closed_at, o.currency, o.amount_minor
        where = [o.stage_id.in_(ctx.stage_ids("won")), *ctx.owner_is(o.owner)]
        src = o
    else:
        conditions = [*ctx.owner_is(o.owner)]
        if ctx.pipeline is not None:
            conditions.append(o.pipeline_id == ctx.pipeline.id)
        src = history.states(ctx, t, *conditions)
        closed_col, currency_col, amount_col = src.c.entered_at, src.c.currency, \
            src.c.amount_minor
        where = [src.c.stage_id.in_(ctx.stage_ids("won"))]
    label = dsql.bucket(closed_col, by, ctx.dialect)
    query = (
        select(label, currency_col, func.count(), func.sum(amount_col))
        .select_from(src)
        .where(*where, closed_col >= ctx.ts(lo), closed_col < ctx.ts(hi))
        .group_by(label, currency_col)
    )
    return ctx.s.execute(query).all()
