"""Records out: every field, ids, external ids, `extra` columns; page by page, never a table.

CSV/TSV: one column per key of the JSON form (README "Output for scripts") and one per key
found in `extra` (named `extra.KEY` only when KEY clashes with a field), so `crm import` reads
the file back into the same records. Activities also carry the names of what they are on
(`lead`, `account`, `contact`, `opportunity`), since ids do not survive a move between stores.
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import listing, serialize
from crmtui.domain.fields import FIELDS
from crmtui.store.models import TABLES_BY_ENTITY

PAGE = 1000
LINKS = ("lead", "account", "contact", "opportunity")


def count(s: Session, entity: str, filters: dict) -> int:
    model = TABLES_BY_ENTITY[entity]
    where = listing.conditions(s, entity, filters)
    return s.scalar(select(func.count()).select_from(model).where(*where))


def extra_keys(s: Session, entity: str, filters: dict) -> list[str]:
    """Every key found in the selected records' `extra`, in order of first appearance."""
    model = TABLES_BY_ENTITY[entity]
    where = listing.conditions(s, entity, filters)
    seen: dict[str, None] = {}
    query = select(model.extra).where(model.extra.is_not(None), *where) \
        .execution_options(yield_per=PAGE)
    for extra in s.scalars(query):
        for key in extra or {}:
            seen.setdefault(str(key), None)
    return list(seen)


def records(s: Session, entity: str, filters: dict) -> Iterator[dict]:
    """The selected records as JSON-form dicts, in id order, one page in memory at a time."""
    after = None
    while True:
        page = listing.page(s, listing.ListQuery(entity=entity, filters=filters, sort="id",
                                                 limit=PAGE, after=after))
        names = serialize.Names(s)
        serialize.prefetch_for(names, entity, page.rows)
        for obj in page.rows:
            out = serialize.record(s, entity, obj, names)
            if entity == "activity":
                for link in LINKS:
                    out[link] = names.name(link, getattr(obj, f"{link}_id"))
            yield out
        if not page.rows or page.next_after is None:
            return
        after = page.rows[-1].id
        s.expunge_all()


def csv_columns(entity: str, first: dict | None, extras: list[str]) -> tuple[list[str], dict]:
    """The header, and the header name of each extra key."""
    if first is not None:
        base = [k for k in first if k != "extra"]
    else:
        base = ["id"] + [f.name for f in FIELDS[entity]] + ["created_at", "updated_at",
                                                             "version"]
    taken = set(base)
    named = {}
    for key in extras:
        name = key if key not in taken and not key.startswith("extra.") else f"extra.{key}"
        named[key] = name
        taken.add(name)
    return base + [named[k] for k in extras], named


def flat(record: dict, named: dict) -> dict:
    row = {k: v for k, v in record.items() if k != "extra"}
    for key, value in (record.get("extra") or {}).items():
        row[named.get(str(key), f"extra.{key}")] = value
    return row
