"""`crm report activity`: who is doing what, week by week, and which deals nobody touches.

Activities: done (`done_at`) in the last `--periods` weeks (default 8, Monday to Sunday, UTC,
ending with the current week) or in the weeks spanning `--from`..`--to`; `--owner` is the
activity's owner. Open tasks and planned meetings are not counted until done.

- `weeks`: ISO week labels (``2026-W47``), `week_starts` their Mondays;
- `rows`: per owner (grouped ignoring case, shown as the team user's name, else the most
  common spelling: crmtui/reports/owners.py), most active first: `owner`, `total`, a count
  per kind (`call`, `email`, `meeting`, `note`, `task`) and `per_week` (counts in `weeks`
  order);
- `total`: the same over everyone; `cells`: every non-zero owner/kind/week count;
- idle deals: open deals (in scope: owner, pipeline, currency) with no activity for
  `--days` (default `stale_days`, 14) days, counting from their creation when they never had
  any: `idle_days`, `idle_deals`, `idle_amount`, and `idle`: the `--limit` (default 20)
  longest idle, with `id`, `name`, `owner`, `stage`, `amount`, `currency`,
  `last_activity_at`, `days_idle`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import dates, opportunities
from crmtui.domain.fields import ACTIVITY_KINDS
from crmtui.reports import ReportOptions, base, periods
from crmtui.reports import sql as dsql
from crmtui.reports.owners import OwnerNames
from crmtui.store.models import Activity, Opportunity

DEFAULT_WEEKS = 8
DEFAULT_LIMIT = 20


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "activity", options)
    first_day = ctx.options.date_from or (
        periods.monday(ctx.today) - timedelta(weeks=(ctx.options.periods or DEFAULT_WEEKS) - 1))
    last_day = ctx.options.date_to or ctx.today
    weeks = periods.span(first_day, last_day, "week")
    week_index = {start.isoformat(): i for i, (_, start, _) in enumerate(weeks)}
    lo = base.utc_start(first_day)
    hi = base.utc_start(last_day + timedelta(days=1))
    a = Activity
    week = dsql.bucket(a.done_at, "week", ctx.dialect)
    query = (select(a.owner, a.kind, week, func.count())
             .where(a.done_at >= ctx.ts(lo), a.done_at < ctx.ts(hi), *ctx.owner_is(a.owner))
             .group_by(a.owner, a.kind, week))
    kinds = list(ACTIVITY_KINDS)
    owners: dict = {}
    total = _blank(kinds, len(weeks))
    cells: dict = {}
    names = OwnerNames(s)
    for owner, kind, monday, n in s.execute(query):
        i = week_index.get(monday)
        if i is None:
            continue
        owner = names.key(owner, n)
        row = owners.setdefault(owner, _blank(kinds, len(weeks)))
        if kind not in row:
            kinds.append(kind)
            for r in (*owners.values(), total):
                r.setdefault(kind, 0)
        for r in (row, total):
            r[kind] += n
            r["total"] += n
            r["per_week"][i] += n
        cell = cells.setdefault((owner, kind, i), {"owner": owner, "kind": kind,
                                                    "week": weeks[i][0], "count": 0})
        cell["count"] += n
    owners = {names.name(k): row for k, row in owners.items()}
    cells = list(cells.values())
    for cell in cells:
        cell["owner"] = names.name(cell["owner"])
    rows = [{"owner": name, **owners[name]} for name in
            sorted(owners, key=lambda n: (-owners[n]["total"], n == base.NONE_LABEL, n.lower()))]
    cells.sort(key=lambda c: (c["week"], c["owner"], c["kind"]))
    return ctx.result(
        weeks=[label for label, _, _ in weeks],
        week_starts=[start.isoformat() for _, start, _ in weeks],
        kinds=kinds, rows=rows, total=total, cells=cells, **_idle(ctx))


def _blank(kinds: list[str], n_weeks: int) -> dict:
    return {"total": 0, **{k: 0 for k in kinds}, "per_week": [0] * n_weeks}


def _idle(ctx) -> dict:
    o = Opportunity
    days = ctx.options.days or opportunities.stale_days()
    cutoff = ctx.now - timedelta(days=days)
    last = func.coalesce(o.last_activity_at, o.created_at)
    where = [o.stage_id.in_(ctx.stage_ids("open")), last < ctx.ts(cutoff),
             *ctx.owner_is(o.owner)]
    count, amount = 0, Decimal(0)
    counted = set()
    for currency, n, minor in ctx.s.execute(
            select(o.currency, func.count(), func.sum(o.amount_minor)).where(*where)
            .group_by(o.currency)):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, n, minor)
            continue
        counted.add(currency)
        count += n
        amount += Decimal(minor or 0) * factor
    listed = []
    if counted:
        limit = ctx.options.limit or DEFAULT_LIMIT
        query = (select(o.id, o.name, o.owner, o.stage_id, o.amount_minor, o.currency,
                        o.last_activity_at, o.created_at)
                 .where(*where, o.currency.in_(sorted(counted)))
                 .order_by(last, o.id).limit(limit))
        for oid, name, owner, stage_id, minor, currency, last_at, created in ctx.s.execute(query):
            since = last_at or created
            st = ctx.stage(stage_id)
            listed.append({
                "id": oid, "name": name, "owner": owner, "stage": st.name if st else None,
                "amount": base.money(minor), "currency": currency,
                "last_activity_at": dates.iso(last_at),
                "days_idle": base.days(dates.days_between(since, ctx.now)),
            })
    return {"idle_days": days, "idle_deals": count, "idle_amount": base.money(amount),
            "idle": listed}
