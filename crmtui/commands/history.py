"""`crm history TYPE:REF`: the edit history of one record."""

from typing import Annotated

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonlOpt, JsonOpt, handle, store_session


@handle
def history(target: Annotated[str, typer.Argument(help="lead:12, account:Acme, opp:45, "
                                                  "contact:7, activity:3")],
            limit: Annotated[int, typer.Option("--limit", "-n")] = 200,
            json_: JsonOpt = False, jsonl: JsonlOpt = False):
    """Every change to a record: field, old and new value, when, from where and by whom."""
    from crmtui.domain import refs, timeline
    from crmtui.domain.fields import entity_name
    from crmtui.errors import Invalid

    if ":" not in target:
        raise Invalid(f"{target!r}: write TYPE:REF, e.g. lead:12 or account:Acme")
    kind, ref = target.split(":", 1)
    entity = entity_name(kind)
    fmt = output.pick(json_, jsonl)
    with store_session() as s:
        try:
            record_id = refs.resolve(s, entity, ref).id
        except Exception:
            if not ref.strip().isdigit():
                raise
            record_id = int(ref)  # a deleted record still has its history
        rows = timeline.history(s, entity, record_id, limit, human=fmt == "table")
    output.emit(output.human_times(rows) if fmt == "table" else rows, fmt,
                [("at", "When"), ("action", "What"), ("field", "Field"), ("old", "Old"),
                 ("new", "New"), ("source", "Via"), ("actor", "By")],
                title=f"History of {entity} {record_id}", empty="No history recorded.")
