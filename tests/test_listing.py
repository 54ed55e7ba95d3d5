"""Filters, sorting and keyset paging of `list` (and the domain listing behind it)."""

from datetime import datetime, timedelta, timezone

from crmtui.domain import listing, records
from crmtui.store.models import Lead


def add_leads(store, n):
    with store.write() as s:
        for i in range(n):
            records.create(s, "lead", {"first_name": f"P{i}", "last_name": f"L{i % 7}",
                                       "company": None if i % 5 == 0 else f"Co{i % 3}",
                                       "owner": "ada" if i % 2 else "bob",
                                       "source": "web" if i % 3 else "referral"})


def walk(store, **kw):
    """All ids, page by page, through keyset cursors."""
    seen, after = [], None
    while True:
        with store.read() as s:
            page = listing.page(s, listing.ListQuery("lead", after=after, **kw))
        seen += [r.id for r in page.rows]
        if page.next_after is None:
            return seen
        after = page.next_after


def test_keyset_pages_cover_every_row_once_in_order(store):
    add_leads(store, 53)
    for sort in ("id", "name", "company", "score", "created"):
        for desc in (False, True):
            ids = walk(store, sort=sort, descending=desc, limit=7)
            assert sorted(ids) == list(range(1, 54)), (sort, desc)
            with store.read() as s:
                rows = {r.id: r for r in s.query(Lead)}
            column = listing.SORTS["lead"][sort]
            keys = [((getattr(rows[i], column) is not None), getattr(rows[i], column) or 0
                     if column == "score" else getattr(rows[i], column) or "", i) for i in ids]
            if not desc:
                assert keys == sorted(keys), sort
            else:
                assert [k[:2] for k in keys] == sorted([k[:2] for k in keys], reverse=True), sort


def test_filters_combine(store):
    add_leads(store, 30)
    with store.read() as s:
        page = listing.page(s, listing.ListQuery("lead", {"owner": "ADA", "source": "referral"},
                                                 limit=100))
    assert page.rows and all(r.owner == "ada" and r.source == "referral" for r in page.rows)
    assert len(page.rows) == len([i for i in range(30) if i % 2 and not i % 3])


def test_more_count_and_next_cursor(cli, store):
    add_leads(store, 12)
    result = cli("lead", "list", "--limit", "5")
    assert "7 more; next page: --after 5" in result.stderr
    ids = [r["id"] for r in cli.json("lead", "list", "--limit", "5", "--after", "5")]
    assert ids == [6, 7, 8, 9, 10]
    assert cli("lead", "list", "--after", "999", code=1).stderr.count("no longer exists")


def test_count_is_capped(store, monkeypatch):
    add_leads(store, 12)
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    with store.read() as s:
        page = listing.page(s, listing.ListQuery("lead", limit=2))
    assert page.capped and page.more_label() == "5+"


def test_search_filter_uses_full_text_index(cli, store):
    cli("lead", "add", "Ada Lovelace", "--company", "Analytical Engines",
        "--phone", "+1 (415) 555-0132")
    cli("lead", "add", "Charles Babbage", "--notes", "met at the difference engine expo")
    names = lambda q: [r["name"] for r in cli.json("lead", "list", "--search", q)]  # noqa: E731
    assert names("ada lov") == ["Ada Lovelace"]
    assert names("engine") == ["Ada Lovelace", "Charles Babbage"]
    assert names("555-0132") == ["Ada Lovelace"]
    assert names("4155550132") == ["Ada Lovelace"]
    cli("lead", "edit", "1", "--company", "Mills")
    assert names("analytical") == []
    cli("lead", "delete", "2", "--yes")
    assert names("babbage") == []


def test_since_and_tag_filters(cli, store):
    cli("lead", "add", "Old Lead", "--tags", "vip, emea")
    with store.write() as s:
        s.get(Lead, 1).created_at = datetime.now(timezone.utc) - timedelta(days=30)
    cli("lead", "add", "New Lead", "--tags", "emea")
    recent = cli.json("lead", "list", "--since", "-7d" if False else "7 days ago")
    assert [r["name"] for r in recent] == ["New Lead"]
    assert [r["name"] for r in cli.json("lead", "list", "--tag", "VIP")] == ["Old Lead"]
    assert len(cli.json("lead", "list", "--tag", "emea")) == 2


def test_opportunity_filters(cli, store):
    cli("account", "add", "Acme")
    cli("opp", "add", "Open late", "--account", "Acme", "--close-date", "2020-01-01")
    cli("opp", "add", "Won one", "--amount", "5")
    cli("opp", "win", "Won one")
    assert [r["name"] for r in cli.json("opp", "list", "--overdue")] == ["Open late"]
    assert [r["name"] for r in cli.json("opp", "list", "--status", "won")] == ["Won one"]
    assert [r["name"] for r in cli.json("opp", "list", "--account", "Acme")] == ["Open late"]
    assert [r["name"] for r in cli.json("opp", "list", "--stage", "won")] == ["Won one"]
    bad = cli("opp", "list", "--sort", "color", code=1)
    assert "cannot sort" in bad.stderr


def test_stale_filter(cli, store):
    from crmtui.store.models import Opportunity

    cli("opp", "add", "Fresh")
    cli("opp", "add", "Rotting")
    with store.write() as s:
        s.get(Opportunity, 2).stage_entered_at = datetime.now(timezone.utc) - timedelta(days=20)
    stale = cli.json("opp", "list", "--stale")
    assert [r["name"] for r in stale] == ["Rotting"]
    assert "20 days in Prospecting" in stale[0]["stale_reasons"][0]


def test_due_before_a_day_includes_all_of_that_day(store):
    """'Due on or before 2030-03-14' lists the tasks due at 16:00 that day, not only those due
    by the 09:00 a date alone means for a new task; an explicit time is still a cut-off."""
    from crmtui.domain import activities, dates

    day = datetime(2030, 3, 14)
    with store.write() as s:
        for subject, at in (("early", day.replace(hour=8)), ("late", day.replace(hour=16)),
                            ("last minute", day.replace(hour=23, minute=59)),
                            ("next day", day + timedelta(days=1, hours=9))):
            activities.add(s, "task", subject, due=dates.localize(at))

    def subjects(value):
        with store.read() as s:
            page = listing.page(s, listing.ListQuery("activity", {"due_before": value},
                                                     limit=50))
            return sorted(a.subject for a in page.rows)

    assert subjects("2030-03-14") == ["early", "last minute", "late"]
    assert subjects("2030-03-14T12:00") == ["early"]
    assert subjects("2030-03-15") == ["early", "last minute", "late", "next day"]
