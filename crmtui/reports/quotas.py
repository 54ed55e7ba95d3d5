"""Quotas: the amount an owner should win in a period, for `crm report attainment`.

- A quota is (owner, period) -> amount in a currency; the period is a quarter (`2026-Q4`)
  or a month (`2026-11`). Setting it again replaces the amount (owners match ignoring case).
- In team mode (the store has users) the owner follows the records' rule: setting a quota
  needs an active user, stored under the user's name (`crmtui.domain.users.owner_value`);
  listing and deleting match any owner, so an inactive user's quotas can be cleaned up.
- The currency defaults to the reports' currency (`currency` in config.toml, else USD).
- Every change is written to the edit history (entity `quota`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import dates, records, values
from crmtui.errors import Invalid, NotFound
from crmtui.reports import periods
from crmtui.store.models import Quota, utcnow


def _owner(owner: object) -> str:
    text = values.clean_text(owner)
    if not text:
        raise Invalid("owner: a quota needs an owner", field="owner",
                      hint="e.g. crm quota set --owner ada --period 2026-Q4 --amount 50000")
    return text


def find(s: Session, owner: str, period: str) -> Quota | None:
    return s.scalars(select(Quota).where(func.lower(Quota.owner) == owner.lower(),
                                         Quota.period == period)).first()


def set_quota(s: Session, owner: object, period: object, amount: object,
              currency: object = None, *, source: str = "cli") -> tuple[Quota, bool]:
    """Create or replace a quota; returns it and whether it was new."""
    from crmtui.reports.base import report_currency

    from crmtui.domain import users

    owner = users.owner_value(s, _owner(owner))
    period = periods.parse(period)
    minor = values.to_minor(values.parse_money(amount))
    currency = values.parse_currency(currency) if currency else report_currency(None)
    quota = find(s, owner, period)
    if quota is None:
        quota = Quota(owner=owner, period=period, amount_minor=minor, currency=currency)
        s.add(quota)
        s.flush()
        records.log(s, "quota", quota.id, "create", new=f"{owner} {period}", source=source)
        return quota, True
    changed = False
    for column, value in (("amount_minor", minor), ("currency", currency)):
        old = getattr(quota, column)
        if old != value:
            records.log(s, "quota", quota.id, "edit", field=column, old=old, new=value,
                        source=source)
            setattr(quota, column, value)
            changed = True
    if changed:
        quota.version += 1
        quota.updated_at = utcnow()
    s.flush()
    return quota, False


def delete_quota(s: Session, owner: object, period: object, *, source: str = "cli") -> Quota:
    owner = _owner(owner)
    period = periods.parse(period)
    quota = find(s, owner, period)
    if quota is None:
        raise NotFound(f"no quota for {owner} in {period}", hint="see `crm quota list`")
    records.log(s, "quota", quota.id, "delete", old=f"{quota.owner} {quota.period}",
                source=source)
    s.delete(quota)
    s.flush()
    return quota


def list_quotas(s: Session, *, owner: object = None, period: object = None) -> list[Quota]:
    query = select(Quota)
    if values.clean_text(owner):
        query = query.where(func.lower(Quota.owner) == str(owner).strip().lower())
    if values.clean_text(period):
        query = query.where(Quota.period == periods.parse(period))
    rows = list(s.scalars(query))
    return sorted(rows, key=lambda q: (periods.bounds(q.period)[0], q.period, q.owner.lower()))


def to_dict(quota: Quota) -> dict:
    start, end = periods.bounds(quota.period)
    return {"id": quota.id, "owner": quota.owner, "period": quota.period,
            "start": start.isoformat(), "end": end.isoformat(),
            "amount": values.money_str(quota.amount_minor), "currency": quota.currency,
            "created_at": dates.iso(quota.created_at), "updated_at": dates.iso(quota.updated_at),
            "version": quota.version}
