"""`crm pipeline ...` and `crm stage ...`: pipelines and their ordered stages."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import CsvOpt, JsonOpt, JsonlOpt, YesOpt, confirm, handle, store_session

app = typer.Typer(help="Pipelines: ordered stages deals move through.", no_args_is_help=True)
stage_app = typer.Typer(help="Stages of a pipeline: add, rename, reorder, delete.",
                        no_args_is_help=True)

PipelineOpt = Annotated[Optional[str], typer.Option("--pipeline", "-p",
                        help="Pipeline name or id (default: the default pipeline)")]
STAGE_COLUMNS = [("position", "#"), ("name", "Stage"), ("kind", "Kind"),
                 ("probability", "Prob %"), ("rot_days", "Rot days"), ("deals", "Deals"),
                 ("id", "ID")]


STAGE_KEYS = ["id", "pipeline_id", "position", "name", "kind", "probability", "rot_days", "deals"]


@app.command("list", help="List pipelines with their stages (--csv: one row per stage).")
@handle
def list_(json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    from crmtui.domain import pipelines

    fmt = output.pick(json_, jsonl, csv_)
    with store_session() as s:
        rows = pipelines.summary(s)
    if fmt == "csv":
        flat = [{"pipeline": p["name"], "default": p["default"], **st}
                for p in rows for st in p["stages"]]
        output.emit(flat, fmt, [], all_keys=["pipeline", "default"] + STAGE_KEYS)
        return
    if fmt != "table":
        output.emit(rows, fmt, [])
        return
    con = output.console()
    for p in rows:
        title = f"{p['name']} (id {p['id']}{', default' if p['default'] else ''}): {p['deals']} deals"
        con.print(output.table(p["stages"], STAGE_COLUMNS, title=title,
                               right={"position", "probability", "rot_days", "deals", "id"}))


@app.command("add", help='Add a pipeline, e.g. crm pipeline add Renewals --stages '
                         '"Open,Quoted,Won:won,Lost:lost"')
@handle
def add(name: Annotated[str, typer.Argument(help="Pipeline name")],
        stages: Annotated[Optional[str], typer.Option("--stages", help="Comma-separated "
                          "NAME[:won|:lost][:PROBABILITY]; default: the standard sales stages")] = None,
        default: Annotated[bool, typer.Option("--default", help="Make it the default")] = False,
        json_: JsonOpt = False):
    from crmtui.domain import pipelines

    with store_session(write=True) as s:
        p = pipelines.add_pipeline(s, name, stages, default=default)
        pid = p.id
        summary = next(x for x in pipelines.summary(s) if x["id"] == pid)
    if json_:
        output.write(output.dumps(summary))
    else:
        output.write(str(pid))
        output.note(f"added pipeline {pid}: {name} ({len(summary['stages'])} stages)")


@app.command("default", help="Make a pipeline the default for new deals.")
@handle
def default(ref: Annotated[str, typer.Argument(help="Pipeline name or id")]):
    from crmtui.domain import pipelines, refs

    with store_session(write=True) as s:
        p = refs.resolve(s, "pipeline", ref)
        pipelines.set_default(s, p.id)
        name = p.name
    output.note(f"{name} is now the default pipeline")


@stage_app.command("list", help="List the stages of a pipeline.")
@handle
def stage_list(pipeline: PipelineOpt = None, json_: JsonOpt = False, jsonl: JsonlOpt = False,
               csv_: CsvOpt = False):
    from crmtui.domain import pipelines, refs

    fmt = output.pick(json_, jsonl, csv_)
    with store_session() as s:
        p = refs.resolve(s, "pipeline", pipeline) if pipeline else refs.default_pipeline(s)
        rows = next(x for x in pipelines.summary(s) if x["id"] == p.id)["stages"]
        title = f"Stages of {p.name}"
    output.emit(rows, fmt, STAGE_COLUMNS, title=title, all_keys=STAGE_KEYS,
                right={"position", "probability", "rot_days", "deals", "id"})


Position = Annotated[Optional[int], typer.Option("--position", help="1-based position")]
Probability = Annotated[Optional[str], typer.Option("--probability", help="0-100")]
Kind = Annotated[Optional[str], typer.Option("--kind", help="open, won or lost")]
RotDays = Annotated[Optional[str], typer.Option("--rot-days",
                    help="Days in this stage before a deal counts as stale (0: never)")]


@stage_app.command("add", help="Add a stage (open stages go before the won/lost ones).")
@handle
def stage_add(name: Annotated[str, typer.Argument(help="Stage name")], pipeline: PipelineOpt = None,
              position: Position = None, probability: Probability = None, kind: Kind = None,
              rot_days: RotDays = None):
    from crmtui.domain import pipelines

    with store_session(write=True) as s:
        st = pipelines.add_stage(s, pipeline, name, position=position, probability=probability,
                                 kind=kind or "open", rot_days=rot_days)
        sid, pos = st.id, st.position
        extra = _kind_note(s, st)
    output.write(str(sid))
    output.note(f"added stage {name} at position {pos}")
    if extra:
        output.note(extra)


def _kind_note(s, st) -> str | None:
    """'note: pipeline Sales now has 2 won stages' when a won/lost stage is not the only one."""
    from crmtui.domain import pipelines, refs

    if st.kind == "open":
        return None
    n = len(pipelines.same_kind(s, st))
    if n < 2:
        return None
    p = refs.get(s, "pipeline", st.pipeline_id)
    return (f"note: pipeline {p.name} now has {n} {st.kind} stages "
            f"(e.g. to merge a legacy one: crm stage delete OLD --move-to NEW)")


@stage_app.command("edit", help="Rename, move, or change a stage's probability, kind, rot days.")
@handle
def stage_edit(stage: Annotated[str, typer.Argument(help="Stage name or position")],
               pipeline: PipelineOpt = None,
               name: Annotated[Optional[str], typer.Option("--name", help="New name")] = None,
               position: Position = None, probability: Probability = None, kind: Kind = None,
               rot_days: RotDays = None):
    from crmtui.domain import pipelines, refs

    with store_session(write=True) as s:
        p = refs.resolve(s, "pipeline", pipeline) if pipeline else refs.default_pipeline(s)
        st = refs.resolve_stage(s, p.id, stage)
        old_kind = st.kind
        pipelines.edit_stage(s, st, name=name, position=position, probability=probability,
                             kind=kind, rot_days=rot_days)
        label, pos, moved = st.name, st.position, st.kind != old_kind
        extra = _kind_note(s, st) if moved else None
    output.note(f"updated stage {label}" + (f" (now at position {pos})" if moved else ""))
    if extra:
        output.note(extra)


@stage_app.command("delete", help="Delete a stage; its deals must move (--move-to).")
@handle
def stage_delete(stage: Annotated[str, typer.Argument(help="Stage name or position")],
                 pipeline: PipelineOpt = None,
                 move_to: Annotated[Optional[str], typer.Option("--move-to",
                                    help="Move the stage's deals here first (a stage of the "
                                         "same kind: won deals stay won, with their close "
                                         "dates)")] = None,
                 yes: YesOpt = False):
    from crmtui.domain import pipelines, refs, words

    with store_session() as s:
        p = refs.resolve(s, "pipeline", pipeline) if pipeline else refs.default_pipeline(s)
        st = refs.resolve_stage(s, p.id, stage)
        label, sid = st.name, st.id
    confirm(f"Delete stage {label} of {p.name}?", yes)
    with store_session(write=True) as s:
        st = refs.get(s, "stage", sid)
        target = (refs.resolve_stage(s, st.pipeline_id, move_to, field="move-to").name
                  if move_to not in (None, "") else None)
        moved = pipelines.delete_stage(s, st, move_to=move_to)
    output.note(f"deleted stage {label}"
                + (f"; moved {words.count(moved, 'deal')} to {target}" if moved else ""))
