"""Windows onto a listing, for screens that show a moving part of a huge result.

The app's lists and board show a screenful of rows out of possibly millions. `listing.page`
walks forward from a row that must still exist and counts what follows on every call; a
screen needs more: walk both ways from a (sort value, id) *anchor* (so the anchor row may
have been deleted meanwhile), start at either end, include the anchor or not, and count
separately and capped. Every query is a keyset query on the same order as `listing.page`
(`paging.order_by`): the descending order is exactly the ascending one reversed, so walking
backwards is walking forwards in the other direction.

Filters, sorts and their messages are `listing`'s; nothing here adds a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import dates, listing, refs
from crmtui.store import paging
from crmtui.store.models import TABLES_BY_ENTITY, Activity, Opportunity, Stage

Anchor = tuple[Any, int]  # (sort value, id)


@dataclass
class Window:
    rows: list  # records in display order
    keys: list[Anchor]  # (sort value, id) of each row
    more: bool  # rows remain beyond this window in the direction walked




def window(s: Session, entity: str, filters: dict | None = None, *, sort: str = "id",
           descending: bool = False, anchor: Anchor | None = None, inclusive: bool = False,
           backward: bool = False, limit: int = 50, where: Iterable = ()) -> Window:
    """Up to `limit` rows after `anchor` (or from the start) in display order.

    `backward` walks towards the start instead (rows before the anchor, or the last rows when
    there is no anchor); the rows still come back in display order. `inclusive` includes the
    anchor row itself when it still exists. `where` adds SQL conditions to the filters.
    """
    model = TABLES_BY_ENTITY[entity]
    column = listing.sort_column(entity, sort)
    conditions = listing.conditions(s, entity, filters or {}) + list(where)
    walk_descending = descending != backward
    if anchor is not None:
        value, record_id = anchor
        if inclusive:  # "after the id just before it" includes the anchor (ids are integers)
            record_id = record_id + 1 if walk_descending else record_id - 1
        conditions.append(paging.after(column, model.id, walk_descending, value, record_id))
    query = (select(model).where(*conditions)
             .order_by(*paging.order_by(column, model.id, walk_descending)).limit(limit + 1))
    rows = list(s.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
    return Window(rows=rows, keys=[(getattr(r, column.key), r.id) for r in rows], more=more)


def count(s: Session, entity: str, filters: dict | None = None, *,
          cap: int = listing.COUNT_CAP, where: Iterable = ()) -> tuple[int, bool]:
    """How many rows match, counting at most `cap` (True when there are more)."""
    model = TABLES_BY_ENTITY[entity]
    conditions = listing.conditions(s, entity, filters or {}) + list(where)
    limited = select(model.id).where(*conditions).limit(cap + 1).subquery()
    n = s.scalar(select(func.count()).select_from(limited))
    return min(n, cap), n > cap


def count_before(s: Session, entity: str, filters: dict | None, anchor: Anchor, *,
                 sort: str = "id", descending: bool = False, cap: int = listing.COUNT_CAP,
                 where: Iterable = ()) -> tuple[int, bool]:
    """How many rows come before `anchor` in display order (the anchor's 0-based position)."""
    model = TABLES_BY_ENTITY[entity]
    column = listing.sort_column(entity, sort)
    conditions = listing.conditions(s, entity, filters or {}) + list(where)
    conditions.append(paging.after(column, model.id, not descending, anchor[0], anchor[1]))
    limited = select(model.id).where(*conditions).limit(cap + 1).subquery()
    n = s.scalar(select(func.count()).select_from(limited))
    return min(n, cap), n > cap


# -- the board -----------------------------------------------------------------------------

def board_stages(s: Session, pipeline_id: int) -> list[Stage]:
    """The columns of a pipeline's board: its open stages, in order."""
    return [st for st in refs.stages_of(s, pipeline_id) if st.kind == "open"]


def in_stage(stage_id: int):
    return Opportunity.stage_id == stage_id


def stage_totals(s: Session, stage_ids: list[int], filters: dict | None = None) -> dict[int, dict]:
    """Deal count and amount (minor units) per stage; uses the (stage_id, amount) index."""
    conditions = listing.conditions(s, "opportunity", filters or {})
    rows = s.execute(
        select(Opportunity.stage_id, func.count(), func.coalesce(func.sum(Opportunity.amount_minor), 0))
        .where(Opportunity.stage_id.in_(stage_ids), *conditions)
        .group_by(Opportunity.stage_id)
    ).all()
    out = {sid: {"count": 0, "amount_minor": 0} for sid in stage_ids}
    for stage_id, n, amount in rows:
        out[stage_id] = {"count": n, "amount_minor": int(amount)}
    return out


# -- the agenda ----------------------------------------------------------------------------

@dataclass
class AgendaBounds:
    start_today: datetime
    start_tomorrow: datetime
    end: datetime


def agenda_bounds(local_now: datetime, days: int) -> AgendaBounds:
    """The local-day boundaries `activities.agenda` groups by: overdue before `start_today`,
    today until `start_tomorrow`, upcoming until the end of the `days`-th day from today."""
    today = local_now.date()
    return AgendaBounds(dates.start_of_local_day(today),
                        dates.start_of_local_day(today + timedelta(days=1)),
                        dates.start_of_local_day(today + timedelta(days=days + 1)))


def due_between(start: datetime | None, end: datetime | None) -> list:
    """Conditions for activities due in [start, end) (open ones: add the status filter)."""
    out = [Activity.due_at.is_not(None)]
    if start is not None:
        out.append(Activity.due_at >= start)
    if end is not None:
        out.append(Activity.due_at < end)
    return out


# -- small look-ups for forms and pickers ------------------------------------------------------

def distinct_values(s: Session, entity: str, column_name: str, *, limit: int = 50) -> list[str]:
    """Distinct non-empty values of an indexed column, by a loose index scan (one probe each),
    so that a million rows with five owners costs five index look-ups, not a scan."""
    model = TABLES_BY_ENTITY[entity]
    column = getattr(model, column_name)
    out: list[str] = []
    last = ""
    while len(out) < limit:
        value = s.scalar(select(func.min(column)).where(column > last))
        if value is None:
            break
        out.append(value)
        last = value
    return out


def recent_values(s: Session, column, order_column, *, scan: int = 300, limit: int = 12) -> list[str]:
    """Distinct recent values of `column` (e.g. lost reasons), newest first."""
    rows = s.scalars(select(column).where(column.is_not(None))
                     .order_by(order_column.desc()).limit(scan)).all()
    seen: dict[str, str] = {}
    for value in rows:
        text = str(value).strip()
        if text and text.lower() not in seen:
            seen[text.lower()] = text
        if len(seen) >= limit:
            break
    return list(seen.values())
