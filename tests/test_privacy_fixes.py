"""Privacy erase/export: mentions on the person's employer account, the history of records
merged into the person, and the lead score after an erase."""

import json

from sqlalchemy import select

from crmtui.domain import leads
from crmtui.store.models import Activity, ChangeLog, Contact, Lead

from tests.test_privacy import store_text

ZOE = "zoe.mueller@acme-gmbh.de"
ORG_CHART = ("Zoë Müller (zoe.mueller@acme-gmbh.de) reports to CFO; Zoe Muller is decision "
             "maker; ZOE MUELLER signs")


def setup_employee(cli):
    """A lead converted onto an existing company account and contact, and notes on the
    account (one naming her in several spellings, one about a colleague) and elsewhere."""
    cli("lead", "add", "Zoë Müller", "--email", ZOE, "--phone", "+49 30 1234-5678",
        "--company", "Acme GmbH", "--title", "Head of Sales", "--source", "referral")
    cli("account", "add", "ACME GmbH", "--domain", "acme-gmbh.de")
    cli("contact", "add", "Zoe Mueller", "--account", "1", "--email", "ZOE.Mueller@Acme-GmbH.de")
    cli("lead", "convert", "1", "--amount", "5000")
    lead = cli.json("lead", "show", "1")
    contact, account, deal = (lead["converted_contact_id"], lead["converted_account_id"],
                              lead["converted_opportunity_id"])
    cli("activity", "log", "note", "--on", f"account:{account}", "--subject", "Org chart",
        "--body", ORG_CHART)
    cli("activity", "log", "note", "--on", f"opp:{deal}", "--subject", "Pricing for Zoe Muller")
    cli("activity", "log", "note", "--on", f"account:{account}", "--subject", "Max Muster",
        "--body", "Max Muster runs purchasing; Zoe's deputy")
    # a namesake on another company's account is not her
    cli("account", "add", "Other Co")
    other = cli.json("account", "list")
    other_id = next(a["id"] for a in other if a["name"] == "Other Co")
    cli("activity", "log", "note", "--on", f"account:{other_id}", "--subject", "Zoe Muller",
        "--body", "another Zoe Muller, zoe@other.example")
    return contact, account


def activity(s, subject_start):
    return next(a for a in s.scalars(select(Activity).order_by(Activity.id))
                if (a.subject or "").startswith(subject_start))


def test_notes_on_the_employer_account_are_exported_and_scrubbed(cli, store):
    contact, account = setup_employee(cli)
    assert [h["ref"] for h in cli.json("search", ZOE) if h["ref"].startswith("activity")]
    export = json.loads(cli("privacy", "export", f"contact:{contact}").stdout)
    mentioning = sorted(a["subject"] for a in export["activities_mentioning_person"])
    assert mentioning == ["Org chart", "Pricing for Zoe Muller"]
    assert "Max Muster runs" not in json.dumps(export)
    assert "another Zoe Muller" not in json.dumps(export)

    result = cli.json("privacy", "erase", f"contact:{contact}", "--yes")
    assert result["activities_scrubbed"] == 2
    with store.read() as s:
        note = activity(s, "Org chart")
        assert note.body == ("(erased) ((erased)) reports to CFO; (erased) is decision maker; "
                             "(erased) signs")
        assert note.account_id == account
        assert activity(s, "Pricing for").subject == "Pricing for (erased)"
        assert activity(s, "Max Muster").body == "Max Muster runs purchasing; Zoe's deputy"
        namesake = activity(s, "Zoe Muller")
        assert namesake.body == "another Zoe Muller, zoe@other.example"
    for word in (ZOE, "müller", "muller", "mueller"):
        hits = [h["ref"] for h in cli.json("search", word)]
        assert all(not h.startswith("activity") or h.endswith(str(namesake.id)) for h in hits), (
            word, hits)
    assert cli.json("search", ZOE) == []
    after = store_text(store)
    assert "zoe.mueller" not in after and "zoë müller" not in after
    assert "another zoe muller" in after


