"""Full-text search over leads, contacts, accounts and opportunities.

SQLite: FTS5 tables `<entity>_fts` (rowid = record id) kept in sync by triggers (see the
first migration). Every word typed is a prefix (`ada lov` finds "Ada Lovelace"); all words
must match; digits typed with separators also match as one number, so `555-1234` finds
"+1 555 1234". Ranking is FTS5's bm25 with the name weighted highest, then email/domain,
then company/phone/title, then notes.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from crmtui.errors import Invalid

SEARCHABLE = ("lead", "contact", "account", "opportunity")
WEIGHTS = {
    "lead": "10.0, 5.0, 3.0, 3.0, 1.0",
    "contact": "10.0, 5.0, 3.0, 3.0, 1.0",
    "account": "10.0, 5.0, 3.0, 2.0, 1.0",
    "opportunity": "10.0, 5.0, 2.0, 1.0",
}
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(user_text: str) -> str:
    """User words -> an FTS5 MATCH expression of quoted prefix terms (no FTS syntax leaks)."""
    words = _WORD.findall(user_text or "")
    if not words:
        raise Invalid(f"search: {user_text!r} has no words to search for",
                      hint="type part of a name, email, company or phone")
    expr = " AND ".join(f'"{w}"*' for w in words)
    digit_groups = re.findall(r"\d+", user_text)
    if len(digit_groups) > 1 and len("".join(digit_groups)) >= 4:
        expr = f'({expr}) OR "{"".join(digit_groups)}"*'
    return expr


def _check(entity: str) -> None:
    if entity not in SEARCHABLE:
        raise Invalid(f"{entity}s are not searchable", hint="search leads, contacts, accounts "
                                                             "or opportunities")


def match_ids(entity: str, user_text: str):
    """A subquery of the ids of `entity` records matching `user_text` (for IN filters)."""
    _check(entity)
    return select(text("rowid")).select_from(text(f"{entity}_fts")).where(
        text(f"{entity}_fts MATCH :q").bindparams(q=fts_query(user_text))
    ).scalar_subquery()


def filter_clause(model, entity: str, user_text: str) -> ColumnElement:
    return model.id.in_(match_ids(entity, user_text))


def ranked(s: Session, entity: str, user_text: str, limit: int = 20) -> list[tuple[int, float]]:
    """(id, rank) of the best matches, best first (lower bm25 rank is better)."""
    _check(entity)
    rows = s.execute(
        text(f"SELECT rowid, bm25({entity}_fts, {WEIGHTS[entity]}) AS r FROM {entity}_fts "
             f"WHERE {entity}_fts MATCH :q ORDER BY r LIMIT :n"),
        {"q": fts_query(user_text), "n": limit},
    ).all()
    return [(row[0], row[1]) for row in rows]


def purge_deleted_terms(s: Session, entities: tuple[str, ...]) -> None:
    """Merge the FTS5 segments so terms of updated/deleted rows are physically gone."""
    if s.get_bind().dialect.name != "sqlite":
        return
    for entity in entities:
        _check(entity)
        s.execute(text(f"INSERT INTO {entity}_fts({entity}_fts) VALUES ('optimize')"))
