"""`crm report win-rate`: won / (won + lost) over deals closed in the range.

A deal counts by its current state: won or lost, closed (`closed_at`) in `--from`..`--to`;
a reopened deal is open again and counts only once it closes again. Top level: `won`,
`lost`, `win_rate`, `won_amount`, `lost_amount`; `rows` per `--by`:

- `quarter` (default) / `month`: key `period` (of `closed_at`, UTC), every period from the
  first to the last filled in;
- `owner`, `source`, `pipeline`: keys `owner` / `source` / `pipeline` ("(none)" when empty),
  largest won amount first; owners are grouped ignoring case, each shown as the team user's
  name, else its most common spelling (crmtui/reports/owners.py);
- `stage-lost-at` (along one pipeline: `--pipeline`, else the default): key `stage`, one row
  per open stage in order. `lost_here` / `lost_here_amount`: deals lost while in that stage
  (the stage they left for the lost stage, from stage history). `won` and `lost` count the
  closed deals that reached the stage (every won deal passed every stage; a deal lost at a
  later stage passed this one), so `win_rate` is the chance a deal that got this far is won.
  Lost deals whose stage before losing is not known (no history) form a "(unknown)" row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from crmtui.reports import ReportOptions, base, periods
from crmtui.reports.owners import OwnerNames
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
    rows = _period_groups(ctx, by) if by in ("quarter", "month") else None
    months = rows is None  # period keys of the GROUP BY below are months
    if rows is None:
        if by in ("quarter", "month"):  # months in SQL, quarters added up below
            key = dsql.bucket(o.closed_at, "month", ctx.dialect)
        else:
            key = {"owner": o.owner, "source": o.source, "pipeline": o.pipeline_id}[by]
        query = (
            select(key, o.stage_id, o.currency, func.count(), func.sum(o.amount_minor))
            .where(o.stage_id.in_(ctx.stage_ids("won", "lost")),
                   *ctx.time_range(o.closed_at), *ctx.owner_is(o.owner))
            .group_by(key, o.stage_id, o.currency)
        )
        rows = s.execute(query).all()
    groups: dict = {}
    total = _Acc()
    names = OwnerNames(s) if by == "owner" else None
    for k, stage_id, currency, count, amount in rows:
        if not count:
            continue
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        if by in ("quarter", "month") and months:
            k = periods.roll_up(k, by)
        elif by == "pipeline":
            k = ctx.pipeline_name(k)
        elif by == "owner":
            k = names.key(k, count)
        elif by == "source":
            k = base.label(k)
        for acc in (groups.setdefault(k, _Acc()), total):
            if stage_id in won_ids:
                acc.won += count
                acc.won_amount += Decimal(amount or 0) * factor
            else:
                acc.lost += count
                acc.lost_amount += Decimal(amount or 0) * factor
    if names is not None:  # one row per owner ignoring case, under one spelling
        groups = {names.name(k): acc for k, acc in groups.items()}
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


MAX_ARMS = 400  # SQLite allows 500 SELECTs in one compound statement


def _period_groups(ctx, by: str):
    """Closed deals per (period, stage, currency) without sorting a million rows: one
    UNION ALL arm per period, closed stage and currency, each a range read of the
    (stage, currency, closed_at) index. None when there would be too many arms."""
    o = Opportunity
    closed = ctx.stage_ids("won", "lost")
    currencies = ctx.s.scalars(select(o.currency).where(o.stage_id.in_(closed))
                               .distinct()).all()
    pairs = [(sid, cur) for sid in closed for cur in sorted(currencies)]
    if not pairs:
        return []
    ends = [select(agg(o.closed_at)).where(o.stage_id == sid, o.currency == cur)
            .scalar_subquery() for agg in (func.min, func.max) for sid, cur in pairs]
    found = ctx.s.execute(select(*ends)).one()
    firsts = [v for v in found[:len(pairs)] if v is not None]
    lasts = [v for v in found[len(pairs):] if v is not None]
    if not firsts:
        return []
    first = _day(min(firsts))
    last = _day(max(lasts))
    if ctx.options.date_from:
        first = max(first, ctx.options.date_from)
    if ctx.options.date_to:
        last = min(last, ctx.options.date_to)
    if first > last:
        return []
    spans = periods.span(first, last, by)
    if len(spans) * len(pairs) > MAX_ARMS:
        return None
    arms, keys = [], []
    for label, start, end in spans:
        lo = base.utc_start(start)
        hi = base.utc_start(end + timedelta(days=1))
        if ctx.start is not None:
            lo = max(lo, ctx.start)
        if ctx.end is not None:
            hi = min(hi, ctx.end)
        for sid, cur in pairs:
            arms.append(select(literal_column(str(len(keys))).label("arm"), func.count(),
                               func.sum(o.amount_minor))
                        .where(o.stage_id == sid, o.currency == cur,
                               o.closed_at >= ctx.ts(lo), o.closed_at < ctx.ts(hi),
                               *ctx.owner_is(o.owner)))
            keys.append((label, sid, cur))
    out = []
    for arm, count, amount in ctx.s.execute(union_all(*arms)):
        label, sid, cur = keys[int(arm)]
        out.append((label, sid, cur, count, amount))
    return out


def _day(value) -> date:
    if isinstance(value, str):  # MIN() of a timestamp on SQLite: the stored text
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


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
