"""The headless modules behind the app: windows of a listing, bulk changes, saved views,
and noticing writes from elsewhere."""

from __future__ import annotations

import os
import stat
from datetime import date

import pytest
from sqlalchemy import func, select

from crmtui.domain import browse, bulkops, listing, records, savedfilters
from crmtui.errors import Conflict, Invalid, NotFound
from crmtui.store.models import ChangeLog, Lead, Opportunity, Stage, StageChange


def add_leads(store, n):
    with store.write() as s:
        for i in range(n):
            records.create(s, "lead", {"first_name": f"P{i}", "last_name": f"L{i % 7}",
                                       "company": None if i % 5 == 0 else f"Co{i % 3}",
                                       "owner": "ada" if i % 2 else "bob"})


def walk(store, backward=False, **kw):
    """Every id, window by window, in display order."""
    seen, anchor = [], None
    while True:
        with store.read() as s:
            w = browse.window(s, "lead", anchor=anchor, backward=backward, limit=4, **kw)
        ids = [r.id for r in w.rows]
        seen = (ids + seen) if backward else (seen + ids)
        if not w.more:
            return seen
        anchor = w.keys[0] if backward else w.keys[-1]


@pytest.mark.parametrize("sort", ["id", "name", "company", "score"])
@pytest.mark.parametrize("descending", [False, True])
def test_windows_walk_both_ways_in_the_same_order_as_listing(store, sort, descending):
    add_leads(store, 23)
    forward = walk(store, sort=sort, descending=descending)
    backward = walk(store, backward=True, sort=sort, descending=descending)
    with store.read() as s:
        page = listing.page(s, listing.ListQuery("lead", sort=sort, descending=descending,
                                                 limit=100))
    assert forward == backward == [r.id for r in page.rows]


def test_window_anchor_may_be_deleted_and_can_be_included(store):
    add_leads(store, 10)
    with store.read() as s:
        w = browse.window(s, "lead", sort="company", limit=10)
    anchor = w.keys[4]
    with store.write() as s:
        records.delete(s, "lead", anchor[1])
    with store.read() as s:
        after = browse.window(s, "lead", sort="company", anchor=anchor, limit=3)
        inclusive = browse.window(s, "lead", sort="company", anchor=w.keys[5], inclusive=True,
                                  limit=2)
        before, capped = browse.count_before(s, "lead", {}, w.keys[5], sort="company")
    assert [r.id for r in after.rows] == [k[1] for k in w.keys[5:8]]
    assert inclusive.rows[0].id == w.keys[5][1]
    assert (before, capped) == (4, False)


def test_counts_are_capped(store):
    add_leads(store, 12)
    with store.read() as s:
        assert browse.count(s, "lead", {}, cap=5) == (5, True)
        assert browse.count(s, "lead", {"owner": "ada"}) == (6, False)


def test_distinct_values_by_index_probes(store):
    add_leads(store, 9)
    with store.read() as s:
        assert browse.distinct_values(s, "lead", "owner") == ["ada", "bob"]


def test_stage_totals(store):
    with store.write() as s:
        for amount in ("10", "20.50"):
            records.create(s, "opportunity", {"name": f"D{amount}", "amount": amount})
    with store.read() as s:
        stages = browse.board_stages(s, 1)
        totals = browse.stage_totals(s, [st.id for st in stages])
    assert totals[stages[0].id] == {"count": 2, "amount_minor": 3050}
    assert totals[stages[1].id] == {"count": 0, "amount_minor": 0}


# -- bulk changes ---------------------------------------------------------------------------

def test_bulk_owner_and_tag_write_history_and_bump_versions(store):
    add_leads(store, 4)
    with store.write() as s:
        result = bulkops.assign_owner(s, "lead", [1, 2, 3], "zoe", source="app")
    assert result.changed == [1, 2, 3] and result.unchanged == []
    with store.write() as s:
        again = bulkops.assign_owner(s, "lead", [1, 4], "zoe", source="app")
        tagged = bulkops.add_tag(s, "lead", [1, 2], "VIP, hot", source="app")
        twice = bulkops.add_tag(s, "lead", [1], "vip", source="app")
    assert again.unchanged == [1] and again.changed == [4]
    assert tagged.changed == [1, 2] and twice.unchanged == [1]
    with store.read() as s:
        assert s.get(Lead, 1).tags == "VIP,hot"
        assert s.get(Lead, 1).version == 3
        logs = s.scalars(select(ChangeLog).where(ChangeLog.field == "owner",
                                                 ChangeLog.source == "app")).all()
        assert sorted(log.record_id for log in logs) == [1, 2, 3, 4]


