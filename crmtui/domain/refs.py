"""Finding records from what a person types: an id, an external id or an exact name.

Order: a number that is an existing id; an external id (case-sensitive); the exact name;
the name ignoring case. An unknown reference lists close candidates, an ambiguous one
lists every match, so the user can retry with an id.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain.fields import entity_name
from crmtui.errors import Ambiguous, Invalid, NotFound
from crmtui.store.models import (
    Account, Activity, Contact, Lead, Pipeline, Stage, TABLES_BY_ENTITY,
)

LABELS = {
    "lead": "lead", "account": "account", "contact": "contact", "opportunity": "opportunity",
    "activity": "activity", "pipeline": "pipeline", "stage": "stage",
}


def name_expr(model):
    """SQL expression of a record's display name."""
    if model in (Lead, Contact):
        return func.trim(model.first_name + " " + model.last_name)
    if model is Activity:
        return model.subject
    return model.name


def display_name(obj) -> str:
    if isinstance(obj, (Lead, Contact)):
        return f"{obj.first_name} {obj.last_name}".strip() or (obj.email or "")
    if isinstance(obj, Activity):
        return obj.subject
    return obj.name


def get(s: Session, entity: str, record_id: int):
    model = TABLES_BY_ENTITY[entity]
    obj = s.get(model, record_id)
    if obj is None:
        raise NotFound(f"{LABELS[entity]} {record_id} does not exist",
                       hint=f"list them with `crm {cli_noun(entity)} list`")
    return obj


def cli_noun(entity: str) -> str:
    return "opp" if entity == "opportunity" else entity


def _describe(obj) -> str:
    extra = ""
    if isinstance(obj, Account) and obj.domain:
        extra = f" ({obj.domain})"
    elif isinstance(obj, (Lead, Contact)) and obj.email:
        extra = f" <{obj.email}>"
    return f"  {obj.id}: {display_name(obj)}{extra}"


def resolve(s: Session, entity: str, ref: object, *, field: str | None = None,
            pipeline_id: int | None = None):
    """The record `ref` points to, or NotFound / Ambiguous with candidates."""
    entity = entity_name(entity) if entity not in TABLES_BY_ENTITY else entity
    if entity == "stage":
        return resolve_stage(s, pipeline_id, ref, field=field or "stage")
    model = TABLES_BY_ENTITY[entity]
    label = field or LABELS[entity]
    text = str(ref).strip()
    if not text:
        raise Invalid(f"{label}: an empty reference", field=field, value=ref)
    if text.isdigit():
        obj = s.get(model, int(text))
        if obj is not None:
            return obj
    by_ext = s.scalars(select(model).where(model.external_id == text).limit(2)).all()
    if by_ext:
        return by_ext[0]
    if entity == "activity":
        raise NotFound(f"{label}: no activity with id or external id {text!r}")
    name = name_expr(model)
    for condition in (name == text, func.lower(name) == text.lower()):
        found = s.scalars(select(model).where(condition).limit(11)).all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listing = "\n".join(_describe(o) for o in found[:10])
            raise Ambiguous(
                f"{label}: {text!r} matches {len(found) if len(found) <= 10 else 'more than 10'} "
                f"{LABELS[entity]}s:\n{listing}",
                hint="use the id instead",
            )
    like = s.scalars(
        select(model).where(func.lower(name).like(f"%{_escape_like(text.lower())}%", escape="\\"))
        .limit(5)
    ).all()
    hint = ("did you mean:\n" + "\n".join(_describe(o) for o in like)) if like else (
        f"see `crm {cli_noun(entity)} list`")
    raise NotFound(f"{label}: no {LABELS[entity]} matches {text!r}", hint=hint)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def default_pipeline(s: Session) -> Pipeline:
    pipeline = s.scalars(
        select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.id).limit(1)).first()
    if pipeline is None:
        raise NotFound("there is no pipeline", hint="add one with `crm pipeline add NAME`")
    return pipeline


def stages_of(s: Session, pipeline_id: int) -> list[Stage]:
    query = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
    return list(s.scalars(query))


def resolve_stage(s: Session, pipeline_id: int | None, ref: object, *, field: str = "stage"):
    """A stage of the pipeline by id, name (any case) or position (1-based)."""
    if pipeline_id is None:
        pipeline_id = default_pipeline(s).id
    stages = stages_of(s, pipeline_id)
    if isinstance(ref, Stage):  # a stage object is taken as it is (numbers mean positions)
        if ref.pipeline_id == pipeline_id:
            return ref
        ref = ref.name
    text = str(ref).strip()
    for st in stages:
        if st.name == text or st.name.lower() == text.lower():
            return st
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(stages):
            return stages[number - 1]
        for st in stages:
            if st.id == number:
                return st
    pipeline = s.get(Pipeline, pipeline_id)
    names = ", ".join(f"{i}:{st.name}" for i, st in enumerate(stages, start=1))
    raise NotFound(
        f"{field}: pipeline {pipeline.name if pipeline else pipeline_id!r} has no stage {text!r}",
        hint=f"its stages are {names}",
    )
