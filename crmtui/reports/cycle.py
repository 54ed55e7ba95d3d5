"""`crm report cycle`: how long deals take, and where the time goes.

Deals: closed (won or lost now) in `--from`..`--to`, in scope (owner, pipeline).
- `rows`: one per outcome (`won`, `lost`, `all`): `count`, `avg_days`, `median_days`,
  `min_days`, `max_days`, days from the deal's creation to its close;
- `stages`: for each open stage, over the same deals' stage history: `deals` that spent
  time in it, `avg_days` and `median_days` a deal spent there (all its stays in the stage
  added up, so a deal moved back and forth counts its total). A stay runs from the move
  into the stage to the move out of it; a deal whose history does not show both (imported
  without history, or a stage deleted since) is left out of that stage's figures.
Medians are exact to the 0.1 day shown, read from per-bucket min/max (see `base.Spread`).
"""

from __future__ import annotations

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base
from crmtui.reports import sql as dsql
from crmtui.store.models import Opportunity, StageChange


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "cycle", options)
    o = Opportunity
    won_ids = ctx.stage_ids("won")
    scope = [o.stage_id.in_(ctx.stage_ids("won", "lost")), *ctx.time_range(o.closed_at),
             *ctx.owner_is(o.owner)]
    span = dsql.days_between(o.created_at, o.closed_at, ctx.dialect)
    outcome = case((o.stage_id.in_(won_ids), literal("won")), else_=literal("lost"))
    deals = select(outcome.label("outcome"), span.label("days")).where(*scope).subquery("deals")
    stats = base.spreads(s, deals, "outcome", "days")
    everything = base.Spread()
    for spread in stats.values():
        everything.merge(spread)
    stats["all"] = everything
    rows = []
    for key in ("won", "lost", "all"):
        spread = stats.get(key) or base.Spread()
        rows.append({"outcome": key, "count": spread.n, "avg_days": base.days(spread.avg),
                     "median_days": base.days(spread.median), "min_days": base.days(spread.lo),
                     "max_days": base.days(spread.hi)})
    return ctx.result(rows=rows, stages=_stages(ctx, scope))


def _stages(ctx, scope) -> list[dict]:
    """Time per deal in each open stage, without ordering the history: a deal's total time
    in stage X is the sum of the times of its moves out of X minus those of its moves into
    X, when every stay in X has ended (as many moves out as in)."""
    o = Opportunity
    sc = StageChange
    open_stages = [st for st in ctx.stages if st.kind == "open"]
    if not open_stages:
        return []
    day = dsql.day_number(sc.at, ctx.dialect)
    columns = []
    for st in open_stages:
        columns += [
            func.sum(case((sc.from_stage_id == st.id, day), (sc.to_stage_id == st.id, -day),
                          else_=0.0)).label(f"t{st.id}"),
            func.sum(case((sc.to_stage_id == st.id, 1), else_=0)).label(f"in{st.id}"),
            func.sum(case((sc.from_stage_id == st.id, 1), else_=0)).label(f"out{st.id}"),
        ]
    per_deal = (select(sc.opportunity_id, *columns)
                .where(sc.opportunity_id.in_(select(o.id).where(*scope)))
                .group_by(sc.opportunity_id).cte("per_deal"))
    c = per_deal.c
    stays = union_all(*[
        select(literal(st.id).label("stage_id"), c[f"t{st.id}"].label("days"))
        .where(c[f"in{st.id}"] > 0, c[f"in{st.id}"] == c[f"out{st.id}"])
        for st in open_stages
    ]).subquery("stays")
    stats = base.spreads(ctx.s, stays, "stage_id", "days")
    rows = []
    for st in open_stages:
        spread = stats.get(st.id) or base.Spread()
        rows.append({"pipeline": ctx.pipeline_name(st.pipeline_id), "stage": st.name,
                     "position": st.position, "deals": spread.n,
                     "avg_days": base.days(spread.avg), "median_days": base.days(spread.median)})
    return rows