def test_bulk_changes_are_all_or_nothing(store):
    add_leads(store, 3)
    with pytest.raises(NotFound):
        with store.write() as s:
            bulkops.assign_owner(s, "lead", [1, 2, 99], "zoe")
    with store.read() as s:
        assert {lead.owner for lead in s.scalars(select(Lead))} == {"ada", "bob"}
    with pytest.raises(Invalid, match="activities have no tags"):
        with store.write() as s:
            bulkops.add_tag(s, "activity", [1], "x")
    with pytest.raises(Invalid, match="nothing selected"):
        with store.write() as s:
            bulkops.assign_owner(s, "lead", [], "zoe")


def test_bulk_move_stage_records_stage_changes_and_refuses_lost(store):
    with store.write() as s:
        ids = [records.create(s, "opportunity", {"name": f"D{i}"}).id for i in range(3)]
    with store.write() as s:
        result = bulkops.move_stage(s, ids, "proposal", source="app")
        names = bulkops.stage_names(s, ids)
    assert result.changed == ids
    assert "Lost" not in names and "Won" in names
    with store.read() as s:
        for deal_id in ids:
            assert s.get(Stage, s.get(Opportunity, deal_id).stage_id).name == "Proposal"
        assert s.scalar(select(func.count()).select_from(StageChange)
                        .where(StageChange.source == "app")) == 3
    with pytest.raises(Invalid, match="needs a reason"):
        with store.write() as s:
            bulkops.move_stage(s, ids, "Lost")
    with store.write() as s:
        won = bulkops.move_stage(s, ids[:1], "Won", source="app")
    with store.read() as s:
        assert won.changed == ids[:1]
        assert s.get(Opportunity, ids[0]).closed_at is not None


def test_bulk_delete_names_the_record_that_blocks_it(store):
    from crmtui.domain import activities

    add_leads(store, 3)
    with store.write() as s:
        activities.add(s, "call", "Hello", on=("lead", 2))
    with store.read() as s:
        assert bulkops.delete_preview(s, "lead", [1, 2]) == {"activities": 1}
    with pytest.raises(Conflict, match=r"lead 2 \(P1 L1\).*nothing was deleted"):
        with store.write() as s:
            bulkops.delete_many(s, "lead", [1, 2])
    with store.write() as s:
        result = bulkops.delete_many(s, "lead", [1, 2], related="delete", source="app")
    assert result.changed == [1, 2]
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1


# -- saved views ----------------------------------------------------------------------------

def test_saved_filters_round_trip_privately(crm_home):
    view = savedfilters.save("  My  big deals ", "opportunity", {"status": "open", "tag": "",
                                                                  "owner": "@me"},
                             sort="amount", descending=True)
    assert view.name == "My big deals" and view.filters == {"status": "open", "owner": "@me"}
    path = crm_home / "filters.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    mine = savedfilters.all_for("opportunity")
    assert mine[0] == view and any(f.builtin for f in mine)
    savedfilters.save("my big deals", "opportunity", {"status": "won"})  # replaces, any case
    assert [f.filters for f in savedfilters.all_for("opportunity") if not f.builtin] == \
        [{"status": "won"}]
    savedfilters.delete("MY BIG DEALS", "opportunity")
    assert not [f for f in savedfilters.all_for("opportunity") if not f.builtin]


def test_saved_filters_refuse_what_lists_refuse(crm_home):
    with pytest.raises(Invalid, match="cannot be filtered by stage"):
        savedfilters.save("x", "lead", {"stage": "Won"})
    with pytest.raises(Invalid, match="cannot sort"):
        savedfilters.save("x", "lead", {}, sort="amount")
    with pytest.raises(Invalid, match="needs a name"):
        savedfilters.save("  ", "lead", {})
    with pytest.raises(Invalid, match="built in"):
        savedfilters.delete("Stale deals", "opportunity")
    (crm_home).mkdir(parents=True, exist_ok=True)
    (crm_home / "filters.json").write_text("{not json")
    with pytest.raises(Invalid, match="cannot read saved filters"):
        savedfilters.all_for("lead")


def test_saved_filter_placeholders_resolve_against_today(monkeypatch):
    monkeypatch.setenv("CRMTUI_USER", "ada")
    resolved = savedfilters.resolve(
        {"owner": "@me", "closing_after": "@month_start", "closing_before": "@quarter_end",
         "status": "open"}, today=date(2026, 2, 14))
    assert resolved == {"owner": "ada", "closing_after": "2026-02-01",
                        "closing_before": "2026-03-31", "status": "open"}
    monkeypatch.delenv("CRMTUI_USER")
    assert savedfilters.resolve({"owner": "@me"}, today=date(2026, 12, 31)) == {}
    assert savedfilters.resolve({"closing_before": "@month_end"},
                                today=date(2026, 12, 5)) == {"closing_before": "2026-12-31"}


def test_builtin_views_are_valid_listings(store):
    for view in savedfilters.BUILTIN:
        with store.read() as s:
            listing.page(s, listing.ListQuery(view.entity, savedfilters.resolve(view.filters),
                                              sort=view.sort, descending=view.descending))


