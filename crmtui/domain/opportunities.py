"""Deals and their stages: every stage change appends a StageChange row.

Rules:
- a deal sits in a stage of its own pipeline; a new deal starts in the pipeline's first open
  stage unless told otherwise;
- entering a stage sets `stage_entered_at`; entering a won or lost stage sets `closed_at`,
  entering an open stage clears it (that is what reopening is);
- a lost deal needs a reason; leaving the lost stage clears it;
- probability follows the stage unless the deal carries its own (`probability`); a won or
  lost deal always has its stage's (100/0), keeping its own for when it is reopened;
- a deal is stale when it has sat in an open stage longer than the stage's `rot_days`, or has
  had no activity for `stale_days` (settings, default 14) days; overdue when its expected
  close date has passed while still open.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui import config
from crmtui.domain import dates, refs
from crmtui.errors import Conflict, Invalid
from crmtui.store.models import Opportunity, Pipeline, Stage, StageChange, utcnow

DEFAULT_STALE_DAYS = 14


class NoFurtherStage(Invalid):
    """A step past the last open stage (`forward`: the deal is won or lost from there, which
    each face says in its own words) or before the first."""

    def __init__(self, message: str, *, forward: bool):
        super().__init__(message, field="stage")
        self.forward = forward


def lost_reason(reason: object) -> str:
    """The rule for a lost reason: one is needed. Returns it cleaned; the message is neutral
    (`--reason` or a dialog is each face's own hint)."""
    text = str(reason or "").strip()
    if not text:
        raise Invalid("a lost deal needs a reason", field="reason")
    return text


def stale_days() -> int:
    return int(config.get("stale_days", DEFAULT_STALE_DAYS))


def first_open_stage(s: Session, pipeline_id: int) -> Stage:
    for stage in refs.stages_of(s, pipeline_id):
        if stage.kind == "open":
            return stage
    pipeline = s.get(Pipeline, pipeline_id)
    name = pipeline.name if pipeline else str(pipeline_id)
    raise Invalid(f"pipeline {name} has no open stage",
                  hint=f"add one with `crm stage add NAME --pipeline {shlex.quote(name)}`")


def stage_of_kind(s: Session, pipeline_id: int, kind: str) -> Stage:
    for stage in refs.stages_of(s, pipeline_id):
        if stage.kind == kind:
            return stage
    pipeline = s.get(Pipeline, pipeline_id)
    name = pipeline.name if pipeline else str(pipeline_id)
    raise Invalid(f"pipeline {name} has no {kind} stage",
                  hint=f"add one with `crm stage add NAME --pipeline {shlex.quote(name)} "
                       f"--kind {kind}`")


def prepare_new(s: Session, cols: dict, *, source: str) -> None:
    """Defaults and checks for a new deal (called before insert)."""
    if cols.get("pipeline_id") is None:
        cols["pipeline_id"] = refs.default_pipeline(s).id
    if cols.get("stage_id") is None:
        cols["stage_id"] = first_open_stage(s, cols["pipeline_id"]).id
    stage = s.get(Stage, cols["stage_id"])
    _check_stage_in_pipeline(s, stage, cols["pipeline_id"])
    cols.setdefault("currency", None)
    cols["currency"] = cols["currency"] or "USD"
    cols.setdefault("amount_minor", None)
    cols["amount_minor"] = cols["amount_minor"] or 0
    now = cols.get("created_at") or utcnow()
    cols["stage_entered_at"] = cols.get("stage_entered_at") or now
    if stage.kind != "open":
        cols["closed_at"] = cols.get("closed_at") or now
        if stage.kind == "lost" and not cols.get("lost_reason") and source != "import":
            raise Invalid("a lost deal needs a reason", field="lost_reason",
                          hint="create it open, then `crm opp lose ID --reason TEXT`")


def record_first_stage(s: Session, opp: Opportunity, *, source: str) -> None:
    s.add(StageChange(opportunity_id=opp.id, from_stage_id=None, to_stage_id=opp.stage_id,
                      at=opp.created_at, source=source))


def _check_stage_in_pipeline(s: Session, stage: Stage, pipeline_id: int) -> None:
    if stage.pipeline_id != pipeline_id:
        pipeline = s.get(Pipeline, pipeline_id)
        raise Invalid(f"stage {stage.name!r} is not in pipeline {pipeline.name!r}",
                      field="stage", value=stage.name,
                      hint=f"pick one of the stages of {pipeline.name} (`crm stage list "
                           f"--pipeline {pipeline.name!r}`)")


def prepare_change(s: Session, opp: Opportunity, cols: dict, *, source: str) -> None:
    """Called before an edit is applied: keeps stage/pipeline consistent and logs the move."""
    if "pipeline_id" in cols and "stage_id" not in cols:
        cols["stage_id"] = first_open_stage(s, cols["pipeline_id"]).id
    if "stage_id" in cols and cols["stage_id"] != opp.stage_id:
        stage = s.get(Stage, cols["stage_id"])
        _check_stage_in_pipeline(s, stage, cols.get("pipeline_id", opp.pipeline_id))
        reason = cols.get("lost_reason", opp.lost_reason if stage.kind == "lost" else None)
        if stage.kind == "lost" and not reason:
            raise Invalid("a lost deal needs a reason", field="lost_reason",
                          hint="use `crm opp lose ID --reason TEXT`")
        now = utcnow()
        s.add(StageChange(opportunity_id=opp.id, from_stage_id=opp.stage_id,
                          to_stage_id=stage.id, at=now, source=source))
        cols["stage_entered_at"] = now
        cols["closed_at"] = now if stage.kind != "open" else None
        if stage.kind != "lost":
            cols["lost_reason"] = None


def _edit(s: Session, opp_id: int, changes: dict, *, expected_version: int | None,
          source: str) -> Opportunity:
    from crmtui.domain import records

    opp = refs.get(s, "opportunity", opp_id)
    records.check_version(s, "opportunity", opp, expected_version)
    return records.apply(s, "opportunity", opp, changes, source=source)


def move(s: Session, opp_id: int, stage_ref: object = None, *, step: int = 0,
         expected_version: int | None = None, source: str = "cli") -> Opportunity:
    """Move to a stage by name/position, or `step` stages along the pipeline (+1 next, -1 prev)."""
    opp = refs.get(s, "opportunity", opp_id)
    stages = refs.stages_of(s, opp.pipeline_id)
    if step:
        open_stages = [st for st in stages if st.kind == "open"]
        current = next((i for i, st in enumerate(open_stages) if st.id == opp.stage_id), None)
        if current is None:
            raise Conflict(f"deal {opp.id} is closed ({s.get(Stage, opp.stage_id).name})",
                           hint="reopen it first with `crm opp reopen ID`")
        target_index = current + step
        if not 0 <= target_index < len(open_stages):
            edge = "last" if step > 0 else "first"
            raise NoFurtherStage(f"deal {opp.id} is already in the {edge} open stage "
                                 f"({open_stages[current].name})", forward=step > 0)
        target = open_stages[target_index]
    else:
        target = refs.resolve_stage(s, opp.pipeline_id, stage_ref)
        current = s.get(Stage, opp.stage_id)
        if current.kind != "open" and target.id != opp.stage_id:  # no silent reopen
            raise Conflict(f"deal {opp.id} is {current.kind} ({current.name}); moving it "
                           "would reopen it",
                           hint=f"reopen it with `crm opp reopen {opp.id} --stage "
                                f"{shlex.quote(target.name)}`")
    if target.id == opp.stage_id:
        raise Invalid(f"deal {opp.id} is already in stage {target.name}")
    if target.kind == "lost":
        raise Invalid("moving to a lost stage needs a reason",
                      hint=f"use `crm opp lose {opp.id} --reason TEXT`")
    return _edit(s, opp.id, {"stage_id": target.id}, expected_version=expected_version,
                 source=source)


def win(s: Session, opp_id: int, *, expected_version: int | None = None,
        source: str = "cli") -> Opportunity:
    opp = refs.get(s, "opportunity", opp_id)
    stage = stage_of_kind(s, opp.pipeline_id, "won")
    if opp.stage_id == stage.id:
        raise Invalid(f"deal {opp.id} is already won")
    return _edit(s, opp.id, {"stage_id": stage.id}, expected_version=expected_version,
                 source=source)


def lose(s: Session, opp_id: int, reason: str, *, expected_version: int | None = None,
         source: str = "cli") -> Opportunity:
    reason = lost_reason(reason)
    opp = refs.get(s, "opportunity", opp_id)
    stage = stage_of_kind(s, opp.pipeline_id, "lost")
    if opp.stage_id == stage.id:
        raise Invalid(f"deal {opp.id} is already lost ({opp.lost_reason})")
    return _edit(s, opp.id, {"stage_id": stage.id, "lost_reason": reason},
                 expected_version=expected_version, source=source)


def reopen(s: Session, opp_id: int, stage_ref: object = None, *,
           expected_version: int | None = None, source: str = "cli") -> Opportunity:
    """Back to an open stage: the one it was in before closing, or `stage_ref`."""
    opp = refs.get(s, "opportunity", opp_id)
    if s.get(Stage, opp.stage_id).kind == "open":
        raise Invalid(f"deal {opp.id} is not closed")
    if stage_ref is not None:
        target = refs.resolve_stage(s, opp.pipeline_id, stage_ref)
        if target.kind != "open":
            raise Invalid(f"{target.name} is not an open stage")
    else:
        target = _last_open_stage(s, opp) or first_open_stage(s, opp.pipeline_id)
    return _edit(s, opp.id, {"stage_id": target.id}, expected_version=expected_version,
                 source=source)


def _last_open_stage(s: Session, opp: Opportunity) -> Stage | None:
    history = s.scalars(
        select(StageChange).where(StageChange.opportunity_id == opp.id)
        .order_by(StageChange.at.desc(), StageChange.id.desc())
    ).all()
    for change in history:
        stage = s.get(Stage, change.to_stage_id) if change.to_stage_id else None
        if stage is not None and stage.kind == "open" and stage.pipeline_id == opp.pipeline_id:
            return stage
    return None


# -- derived facts ---------------------------------------------------------------------------

def effective_probability(opp: Opportunity, stage: Stage) -> int:
    """The deal's win probability: a closed deal's is its stage's (won 100, lost 0); an open
    deal's own override, else its stage's. The override stays stored while the deal is closed,
    so reopening restores it."""
    if stage.kind != "open" or opp.probability is None:
        return stage.probability
    return opp.probability


def status(stage: Stage) -> str:
    return stage.kind  # open, won, lost


def stale_reasons(opp: Opportunity, stage: Stage, *, now: datetime | None = None) -> list[str]:
    """Why a deal is stale (empty when it is not). Closed deals are never stale."""
    if stage.kind != "open":
        return []
    now = now or utcnow()
    reasons = []
    if stage.rot_days and opp.stage_entered_at:
        days = dates.days_between(opp.stage_entered_at, now)
        if days > stage.rot_days:
            reasons.append(f"{int(days)} days in {stage.name} (limit {stage.rot_days})")
    last = opp.last_activity_at or opp.created_at
    limit = stale_days()
    if last and now - last > timedelta(days=limit):
        reasons.append(f"no activity for {int(dates.days_between(last, now))} days "
                       f"(limit {limit})")
    return reasons


def is_overdue(opp: Opportunity, stage: Stage, *, today=None) -> bool:
    today = today or dates.local_today()
    return stage.kind == "open" and opp.close_date is not None and opp.close_date < today
