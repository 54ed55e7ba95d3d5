"""Full-text search over leads, contacts, accounts, opportunities and activities.

PostgreSQL: a `search_vec` tsvector column per table (trigger-maintained, GIN-indexed,
'simple' configuration, punctuation split like FTS5) queried with prefix terms `word:*`
and ranked with ts_rank over the same column weights (name > email > company > notes).

SQLite: FTS5 tables `<entity>_fts` (rowid = record id) kept in sync by triggers (see the
first migration). Every word typed is a prefix (`ada lov` finds "Ada Lovelace"); all words
must match; digits typed with separators also match as one number, so `555-1234` finds
"+1 555 1234". Ranking is FTS5's bm25 with the name weighted highest, then email/domain,
then company/phone/title, then notes.

These scores differ between the backends, so `ranked` only picks each type's best
candidates: the order a user sees is decided by `crmtui.domain.search` from the records
themselves (exact name, then name prefix, then name words, then other columns), the same
on both.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from crmtui.errors import Invalid

SEARCHABLE = ("lead", "contact", "account", "opportunity", "activity")
WEIGHTS = {
    "lead": "10.0, 5.0, 3.0, 3.0, 1.0",
    "contact": "10.0, 5.0, 3.0, 3.0, 1.0",
    "account": "10.0, 5.0, 3.0, 2.0, 1.0",
    "opportunity": "10.0, 5.0, 2.0, 1.0",
    "activity": "10.0, 1.0",  # subject, body (migration 0005)
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
        raise Invalid(f"{entity} records are not searchable",
                      hint="search leads, contacts, accounts, opportunities or activities")


def ts_query(user_text: str) -> str:
    """The PostgreSQL twin of `fts_query`: a to_tsquery('simple', ...) expression."""
    words = _WORD.findall(user_text or "")
    if not words:
        fts_query(user_text)  # raises the same error
    expr = " & ".join(f"{w.lower()}:*" for w in words)
    digit_groups = re.findall(r"\d+", user_text)
    if len(digit_groups) > 1 and len("".join(digit_groups)) >= 4:
        expr = f"({expr}) | {''.join(digit_groups)}:*"
    return expr


def _dialect(s: Session) -> str:
    return s.get_bind().dialect.name


def match_ids(s: Session, entity: str, user_text: str):
    """A subquery of the ids of `entity` records matching `user_text` (for IN filters)."""
    _check(entity)
    if _dialect(s) == "postgresql":
        return select(text("id")).select_from(text(entity)).where(
            text("search_vec @@ to_tsquery('simple', :q)").bindparams(q=ts_query(user_text))
        ).scalar_subquery()
    return select(text("rowid")).select_from(text(f"{entity}_fts")).where(
        text(f"{entity}_fts MATCH :q").bindparams(q=fts_query(user_text))
    ).scalar_subquery()


def filter_clause(s: Session, model, entity: str, user_text: str) -> ColumnElement:
    return model.id.in_(match_ids(s, entity, user_text))


PG_WEIGHTS = "'{0.1, 0.2, 0.5, 1.0}'"  # D, C, B, A


def ranked(s: Session, entity: str, user_text: str, limit: int = 20) -> list[tuple[int, float]]:
    """(id, rank) of the best matches, best first (a lower rank is better on both backends)."""
    _check(entity)
    if _dialect(s) == "postgresql":
        sql = (f"SELECT id, -ts_rank({PG_WEIGHTS}, search_vec, q) AS r FROM {entity}, "
               f"to_tsquery('simple', :q) AS q WHERE search_vec @@ q ORDER BY r, id LIMIT :n")
        params = {"q": ts_query(user_text), "n": limit}
    else:
        sql = (f"SELECT rowid, bm25({entity}_fts, {WEIGHTS[entity]}) AS r FROM {entity}_fts "
               f"WHERE {entity}_fts MATCH :q ORDER BY r LIMIT :n")
        params = {"q": fts_query(user_text), "n": limit}
    return [(row[0], row[1]) for row in s.execute(text(sql), params).all()]


def purge_deleted_terms(s: Session, entities: tuple[str, ...]) -> None:
    """Merge the FTS5 segments so terms of updated/deleted rows are physically gone."""
    if s.get_bind().dialect.name != "sqlite":
        return
    for entity in entities:
        _check(entity)
        s.execute(text(f"INSERT INTO {entity}_fts({entity}_fts) VALUES ('optimize')"))
