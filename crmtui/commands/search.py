"""`crm search TEXT`: find leads, contacts, accounts and deals in one ranked list."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import CsvOpt, JsonlOpt, JsonOpt, handle, store_session

HIT_KEYS = ["ref", "type", "id", "name", "detail", "rank"]


@handle
def search(text: Annotated[list[str], typer.Argument(help="Words to find (prefixes match)")],
           type_: Annotated[Optional[list[str]], typer.Option(
               "--type", "-t", help="Only these types: lead, contact, account, opp, "
               "activity (repeatable)")] = None,
           limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                              help="At most this many")] = 20,
           json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    """Search names, emails, companies, phones, notes and activities (subject and body);
    each hit shows its type and id."""
    from crmtui.domain.fields import entity_name
    from crmtui.domain.search import search_all

    fmt = output.pick(json_, jsonl, csv_)
    types = tuple(entity_name(t) for t in type_) if type_ else None
    with store_session() as s:
        hits = [h.as_dict() for h in search_all(s, " ".join(text), limit=limit, types=types)]
    for hit in hits:
        hit["ref"] = f"{'opp' if hit['type'] == 'opportunity' else hit['type']}:{hit['id']}"
    output.emit(hits, fmt, [("ref", "Ref"), ("name", "Name"), ("detail", "Details")],
                empty=f"Nothing matches {' '.join(text)!r}.", all_keys=HIT_KEYS)
