"""The demo store: its denormalised activity dates agree with the activities written."""

from __future__ import annotations

from sqlalchemy import text

from crmtui.domain import demo


def test_demo_last_activity_dates_match_the_activities(store):
    counts = demo.generate(store, seed=3, leads=300)
    assert counts["activities"] > 0
    with store.read() as s:
        for table, column in (("opportunity", "opportunity_id"), ("lead", "lead_id")):
            wrong = s.execute(text(
                f"SELECT count(*) FROM {table} t LEFT JOIN (SELECT {column} AS id, "
                f"max(done_at) AS at FROM activity WHERE {column} IS NOT NULL "
                f"GROUP BY {column}) a ON a.id = t.id "
                "WHERE a.at IS NOT NULL AND (t.last_activity_at IS NULL "
                "OR t.last_activity_at <> a.at)")).scalar()
            assert wrong == 0, table
            touched = s.execute(text(
                f"SELECT count(*) FROM {table} WHERE last_activity_at IS NOT NULL")).scalar()
            assert touched > 0, table


def test_demo_has_nothing_in_the_future_that_an_import_would_refuse(store):
    """A lead converted in the last three days was given a conversion time in the future,
    so exporting the demo and importing it again stopped at that row."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from crmtui.store.models import Lead

    now = datetime.now(timezone.utc)
    demo.generate(store, seed=5, leads=2000, now=now)
    with store.read() as s:
        converted = list(s.scalars(select(Lead).where(Lead.status == "converted")))
        assert converted
        assert all(lead.created_at <= lead.converted_at <= now for lead in converted)
