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
