"""`crm report sources`: which lead sources turn into revenue.

Leads created in `--from`..`--to` (owner: the lead's), by source (grouped ignoring case and
surrounding spaces, shown as first spelled alphabetically; "(none)" when empty). Per source:
- `leads`; `qualified`: leads now qualified or converted (a converted lead passed
  qualification); `converted`: leads converted;
- `won`, `won_amount`: the deals those leads converted into that are won now;
- `qualified_rate` = qualified / leads, `converted_rate` = converted / leads,
  `won_rate` = won / converted, `lead_to_won` = won / leads.
Rows: most won amount first, then most leads.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, case, func, select
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
    won_ids = ctx.stage_ids("won")
    # one pass over the leads (the lead index covers it, in source order: no sort), each
    # converted one joined to its deal by id; won amounts are summed per currency in
    # columns, so the GROUP BY stays on the source alone
    currencies = sorted(s.scalars(select(o.currency).where(o.stage_id.in_(won_ids))
                                  .distinct()).all())
    won_cols = []
    for currency in currencies:
        mine = o.currency == currency
        won_cols += [func.sum(case((mine, 1), else_=0)),
                     func.sum(case((mine, o.amount_minor), else_=0))]
    query = (
        select(lead.source, func.count(),
               func.sum(case((lead.status.in_(("qualified", "converted")), 1), else_=0)),
               func.sum(case((lead.status == "converted", 1), else_=0)), *won_cols)
        .select_from(lead)
        .outerjoin(o, and_(o.id == lead.converted_opportunity_id, o.stage_id.in_(won_ids)))
        .where(*ctx.time_range(lead.created_at), *ctx.owner_is(lead.owner))
        .group_by(lead.source))
    groups: dict = {}
    for source, n, qualified, converted, *won in s.execute(query):
        shown = (source or "").strip()
        acc = groups.setdefault(shown.lower(), _Acc(shown))
        if shown and (not acc.label or shown < acc.label):
            acc.label = shown
        acc.leads += n
        acc.qualified += qualified or 0
        acc.converted += converted or 0
        for i, currency in enumerate(currencies):
            count, amount = won[2 * i] or 0, won[2 * i + 1] or 0
            if not count:
                continue
            factor = ctx.factor(currency)
            if factor is None:
                ctx.exclude(currency, count, amount)
                continue
            acc.won += count
            acc.won_amount += Decimal(amount) * factor
    total = _Acc()
    for acc in groups.values():
        for name in ("leads", "qualified", "converted", "won", "won_amount"):
            setattr(total, name, getattr(total, name) + getattr(acc, name))
    ordered = sorted(groups.values(), key=lambda a: (-a.won_amount, -a.leads, not a.label,
                                                     (a.label or "").lower()))
    rows = [{"source": base.label(a.label), **a.figures()} for a in ordered]
    return ctx.result(**total.figures(), rows=rows)
