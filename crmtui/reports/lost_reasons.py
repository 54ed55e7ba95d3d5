"""`crm report lost-reasons`: lost deals and their amount by reason.

Deals lost now, closed in `--from`..`--to`. Reasons are grouped ignoring case and
surrounding spaces (shown as first spelled, alphabetically); deals without one are
"(none)". Rows, most lost deals first: `reason`, `count`, `amount`, `share` (of the lost
deals) and `amount_share` (of the lost amount).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base
from crmtui.store.models import Opportunity


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
        shown = (reason or "").strip()
        entry = groups.setdefault(shown.lower(), {"label": shown, "count": 0,
                                                  "amount": Decimal(0)})
        if shown and (not entry["label"] or shown < entry["label"]):
            entry["label"] = shown
        entry["count"] += count
        entry["amount"] += Decimal(amount or 0) * factor
        lost += count
        lost_amount += Decimal(amount or 0) * factor
    ordered = sorted(groups.values(), key=lambda e: (-e["count"], -e["amount"],
                                                     not e["label"], (e["label"] or "").lower()))
    rows = [{"reason": base.label(e["label"]), "count": e["count"],
             "amount": base.money(e["amount"]), "share": base.ratio(e["count"], lost),
             "amount_share": base.ratio(e["amount"], lost_amount)} for e in ordered]
    return ctx.result(lost=lost, lost_amount=base.money(lost_amount), rows=rows)
