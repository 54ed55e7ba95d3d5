"""`crm search TEXT`: find leads, contacts, accounts and deals in one ranked list."""

from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonlOpt, JsonOpt, handle, store_session


@handle
def search(text: Annotated[list[str], typer.Argument(help="Words to find (prefixes match)")],
           type_: Annotated[Optional[list[str]], typer.Option(
               "--type", "-t", help="Only these types: lead, contact, account, opp "
               "(repeatable)")] = None,
           limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many")] = 20,
           json_: JsonOpt = False, jsonl: JsonlOpt = False):
    """Search names, emails, companies, phones and notes; each hit shows its type and id."""
    from crmtui.domain.fields import entity_name
    from crmtui.domain.search import search_all

    types = tuple(entity_name(t) for t in type_) if type_ else None
    with store_session() as s:
        hits = [h.as_dict() for h in search_all(s, " ".join(text), limit=limit, types=types)]
    fmt = output.pick(json_, jsonl)
    for hit in hits:
        hit["ref"] = f"{'opp' if hit['type'] == 'opportunity' else hit['type']}:{hit['id']}"
    output.emit(hits, fmt, [("ref", "Ref"), ("name", "Name"), ("detail", "Details")],
                empty=f"Nothing matches {' '.join(text)!r}.")


def register(app: typer.Typer) -> None:
    app.command("search")(search)
