"""Merge keeps what it drops on record and brings a lead up to date; dupes fold accents and
skip erased people."""

from sqlalchemy import select

from crmtui.store.models import Account, ChangeLog, Contact, Lead


def _ada_twice(cli):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@engines.io", "--phone", "415 555 0101",
        "--company", "Engines", "--source", "web")
    cli("lead", "add", "Ada Lovelace", "--email", "ada.l@gmail.com", "--phone", "415 555 0102",
        "--company", "Analytical Engines Ltd", "--title", "CTO", "--source", "referral")


def _merge_rows(store, entity, record_id):
    with store.read() as s:
        return {(c.field, c.old) for c in s.scalars(select(ChangeLog).where(
            ChangeLog.entity == entity, ChangeLog.record_id == record_id,
            ChangeLog.action == "merge", ChangeLog.field.is_not(None)))}


def test_merge_lists_and_records_the_duplicates_conflicting_values(cli, store):
    _ada_twice(cli)
    out = cli.json("merge", "lead", "1", "2", "--yes")
    conflicts = {c["field"]: (c["kept"], c["dropped"]) for c in out["conflicts"]}
    assert conflicts == {"email": ("ada@engines.io", "ada.l@gmail.com"),
                         "phone": ("+14155550101", "+14155550102"),
                         "company": ("Engines", "Analytical Engines Ltd"),
                         "source": ("web", "referral")}
    assert out["filled"] == ["title"]
    assert _merge_rows(store, "lead", 1) == {
        ("email", "ada.l@gmail.com"), ("phone", "+14155550102"),
        ("company", "Analytical Engines Ltd"), ("source", "referral")}
    history = cli.json("history", "lead:1")
    assert {"action": "merge", "field": "email", "old": "ada.l@gmail.com"}.items() <= \
        next(h for h in history if h["field"] == "email").items()
    text = cli("merge", "lead", "1", "1", "--yes", code=1)  # still refused
    assert "itself" in text.stderr
    from crmtui.domain import timeline

    with store.read() as s:  # the record page's timeline names the field too
        texts = [e["text"] for e in timeline.events(s, "lead", 1)]
    assert any(t.startswith("merge dropped email: ada.l@gmail.com") for t in texts), texts


def test_merge_text_and_prompt_name_kept_and_dropped_values(cli, store):
    _ada_twice(cli)
    refused = cli("merge", "lead", "1", "2", code=2)  # no terminal: asks for --yes
    assert "email: kept ada@engines.io, dropped ada.l@gmail.com" in refused.stderr
    with store.read() as s:
        assert s.get(Lead, 2) is not None
    done = cli("merge", "lead", "1", "2", "--yes")
    assert "company: kept Engines, dropped Analytical Engines Ltd" in done.stderr
    assert "crm history lead:1" in done.stderr


def test_merge_prefer_other_records_keeps_value_once(cli, store):
    _ada_twice(cli)
    out = cli.json("merge", "lead", "1", "2", "--prefer", "other", "--yes")
    assert {"field": "email", "kept": "ada.l@gmail.com", "dropped": "ada@engines.io"} \
        in out["conflicts"]
    with store.read() as s:
        assert s.get(Lead, 1).email == "ada.l@gmail.com"
        edit = s.scalars(select(ChangeLog).where(ChangeLog.entity == "lead",
                                                 ChangeLog.record_id == 1,
                                                 ChangeLog.field == "email")).all()
    assert [(e.action, e.old, e.new) for e in edit] == [("edit", "ada@engines.io",
                                                         "ada.l@gmail.com")]


