"""Pipelines and their ordered stages.

- A pipeline has a unique name; exactly one is the default (new deals go there).
- Stages are numbered 1..n in order (`position`), with a probability 0-100, a kind
  (open, won or lost) and an optional `rot_days` (stale after that many days in the stage).
  Names are unique within a pipeline, ignoring case.
- `--stages "Open,Quoted:40,Won:won,Lost:lost"`: each item is NAME[:KIND|:PROBABILITY]...;
  a won stage defaults to 100 %, lost to 0 %, open stages spread evenly below 100.
- Open stages come before the won and lost ones: `stage add/edit --position` that would put
  an open stage after a closed one (or a closed one before an open one) is refused, and a
  stage whose kind changes moves to the edge of its kind's block. A pipeline may have more
  than one won or lost stage (merging a legacy stage needs it); adding one says so.
- A stage holding deals cannot be deleted unless its deals move to another stage of the
  same kind (`move_deals`): a merge only renames where the deals sit. Open deals stay open,
  won ones won and lost ones lost, keeping `closed_at`, reason and probability override;
  each move is a StageChange row (so as-of reports see it). A move into a stage of another
  kind would win, lose or reopen deals behind the user's back: it is refused (win, lose or
  reopen them first). Deals moving into a lost stage need a reason each.
  The stage's probability and kind are logged when it is deleted, so `--as-of` reports can still
  weigh the deals that were in it then (`deleted_stage`); its kind alike.
- Every pipeline has at least one open, one won and one lost stage (deals start in an open
  one and end in a won or lost one): a new pipeline without them is refused, and so is
  deleting the last stage of a kind or changing its kind (`check_keeps_outcomes`).
- `rot_days` 0 (or empty, or "none") means a stage never goes stale.
"""

from __future__ import annotations

import shlex

from sqlalchemy import func, select, update as sql_update
from sqlalchemy.orm import Session

from crmtui.domain import records, refs, values, words
from crmtui.domain.fields import STAGE_KINDS
from crmtui.errors import Conflict, Invalid
from crmtui.store.models import ChangeLog, Opportunity, Pipeline, Stage, StageChange, utcnow


def parse_stage_spec(spec: str) -> list[dict]:
    items = [part.strip() for part in spec.split(",") if part.strip()]
    if not items:
        raise Invalid("stages: give at least one stage, e.g. \"Open,Won:won,Lost:lost\"",
                      field="stages")
    stages = []
    for item in items:
        name, *attrs = [p.strip() for p in item.split(":")]
        if not name:
            raise Invalid(f"stages: {item!r} has no name", field="stages", value=item)
        stage = {"name": name, "kind": "open", "probability": None}
        for attr in attrs:
            if attr.lower() in STAGE_KINDS:
                stage["kind"] = attr.lower()
            else:
                stage["probability"] = values.parse_percent(attr, f"stages ({name})")
        stages.append(stage)
    open_stages = [st for st in stages if st["kind"] == "open"]
    for i, st in enumerate(open_stages, start=1):
        if st["probability"] is None:
            st["probability"] = round(100 * i / (len(open_stages) + 1))
    for st in stages:
        if st["probability"] is None:
            st["probability"] = 100 if st["kind"] == "won" else 0
    names = [st["name"].lower() for st in stages]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise Invalid(f"stages: {', '.join(dupes)} appear more than once", field="stages")
    return stages


DEFAULT_STAGES = "Prospecting:10,Qualification:25,Proposal:50,Negotiation:75,Won:won,Lost:lost"
REQUIRED_KINDS = ("open", "won", "lost")
_EXAMPLE = {"open": "Open", "won": "Won:won", "lost": "Lost:lost"}


def check_outcomes(stages: list[dict], spec: str) -> None:
    """A new pipeline's stages include an open, a won and a lost one; else say what to add."""
    missing = [kind for kind in REQUIRED_KINDS if not any(st["kind"] == kind for st in stages)]
    if not missing:
        return
    names = " and ".join(f"no {kind} stage" for kind in missing)
    items = [part.strip() for part in spec.split(",") if part.strip()]
    if "open" in missing:
        items.insert(0, _EXAMPLE["open"])
    items += [_EXAMPLE[kind] for kind in missing if kind != "open"]
    raise Invalid(f"stages: the pipeline would have {names}", field="stages", value=spec,
                  hint="deals start in an open stage and end in a won or a lost one; e.g. "
                       f"--stages {shlex.quote(','.join(items))}")


