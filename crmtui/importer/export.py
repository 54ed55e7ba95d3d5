"""Records out: every field, ids, external ids, `extra` columns; page by page, never a table.

CSV/TSV: one column per key of the JSON form (README "Output for scripts") and one per key
found in `extra` (named `extra.KEY` when KEY is, or would be read back as, a field or a
column crmtui computes), so `crm import` reads the file back into the same records.
References are written so the import finds the same record again, since ids do not survive
a move between stores: a contact by its email when it has one (two people may share a
name), an account by its name unless another account has it too (then by its domain, else
its external id), activities also carry what they are on (`lead`, `account`, `contact`, `opportunity`)
besides `on` (`kind:ID name`), converted leads what they became (`converted_account`,
`converted_contact`), closed deals the open stage they closed from (`stage_before_close`,
from their stage history: the import starts their history there).
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import listing, serialize
from crmtui.domain.fields import FIELDS
from crmtui.importer.mapping import norm
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
    shared = _shared_account_names(s) if entity != "account" else set()
    while True:
        page = listing.page(s, listing.ListQuery(entity=entity, filters=filters, sort="id",
                                                 limit=PAGE, after=after))
        names = serialize.Names(s)
        serialize.prefetch_for(names, entity, page.rows)
        if entity == "lead":
            names.prefetch("account", (r.converted_account_id for r in page.rows))
            names.prefetch("contact", (r.converted_contact_id for r in page.rows))
        before = _stages_before_close(s, names, page.rows) if entity == "opportunity" else {}
        for obj in page.rows:
            out = serialize.record(s, entity, obj, names)
            if entity == "opportunity":
                out = _with_stage_before_close(out, before.get(obj.id))
            if entity == "activity":
                for link in LINKS:
                    out[link] = _reference(names, link, getattr(obj, f"{link}_id"), shared)
            elif entity in ("contact", "opportunity"):
                if out.get("account") is not None:
                    out["account"] = _reference(names, "account", obj.account_id, shared)
                if entity == "opportunity" and "contact" in out:
                    out["contact"] = _reference(names, "contact", obj.contact_id)
            elif entity == "lead":
                out = _with_conversion(out, names, obj, shared)
            yield out
        if not page.rows or page.next_after is None:
            return
        after = page.rows[-1].id
        s.expunge_all()


def _stages_before_close(s: Session, names: serialize.Names, deals: list) -> dict[int, str]:
    """Closed deal id -> name of the open stage it was in when it closed (its last move into
    its current stage), for the deals of a page that have one."""
    from crmtui.store.models import StageChange

    current = {d.id: d.stage_id for d in deals
               if getattr(names.obj("stage", d.stage_id), "kind", "open") != "open"}
    if not current:
        return {}
    moves = s.execute(select(StageChange.opportunity_id, StageChange.from_stage_id,
                             StageChange.to_stage_id)
                      .where(StageChange.opportunity_id.in_(list(current)))
                      .order_by(StageChange.id))
    left: dict[int, int | None] = {}
    for deal_id, from_id, to_id in moves:
        if to_id == current[deal_id]:
            left[deal_id] = from_id
    names.prefetch("stage", left.values())
    out = {}
    for deal_id, from_id in left.items():
        stage = names.obj("stage", from_id)
        if stage is not None and stage.kind == "open":
            out[deal_id] = stage.name
    return out


def _with_stage_before_close(out: dict, name: str | None) -> dict:
    """The deal's record with `stage_before_close` after its `status`."""
    result = {}
    for key, value in out.items():
        result[key] = value
        if key == "status":
            result["stage_before_close"] = name
    result.setdefault("stage_before_close", name)
    return result


def _shared_account_names(s: Session) -> set[str]:
    """Names two or more accounts have (an import could not tell them apart by name)."""
    from crmtui.store.models import Account

    return set(s.scalars(select(Account.name).group_by(Account.name)
                         .having(func.count() > 1)))


def _reference(names: serialize.Names, ref: str, record_id: int | None,
               shared: set[str] = frozenset()) -> str | None:
    """How an import finds the record again: a contact's email (names may repeat); an
    account's name, or when another account has that name too, its domain (else its
    external id), which the import also reads; else the display name."""
    obj = names.obj(ref, record_id)
    if ref == "contact" and obj is not None and obj.email:
        return obj.email
    if ref == "account" and obj is not None and obj.name in shared:
        return obj.domain or obj.external_id or obj.name
    return names.name(ref, record_id)


def _with_conversion(out: dict, names: serialize.Names, lead, shared: set[str]) -> dict:
    """A converted lead's account and contact by reference, after their ids."""
    result = {}
    for key, value in out.items():
        result[key] = value
        if key == "converted_contact_id":
            result["converted_account"] = _reference(names, "account",
                                                     lead.converted_account_id, shared)
            result["converted_contact"] = _reference(names, "contact", lead.converted_contact_id)
    if "converted_account" not in result:
        result["converted_account"] = _reference(names, "account", lead.converted_account_id,
                                                 shared)
        result["converted_contact"] = _reference(names, "contact", lead.converted_contact_id)
    return result


def _clashes(entity: str) -> set[str]:
    """Normalised header names an import of `entity` would not keep in extra."""
    from crmtui.importer import mapping

    names = set(mapping._alias_table(entity))
    names |= {mapping.norm(c) for c in mapping.COMPUTED.get(entity, ())}
    names |= {mapping.norm(c) for c in mapping.COMMON_COMPUTED}
    return names


def csv_columns(entity: str, first: dict | None, extras: list[str]) -> tuple[list[str], dict]:
    """The header, and the header name of each extra key."""
    if first is not None:
        base = [k for k in first if k != "extra"]
    else:
        base = ["id"] + [f.name for f in FIELDS[entity]] + ["created_at", "updated_at",
                                                             "version"]
    taken = set(base)
    clashes = _clashes(entity)
    named = {}
    for key in extras:
        plain = key not in taken and not key.startswith("extra.") and \
            norm(key) not in clashes
        name = key if plain else f"extra.{key}"
        named[key] = name
        taken.add(name)
    return base + [named[k] for k in extras], named


def flat(record: dict, named: dict) -> dict:
    row = {k: v for k, v in record.items() if k != "extra"}
    for key, value in (record.get("extra") or {}).items():
        row[named.get(str(key), f"extra.{key}")] = value
    return row
