"""Who is working: the default owner of new records and the actor in the edit history."""

from __future__ import annotations

from crmtui import config


def current_user() -> str | None:
    return config.user()
