"""Likely duplicates among leads, contacts and accounts, with a reason and a score (0-100).

Rules (a pair found by several rules keeps its best score and lists every reason):
- same email, ignoring case (leads, contacts): 100;
- same phone number after normalisation (phones are stored normalised to E.164 when they can
  be read; the comparison uses digits only): 90;
- same web domain (accounts; free-mail domains excluded): 85;
- similar names (rapidfuzz token-sort ratio >= `threshold`, default 90) among records sorted
  by name, each compared with the next WINDOW records (a sorted-neighbourhood scan: linear in
  the table size, so it runs on a million leads); for people the company or account must not
  differ; accounts compare names without legal suffixes (Inc, LLC, GmbH, ...): the ratio.
Names are compared without case and accents (`José García` is `Jose Garcia`), as search does.
Erased people and accounts (`crm privacy erase`: named "(erased)") are never proposed.
External ids are never case-folded: `ABC-1` and `abc-1` are different keys.
The lower id of a pair is proposed as the one to keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crmtui.domain import refs
from crmtui.domain.words import plural
from crmtui.errors import Invalid
from crmtui.store.models import Account, Contact, Lead

WINDOW = 8
MODELS = {"lead": Lead, "contact": Contact, "account": Account}
_SUFFIXES = re.compile(r"\b(inc|incorporated|llc|ltd|limited|gmbh|ag|sa|sas|bv|plc|corp|"
                       r"corporation|co|company|srl|spa|oy|ab|as|pty)\b\.?", re.I)


@dataclass
class Pair:
    keep: int
    other: int
    keep_name: str
    other_name: str
    score: int
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"keep": self.keep, "other": self.other, "keep_name": self.keep_name,
                "other_name": self.other_name, "score": self.score,
                "reason": "; ".join(self.reasons)}


class _Pairs:
    def __init__(self):
        self.pairs: dict[tuple[int, int], Pair] = {}
        self.names: dict[int, str] = {}

    def add(self, a: int, b: int, score: int, reason: str) -> None:
        keep, other = sorted((a, b))
        pair = self.pairs.get((keep, other))
        if pair is None:
            self.pairs[(keep, other)] = Pair(keep, other, "", "", score, [reason])
        else:
            pair.score = max(pair.score, score)
            if reason not in pair.reasons:
                pair.reasons.append(reason)


def _live(model):
    """Not erased by `crm privacy erase` (which names the record "(erased)")."""
    from crmtui.domain.privacy import ERASED

    if model is Account:
        return or_(model.name.is_(None), model.name != ERASED)
    return or_(model.last_name.is_(None), model.last_name != ERASED,
               func.coalesce(model.first_name, "") != "")


def _exact_groups(s: Session, model, column_expr, label: str, score: int, found: _Pairs,
                  exclude: frozenset = frozenset()) -> None:
    """Records sharing the value of `column_expr` (portable SQL: GROUP BY in a subquery)."""
    dup_values = (select(column_expr).where(column_expr.is_not(None), column_expr != "",
                                            _live(model))
                  .group_by(column_expr).having(func.count() > 1))
    rows = s.execute(select(model.id, column_expr.label("v"))
                     .where(column_expr.in_(dup_values), _live(model))
                     .order_by(column_expr, model.id))
    first: dict = {}
    for record_id, value in rows:
        if value in exclude:
            continue
        if value in first:
            found.add(first[value], record_id, score, f"same {label} {value}")
        else:
            first[value] = record_id


def _digits(col):
    expr = col
    for ch in " -().+/":
        expr = func.replace(expr, ch, "")
    return expr


def _similar_names(s: Session, entity: str, threshold: int, found: _Pairs) -> None:
    from rapidfuzz import fuzz

    model = MODELS[entity]
    if entity == "account":
        query = select(model.id, model.name, model.name).where(_live(model)) \
            .order_by(func.lower(model.name), model.id)
    else:
        company = model.company if entity == "lead" else model.account_id
        query = select(model.id, func.trim(model.first_name + " " + model.last_name), company) \
            .where(_live(model)) \
            .order_by(func.lower(model.last_name), func.lower(model.first_name), model.id)
    window: list[tuple[int, str, object]] = []
    for record_id, name, group in s.execute(query).yield_per(2000):
        key = _normal(name, entity)
        if not key:
            continue
        for other_id, other_key, other_group in window:
            if entity != "account" and group and other_group and \
                    _normal(str(group), "account") != _normal(str(other_group), "account"):
                continue
            ratio = fuzz.token_sort_ratio(key, other_key)
            if ratio >= threshold:
                found.add(other_id, record_id, int(ratio), f"similar name ({int(ratio)}%)")
        window.append((record_id, key, group))
        if len(window) > WINDOW:
            window.pop(0)


def _normal(name: str | None, entity: str) -> str:
    """A name's words as search sees them (case and accents folded), an account's without
    its legal form."""
    from crmtui.domain.search import words

    text = " ".join(words(name))
    if entity == "account":
        text = " ".join(_SUFFIXES.sub(" ", text).split())
    return text


def find(s: Session, entity: str, *, threshold: int = 90, limit: int | None = None) -> list[Pair]:
    if entity not in MODELS:
        raise Invalid(f"duplicates are found among leads, contacts and accounts, not {plural(entity)}")
    if not 50 <= threshold <= 100:
        raise Invalid("threshold must be between 50 and 100", field="threshold", value=threshold)
    from crmtui.domain.conversion import FREE_MAIL

    model = MODELS[entity]
    found = _Pairs()
    if entity in ("lead", "contact"):
        _exact_groups(s, model, func.lower(model.email), "email", 100, found)
    phone_digits = _digits(model.phone)
    _exact_groups(s, model, phone_digits, "phone", 90, found)
    if entity == "account":
        _exact_groups(s, model, func.lower(model.domain), "domain", 85, found,
                      exclude=FREE_MAIL)
    _similar_names(s, entity, threshold, found)
    pairs = sorted(found.pairs.values(), key=lambda p: (-p.score, p.keep, p.other))
    if limit is not None:
        pairs = pairs[:limit]
    ids = {i for p in pairs for i in (p.keep, p.other)}
    names = {o.id: refs.display_name(o) for o in
             s.scalars(select(model).where(model.id.in_(list(ids))))} if ids else {}
    for p in pairs:
        p.keep_name, p.other_name = names.get(p.keep, ""), names.get(p.other, "")
    return pairs
