"""Where each deal stood at a past moment, rebuilt from StageChange (for `--as-of`).

A deal's stage at time T is the target of its latest StageChange before T (ties broken by
the row id). A deal with no stage history at all (imported without it) is taken to have
been in its current stage since `stage_entered_at`; before that, and for a deal whose first
recorded change comes after T although it was created before T, the stage is unknown
(`stage_id` NULL, `known` false) and reports show such deals as "(unknown)".

Only the stage is rebuilt: amount, currency, owner, close date and probability override are
the deal's current values. Deals created after T, and deals deleted since, are not there.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from crmtui.errors import Invalid
from crmtui.store.models import Opportunity, StageChange


def as_of_end(value: date | datetime, now: datetime) -> datetime:
    """`--as-of DAY` means the end of that (UTC) day; a time means that instant."""
    if isinstance(value, datetime):
        end = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        end = end.astimezone(timezone.utc)
    else:
        end = datetime(value.year, value.month, value.day, tzinfo=timezone.utc) + timedelta(days=1)
    if end - timedelta(days=1) > now:
        raise Invalid(f"--as-of {value.isoformat()} is in the future", field="as_of",
                      hint="as-of rebuilds a past state; leave it out for today's")
    return min(end, now)


def states(ctx, t: datetime, *conditions):
    """A subquery with one row per deal that existed at `t`:
    (id, stage_id, entered_at, amount_minor, currency, probability, owner, close_date,
    pipeline_id). `conditions` filter the opportunity rows (owner, pipeline, ...)."""
    o = Opportunity
    sc = StageChange
    bound = ctx.ts(t)
    # the last change before t: the one without a successor in (at, id) order; this
    # reads the (opportunity_id, at, id, to_stage_id) index in order, with no sort
    following = func.lead(sc.id).over(partition_by=sc.opportunity_id, order_by=(sc.at, sc.id))
    ranked = (
        select(sc.opportunity_id.label("opp_id"), sc.to_stage_id.label("stage_id"),
               sc.at.label("at"), following.label("next_id"))
        .where(sc.at < bound)
        .subquery("ranked")
    )
    last = select(ranked.c.opp_id, ranked.c.stage_id, ranked.c.at) \
        .where(ranked.c.next_id.is_(None)).subquery("last_change")
    any_change = aliased(StageChange, name="any_change")
    no_history = ~exists(select(literal(1)).where(any_change.opportunity_id == o.id))
    synthetic = and_(last.c.opp_id.is_(None), o.stage_entered_at < bound, no_history)
    stage_at = case((last.c.opp_id.is_not(None), last.c.stage_id),
                    (synthetic, o.stage_id), else_=None)
    entered_at = case((last.c.opp_id.is_not(None), last.c.at),
                      (synthetic, o.stage_entered_at), else_=None)
    return (
        select(o.id.label("id"), stage_at.label("stage_id"), entered_at.label("entered_at"),
               o.amount_minor, o.currency, o.probability, o.owner, o.close_date, o.pipeline_id,
               o.created_at)
        .select_from(o)
        .outerjoin(last, last.c.opp_id == o.id)
        .where(o.created_at < bound, *conditions)
        .subquery("state")
    )


def as_of_label(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    from crmtui.domain import dates

    return dates.iso(value) if isinstance(value, datetime) else value.isoformat()
