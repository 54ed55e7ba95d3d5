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
close dates are today's; deals whose stage then is not known are left out) and starts the
periods there.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
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
    if as_of:
        open_groups, won_groups = _as_of_groups(ctx, t, threshold, start, end)
    else:
        open_groups, won_groups = _open_groups(ctx, threshold), _won_groups(ctx, start, end)
    for (close, stage_id, currency, count, amount, plain, overridden,
         commit_over) in open_groups:
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        st = ctx.stage(stage_id)
        label = periods.label(close, by) if close is not None else None
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
        if close is not None and close < today:
            bucket.overdue += count
            bucket.overdue_amount += amount_d * factor
    for month, currency, count, amount in won_groups:
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        bucket = buckets.get(periods.roll_up(month, by))
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


def _sums(amount_col, prob_col, threshold):
    return (func.count(), func.sum(amount_col),
            func.sum(case((prob_col.is_(None), amount_col), else_=0)),
            func.sum(amount_col * prob_col),
            func.sum(case((prob_col >= threshold, amount_col), else_=0)))


def _open_groups(ctx, threshold):
    """Open deals summed per (stage, currency, close date): the report index is in that
    order, so SQL groups without sorting; the dates go into periods here."""
    o = Opportunity
    query = (select(o.close_date, o.stage_id, o.currency,
                    *_sums(o.amount_minor, o.probability, threshold))
             .where(o.stage_id.in_(ctx.stage_ids("open")), *ctx.owner_is(o.owner))
             .group_by(o.stage_id, o.currency, o.close_date))
    return ctx.s.execute(query).all()


def _won_groups(ctx, start, end):
    """Deals won in the window, per month of their close (quarters are added up here)."""
    o = Opportunity
    month = dsql.bucket(o.closed_at, "month", ctx.dialect)
    query = (select(month, o.currency, func.count(), func.sum(o.amount_minor))
             .where(o.stage_id.in_(ctx.stage_ids("won")), *ctx.owner_is(o.owner),
                    o.closed_at >= ctx.ts(base.utc_start(start)),
                    o.closed_at < ctx.ts(base.utc_start(end + timedelta(days=1))))
             .group_by(month, o.currency))
    return ctx.s.execute(query).all()


def _as_of_groups(ctx, t, threshold, start, end):
    """Both of the above at moment `t`, from one pass over the rebuilt states: open deals
    by close date, and deals won by then (the month they entered the won stage)."""
    o = Opportunity
    src = history.states(ctx, t, *ctx.owner_is(o.owner), *ctx.in_pipeline(o.stage_id))
    won_ids = ctx.stage_ids("won")
    lo, hi = base.utc_start(start), min(base.utc_start(end + timedelta(days=1)), t)
    won_in_window = and_(src.c.stage_id.in_(won_ids), src.c.entered_at >= ctx.ts(lo),
                         src.c.entered_at < ctx.ts(hi))
    month = case((src.c.stage_id.in_(won_ids),
                  dsql.bucket(src.c.entered_at, "month", ctx.dialect)), else_=None)
    inner = (select(src.c.stage_id, src.c.currency, src.c.close_date, src.c.amount_minor,
                    src.c.probability, month.label("won_month"))
             .where(or_(src.c.stage_id.in_(ctx.stage_ids("open")), won_in_window))
             .subquery("scoped"))
    c = inner.c
    rows = ctx.s.execute(
        select(c.close_date, c.stage_id, c.currency, *_sums(c.amount_minor, c.probability,
                                                             threshold), c.won_month)
        .group_by(c.stage_id, c.currency, c.close_date, c.won_month)).all()
    won_ids = set(won_ids)
    open_rows = [row[:8] for row in rows if row[1] not in won_ids]
    won_rows = [(row[8], row[2], row[3], row[4]) for row in rows if row[1] in won_ids]
    return open_rows, won_rows
