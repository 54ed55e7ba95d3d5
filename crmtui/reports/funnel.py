"""`crm report funnel`: how far deals got along one pipeline's stages, from stage history.

Deals: those in the pipeline (`--pipeline`, else the default) created in `--from`..`--to`.
A deal *reached* a stage when its history shows it in that stage or a later one, won being
later than every open stage: the furthest stage it was ever in counts, so a deal that
skipped a stage counts as passing it, a deal moved backwards keeps the furthest point it got
to, and a deal won once (reopened or lost since) reached every stage and won. A deal that is
won now reached every stage. A deal with no history counts from its current stage (a lost
one without history reached only the first stage).

Rows, one per open stage and a last one for won: `reached`, `share_of_start` (of the first
row), `to_next` (share of those that reached the next row), `to_won` (share of those that
reached won), and `open` / `lost`: deals whose furthest stage this is and that are open /
lost now (on the won row: deals won once and reopened since). So reached(stage) -
reached(next) = open + lost of the stage, and reached(won) = won now + open + lost of the
won row. The top-level `won`, `lost`, `open` and `win_rate` are the deals' current states.

`--as-of DAY`: history up to the end of that day, won/lost/open as they were then; deals
whose stage then is not known are counted in `unknown` and left out of the rows.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base, history
from crmtui.store.models import Opportunity, StageChange


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "funnel", options)
    pipeline = ctx.one_pipeline()
    stages = [st for st in ctx.stages if st.pipeline_id == pipeline.id]
    open_stages = [st for st in stages if st.kind == "open"]
    kind = {st.id: st.kind for st in stages}
    position = {st.id: st.position for st in open_stages}
    # won ranks after every open stage: a history showing a win reached all of them
    won_rank = max(position.values(), default=0) + 1
    rank = {**position, **{st.id: won_rank for st in stages if st.kind == "won"}}
    o = Opportunity
    sc = StageChange
    in_pipeline = o.stage_id.in_([st.id for st in stages])
    scope = [*ctx.time_range(o.created_at), *ctx.owner_is(o.owner)]
    as_of = ctx.options.as_of is not None
    # the furthest stage of this pipeline each deal's history shows (open stages by
    # position, won after them): one pass over the history index in deal order (no filter
    # on the stage, so no other index is tempting)
    furthest = func.max(case(rank, value=sc.to_stage_id)) if rank else func.max(None)
    reach = select(sc.opportunity_id.label("opp_id"), furthest.label("reached"))
    if as_of:
        t = history.as_of_end(ctx.options.as_of, ctx.now)
        reach = reach.where(sc.at < ctx.ts(t))
    reach = reach.group_by(sc.opportunity_id).subquery("reach")
    if as_of:
        src = history.states(ctx, t, in_pipeline, *scope)
        groups = s.execute(select(src.c.stage_id, reach.c.reached, func.count())
                           .select_from(src).outerjoin(reach, reach.c.opp_id == src.c.id)
                           .group_by(src.c.stage_id, reach.c.reached)).all()
    else:
        # deals with history (driven from the history, each deal joined by id), then the
        # deals without any: the per-stage totals minus those
        groups = s.execute(select(o.stage_id, reach.c.reached, func.count())
                           .select_from(reach).join(o, o.id == reach.c.opp_id)
                           .where(in_pipeline, *scope)
                           .group_by(o.stage_id, reach.c.reached)).all()
        totals = dict(s.execute(select(o.stage_id, func.count()).where(in_pipeline, *scope)
                                .group_by(o.stage_id)).all())
        for stage_id, _, count in groups:
            totals[stage_id] = totals.get(stage_id, 0) - count
        groups += [(stage_id, None, count) for stage_id, count in totals.items() if count]

    first_pos = open_stages[0].position if open_stages else None
    furthest_of: dict = {}  # position (won_rank: won once) -> [open, lost]
    won = lost = still_open = unknown = 0
    for stage_id, reached, count in groups:
        k = kind.get(stage_id)
        if k is None:  # stage unknown at the as-of moment, or outside this pipeline
            unknown += count
            continue
        if k == "won":
            won += count
            continue
        # (a deal won once and reopened since keeps won_rank: it is past every open stage)
        if k == "open":
            reached = max(reached or 0, position[stage_id])
            still_open += count
        else:
            lost += count
            reached = reached or first_pos
        if reached is None:
            continue
        entry = furthest_of.setdefault(reached, [0, 0])
        entry[0 if k == "open" else 1] += count
    deals = won + lost + still_open
    reached_counts = []
    for pos in [st.position for st in open_stages] + [won_rank]:
        n = won + sum(o_ + l_ for p, (o_, l_) in furthest_of.items() if p >= pos)
        reached_counts.append(n)
    reached_won = reached_counts[-1]
    start = reached_counts[0] if reached_counts else 0
    rows = []
    for i, st in enumerate(open_stages):
        here = furthest_of.get(st.position, [0, 0])
        rows.append({
            "stage": st.name, "position": st.position, "kind": "open",
            "reached": reached_counts[i],
            "share_of_start": base.ratio(reached_counts[i], start),
            "to_next": base.ratio(reached_counts[i + 1], reached_counts[i]),
            "to_won": base.ratio(reached_won, reached_counts[i]),
            "open": here[0], "lost": here[1],
        })
    won_stage = next((st for st in stages if st.kind == "won"), None)
    reopened = furthest_of.get(won_rank, [0, 0])
    rows.append({"stage": won_stage.name if won_stage else "Won",
                 "position": won_stage.position if won_stage else None, "kind": "won",
                 "reached": reached_won, "share_of_start": base.ratio(reached_won, start),
                 "to_next": None, "to_won": 1.0 if reached_won else None,
                 "open": reopened[0], "lost": reopened[1]})
    return ctx.result(as_of=history.as_of_label(ctx.options.as_of), pipeline=pipeline.name,
                      deals=deals, won=won, lost=lost, open=still_open, unknown=unknown,
                      win_rate=base.ratio(won, won + lost), rows=rows)
