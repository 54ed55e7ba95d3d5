"""`crm dupes ...` and `crm merge ...`: find and merge duplicate records."""

from typing import Annotated

import typer

from crmtui.commands import output
from crmtui.commands.common import (
    CsvOpt, JsonlOpt, JsonOpt, YesOpt, confirm, handle, store_session,
)

ENTITY_HELP = "leads, contacts or accounts"
PAIR_KEYS = ["keep", "other", "keep_name", "other_name", "score", "reason"]


@handle
def dupes(entity: Annotated[str, typer.Argument(help=ENTITY_HELP)],
          threshold: Annotated[int, typer.Option("--threshold", help="Minimum name similarity "
                                                 "(50-100) for fuzzy matches")] = 90,
          limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                             help="At most this many pairs")] = 100,
          json_: JsonOpt = False, jsonl: JsonlOpt = False, csv_: CsvOpt = False):
    """List likely duplicates with a reason and a score (100 = same email)."""
    from crmtui.domain.dupes import find
    from crmtui.domain.fields import entity_name
    from crmtui.domain.words import plural

    fmt = output.pick(json_, jsonl, csv_)
    name = entity_name(entity)
    with store_session() as s:
        pairs = [p.as_dict() for p in find(s, name, threshold=threshold, limit=limit)]
    output.emit(pairs, fmt,
                [("score", "Score"), ("keep", "Keep"), ("keep_name", "Name"), ("other", "Other"),
                 ("other_name", "Name"), ("reason", "Why")],
                right={"score", "keep", "other"}, empty=f"No likely duplicate {plural(name)}.",
                all_keys=PAIR_KEYS)
    if pairs and fmt == "table":
        noun = {"lead": "lead", "contact": "contact", "account": "account"}[name]
        output.note(f"merge a pair with: crm merge {noun} KEEP OTHER")


@handle
def merge(entity: Annotated[str, typer.Argument(help="lead, contact or account")],
          keep: Annotated[str, typer.Argument(help="The record to keep (id, external id, name)")],
          other: Annotated[str, typer.Argument(help="The duplicate to merge into it and delete")],
          prefer: Annotated[str, typer.Option("--prefer", help="Whose values win when both have "
                                              "one: keep (default) or other")] = "keep",
          yes: YesOpt = False, json_: JsonOpt = False):
    """Merge OTHER into KEEP: move everything related, fill empty fields, delete OTHER.

    Where both have a different value, one is kept (KEEP's, or OTHER's with --prefer other)
    and the other dropped: the prompt and the result list each, and KEEP's history keeps
    every dropped value (`crm history TYPE:KEEP`)."""
    from crmtui.domain import refs
    from crmtui.domain.fields import entity_name
    from crmtui.domain.merge import conflicts, describe
    from crmtui.domain.merge import merge as run

    name = entity_name(entity)
    with store_session() as s:
        a, b = refs.resolve(s, name, keep), refs.resolve(s, name, other)
        keep_id, other_id = a.id, b.id
        question = (f"Merge {name} {other_id} ({refs.display_name(b)}) into {keep_id} "
                    f"({refs.display_name(a)}) and delete {other_id}?")
        dropped = [] if yes else conflicts(s, name, keep_id, other_id, prefer=prefer)
    if dropped:
        output.note("conflicting values (the dropped ones stay in the kept record's history):")
        for c in dropped:
            output.note(f"  {describe(c)}")
    confirm(question, yes)
    with store_session(write=True) as s:
        result = run(s, name, keep_id, other_id, prefer=prefer)
    if json_:
        output.write(output.dumps(result))
        return
    from crmtui.domain.words import count

    moved = ", ".join(count(n, k) for k, n in result["moved"].items()) or "nothing"
    filled = ", ".join(result["filled"]) or "nothing"
    output.note(f"merged {name} {other_id} into {keep_id}; moved {moved}; filled {filled}")
    for c in result["conflicts"]:
        output.note(f"  {describe(c)}")
    if result["conflicts"]:
        output.note(f"dropped values are in the history: crm history {name}:{keep_id}")
