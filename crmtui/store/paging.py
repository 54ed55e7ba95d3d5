"""Keyset pagination: pages continue after the last row seen, never by OFFSET.

Order is (column, id), NULLs sorting as the smallest value in both directions (NULLS FIRST
ascending, NULLS LAST descending) on every backend, so a page boundary on a NULL works.
"""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlalchemy.sql import ColumnElement


def order_by(column, id_column, descending: bool) -> list:
    if column is id_column:
        return [id_column.desc() if descending else id_column.asc()]
    if descending:
        return [column.desc().nulls_last(), id_column.desc()]
    return [column.asc().nulls_first(), id_column.asc()]


def after(column, id_column, descending: bool, last_value, last_id: int) -> ColumnElement:
    """Rows that come after (last_value, last_id) in `order_by(column, id_column, descending)`."""
    if column is id_column:
        return id_column < last_id if descending else id_column > last_id
    id_next = id_column < last_id if descending else id_column > last_id
    if last_value is None:
        if descending:  # NULLs are last: only later NULLs remain
            return and_(column.is_(None), id_next)
        return or_(column.is_not(None), and_(column.is_(None), id_next))
    if descending:
        return or_(column < last_value, and_(column == last_value, id_next), column.is_(None))
    return or_(column > last_value, and_(column == last_value, id_next))
