"""`crm report pipeline`: open deals per stage, in pipeline order.

Per open stage: `count`, `amount`, `weighted` (amount x effective probability: the deal's
override, else the stage's), `avg_age_days` (days since the deal entered the stage),
`stale` (the rule of `crm opp list --stale`: longer in the stage than its rot days, or no
activity for `stale_days`), and `share` of the total amount. Every open stage has a row,
empty or not. `--from/--to` keep deals whose expected close date is in the range.

`--as-of DAY` rebuilds the pipeline at the end of that day from stage history (see
`reports.history`); ages are measured to that moment and `stale` is null (past activity
is not kept per day). Deals whose stage then is unknown get a "(unknown)" row.

A stage deleted since then is rebuilt from the name its history rows keep: its deals get a
row "NAME (deleted)" (after the open stages, `stage_id` null, `deleted` true) weighted by
the probability the stage had when it was deleted (logged by `crm stage delete`). For a
stage deleted before that was logged, and never edited, the probability is not stored
anywhere: the row has `probability` null and its `weighted` counts only the deals' own
probability overrides (the stage's share counts as 0). Deleted closed stages show no row
(the report is about open deals): a deleted stage's kind is logged at deletion too; for an older deletion a deal counts as closed then when its close
time is before that moment (it has stayed closed since), else as open.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from crmtui.domain import opportunities, pipelines
from crmtui.reports import ReportOptions, base, history
from crmtui.reports import sql as dsql
from crmtui.store.models import Opportunity, StageChange

DELETED = " (deleted)"


class _Acc:
    __slots__ = ("count", "amount", "weighted", "age_sum", "aged", "stale")

    def __init__(self):
        self.count = 0
        self.amount = Decimal(0)
        self.weighted = Decimal(0)
        self.age_sum = 0.0
        self.aged = 0  # deals whose entry into the stage is known
        self.stale = 0

    def add(self, other: "_Acc") -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "pipeline", options)
    open_stages = [st for st in ctx.stages if st.kind == "open"]
    if ctx.options.as_of is not None:
        t = history.as_of_end(ctx.options.as_of, ctx.now)
        groups = _groups_as_of(ctx, t)
        at = t
    else:
        groups = _groups_now(ctx, open_stages)
        at = ctx.now
    now_day = dsql.day_number_of(at, ctx.dialect)
    accs: dict = {}
    gone: dict[str, int | None] = {}  # deleted stage name -> its last probability
    for (stage_id, gone_name, closed_then, currency, count, amount, plain, overridden, day_sum,
         stale) in groups:
        if gone_name is not None and gone_name not in gone:
            gone[gone_name] = pipelines.deleted_stage(ctx.s, gone_name)
        if gone_name is not None and (gone[gone_name]["kind"] or
                                      ("won" if closed_then else "open")) != "open":
            continue  # a deleted won or lost stage: not in a report of open deals
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        st = ctx.stage(stage_id)
        key = stage_id if stage_id is not None or gone_name is None else ("gone", gone_name)
        if st is not None:
            prob = st.probability
        elif gone_name is not None:
            prob = gone[gone_name]["probability"] or 0
        else:
            prob = 0
        acc = accs.setdefault(key, _Acc())
        acc.count += count
        acc.amount += Decimal(amount or 0) * factor
        acc.weighted += (Decimal(plain or 0) * prob + Decimal(overridden or 0)) * factor / 100
        if key is not None:
            acc.age_sum += count * now_day - (day_sum or 0.0)
            acc.aged += count
        acc.stale += stale or 0
    total = _Acc()
    for acc in accs.values():
        total.add(acc)
    rows = []
    for st in open_stages:
        rows.append(_row(ctx, st.pipeline_id, st.name, st.id, st.position, st.probability,
                         accs.get(st.id, _Acc()), total, as_of=ctx.options.as_of is not None))
    for name in sorted(n for n in gone if ("gone", n) in accs):
        row = _row(ctx, ctx.pipelines[0].id if len(ctx.pipelines) == 1 else None,
                   name + DELETED, None, None, gone[name]["probability"],
                   accs[("gone", name)], total, as_of=True)
        row["deleted"] = True
        rows.append(row)
    if None in accs:
        rows.append(_row(ctx, None, base.UNKNOWN_STAGE, None, None, None, accs[None], total,
                         as_of=True))
    total_row = _figures(total, total, as_of=ctx.options.as_of is not None)
    return ctx.result(
        as_of=history.as_of_label(ctx.options.as_of),
        pipelines=[p.name for p in ctx.pipelines],
        rows=rows, total=total_row,
    )


def _row(ctx, pipeline_id, stage, stage_id, position, probability, acc, total, *, as_of):
    out = {"pipeline": ctx.pipeline_name(pipeline_id), "stage": stage, "stage_id": stage_id,
           "position": position, "probability": probability}
    out.update(_figures(acc, total, as_of=as_of))
    return out


def _figures(acc: _Acc, total: _Acc, *, as_of: bool) -> dict:
    return {
        "count": acc.count,
        "amount": base.money(acc.amount),
        "weighted": base.money(acc.weighted),
        "avg_age_days": base.days(acc.age_sum / acc.aged) if acc.aged else None,
        "stale": None if as_of else acc.stale,
        "share": base.ratio(acc.amount, total.amount),
    }


def _sums(o_amount, o_probability, day_col, dialect):
    return (
        func.count(),
        func.sum(o_amount),
        func.sum(case((o_probability.is_(None), o_amount), else_=0)),
        func.sum(o_amount * o_probability),
        func.sum(dsql.day_number(day_col, dialect)),
    )


def _groups_now(ctx, open_stages):
    o = Opportunity
    idle_before = ctx.now - timedelta(days=opportunities.stale_days())
    rot = {st.id: ctx.ts(ctx.now - timedelta(days=st.rot_days))
           for st in open_stages if st.rot_days}
    idle = func.coalesce(o.last_activity_at, o.created_at) < ctx.ts(idle_before)
    stale = or_(idle, o.stage_entered_at < case(rot, value=o.stage_id)) if rot else idle
    query = (
        select(o.stage_id, literal(None).label("gone"), literal(False).label("closed_then"),
               o.currency,
               *_sums(o.amount_minor, o.probability, o.stage_entered_at, ctx.dialect),
               func.sum(case((stale, 1), else_=0)))
        .where(o.stage_id.in_([st.id for st in open_stages]), *ctx.owner_is(o.owner),
               *ctx.date_range(o.close_date))
        .group_by(o.stage_id, o.currency)
    )
    return ctx.s.execute(query).all()


def _groups_as_of(ctx, t):
    o = Opportunity
    conditions = [*ctx.owner_is(o.owner), *ctx.date_range(o.close_date),
                  *ctx.in_pipeline(o.stage_id)]
    state = history.states(ctx, t, *conditions)
    open_ids = ctx.stage_ids("open")
    sc = StageChange
    # a deal whose stage then has been deleted since: the name its last change keeps
    gone_name = (select(sc.to_stage_name)
                 .where(sc.opportunity_id == state.c.id, sc.at == state.c.entered_at,
                        sc.to_stage_id.is_(None))
                 .order_by(sc.id.desc()).limit(1).scalar_subquery())
    # closed at t for sure: closed before t and not reopened since (reopening clears it)
    closed_then = (select(o.closed_at <= ctx.ts(t)).where(o.id == state.c.id)
                   .scalar_subquery())
    named = (select(state, case((state.c.stage_id.is_(None), gone_name),
                                else_=None).label("gone"),
                    func.coalesce(closed_then, False).label("closed_then"))
             .where(or_(state.c.stage_id.in_(open_ids), state.c.stage_id.is_(None)))
             .subquery("named"))
    query = (
        select(named.c.stage_id, named.c.gone, named.c.closed_then, named.c.currency,
               *_sums(named.c.amount_minor, named.c.probability, named.c.entered_at,
                      ctx.dialect),
               func.sum(0))
        .group_by(named.c.stage_id, named.c.gone, named.c.closed_then, named.c.currency)
    )
    return ctx.s.execute(query).all()
