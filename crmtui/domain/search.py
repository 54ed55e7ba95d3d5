"""Finding anything: leads, contacts, accounts and deals in one ranked list.

Each type is searched through its full-text index (crmtui.store.search: every word a prefix,
bm25 ranking with names weighted highest); the best hits of all types are merged by rank.
"""

from __future__ import annotations

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
    rank: float

    def as_dict(self) -> dict:
        return asdict(self)


def _detail(entity: str, obj, names: Names) -> str:
    if entity == "lead":
        parts = [obj.company, obj.email, obj.status]
    elif entity == "contact":
        parts = [names.name("account", obj.account_id), obj.email, obj.phone]
    elif entity == "account":
        parts = [obj.domain, obj.city, obj.industry]
    else:
        stage = names.obj("stage", obj.stage_id)
        parts = [names.name("account", obj.account_id), stage.name if stage else None,
                 values.money_human(obj.amount_minor, obj.currency)]
    return " · ".join(p for p in parts if p)


def search_all(s: Session, text: str, *, limit: int = 20,
               types: tuple[str, ...] | None = None) -> list[Hit]:
    hits: list[Hit] = []
    names = Names(s)
    for entity in types or fts.SEARCHABLE:
        ranked = fts.ranked(s, entity, text, limit)
        if not ranked:
            continue
        model = TABLES_BY_ENTITY[entity]
        objs = {o.id: o for o in s.scalars(select(model).where(model.id.in_([i for i, _ in ranked])))}
        for record_id, rank in ranked:
            obj = objs.get(record_id)
            if obj is not None:
                hits.append(Hit(entity, record_id, refs.display_name(obj),
                                _detail(entity, obj, names), rank))
    hits.sort(key=lambda h: (h.rank, h.type, h.id))
    return hits[:limit]
