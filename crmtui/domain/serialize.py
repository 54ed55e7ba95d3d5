"""Records as plain dicts: the stable keys of `--json`, `--jsonl`, `--csv` and exports.

Amounts are strings with two decimals ("1234.50"), dates ISO 8601 (`YYYY-MM-DD`), times
ISO 8601 in UTC with `Z`. References appear twice: the id (`account_id`) and the display
name (`account`). `extra` holds imported columns that map to no field.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.domain import dates, refs, values
from crmtui.domain.fields import FIELDS
from crmtui.store.models import Account, Contact, Lead, Opportunity, Pipeline, Stage

_REF_MODELS = {"account": Account, "contact": Contact, "pipeline": Pipeline, "stage": Stage,
               "lead": Lead, "opportunity": Opportunity}


class Names:
    """Display names of referenced records, fetched once per page instead of once per row."""

    def __init__(self, s: Session):
        self.s = s
        self.cache: dict[tuple[str, int], Any] = {}

    def prefetch(self, ref: str, ids: Iterable[int | None]) -> None:
        model = _REF_MODELS[ref]
        wanted = {i for i in ids if i is not None and (ref, i) not in self.cache}
        wanted_list = list(wanted)
        for start in range(0, len(wanted_list), 500):
            chunk = wanted_list[start:start + 500]
            for obj in self.s.scalars(select(model).where(model.id.in_(chunk))):
                self.cache[(ref, obj.id)] = obj

    def obj(self, ref: str, record_id: int | None):
        if record_id is None:
            return None
        key = (ref, record_id)
        if key not in self.cache:
            self.cache[key] = self.s.get(_REF_MODELS[ref], record_id)
        return self.cache[key]

    def name(self, ref: str, record_id: int | None) -> str | None:
        obj = self.obj(ref, record_id)
        return refs.display_name(obj) if obj is not None else None


def prefetch_for(names: Names, entity: str, rows: list) -> None:
    for spec in FIELDS.get(entity, ()):
        if spec.kind == "ref":
            names.prefetch(spec.ref, (getattr(r, spec.col) for r in rows))
    if entity == "activity":
        for ref in ("lead", "account", "contact", "opportunity"):
            names.prefetch(ref, (getattr(r, f"{ref}_id") for r in rows))


def _value(spec, raw):
    if spec.kind == "money":
        return values.money_str(raw)
    if spec.kind in ("date", "datetime"):
        return dates.iso(raw)
    return raw


def record(s: Session, entity: str, obj, names: Names | None = None) -> dict[str, Any]:
    names = names or Names(s)
    out: dict[str, Any] = {"id": obj.id}
    if entity in ("lead", "contact"):
        out["name"] = refs.display_name(obj)
    for spec in FIELDS[entity]:
        raw = getattr(obj, spec.col)
        if spec.kind == "ref":
            out[f"{spec.name}_id"] = raw
            out[spec.name] = names.name(spec.ref, raw)
        else:
            out[spec.name] = _value(spec, raw)
    if entity == "opportunity":
        _opportunity_extras(out, obj, names)
    elif entity == "lead":
        out["converted_at"] = dates.iso(obj.converted_at)
        out["converted_account_id"] = obj.converted_account_id
        out["converted_contact_id"] = obj.converted_contact_id
        out["converted_opportunity_id"] = obj.converted_opportunity_id
        out["last_activity_at"] = dates.iso(obj.last_activity_at)
    elif entity == "activity":
        out["status"] = "done" if obj.done_at else "open"
        out["on"] = activity_target(obj, names)
        for ref in ("lead", "account", "contact", "opportunity"):
            out[f"{ref}_id"] = getattr(obj, f"{ref}_id")
    out["created_at"] = dates.iso(obj.created_at)
    out["updated_at"] = dates.iso(obj.updated_at)
    out["version"] = obj.version
    out["extra"] = obj.extra or {}
    return out


def _opportunity_extras(out: dict, obj: Opportunity, names: Names) -> None:
    from crmtui.domain import opportunities

    stage = names.obj("stage", obj.stage_id)
    out["status"] = stage.kind
    out["probability_override"] = obj.probability
    out["probability"] = opportunities.effective_probability(obj, stage)
    weighted = (obj.amount_minor * out["probability"] + 50) // 100
    out["weighted_amount"] = values.money_str(weighted)
    out["closed_at"] = dates.iso(obj.closed_at)
    out["stage_entered_at"] = dates.iso(obj.stage_entered_at)
    out["last_activity_at"] = dates.iso(obj.last_activity_at)
    stale = opportunities.stale_reasons(obj, stage)
    out["stale"] = bool(stale)
    out["stale_reasons"] = stale
    out["overdue"] = opportunities.is_overdue(obj, stage)


def activity_target(obj, names: Names) -> str | None:
    """`opportunity:45 (Acme renewal)`-style label of what an activity is about."""
    for ref in ("opportunity", "contact", "lead", "account"):
        record_id = getattr(obj, f"{ref}_id")
        if record_id is not None:
            return f"{ref}:{record_id} {names.name(ref, record_id) or ''}".rstrip()
    return None


OPPORTUNITY_EXTRAS = ("status", "probability_override", "probability", "weighted_amount",
                      "closed_at", "stage_entered_at", "last_activity_at", "stale",
                      "stale_reasons", "overdue")
LEAD_EXTRAS = ("converted_at", "converted_account_id", "converted_contact_id",
               "converted_opportunity_id", "last_activity_at")
ACTIVITY_EXTRAS = ("status", "on", "lead_id", "account_id", "contact_id", "opportunity_id")


def keys(entity: str) -> list[str]:
    """The keys of `record(...)` for a record type, in order: a CSV header when no row is
    there to give one (a test keeps this in step with `record`)."""
    out = ["id"] + (["name"] if entity in ("lead", "contact") else [])
    for spec in FIELDS[entity]:
        out += [f"{spec.name}_id", spec.name] if spec.kind == "ref" else [spec.name]
    out += {"opportunity": OPPORTUNITY_EXTRAS, "lead": LEAD_EXTRAS,
            "activity": ACTIVITY_EXTRAS}.get(entity, ())
    out += ["created_at", "updated_at", "version", "extra"]
    return list(dict.fromkeys(out))
