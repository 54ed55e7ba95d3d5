"""Listing records: filters, sorting and keyset pages, shared by `crm X list`, exports and the app.

A page is `limit` rows after the row `after` (an id from the previous page) in the chosen
order; `more` counts what follows, up to COUNT_CAP (shown as "10,000+" beyond it) so that a
listing never scans a million rows just to count them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crmtui.domain import dates, opportunities, refs
from crmtui.domain.fields import FILTERS
from crmtui.domain.words import plural
from crmtui.errors import Invalid, NotFound
from crmtui.store import paging, search
from crmtui.store.models import TABLES_BY_ENTITY, Activity, Opportunity, Stage, utcnow

COUNT_CAP = 10_000

SORTS: dict[str, dict[str, str]] = {
    "lead": {"id": "id", "name": "last_name", "first_name": "first_name", "email": "email",
             "company": "company", "status": "status", "score": "score", "owner": "owner",
             "source": "source", "created": "created_at", "created_at": "created_at",
             "updated": "updated_at", "updated_at": "updated_at"},
    "account": {"id": "id", "name": "name", "domain": "domain", "industry": "industry",
                "city": "city", "country": "country", "owner": "owner",
                "employees": "employees", "revenue": "revenue_minor",
                "created": "created_at", "created_at": "created_at",
                "updated": "updated_at", "updated_at": "updated_at"},
    "contact": {"id": "id", "name": "last_name", "first_name": "first_name", "email": "email",
                "title": "title", "owner": "owner", "created": "created_at",
                "created_at": "created_at", "updated": "updated_at", "updated_at": "updated_at"},
    "opportunity": {"id": "id", "name": "name", "amount": "amount_minor",
                    "close_date": "close_date", "close": "close_date", "owner": "owner",
                    "probability": "probability", "created": "created_at",
                    "created_at": "created_at", "updated": "updated_at",
                    "updated_at": "updated_at", "closed_at": "closed_at",
                    "stage_entered_at": "stage_entered_at"},
    "activity": {"id": "id", "due": "due_at", "due_at": "due_at", "kind": "kind",
                 "subject": "subject", "owner": "owner", "done_at": "done_at",
                 "created": "created_at", "created_at": "created_at"},
}


@dataclass
class ListQuery:
    entity: str
    filters: dict = field(default_factory=dict)
    sort: str = "id"
    descending: bool = False
    limit: int = 50
    after: int | None = None


@dataclass
class Page:
    rows: list
    more: int
    capped: bool
    next_after: int | None

    def more_label(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else f"{self.more:,}"


def sort_column(entity: str, sort: str):
    model = TABLES_BY_ENTITY[entity]
    try:
        return getattr(model, SORTS[entity][sort])
    except KeyError:
        raise Invalid(f"cannot sort {plural(entity)} by {sort!r}", field="sort", value=sort,
                      hint="sort by one of: " + ", ".join(sorted(set(SORTS[entity])))) from None


def conditions(s: Session, entity: str, filters: dict) -> list:
    """WHERE conditions for the given filters (None values are ignored)."""
    model = TABLES_BY_ENTITY[entity]
    out = []
    for name, value in filters.items():
        if value is None or value is False or value == "":
            continue
        if name not in FILTERS[entity]:
            raise Invalid(f"{plural(entity)} cannot be filtered by {name}")
        out.append(_condition(s, entity, model, name, value))
    return out


def _condition(s: Session, entity: str, model, name: str, value):
    if name == "search":
        return search.filter_clause(s, model, entity, value)
    if name == "since":
        return model.created_at >= dates.start_of_local_day(dates.parse_date(value, "since"))
    if name == "owner":
        return func.lower(model.owner) == str(value).lower()
    if name == "tag":
        return func.lower("," + func.coalesce(model.tags, "") + ",").like(
            f"%,{str(value).strip().lower()},%")
    if name in ("source", "industry"):
        return func.lower(getattr(model, name)) == str(value).lower()
    if name == "account":
        return model.account_id == refs.resolve(s, "account", value, field="account").id
    if entity == "lead" and name == "status":
        from crmtui.domain.fields import LEAD_STATUSES
        from crmtui.domain.values import parse_choice

        return model.status == parse_choice(value, "status", LEAD_STATUSES)
    if entity == "opportunity":
        return _opportunity_condition(s, name, value)
    if entity == "activity":
        return _activity_condition(s, name, value)
    raise AssertionError(name)


def _opportunity_condition(s: Session, name: str, value):
    if name == "status":
        kind = str(value).lower()
        if kind not in ("open", "won", "lost", "closed"):
            raise Invalid(f"status: {value!r} is not valid; expected open, won, lost or closed",
                          field="status", value=value)
        kinds = ("won", "lost") if kind == "closed" else (kind,)
        return Opportunity.stage_id.in_(select(Stage.id).where(Stage.kind.in_(kinds)))
    if name == "pipeline":
        return Opportunity.pipeline_id == refs.resolve(s, "pipeline", value).id
    if name == "stage":
        return Opportunity.stage_id.in_(_stage_ids(s, value))
    if name == "stale":
        return stale_condition(s)
    if name == "overdue":
        return and_(Opportunity.close_date < dates.local_today(),
                    Opportunity.stage_id.in_(select(Stage.id).where(Stage.kind == "open")))
    if name == "closing_before":
        return Opportunity.close_date <= dates.parse_date(value, "closing before")
    if name == "closing_after":
        return Opportunity.close_date >= dates.parse_date(value, "closing after")
    if name == "closed_after":  # won or lost on or after that (local) day
        return Opportunity.closed_at >= dates.start_of_local_day(
            dates.parse_date(value, "closed after"))
    if name == "closed_before":  # ... on or before that day
        return Opportunity.closed_at < dates.start_of_local_day(
            dates.parse_date(value, "closed before") + timedelta(days=1))
    raise AssertionError(name)


def _stage_ids(s: Session, value) -> list[int]:
    """Stages named `value` in any pipeline (or the stage with that id)."""
    text = str(value).strip()
    found = s.scalars(select(Stage.id).where(func.lower(Stage.name) == text.lower())).all()
    if not found and text.isdigit() and s.get(Stage, int(text)):
        found = [int(text)]
    if not found:
        names = sorted(set(s.scalars(select(Stage.name)).all()))
        raise NotFound(f"stage: no stage named {text!r}", hint="stages: " + ", ".join(names))
    return list(found)


def stale_condition(s: Session):
    """Open deals past their stage's rot_days, or without activity for stale_days."""
    now = utcnow()
    open_stages = s.scalars(select(Stage).where(Stage.kind == "open")).all()
    rotten = [and_(Opportunity.stage_id == st.id,
                   Opportunity.stage_entered_at < now - timedelta(days=st.rot_days))
              for st in open_stages if st.rot_days]
    idle_since = now - timedelta(days=opportunities.stale_days())
    idle = func.coalesce(Opportunity.last_activity_at, Opportunity.created_at) < idle_since
    return and_(Opportunity.stage_id.in_([st.id for st in open_stages]), or_(idle, *rotten))