def test_merge_contacts_and_accounts_keep_dropped_values(cli, store):
    cli("account", "add", "Acme", "--domain", "acme.example", "--city", "Paris",
        "--external-id", "SF-1")
    cli("account", "add", "Acme Inc", "--domain", "acme.io", "--city", "Lyon",
        "--external-id", "SF-2")
    cli("contact", "add", "Grace Hopper", "--email", "grace@acme.example", "--account", "1")
    cli("contact", "add", "Grace Hopper", "--email", "grace@navy.mil", "--account", "2")
    out = cli.json("merge", "contact", "1", "2", "--yes")
    assert {c["field"]: (c["kept"], c["dropped"]) for c in out["conflicts"]} == {
        "email": ("grace@acme.example", "grace@navy.mil"),
        "account": ("Acme (#1)", "Acme Inc (#2)")}
    assert _merge_rows(store, "contact", 1) == {("email", "grace@navy.mil"),
                                                ("account_id", "2")}
    out = cli.json("merge", "account", "1", "2", "--yes")
    assert {c["field"]: (c["kept"], c["dropped"]) for c in out["conflicts"]} == {
        "name": ("Acme", "Acme Inc"), "domain": ("acme.example", "acme.io"),
        "city": ("Paris", "Lyon"), "external_id": ("SF-1", "SF-2")}
    assert ("external_id", "SF-2") in _merge_rows(store, "account", 1)
    with store.read() as s:
        assert s.get(Account, 2) is None and s.get(Contact, 2) is None


def test_merged_lead_follows_the_activity_rules(cli, store):
    cli("lead", "add", "Bob Byte", "--company", "X")
    cli("lead", "add", "Bob Byte", "--company", "X", "--email", "bob@x.example")
    cli("activity", "log", "call", "--subject", "hi", "--on", "lead:2")
    with store.read() as s:
        other = s.get(Lead, 2)
        when, score = other.last_activity_at, other.score
        assert other.status == "working" and when is not None
    out = cli.json("merge", "lead", "1", "2", "--yes")
    with store.read() as s:
        lead = s.get(Lead, 1)
        assert lead.status == "working"
        assert lead.last_activity_at == when
        assert lead.score == score  # same fields, same activity: same score
        status = s.scalars(select(ChangeLog).where(
            ChangeLog.entity == "lead", ChangeLog.record_id == 1,
            ChangeLog.field == "status")).all()
    assert [(c.action, c.old, c.new) for c in status] == [("edit", "new", "working")]
    assert not any(c["field"] == "status" for c in out["conflicts"])  # both working now


def test_merged_lead_keeps_a_qualified_duplicates_status_on_record(cli, store):
    cli("lead", "add", "Bob Byte", "--company", "X")
    cli("lead", "add", "Bob Byte", "--company", "X")
    cli("lead", "qualify", "2")
    out = cli.json("merge", "lead", "1", "2", "--yes")
    assert {"field": "status", "kept": "new", "dropped": "qualified"} in out["conflicts"]
    assert ("status", "qualified") in _merge_rows(store, "lead", 1)


def test_dupes_fold_accents(cli, store):
    cli("lead", "add", "José García", "--company", "Señal")
    cli("lead", "add", "Jose Garcia", "--company", "Senal")
    pairs = cli.json("dupes", "leads")
    assert [(p["keep"], p["other"], p["score"]) for p in pairs] == [(1, 2, 100)]
    cli("account", "add", "Müller GmbH")
    cli("account", "add", "Muller")
    assert [(p["keep"], p["other"]) for p in cli.json("dupes", "accounts")] == [(1, 2)]


def test_dupes_skip_erased_people(cli, store):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@x.example")
    cli("lead", "add", "Yorick Jester", "--email", "yorick@x.example")
    cli("contact", "add", "Ada Lovelace", "--email", "ada@x.example")
    cli("contact", "add", "Yorick Jester", "--email", "yorick@x.example")
    cli("privacy", "erase", "ada@x.example", "--yes")
    cli("privacy", "erase", "yorick@x.example", "--yes")
    with store.read() as s:
        assert {refs_name(lead) for lead in s.scalars(select(Lead))} == {"(erased)"}
    assert cli.json("dupes", "leads") == []
    assert cli.json("dupes", "contacts") == []
    cli("lead", "add", "Ada Lovelace")
    cli("lead", "add", "Ada Lovelace")
    assert [(p["keep"], p["other"]) for p in cli.json("dupes", "leads")] == [(3, 4)]


def refs_name(obj) -> str:
    from crmtui.domain import refs

    return refs.display_name(obj)
