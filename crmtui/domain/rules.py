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


def after_create(s: Session, entity: str, obj, *, source: str) -> None:
    if entity == "opportunity":
        opportunities.record_first_stage(s, obj, source=source)
    elif entity == "lead":
        leads.refresh_score(s, obj)


def before_update(s: Session, entity: str, obj, cols: dict, *, source: str) -> None:
    if entity == "opportunity":
        opportunities.prepare_change(s, obj, cols, source=source)
    elif entity == "lead" and "status" in cols:
        leads.check_transition(obj, cols["status"])


def after_update(s: Session, entity: str, obj, changed: set[str], *, source: str) -> None:
    if entity == "lead" and changed & leads.SCORE_INPUTS:
        leads.refresh_score(s, obj)
