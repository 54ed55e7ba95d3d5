"""`crm report win-rate`: won / (won + lost) over deals closed in the range.

A deal counts by its current state: won or lost, closed (`closed_at`) in `--from`..`--to`;
a reopened deal is open again and counts only once it closes again. Top level: `won`,
`lost`, `win_rate`, `won_amount`, `lost_amount`; `rows` per `--by`:

- `quarter` (default) / `month`: key `period` (of `closed_at`, UTC), every period from the
  first to the last filled in;
- `owner`, `source`, `pipeline`: keys `owner` / `source` / `pipeline` ("(none)" when empty),
  largest won amount first;
- `stage-lost-at` (along one pipeline: `--pipeline`, else the default): key `stage`, one row
  per open stage in order. `lost_here` / `lost_here_amount`: deals lost while in that stage
  (the stage they left for the lost stage, from stage history). `won` and `lost` count the
  closed deals that reached the stage (every won deal passed every stage; a deal lost at a
  later stage passed this one), so `win_rate` is the chance a deal that got this far is won.
  Lost deals whose stage before losing is not known (no history) form a "(unknown)" row.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crmtui.reports import ReportOptions, base, periods
from crmtui.reports import sql as dsql
from crmtui.store.models import Opportunity, StageChange


class _Acc:
    def __init__(self):
        self.won = 0
        self.lost = 0
        self.won_amount = Decimal(0)
        self.lost_amount = Decimal(0)

    def figures(self) -> dict:
        return {"won": self.won, "lost": self.lost,
                "win_rate": base.ratio(self.won, self.won + self.lost),
                "won_amount": base.money(self.won_amount),
                "lost_amount": base.money(self.lost_amount)}


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "win-rate", options)
    by = ctx.options.by or "quarter"
    if by == "stage-lost-at":
        return _by_stage_lost_at(ctx)
    o = Opportunity
    won_ids = set(ctx.stage_ids("won"))
    if by in ("quarter", "month"):  # months in SQL (cheap to compute), quarters added up here
        key = dsql.bucket(o.closed_at, "month", ctx.dialect)
    else:
        key = {"owner": o.owner, "source": o.source, "pipeline": o.pipeline_id}[by]
    query = (
        select(key, o.stage_id, o.currency, func.count(), func.sum(o.amount_minor))
        .where(o.stage_id.in_(ctx.stage_ids("won", "lost")), *ctx.time_range(o.closed_at),
               *ctx.owner_is(o.owner))
        .group_by(key, o.stage_id, o.currency)
    )
    groups: dict = {}
    total = _Acc()
    for k, stage_id, currency, count, amount in s.execute(query):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        if by in ("quarter", "month"):
            k = periods.roll_up(k, by)
        elif by == "pipeline":
            k = ctx.pipeline_name(k)
        elif by in ("owner", "source"):
            k = base.label(k)
        for acc in (groups.setdefault(k, _Acc()), total):
            if stage_id in won_ids:
                acc.won += count
                acc.won_amount += Decimal(amount or 0) * factor
            else:
                acc.lost += count
                acc.lost_amount += Decimal(amount or 0) * factor
    key_name = "period" if by in ("quarter", "month") else by
    if by in ("quarter", "month"):
        order = periods.fill(list(groups), by)
    elif by == "pipeline":
        names = [p.name for p in ctx.pipelines]
        order = sorted(groups, key=lambda n: names.index(n) if n in names else len(names))
    else:
        order = sorted(groups, key=lambda n: (-groups[n].won_amount, -groups[n].won,
                                              n == base.NONE_LABEL, n.lower()))
    rows = [{key_name: k, **groups.get(k, _Acc()).figures()} for k in order]
    return ctx.result(by=by, **total.figures(), rows=rows)


def _by_stage_lost_at(ctx) -> dict:
    o = Opportunity
    pipeline = ctx.one_pipeline()
    stages = [st for st in ctx.stages if st.pipeline_id == pipeline.id]
    won_ids = {st.id for st in stages if st.kind == "won"}
    lost_ids = [st.id for st in stages if st.kind == "lost"]
    scope = [*ctx.time_range(o.closed_at), *ctx.owner_is(o.owner)]  # stages: this pipeline
    total = _Acc()
    won_query = (select(o.currency, func.count(), func.sum(o.amount_minor))
                 .where(o.stage_id.in_(won_ids), *scope).group_by(o.currency))
    for currency, count, amount in ctx.s.execute(won_query):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        total.won += count
        total.won_amount += Decimal(amount or 0) * factor
    # the stage each lost deal left for the lost stage it is in: its latest move there
    sc = aliased(StageChange)
    lost_at = (select(sc.from_stage_id).where(sc.opportunity_id == o.id,
                                              sc.to_stage_id == o.stage_id)
               .order_by(sc.at.desc(), sc.id.desc()).limit(1).scalar_subquery())
    inner = (select(lost_at.label("lost_at"), o.currency, o.amount_minor)
             .where(o.stage_id.in_(lost_ids), *scope).subquery())
    lost_query = (select(inner.c.lost_at, inner.c.currency, func.count(),
                         func.sum(inner.c.amount_minor))
                  .group_by(inner.c.lost_at, inner.c.currency))
    open_stages = [st for st in stages if st.kind == "open"]
    position = {st.id: st.position for st in open_stages}
    here: dict = {}
    for stage_id, currency, count, amount in ctx.s.execute(lost_query):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        key = stage_id if stage_id in position else None
        acc = here.setdefault(key, _Acc())
        acc.lost += count
        acc.lost_amount += Decimal(amount or 0) * factor
        total.lost += count
        total.lost_amount += Decimal(amount or 0) * factor
    rows = []
    for st in open_stages:
        reached = _Acc()
        reached.won, reached.won_amount = total.won, total.won_amount
        for sid, acc in here.items():
            if sid is not None and position[sid] >= st.position:
                reached.lost += acc.lost
                reached.lost_amount += acc.lost_amount
        mine = here.get(st.id, _Acc())
        rows.append({"stage": st.name, "position": st.position, **reached.figures(),
                     "lost_here": mine.lost, "lost_here_amount": base.money(mine.lost_amount)})
    if None in here:
        unknown = here[None]
        rows.append({"stage": base.UNKNOWN_STAGE, "position": None, "won": None, "lost": None,
                     "win_rate": None, "won_amount": None, "lost_amount": None,
                     "lost_here": unknown.lost,
                     "lost_here_amount": base.money(unknown.lost_amount)})
    return ctx.result(by="stage-lost-at", pipeline=pipeline.name, **total.figures(), rows=rows)
