"""`crm report sources`: which lead sources turn into revenue.

Leads created in `--from`..`--to` (owner: the lead's), by source (grouped ignoring case;
"(none)" when empty). Per source:
- `leads`; `qualified`: leads now qualified or converted (a converted lead passed
  qualification); `converted`: leads converted;
- `won`, `won_amount`: the deals those leads converted into that are won now;
- `qualified_rate` = qualified / leads, `converted_rate` = converted / leads,
  `won_rate` = won / converted, `lead_to_won` = won / leads.
Rows: most won amount first, then most leads.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crmtui.reports import ReportOptions, base
from crmtui.store.models import Lead, Opportunity


class _Acc:
    def __init__(self, label=None):
        self.label = label
        self.leads = self.qualified = self.converted = self.won = 0
        self.won_amount = Decimal(0)

    def figures(self) -> dict:
        return {
            "leads": self.leads, "qualified": self.qualified, "converted": self.converted,
            "won": self.won, "won_amount": base.money(self.won_amount),
            "qualified_rate": base.ratio(self.qualified, self.leads),
            "converted_rate": base.ratio(self.converted, self.leads),
            "won_rate": base.ratio(self.won, self.converted),
            "lead_to_won": base.ratio(self.won, self.leads),
        }


def compute(s: Session, options: ReportOptions | None = None) -> dict:
    ctx = base.context(s, "sources", options)
    lead = Lead
    o = Opportunity
    key = func.lower(func.trim(func.coalesce(lead.source, "")))
    scope = [*ctx.time_range(lead.created_at), *ctx.owner_is(lead.owner)]
    groups: dict = {}

    def acc_for(k, shown) -> _Acc:
        acc = groups.setdefault(k, _Acc(shown))
        if shown and (not acc.label or shown < acc.label):
            acc.label = shown
        return acc

    lead_query = (
        select(key, func.min(func.trim(lead.source)), func.count(),
               func.sum(case((lead.status.in_(("qualified", "converted")), 1), else_=0)),
               func.sum(case((lead.status == "converted", 1), else_=0)))
        .where(*scope).group_by(key))
    for k, shown, n, qualified, converted in s.execute(lead_query):
        acc = acc_for(k, shown)
        acc.leads += n
        acc.qualified += qualified or 0
        acc.converted += converted or 0
    won_query = (
        select(key, o.currency, func.count(), func.sum(o.amount_minor))
        .select_from(lead).join(o, o.id == lead.converted_opportunity_id)
        .where(*scope, o.stage_id.in_(ctx.stage_ids("won")))
        .group_by(key, o.currency))
    for k, currency, n, amount in s.execute(won_query):
        factor = ctx.factor(currency)
        if factor is None:
            ctx.exclude(currency, n, amount)
            continue
        acc = groups.get(k) or acc_for(k, None)
        acc.won += n
        acc.won_amount += Decimal(amount or 0) * factor
    total = _Acc()
    for acc in groups.values():
        for name in ("leads", "qualified", "converted", "won", "won_amount"):
            setattr(total, name, getattr(total, name) + getattr(acc, name))
    ordered = sorted(groups.values(), key=lambda a: (-a.won_amount, -a.leads, not a.label,
                                                     (a.label or "").lower()))
    rows = [{"source": base.label(a.label), **a.figures()} for a in ordered]
    return ctx.result(**total.figures(), rows=rows)
