"""`crm report lost-reasons`: lost deals and their amount by reason.

Deals lost now, closed in `--from`..`--to`. Reasons are grouped ignoring case and
spaces: runs of whitespace count as one space, leading and trailing ones not at all, and
case is folded (`casefold`), so "Price  too HIGH" and "price too high" are one reason. A
group is shown in its most common spelling (most deals; on a tie the first alphabetically),
with its spaces tidied the same way; deals without one are "(none)". SQL groups by the
reason as stored; the spellings of one reason are added up here. Rows, most lost deals first: `reason`, `count`, `amount`, `share` (of the lost
deals) and `amount_share` (of the lost amount).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base
from crmtui.store.models import Opportunity


def tidy(reason: str | None) -> str:
    """A reason with runs of whitespace as one space and none at the ends."""
    return " ".join((reason or "").split())


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "lost-reasons", options)
    o = Opportunity
    query = (select(o.lost_reason, o.currency, func.count(), func.sum(o.amount_minor))
             .where(o.stage_id.in_(ctx.stage_ids("lost")), *ctx.time_range(o.closed_at),
                    *ctx.owner_is(o.owner))
             .group_by(o.lost_reason, o.currency))
    groups: dict = {}
    lost, lost_amount = 0, Decimal(0)
    for reason, currency, count, amount in s.execute(query):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, count, amount)
            continue
        shown = tidy(reason)
        entry = groups.setdefault(shown.casefold(), {"spellings": {}, "count": 0,
                                                     "amount": Decimal(0)})
        entry["spellings"][shown] = entry["spellings"].get(shown, 0) + count
        entry["count"] += count
        entry["amount"] += Decimal(amount or 0) * factor
        lost += count
        lost_amount += Decimal(amount or 0) * factor
    for entry in groups.values():
        entry["label"] = min(entry["spellings"].items(), key=lambda kv: (-kv[1], kv[0]))[0]
    ordered = sorted(groups.values(), key=lambda e: (-e["count"], -e["amount"],
                                                     not e["label"], e["label"].casefold(), e["label"]))
    rows = [{"reason": base.label(e["label"]), "count": e["count"],
             "amount": base.money(e["amount"]), "share": base.ratio(e["count"], lost),
             "amount_share": base.ratio(e["amount"], lost_amount)} for e in ordered]
    return ctx.result(lost=lost, lost_amount=base.money(lost_amount), rows=rows)