def _activity_condition(s: Session, name: str, value):
    if name == "kind":
        from crmtui.domain.fields import ACTIVITY_KINDS
        from crmtui.domain.values import parse_choice

        return Activity.kind == parse_choice(value, "kind", ACTIVITY_KINDS)
    if name == "status":
        text = str(value).lower()
        if text not in ("open", "done"):
            raise Invalid(f"status: {value!r} is not valid; expected open or done")
        return Activity.done_at.is_(None) if text == "open" else Activity.done_at.is_not(None)
    if name == "on":
        from crmtui.domain.activities import parse_target

        entity, record_id = parse_target(s, value)
        return getattr(Activity, f"{entity}_id") == record_id
    if name == "due_before":
        # "on or before": a day without a time includes all of that day (not until 09:00)
        return Activity.due_at <= dates.parse_when(value, "due before",
                                                   default_time=time.max)
    raise AssertionError(name)


def page(s: Session, q: ListQuery) -> Page:
    model = TABLES_BY_ENTITY[q.entity]
    if q.limit < 1:
        raise Invalid("limit must be at least 1", field="limit", value=q.limit)
    column = sort_column(q.entity, q.sort)
    where = conditions(s, q.entity, q.filters)
    if q.after is not None:
        last = s.get(model, q.after)
        if last is None:
            raise NotFound(f"--after {q.after}: that {q.entity} no longer exists",
                           hint="start again without --after")
        where.append(paging.after(column, model.id, q.descending, getattr(last, column.key),
                                  last.id))
    query = select(model).where(*where).order_by(*paging.order_by(column, model.id, q.descending))
    rows = list(s.scalars(query.limit(q.limit)))
    more, capped = 0, False
    if len(rows) == q.limit:
        tail = paging.after(column, model.id, q.descending, getattr(rows[-1], column.key),
                            rows[-1].id)
        limited = select(model.id).where(*where, tail).limit(COUNT_CAP + 1).subquery()
        more = s.scalar(select(func.count()).select_from(limited))
        capped = more > COUNT_CAP
        more = min(more, COUNT_CAP)
    return Page(rows=rows, more=more, capped=capped,
                next_after=rows[-1].id if rows and more else None)


def count(s: Session, entity: str, filters: dict | None = None, cap: int = COUNT_CAP) -> tuple[int, bool]:
    model = TABLES_BY_ENTITY[entity]
    limited = select(model.id).where(*conditions(s, entity, filters or {})).limit(cap + 1).subquery()
    n = s.scalar(select(func.count()).select_from(limited))
    return min(n, cap), n > cap