def check_keeps_outcomes(s: Session, stage: Stage, *, new_kind: str | None = None) -> None:
    """Refuse removing the last open, won or lost stage of a pipeline: deleting `stage`
    (`new_kind` None) or changing its kind to `new_kind`."""
    if new_kind == stage.kind:
        return
    same = [st for st in refs.stages_of(s, stage.pipeline_id) if st.kind == stage.kind]
    if stage.kind not in REQUIRED_KINDS or any(st.id != stage.id for st in same):
        return
    pipeline = s.get(Pipeline, stage.pipeline_id)
    doing = "deleted" if new_kind is None else f"made {new_kind}"
    raise Conflict(
        f"stage {stage.name} is the only {stage.kind} stage of pipeline {pipeline.name}; "
        f"it cannot be {doing}",
        hint=f"add another {stage.kind} stage first: crm stage add NAME "
             f"--pipeline {shlex.quote(pipeline.name)}"
             + ("" if stage.kind == "open" else f" --kind {stage.kind}"))


def add_pipeline(s: Session, name: str, stages: str | None = None, *, default: bool = False,
                 source: str = "cli") -> Pipeline:
    name = (name or "").strip()
    if not name:
        raise Invalid("name: a pipeline needs a name", field="name")
    if s.scalar(select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower())):
        raise Conflict(f"a pipeline named {name!r} already exists")
    specs = parse_stage_spec(stages or DEFAULT_STAGES)
    check_outcomes(specs, stages or DEFAULT_STAGES)
    pipeline = Pipeline(name=name, is_default=False)
    s.add(pipeline)
    s.flush()
    records.log(s, "pipeline", pipeline.id, "create", new=name, source=source)
    for position, spec in enumerate(specs, start=1):
        s.add(Stage(pipeline_id=pipeline.id, position=position, **spec))
    if default or not s.scalar(select(Pipeline.id).where(Pipeline.is_default.is_(True))):
        set_default(s, pipeline.id)
    s.flush()
    return pipeline


def set_default(s: Session, pipeline_id: int) -> None:
    s.execute(sql_update(Pipeline).values(is_default=False).where(Pipeline.id != pipeline_id))
    s.execute(sql_update(Pipeline).values(is_default=True).where(Pipeline.id == pipeline_id))
    s.expire_all()


def summary(s: Session) -> list[dict]:
    """Every pipeline with its stages and the number of deals in each."""
    counts = dict(s.execute(select(Opportunity.stage_id, func.count())
                            .group_by(Opportunity.stage_id)).all())
    out = []
    for pipeline in s.scalars(select(Pipeline).order_by(Pipeline.id)):
        stages = [stage_dict(st, counts.get(st.id, 0)) for st in refs.stages_of(s, pipeline.id)]
        out.append({"id": pipeline.id, "name": pipeline.name, "default": pipeline.is_default,
                    "deals": sum(st["deals"] for st in stages), "stages": stages})
    return out


def stage_dict(st: Stage, deals: int | None = None) -> dict:
    out = {"id": st.id, "pipeline_id": st.pipeline_id, "position": st.position, "name": st.name,
           "kind": st.kind, "probability": st.probability, "rot_days": st.rot_days}
    if deals is not None:
        out["deals"] = deals
    return out


def _renumber(s: Session, stages: list[Stage]) -> None:
    # two passes so a unique (pipeline, position) index would never see a clash
    for i, st in enumerate(stages, start=1):
        st.position = -i
    s.flush()
    for i, st in enumerate(stages, start=1):
        st.position = i
    s.flush()


