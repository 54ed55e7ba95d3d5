"""The team: users who own records.

A store without users is single-user: `owner` is free text and every list shows everything.
Once the team has users (`crm user add`), it is in team mode:
- an owner must name an active user (matched ignoring case, stored as the user's name);
  records, quotas and imports follow the same rule (`owner_value`);
- who you are comes from CRMTUI_USER or `user = ...` in config.toml (`crm whoami`); a new
  record without an owner is yours, and a write that would make it yours is refused while
  you are not an active user of the team (`default_owner`), rather than leaving it unowned;
  with nobody set, it is left unowned;
- lists and the app show your records by default; `--team` (or choosing an owner) shows
  everyone's.
"""

from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import records
from crmtui.domain.identity import current_user
from crmtui.errors import Conflict, Invalid, NotFound
from crmtui.store.models import User

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def team_mode(s: Session) -> bool:
    return s.scalar(select(User.id).limit(1)) is not None


def find(s: Session, name: str, *, active_only: bool = False) -> User | None:
    query = select(User).where(func.lower(User.name) == (name or "").strip().lower())
    if active_only:
        query = query.where(User.active.is_(True))
    return s.scalars(query).first()


def _active_names(s: Session) -> str:
    return ", ".join(u.name for u in list_users(s) if u.active) or "none"


def owner_value(s: Session, value: str | None) -> str | None:
    """The owner to store for `value`: any text in single-user mode, an active user in team
    mode (stored as the user's name)."""
    if value is None or not team_mode(s):
        return value
    user = find(s, value)
    if user is None:
        raise Invalid(f"owner: {value!r} is not a user of this team", field="owner",
                      value=value, hint=f"active users: {_active_names(s)}; add one with "
                                        "`crm user add NAME`")
    if not user.active:
        raise Invalid(f"owner: {user.name} is inactive: new records cannot be given to them",
                      field="owner", value=value,
                      hint=f"active users: {_active_names(s)}; or `crm user activate "
                           f"{user.name}`")
    return user.name


def identity_source() -> str | None:
    """Where `current_user()` comes from: CRMTUI_USER, config.toml, or nowhere."""
    if os.environ.get("CRMTUI_USER"):
        return "CRMTUI_USER"
    return "config.toml" if current_user() else None


def default_owner(s: Session) -> str | None:
    """The owner of a new record given none: you. Any text in single-user mode; in team mode
    you must be an active user, else the write is refused (Invalid) instead of leaving the
    record unowned. Nobody set (no CRMTUI_USER, no `user` in config.toml): None."""
    me = current_user()
    if me is None:
        return None
    if not team_mode(s):
        return me
    user = find(s, me)
    where = "CRMTUI_USER" if identity_source() == "CRMTUI_USER" else "`user` in config.toml"
    if user is None:
        raise Invalid(f"owner: you are {me!r} ({where}), who is not a user of this team, so "
                      "a new record cannot default to you", field="owner", value=me,
                      hint=f"give an owner (--owner NAME; active users: {_active_names(s)}), "
                           f"set {where} to your user name, or `crm user add {me}`")
    if not user.active:
        raise Invalid(f"owner: you are {user.name} ({where}), who is inactive, so a new "
                      "record cannot default to you", field="owner", value=me,
                      hint=f"give an owner (--owner NAME; active users: {_active_names(s)}), "
                           f"or `crm user activate {user.name}`")
    return user.name


def mine_filter(s: Session) -> str | None:
    """The owner a list shows by default: you, in team mode; nobody (everything) otherwise.

    Finding you among the users implies team mode, so this is one query when you are set
    and none when you are not (every list runs it)."""
    me = current_user()
    user = find(s, me) if me else None
    return user.name if user else None


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(func.lower(User.name))))


def add(s: Session, name: str, *, full_name: str | None = None, email: str | None = None,
        source: str = "cli") -> User:
    name = (name or "").strip()
    if not name or not set(name.lower()) <= NAME_CHARS:
        raise Invalid(f"name: {name!r} is not a user name", field="name", value=name,
                      hint="use letters, digits and . _ - @ (e.g. ada or ada.lovelace)")
    if find(s, name):
        raise Conflict(f"there is already a user {name!r}")
    if email:
        from crmtui.domain.values import parse_email

        email = parse_email(email)
    user = User(name=name, full_name=(full_name or "").strip() or None, email=email, active=True)
    s.add(user)
    s.flush()
    records.log(s, "user", user.id, "create", new=name, source=source)
    return user


def set_active(s: Session, name: str, active: bool, *, source: str = "cli") -> User:
    user = find(s, name)
    if user is None:
        raise NotFound(f"no user {name!r}", hint="see `crm user list`")
    if user.active != active:
        records.log(s, "user", user.id, "edit", field="active", old=user.active, new=active,
                    source=source)
        user.active = active
        user.version += 1
    return user


def assignable(s: Session, owners_used: list[str]) -> list[str]:
    """Whom records can be given to, for suggestions: in team mode the active users (the
    rule of `owner_value`), else the owners already used, one spelling each."""
    team = [u.name for u in list_users(s) if u.active]
    if team:
        return team
    first: dict[str, str] = {}
    for owner in owners_used:
        first.setdefault(owner.lower(), owner)
    return list(first.values())


def open_work(s: Session, name: str) -> dict[str, int]:
    """What a user still owns that is not finished: open deals, leads still being worked
    (new, working, qualified) and open tasks (owner compared ignoring case, as owners are)."""
    from crmtui.domain import leads
    from crmtui.store.models import Activity, Lead, Opportunity, Stage

    def owned(model):
        return func.lower(model.owner) == name.strip().lower()

    return {
        "open deal": s.scalar(select(func.count()).select_from(Opportunity).where(
            owned(Opportunity), Opportunity.stage_id.in_(
                select(Stage.id).where(Stage.kind == "open")))) or 0,
        "lead being worked": s.scalar(select(func.count()).select_from(Lead).where(
            owned(Lead), Lead.status.in_(leads.OPEN))) or 0,
        "open task": s.scalar(select(func.count()).select_from(Activity).where(
            owned(Activity), Activity.kind == "task", Activity.done_at.is_(None))) or 0,
    }


def whoami(s: Session) -> dict:
    me = current_user()
    user = find(s, me) if me else None
    return {"user": user.name if user else me, "known": user is not None, "full_name": user.full_name if user else None,
            "team_mode": team_mode(s),
            "active": bool(user.active) if user else None, "source": identity_source()}


def as_dict(user: User) -> dict:
    return {"id": user.id, "name": user.name, "full_name": user.full_name, "email": user.email,
            "active": user.active}
