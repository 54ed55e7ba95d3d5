"""One row, and one spelling, per owner in the reports grouped by owner.

Owners are free text on records, so one rep can be stored as "alan" and "Alan". The reports
grouped by owner (win-rate and velocity `--by owner`, activity) group them ignoring case
(and surrounding spaces), as attainment does, and show each group as:

- the team user's name, when a user with that name (ignoring case) exists;
- else the spelling most records in the group use, the smallest one on a tie.

Case is folded in Python (`str.lower`), not in SQL, so SQLite and PostgreSQL group alike.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmtui.reports.base import NONE_LABEL
from crmtui.store.models import User


class OwnerNames:
    def __init__(self, s: Session):
        self.users = {name.lower(): name for name in s.scalars(select(User.name)) if name}
        self.seen: dict[str, dict[str, int]] = {}

    def key(self, raw: str | None, count: int = 1) -> str | None:
        """The group of an owner as stored (None: no owner); `count` records spell it so."""
        text = (raw or "").strip()
        if not text:
            return None
        key = text.lower()
        spellings = self.seen.setdefault(key, {})
        spellings[text] = spellings.get(text, 0) + (count or 0)
        return key

    def name(self, key: str | None) -> str:
        if key is None:
            return NONE_LABEL
        if key in self.users:
            return self.users[key]
        spellings = self.seen.get(key) or {key: 0}
        return min(spellings, key=lambda text: (-spellings[text], text))
