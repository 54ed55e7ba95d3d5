"""Finding anything: leads, contacts, accounts, deals and activities in one ranked list.

Each type's matches come from its full-text index (crmtui.store.search: every word typed is
a prefix, all words must match); the index's own score (bm25 on SQLite, ts_rank on
PostgreSQL) only picks a pool of candidates per type (`POOL`). The order shown is decided
here, in Python, from the records themselves, so it is the same on both backends:

1. the name is exactly what was typed (case, accents, punctuation and spacing aside);
2. the name starts with it: each word typed begins the name's words in order
   (`kram ind` -> "Kramer Industries", `initech` -> "Initech Labs");
3. every word typed begins some word of the name, in any order;
4. some words typed begin words of the name, the rest matched elsewhere;
5. only other columns matched (email or domain; then company, account, phone, title, city
   or next step; then notes; an activity's subject is its name, its body the other column).
Within 1-4 a name closer in length to what was typed comes first (the account "Initech
Labs" before the deal "Initech Labs: new business"); within 4-5 the better column; then
accounts, contacts, leads, deals, activities; then the lower id. `Hit.rank` is the 1-based place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.domain import refs, values
from crmtui.domain.serialize import Names
from crmtui.store import search as fts
from crmtui.store.models import TABLES_BY_ENTITY


@dataclass
class Hit:
    type: str
    id: int
    name: str
    detail: str
    rank: int  # 1-based place in the results

    def as_dict(self) -> dict:
        return asdict(self)


def _detail(entity: str, obj, names: Names) -> str:
    if entity == "lead":
        parts = [obj.company, obj.email, obj.status]
    elif entity == "contact":
        parts = [names.name("account", obj.account_id), obj.email, obj.phone]
    elif entity == "account":
        parts = [obj.domain, obj.city, obj.industry]
    elif entity == "activity":
        on = next(((kind, rid) for kind, rid in (
            ("opportunity", obj.opportunity_id), ("lead", obj.lead_id),
            ("contact", obj.contact_id), ("account", obj.account_id)) if rid), None)
        when = obj.done_at or obj.due_at or obj.created_at
        parts = [obj.kind, names.name(*on) if on else None,
                 when.date().isoformat() if when else None]
    else:
        stage = names.obj("stage", obj.stage_id)
        parts = [names.name("account", obj.account_id), stage.name if stage else None,
                 values.money_human(obj.amount_minor, obj.currency)]
    return " · ".join(p for p in parts if p)


POOL = 100  # candidates per type taken from the index (more when a larger limit asks)
TYPE_ORDER = {"account": 0, "contact": 1, "lead": 2, "opportunity": 3, "activity": 4}
_WORDS = re.compile(r"\w+", re.UNICODE)


def words(value: object) -> list[str]:
    """Words as the index sees them: case-folded, accents dropped, punctuation a separator."""
    if not value:
        return []
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return [w.casefold() for w in _WORDS.findall(text)]


def _other_columns(entity: str, obj, names: Names) -> tuple[tuple, ...]:
    """The non-name columns searched, best first, in groups of equal weight."""
    if entity == "lead":
        return ((obj.email,), (obj.company, obj.phone), (obj.notes,))
    if entity == "contact":
        return ((obj.email,), (obj.phone, obj.title), (obj.notes,))
    if entity == "account":
        return ((obj.domain, obj.website), (obj.phone, obj.city), (obj.notes,))
    if entity == "activity":
        return ((obj.body,),)
    return ((names.name("account", obj.account_id),), (obj.next_step,), (obj.notes,))


def _begins_any(word: str, among: list[str]) -> bool:
    return any(w.startswith(word) for w in among)


def sort_key(entity: str, record_id: int, name: str, query: list[str],
             others: tuple[tuple, ...]) -> tuple:
    """The place of one hit (lower first); see the module docstring."""
    name_words = words(name)
    coverage = 0.0
    if name_words:
        coverage = min(1.0, len("".join(query)) / len("".join(name_words)))
    if name_words == query:
        tier = 0
    elif len(query) <= len(name_words) and all(
            n.startswith(q) for q, n in zip(query, name_words)):
        tier = 1
    elif all(_begins_any(q, name_words) for q in query):
        tier = 2
    elif any(_begins_any(q, name_words) for q in query):
        tier = 3
    else:
        tier = 4
    column = 0
    if tier >= 3:
        column = len(others)
        for group, values_ in enumerate(others):
            found = [w for v in values_ for w in words(v)]
            if any(_begins_any(q, found) for q in query):
                column = group
                break
    return (tier, column, -round(coverage, 6) if tier < 4 else 0, TYPE_ORDER.get(entity, 9),
            record_id)


def search_all(s: Session, text: str, *, limit: int = 20,
               types: tuple[str, ...] | None = None) -> list[Hit]:
    query = words(text)
    found: list[tuple[tuple, Hit]] = []
    names = Names(s)
    pool = max(POOL, limit * 5)
    for entity in types or fts.SEARCHABLE:
        ranked = fts.ranked(s, entity, text, pool)
        if not ranked:
            continue
        model = TABLES_BY_ENTITY[entity]
        objs = {o.id: o for o in s.scalars(select(model).where(model.id.in_([i for i, _ in ranked])))}
        for record_id, _ in ranked:
            obj = objs.get(record_id)
            if obj is None:
                continue
            name = refs.display_name(obj)
            key = sort_key(entity, record_id, name, query, _other_columns(entity, obj, names))
            found.append((key, Hit(entity, record_id, name, _detail(entity, obj, names), 0)))
    found.sort(key=lambda pair: pair[0])
    hits = [hit for _, hit in found[:limit]]
    for place, hit in enumerate(hits, start=1):
        hit.rank = place
    return hits