def test_history_of_records_merged_into_the_person_is_exported_and_erased(cli, store):
    contact, account = setup_employee(cli)
    dup = cli("contact", "add", "Zoe Muller", "--account", str(account), "--phone",
              "+1 212 555 0199", "--title", "VP Sales", "--email", "zoe@zoe-home.net"
              ).stdout.strip()
    cli("contact", "edit", dup, "--phone", "+1 212 555 0100")
    older = cli("contact", "add", "Zoe M.", "--email", "zm@old-job.example").stdout.strip()
    cli("contact", "edit", older, "--phone", "+1 303 555 0111")
    cli("merge", "contact", dup, older, "--yes")     # a chain: older -> dup -> contact
    cli("merge", "contact", str(contact), dup, "--yes")
    stranger = cli("contact", "add", "Stranger Danger", "--email", "s@x.example"
                   ).stdout.strip()  # on SQLite it may get a merged-away id again
    cli("contact", "edit", stranger, "--phone", "+1 999 555 0123")

    export = json.loads(cli("privacy", "export", f"contact:{contact}").stdout)
    rows = {(h["entity"], h["record_id"], h["action"], h["field"], h["old"], h["new"])
            for h in export["history"]}
    assert ("contact", int(dup), "edit", "phone", "+12125550199", "+12125550100") in rows
    assert ("contact", int(older), "edit", "phone", None, "+13035550111") in rows
    assert ("contact", int(dup), "delete", None, "Zoe Muller", None) in rows
    assert "Stranger" not in json.dumps(export) and "5550123" not in json.dumps(export)

    assert cli.json("privacy", "erase", f"contact:{contact}", "--yes")["merged_records"] == 2
    after = "\n".join(line for line in store_text(store).splitlines()
                      if "another zoe muller" not in line)  # the namesake's note stays
    for secret in ("2125550199", "2125550100", "3035550111", "zoe@zoe-home.net",
                   "zm@old-job", "zoe muller", "zoe m."):
        assert secret not in after, [line for line in after.splitlines() if secret in line]
    with store.read() as s:
        stranger_rows = s.execute(select(ChangeLog.field, ChangeLog.new).where(
            ChangeLog.entity == "contact", ChangeLog.record_id == int(stranger),
            ChangeLog.field == "phone")).all()
        assert [(f, (n or "").replace(" ", "")) for f, n in stranger_rows][-1] == (
            "phone", "+19995550123"), stranger_rows
        assert s.get(Contact, int(stranger)).last_name == "Danger"
    for merged in (dup, older):
        # leaving out the stranger's rows, if SQLite gave them the merged id again
        history = [h for h in cli.json("history", f"contact:{merged}")
                   if "5550123" not in str(h["new"]).replace(" ", "")]
        assert all(h["old"] is None and h["new"] is None for h in history), history


def test_erased_lead_gets_its_score_recomputed(cli, store):
    setup_employee(cli)
    before = cli.json("lead", "show", "1")["score"]
    cli("privacy", "erase", ZOE, "--yes")
    with store.read() as s:
        lead = s.get(Lead, 1)
        stored = lead.score
        expected = leads.refresh_score(s, lead)
    assert stored == expected and stored < before
    assert cli.json("lead", "show", "1")["score"] == expected


def test_mentions_fold_accents_case_and_spacing_but_keep_other_words():
    from crmtui.domain.privacy import Mentions

    m = Mentions({"Zoë Müller", "Müller, Zoë"}, {"zoe.mueller@acme-gmbh.de"})
    decomposed = "Zoe\u0308 Mu\u0308ller"  # the accents written as their own characters
    assert m.replace(f"ZOË  MÜLLER, zoe muller, Zoe Mueller, {decomposed}; Muller, Zoe") == (
        "(erased), (erased), (erased), (erased); (erased)")
    assert m.replace("Mail ZOE.MUELLER@ACME-GMBH.DE now") == "Mail (erased) now"
    for other in ("Zoe Mullerson", "Zoë", "Müller", "Chloe Muller", "xzoe muller"):
        assert m.replace(other) == other
    assert m.replace({"k": ["Zoë Müller"]}) == {"k": ["(erased)"]}
    assert Mentions({"Hans Groß"}, ()).replace("hans gross and HANS GROSS") == (
        "(erased) and (erased)")
