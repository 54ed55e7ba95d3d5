"""Entity-specific rules that `records` runs around every create and edit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crmtui.domain import leads, opportunities, values


def before_create(s: Session, entity: str, cols: dict, *, source: str = "cli") -> None:
    if entity == "opportunity":
        opportunities.prepare_new(s, cols, source=source)
    elif entity == "account":
        if not cols.get("domain") and cols.get("website"):
            cols["domain"] = values.domain_of(cols["website"])
    elif entity == "lead":
        cols.setdefault("status", "new")
    if entity in ("lead", "contact"):
        _check_person_name(cols)


def _check_person_name(cols: dict) -> None:
    """A lead or contact needs a first or last name, or at least an email to go by."""
    from crmtui.errors import Invalid

    if not any((cols.get(k) or "").strip() for k in ("first_name", "last_name", "email")):
        raise Invalid("name: a name is required", field="name",
                      hint="give a first or last name (or at least an email)")


def after_create(s: Session, entity: str, obj, *, source: str) -> None:
    if entity == "opportunity":
        opportunities.record_first_stage(s, obj, source=source)
    elif entity == "lead":
        leads.refresh_score(s, obj)


def before_update(s: Session, entity: str, obj, cols: dict, *, source: str) -> None:
    if entity in ("lead", "contact") and ({"first_name", "last_name"} & set(cols)):
        _check_person_name({"first_name": cols.get("first_name", obj.first_name),
                            "last_name": cols.get("last_name", obj.last_name),
                            "email": cols.get("email", obj.email)})
    if entity == "opportunity":
        opportunities.prepare_change(s, obj, cols, source=source)
    elif entity == "lead" and "status" in cols:
        leads.check_transition(obj, cols["status"])


def after_update(s: Session, entity: str, obj, changed: set[str], *, source: str) -> None:
    if entity == "lead" and changed & leads.SCORE_INPUTS:
        leads.refresh_score(s, obj)