def _check_name(s: Session, pipeline_id: int, name: str, *, except_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("name: a stage needs a name", field="name")
    for st in refs.stages_of(s, pipeline_id):
        if st.name.lower() == name.lower() and st.id != except_id:
            raise Conflict(f"the pipeline already has a stage named {st.name!r}")
    return name


def parse_rot_days(raw: object) -> int | None:
    """Days in a stage before a deal is stale; 0, empty or 'none' mean never (stored NULL)."""
    if raw is None or str(raw).strip().lower() in ("", "none", "never"):
        return None
    days = values.parse_int(raw, "rot_days", minimum=0)
    return days or None


def _place(others: list[Stage], kind: str, position: int | None) -> int:
    """The index where a stage of `kind` goes among `others` (the pipeline's other stages):
    open stages before every won/lost one. `position` None: open ones at the end of the open
    block, closed ones at the end; a position that breaks the order is refused."""
    open_end = max((i + 1 for i, st in enumerate(others) if st.kind == "open"), default=0)
    closed_start = next((i for i, st in enumerate(others) if st.kind != "open"), len(others))
    lo, hi = (1, closed_start + 1) if kind == "open" else (open_end + 1, len(others) + 1)
    if position is None:
        return hi - 1
    if not 1 <= position <= len(others) + 1:
        raise Invalid(f"position: {position} is outside 1..{len(others) + 1}",
                      field="position", value=position)
    if not lo <= position <= hi:
        where = ("before the won and lost stages" if kind == "open"
                 else "after the open stages")
        raise Invalid(f"position: {kind} stages go {where}; {words.a(kind)} stage can be at "
                      + (f"position {lo}" if lo == hi else f"positions {lo}..{hi}"),
                      field="position", value=position)
    return position - 1


def same_kind(s: Session, stage: Stage) -> list[Stage]:
    """The stages of `stage`'s pipeline with its kind (itself included)."""
    return [st for st in refs.stages_of(s, stage.pipeline_id) if st.kind == stage.kind]


def add_stage(s: Session, pipeline_ref: object, name: str, *, position: int | None = None,
              probability: object = None, kind: str = "open", rot_days: object = None,
              source: str = "cli") -> Stage:
    pipeline = refs.resolve(s, "pipeline", pipeline_ref) if pipeline_ref else refs.default_pipeline(s)
    name = _check_name(s, pipeline.id, name)
    kind = values.parse_choice(kind or "open", "kind", STAGE_KINDS)
    stages = refs.stages_of(s, pipeline.id)
    index = _place(stages, kind, position)
    prob = (values.parse_percent(probability) if probability not in (None, "")
            else 100 if kind == "won" else 0 if kind == "lost" else 50)
    rot = parse_rot_days(rot_days)
    stage = Stage(pipeline_id=pipeline.id, name=name, position=0, probability=prob, kind=kind,
                  rot_days=rot)
    s.add(stage)
    s.flush()
    stages.insert(index, stage)
    _renumber(s, stages)
    records.log(s, "stage", stage.id, "create", new=name, source=source)
    return stage


def edit_stage(s: Session, stage: Stage, *, name: str | None = None, position: int | None = None,
               probability: object = None, kind: str | None = None, rot_days: object = None,
               source: str = "cli") -> Stage:
    changes: dict = {}
    if name is not None:
        changes["name"] = _check_name(s, stage.pipeline_id, name, except_id=stage.id)
    if probability not in (None, ""):
        changes["probability"] = values.parse_percent(probability)
    new_kind = stage.kind
    if kind is not None:
        new_kind = values.parse_choice(kind, "kind", STAGE_KINDS)
        if new_kind != stage.kind and _deal_count(s, stage.id):
            raise Conflict(f"stage {stage.name} holds deals; its kind cannot change",
                           hint="move its deals first, or add a new stage")
        check_keeps_outcomes(s, stage, new_kind=new_kind)
        changes["kind"] = new_kind
    if rot_days is not None:
        changes["rot_days"] = parse_rot_days(rot_days)
    others = [st for st in refs.stages_of(s, stage.pipeline_id) if st.id != stage.id]
    kind_changed = new_kind != stage.kind
    index = None
    if position is not None or kind_changed:
        index = _place(others, new_kind, position)
    records.apply(s, "stage", stage, changes, source=source)
    if index is not None:
        others.insert(index, stage)
        old = stage.position
        _renumber(s, others)
        if old != stage.position:
            records.log(s, "stage", stage.id, "edit", field="position", old=old,
                        new=stage.position, source=source)
    return stage


def _deal_count(s: Session, stage_id: int) -> int:
    return s.scalar(select(func.count()).select_from(Opportunity)
                    .where(Opportunity.stage_id == stage_id))


def _keep_name_in_history(s: Session, stage: Stage) -> None:
    """Deals' stage history outlives the stage: its rows keep the name (the id goes NULL)."""
    for id_col, name_col in ((StageChange.from_stage_id, "from_stage_name"),
                             (StageChange.to_stage_id, "to_stage_name")):
        s.execute(sql_update(StageChange).where(id_col == stage.id)
                  .values({name_col: stage.name}).execution_options(synchronize_session=False))


_OUTCOME = {("open", "won"): "win", ("open", "lost"): "lose", ("won", "lost"): "lose",
            ("lost", "won"): "win", ("won", "open"): "reopen", ("lost", "open"): "reopen"}
_DO_FIRST = {"win": "win them first (crm opp win ID)",
             "lose": "lose them first (crm opp lose ID --reason TEXT)",
             "reopen": "reopen them first (crm opp reopen ID)"}


def check_move(s: Session, stage: Stage, target: Stage) -> None:
    """Deals of `stage` may move into `target` only when it has the same kind; into a lost
    stage only when every one has a reason."""
    n = _deal_count(s, stage.id)
    if not n:
        return
    if target.kind != stage.kind:
        verb = _OUTCOME[(stage.kind, target.kind)]
        deals = words.count(n, f"{stage.kind} deal")
        raise Conflict(
            f"stage {stage.name} holds {deals}; moving them into {target.kind} stage "
            f"{target.name} would {verb} them",
            hint=f"{_DO_FIRST[verb]}, or pick {words.a(stage.kind)} stage for --move-to")
    if target.kind == "lost":
        missing = s.scalar(select(func.count()).select_from(Opportunity).where(
            Opportunity.stage_id == stage.id,
            func.coalesce(func.trim(Opportunity.lost_reason), "") == ""))
        if missing:
            raise Conflict(
                f"{words.count(missing, 'deal')} of stage {stage.name} "
                f"{'has' if missing == 1 else 'have'} no lost reason; a lost deal needs one",
                hint="give each one a reason first: crm opp reopen ID, then "
                     "crm opp lose ID --reason TEXT")


def move_deals(s: Session, stage: Stage, target: Stage, *, source: str = "cli") -> int:
    """Move every deal of `stage` into `target` (same kind, see `check_move`): a StageChange
    row each; won and lost deals keep `closed_at`, reason and the time they entered their
    outcome; open deals enter the new stage now (its rot days count from the move)."""
    check_move(s, stage, target)
    now = utcnow()
    moved = 0
    for opp in s.scalars(select(Opportunity).where(Opportunity.stage_id == stage.id)
                         .order_by(Opportunity.id)).all():
        s.add(StageChange(opportunity_id=opp.id, from_stage_id=stage.id,
                          to_stage_id=target.id, at=now, source=source))
        records.log(s, "opportunity", opp.id, "edit", field="stage_id", old=stage.id,
                    new=target.id, source=source, at=now)
        opp.stage_id = target.id
        if target.kind == "open":
            records.log(s, "opportunity", opp.id, "edit", field="stage_entered_at",
                        old=opp.stage_entered_at, new=now, source=source, at=now)
            opp.stage_entered_at = now
        records.touch(s, "opportunity", opp)
        moved += 1
    return moved


def delete_stage(s: Session, stage: Stage, *, move_to: object = None,
                 source: str = "cli") -> int:
    """Delete a stage; its deals (if any) must move to `move_to`. Returns how many moved."""
    check_keeps_outcomes(s, stage)
    n = _deal_count(s, stage.id)
    if n and move_to in (None, ""):
        raise Conflict(f"stage {stage.name} holds {words.count(n, 'deal')}",
                       hint=f"pass --move-to STAGE ({words.a(stage.kind)} stage) to move "
                            "them first")
    moved = 0
    if n:
        target = refs.resolve_stage(s, stage.pipeline_id, move_to, field="move-to")
        if target.id == stage.id:
            raise Invalid("--move-to must name another stage")
        moved = move_deals(s, stage, target, source=source)
    if len(refs.stages_of(s, stage.pipeline_id)) == 1:
        raise Conflict("a pipeline needs at least one stage")
    # the probability goes with the stage: logged so past (--as-of) figures can weigh it
    for field in ("probability", "kind"):
        records.log(s, "stage", stage.id, "edit", field=field, old=getattr(stage, field),
                    new=None, source=source)
    records.log(s, "stage", stage.id, "delete", old=stage.name, source=source)
    _keep_name_in_history(s, stage)
    pipeline_id = stage.pipeline_id
    s.delete(stage)
    s.flush()
    _renumber(s, refs.stages_of(s, pipeline_id))
    return moved


def deleted_stage(s: Session, name: str) -> dict:
    """What the change log kept of a deleted stage called `name` (the latest such deletion):
    {"probability": int | None, "kind": str | None}; None where it was never logged (a
    stage deleted before these were kept, and never edited)."""
    out: dict = {"probability": None, "kind": None}
    deleted = s.execute(select(ChangeLog.id, ChangeLog.record_id).where(
        ChangeLog.entity == "stage", ChangeLog.action == "delete", ChangeLog.old == name)
        .order_by(ChangeLog.id.desc()).limit(1)).first()
    if deleted is None:
        return out
    for field in out:
        row = s.execute(select(ChangeLog.old, ChangeLog.new).where(
            ChangeLog.entity == "stage", ChangeLog.record_id == deleted.record_id,
            ChangeLog.field == field, ChangeLog.id < deleted.id)
            .order_by(ChangeLog.id.desc()).limit(1)).first()
        raw = None if row is None else row.new if row.new is not None else row.old
        if field == "kind":
            out[field] = raw if raw in STAGE_KINDS else None
        else:
            try:
                out[field] = int(raw)
            except (TypeError, ValueError):
                pass
    return out