# -- watching the store ---------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_watcher_sees_commits_from_other_connections(store):
    from crmtui.store.migrate import open_store
    from crmtui.store.watch import Watcher

    watcher = Watcher(store)
    try:
        assert watcher.supported and not watcher.changed()
        other = open_store(str(store.path))
        try:
            with other.write() as s:
                records.create(s, "lead", {"last_name": "Elsewhere"})
        finally:
            other.close()
        assert watcher.changed()
        assert not watcher.changed()
        with store.read() as s:  # reading changes nothing
            s.scalar(select(func.count()).select_from(Lead))
        assert not watcher.changed()
    finally:
        watcher.close()


def test_history_and_timeline_speak_in_fields_and_formatted_values(store, cli):
    from crmtui.domain import related, timeline

    with store.write() as s:
        acme = records.create(s, "account", {"name": "Acme"}).id
        beta = records.create(s, "account", {"name": "Beta"}).id
        deal = records.create(s, "opportunity", {"name": "Big", "amount": "27,000",
                                                 "account": str(acme)}).id
    with store.write() as s:
        records.update(s, "opportunity", deal, {"amount": "26000", "account": "Beta",
                                                "probability": "40"})
        version = s.get(Opportunity, deal).version
    with store.read() as s:
        texts = [e["text"] for e in timeline.events(s, "opportunity", deal)]
        page = related.for_record(s, "opportunity", s.get(Opportunity, deal))
        machine = timeline.history(s, "opportunity", deal)
        human = timeline.history(s, "opportunity", deal, human=True)
    assert any(t.startswith("amount: 27,000.00 -> 26,000.00") for t in texts), texts
    assert any(t.startswith("account: Acme -> Beta") for t in texts), texts
    assert any(t.startswith("probability: - -> 40%") for t in texts), texts
    assert not any("_minor" in t or "account_id" in t for t in texts)
    by_field = {h["field"]: h for h in machine if h["action"] == "edit"}
    assert (by_field["amount"]["old"], by_field["amount"]["new"]) == ("27000.00", "26000.00")
    assert (by_field["account_id"]["old"], by_field["account_id"]["new"]) == (str(acme),
                                                                              str(beta))
    human_by_field = {h["field"]: h for h in human if h["action"] == "edit"}
    assert human_by_field["amount"]["new"] == "26,000.00"
    assert human_by_field["account"]["new"] == "Beta"
    assert [e["text"] for e in page["timeline"]] == texts  # the record page and `show`

    out = cli("history", f"opp:{deal}").stdout
    assert "27,000.00" in out and "26,000.00" in out and "amount_minor" not in out
    data = cli.json("history", f"opp:{deal}")
    assert {"field": "amount", "old": "27000.00", "new": "26000.00"}.items() <= \
        next(h for h in data if h["field"] == "amount").items()

    with pytest.raises(Conflict) as caught, store.write() as s:
        records.update(s, "opportunity", deal, {"name": "Bigger"},
                       expected_version=version - 1)
    assert "amount" in caught.value.message and "amount_minor" not in caught.value.message
    assert "account_id" not in caught.value.message


def test_deals_filter_by_when_they_closed(store, cli):
    from datetime import timedelta

    from crmtui.domain import dates, opportunities

    with store.write() as s:
        old = records.create(s, "opportunity", {"name": "Old win"}).id
        new = records.create(s, "opportunity", {"name": "New loss"}).id
        records.create(s, "opportunity", {"name": "Still open"})
        opportunities.win(s, old)
        opportunities.lose(s, new, "timing")
        s.get(Opportunity, old).closed_at = dates.utcnow() - timedelta(days=200)
    with store.read() as s:
        def ids(**filters):
            page = listing.page(s, listing.ListQuery("opportunity", filters=filters, limit=50))
            return {r.id for r in page.rows}

        assert ids(closed_after="-90d") == {new}
        assert ids(closed_before="-90d") == {old}
        assert ids(closed_after="-365d", closed_before="today") == {old, new}
    listed = cli.json("opp", "list", "--closed-after", "-90d")
    assert [d["id"] for d in listed] == [new]
    assert cli("opp", "list", "--closed-after", "someday", code=1).stderr


def test_bulk_changes_report_progress(store):
    add_leads(store, 5)
    with store.read() as s:
        ids = [lead.id for lead in s.scalars(select(Lead).order_by(Lead.id))]
    seen = []
    with store.write() as s:
        bulkops.add_tag(s, "lead", ids, "vip", progress=lambda n, total: seen.append((n, total)))
    assert seen == [(n, 5) for n in range(1, 6)]
    seen.clear()
    with store.write() as s:
        bulkops.delete_many(s, "lead", ids[:2], progress=lambda n, total: seen.append((n, total)))
    assert seen == [(1, 2), (2, 2)]
