"""`crm report velocity`: how much the pipeline turns into revenue per day.

    velocity = open deals x average won amount x win rate / average cycle (days)

- `open_deals`: deals open now (in scope: owner, pipeline, currency);
- `avg_won_amount`, `win_rate`, `avg_cycle_days`: over deals closed in `--from`..`--to`
  (all time by default); the cycle is the days from a won deal's creation to its win;
- `velocity` is an amount per day, `velocity_30d` the same over 30 days; null when a factor
  is missing (no won deal yet).

`--by owner` adds a row per owner with the same keys (`owner` first); owners are grouped
ignoring case, each shown as the team user's name, else its most common spelling
(crmtui/reports/owners.py).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base
from crmtui.reports import sql as dsql
from crmtui.reports.owners import OwnerNames
from crmtui.store.models import Opportunity


class _Acc:
    def __init__(self):
        self.open = 0
        self.won = 0
        self.lost = 0
        self.won_amount = Decimal(0)
        self.cycle_sum = 0.0

    def add(self, other: "_Acc") -> None:
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)

    def figures(self) -> dict:
        avg_won = self.won_amount / self.won if self.won else None
        win_rate = Decimal(self.won) / (self.won + self.lost) if self.won + self.lost else None
        cycle = self.cycle_sum / self.won if self.won else None
        velocity = None
        if avg_won is not None and win_rate is not None and cycle:
            velocity = Decimal(self.open) * avg_won * win_rate / Decimal(repr(cycle))
        return {
            "open_deals": self.open,
            "won": self.won,
            "lost": self.lost,
            "win_rate": base.ratio(self.won, self.won + self.lost),
            "won_amount": base.money(self.won_amount),
            "avg_won_amount": base.money(avg_won),
            "avg_cycle_days": base.days(cycle),
            "velocity": base.money(velocity),
            "velocity_30d": base.money(velocity * 30 if velocity is not None else None),
        }


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "velocity", options)
    by = ctx.options.by or "total"
    o = Opportunity
    key = o.owner if by == "owner" else None
    won_ids = ctx.stage_ids("won")
    lost_ids = set(ctx.stage_ids("lost"))
    cycle = dsql.days_between(o.created_at, o.closed_at, ctx.dialect)
    groups: dict = {}
    cols = [o.currency] + ([key] if key is not None else [])

    names = OwnerNames(s)

    def acc_for(k, count: int) -> _Acc:
        return groups.setdefault(names.key(k, count) if by == "owner" else None, _Acc())

    open_query = (select(*cols, func.count(), func.sum(o.amount_minor))
                  .where(o.stage_id.in_(ctx.stage_ids("open")), *ctx.owner_is(o.owner))
                  .group_by(*cols))
    for row in s.execute(open_query):
        currency = row[0]
        k = row[1] if key is not None else None
        count, amount = row[-2:]
        if ctx.factor(currency) is None:
            ctx.exclude(currency, count, amount)
            continue
        acc_for(k, count).open += count
    closed_query = (
        select(*cols, o.stage_id, func.count(), func.sum(o.amount_minor),
               func.sum(case((o.stage_id.in_(won_ids), cycle), else_=0.0)))
        .where(o.stage_id.in_(won_ids + sorted(lost_ids)), *ctx.time_range(o.closed_at),
               *ctx.owner_is(o.owner))
        .group_by(*cols, o.stage_id)
    )
    for row in s.execute(closed_query):
        currency = row[0]
        k = row[1] if key is not None else None
        stage_id, count, amount, cycle_sum = row[-4:]
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        acc = acc_for(k, count)
        if stage_id in lost_ids:
            acc.lost += count
        else:
            acc.won += count
            acc.won_amount += Decimal(amount or 0) * factor
            acc.cycle_sum += cycle_sum or 0.0
    total = _Acc()
    for acc in groups.values():
        total.add(acc)
    rows = []
    if by == "owner":
        groups = {names.name(k): acc for k, acc in groups.items()}
        for owner in sorted(groups, key=lambda n: (n == base.NONE_LABEL, n.lower())):
            rows.append({"owner": owner, **groups[owner].figures()})
    return ctx.result(by=by, **total.figures(), rows=rows)
