"""Saved filters ("views") for lists: a name, a record type, filters and a sort.

User views live in `filters.json` in the data folder, written 0600 and replaced atomically.
A few built-in views exist for every record type (they cannot be deleted; saving a view with
the same name overrides one for you).

Filter values may hold placeholders, resolved each time the view is applied so that
"closing this month" stays true next month:

- `@me` -- the configured user (`user` in config.toml or CRMTUI_USER); without one the
  owner condition is dropped;
- `@today`, `@month_start`, `@month_end`, `@quarter_start`, `@quarter_end` -- local dates.

Filter names and sorts are those of `crm X list` (`fields.FILTERS`, `listing.SORTS`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from crmtui.domain.fields import FILTERS
from crmtui.domain.words import plural
from crmtui.errors import Invalid

FILENAME = "filters.json"
PLACEHOLDERS = ("@me", "@today", "@month_start", "@month_end", "@quarter_start", "@quarter_end")


@dataclass
class SavedFilter:
    name: str
    entity: str
    filters: dict = field(default_factory=dict)
    sort: str = "id"
    descending: bool = False
    builtin: bool = False


BUILTIN: tuple[SavedFilter, ...] = (
    SavedFilter("My open deals closing this month", "opportunity",
                {"owner": "@me", "status": "open", "closing_after": "@month_start",
                 "closing_before": "@month_end"}, sort="close_date", builtin=True),
    SavedFilter("Open deals closing this quarter", "opportunity",
                {"status": "open", "closing_after": "@quarter_start",
                 "closing_before": "@quarter_end"}, sort="close_date", builtin=True),
    SavedFilter("Stale deals", "opportunity", {"stale": True}, sort="id", descending=True,
                builtin=True),
    SavedFilter("Overdue deals", "opportunity", {"overdue": True}, sort="close_date",
                builtin=True),
    SavedFilter("Won deals", "opportunity", {"status": "won"}, sort="closed_at",
                descending=True, builtin=True),
    SavedFilter("My new leads", "lead", {"owner": "@me", "status": "new"}, sort="score",
                descending=True, builtin=True),
    SavedFilter("Qualified leads", "lead", {"status": "qualified"}, sort="score",
                descending=True, builtin=True),
    SavedFilter("My accounts", "account", {"owner": "@me"}, sort="name", builtin=True),
    SavedFilter("My contacts", "contact", {"owner": "@me"}, sort="name", builtin=True),
    SavedFilter("My open tasks", "activity", {"owner": "@me", "kind": "task", "status": "open"},
                sort="due", builtin=True),
    SavedFilter("Open activities", "activity", {"status": "open"}, sort="due", builtin=True),
)


def path() -> Path:
    from crmtui.paths import data_dir

    return data_dir() / FILENAME


def _read() -> list[SavedFilter]:
    file = path()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise Invalid(f"cannot read saved filters from {file}: {exc}",
                      hint="fix or delete the file") from None
    out = []
    for item in data.get("filters", []) if isinstance(data, dict) else []:
        try:
            out.append(SavedFilter(name=str(item["name"]), entity=str(item["entity"]),
                                   filters=dict(item.get("filters") or {}),
                                   sort=str(item.get("sort") or "id"),
                                   descending=bool(item.get("descending"))))
        except (KeyError, TypeError, ValueError):
            continue  # one damaged entry does not hide the others
    return out


def _write(items: list[SavedFilter]) -> None:
    from crmtui.paths import ensure_private_dir, open_private

    file = path()
    ensure_private_dir(file.parent)
    tmp = file.with_name(file.name + ".tmp")
    with open_private(tmp, "w", encoding="utf-8") as fh:
        payload = [{k: v for k, v in asdict(f).items() if k != "builtin"} for f in items]
        json.dump({"version": 1, "filters": payload}, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    os.replace(tmp, file)


def all_for(entity: str) -> list[SavedFilter]:
    """The views of a record type: yours first, then the built-in ones you have not overridden."""
    mine = [f for f in _read() if f.entity == entity]
    names = {f.name.lower() for f in mine}
    return mine + [f for f in BUILTIN if f.entity == entity and f.name.lower() not in names]


def check(entity: str, filters: dict, sort: str) -> None:
    from crmtui.domain.listing import SORTS

    if entity not in FILTERS:
        raise Invalid(f"unknown record type {entity!r}")
    for key in filters:
        if key not in FILTERS[entity]:
            raise Invalid(f"{plural(entity)} cannot be filtered by {key}",
                          hint="filters: " + ", ".join(FILTERS[entity]))
    if sort not in SORTS[entity]:
        raise Invalid(f"cannot sort {plural(entity)} by {sort!r}")


def save(name: str, entity: str, filters: dict, *, sort: str = "id",
         descending: bool = False) -> SavedFilter:
    """Save (or replace) the view `name` of `entity`."""
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("name: a saved filter needs a name", field="name")
    if len(name) > 80:
        raise Invalid("name: at most 80 characters", field="name")
    kept = {k: v for k, v in filters.items() if v not in (None, "", False)}
    check(entity, kept, sort)
    view = SavedFilter(name=name, entity=entity, filters=kept, sort=sort,
                       descending=bool(descending))
    items = [f for f in _read() if not (f.entity == entity and f.name.lower() == name.lower())]
    items.append(view)
    _write(items)
    return view


def delete(name: str, entity: str) -> None:
    items = _read()
    kept = [f for f in items if not (f.entity == entity and f.name.lower() == name.lower())]
    if len(kept) == len(items):
        if any(f.entity == entity and f.name.lower() == name.lower() for f in BUILTIN):
            raise Invalid(f"{name!r} is built in and cannot be deleted",
                          hint="save a view with the same name to change it")
        raise Invalid(f"no saved filter named {name!r}")
    _write(kept)


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _month_end(d: date) -> date:
    nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def drops_me(filters: dict, *, user: str | None = None) -> bool:
    """Whether `resolve` drops an `@me` condition of these filters (nobody is set)."""
    from crmtui.domain.identity import current_user

    return "@me" in filters.values() and not (user if user is not None else current_user())


def resolve(filters: dict, *, today: date | None = None, user: str | None = None) -> dict:
    """The filters with placeholders replaced, ready for `listing` (an unknown user drops `@me`)."""
    from crmtui.domain import dates
    from crmtui.domain.identity import current_user

    today = today or dates.local_today()
    user = user if user is not None else current_user()
    q_start = _quarter_start(today)
    q_end = _month_end(date(q_start.year, q_start.month + 2, 1))
    table = {"@today": today, "@month_start": today.replace(day=1),
             "@month_end": _month_end(today), "@quarter_start": q_start, "@quarter_end": q_end}
    out = {}
    for key, value in filters.items():
        if value == "@me":
            if user:
                out[key] = user
        elif isinstance(value, str) and value in table:
            out[key] = table[value].isoformat()
        else:
            out[key] = value
    return out
