"""Small reads of the store for tests that check it after a command."""

from __future__ import annotations

from sqlalchemy import func, select


def get(store, model, record_id):
    with store.read() as s:
        return s.get(model, record_id)


def count(store, model, *where):
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))
