"""crm import of other CRMs' exports: their headers, their values (probabilities written as
fractions, task statuses and activity types), as Salesforce, HubSpot and Pipedrive write them."""

from __future__ import annotations

import pytest

from crmtui.importer.mapping import plan


# -- HubSpot's "Deal probability" holds fractions 0..1: 1 is 100 %, never 1 % -----------------

HS_DEALS = ("Record ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Deal owner,Create Date,"
            "Deal probability,Associated Company,Closed Lost Reason,Deal Type\n"
            "9001,Initech upgrade,Appointment Scheduled,Sales Pipeline,1500,2026-12-31,ada,"
            "2026-09-01,0.2,Initech,,newbusiness\n"
            "9002,Initech renewal,Closed Won,Sales Pipeline,2500.5,2026-08-31,ada,2026-05-01,1,"
            "Initech,,existingbusiness\n")


def test_hubspot_probability_one_is_a_hundred_percent(cli, store, tmp_path):
    path = tmp_path / "hs_deals.csv"
    path.write_text(HS_DEALS)
    cli("import", "opportunities", path, "--map", "Pipeline=-", "--create-missing")
    cli("opp", "reopen", "Initech renewal", "--stage", "Negotiation")
    deal = cli.json("opp", "show", "Initech renewal")
    # 1 is 100 %, the won stage's own probability: no override, so the reopened deal takes
    # its new stage's probability (it kept a 1 % override before)
    assert deal["probability_override"] is None and deal["probability"] > 1
    assert cli.json("opp", "show", "Initech upgrade")["probability_override"] == 20


@pytest.mark.parametrize("header", ["Deal probability", "hs_deal_stage_probability",
                                    "Deal Stage Probability"])
def test_fraction_columns_read_zero_and_one_as_fractions(cli, store, tmp_path, header):
    path = tmp_path / "d.csv"
    path.write_text(f"Deal Name,Associated Company,Deal Stage,{header}\n"
                    "A,Acme,Proposal,1\nB,Acme,Proposal,1.0\nC,Acme,Proposal,0\n"
                    "D,Acme,Proposal,0.0\nE,Acme,Proposal,.25\nF,Acme,Proposal,1.\n"
                    "G,Acme,Proposal,30\nH,Acme,Proposal,1%\n")
    cli("import", "opportunities", path, "--create-missing")
    got = {d["name"]: d["probability_override"] for d in cli.json("opp", "list")}
    assert got == {"A": 100, "B": 100, "C": 0, "D": 0, "E": 25, "F": 100, "G": 30, "H": 1}


def test_fraction_column_with_decimal_comma(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Deal Name;Associated Company;Deal Stage;Deal probability\n"
                    "A;Acme;Proposal;0,2\nB;Acme;Proposal;1\n")
    cli("import", "opportunities", path, "--create-missing", "--decimal-comma")
    got = {d["name"]: d["probability_override"] for d in cli.json("opp", "list")}
    assert got == {"A": 20, "B": 100}


def test_percent_columns_keep_one_as_one_percent(cli, store, tmp_path):
    """Salesforce's `Probability (%)`, Pipedrive's `Deal - Probability` and a plain
    `Probability` column hold percents: there 1 is 1 %."""
    path = tmp_path / "d.csv"
    path.write_text("Deal - Title,Deal - Organization,Deal - Stage,Deal - Probability\n"
                    "A,Acme,Proposal,1\nB,Acme,Proposal,40\n")
    cli("import", "opportunities", path, "--create-missing")
    path = tmp_path / "e.csv"
    path.write_text("Opportunity Name,Account Name,Stage,Probability (%)\n"
                    "C,Acme,Proposal,1\n")
    cli("import", "opportunities", path)
    got = {d["name"]: d["probability_override"] for d in cli.json("opp", "list")}
    assert got == {"A": 1, "B": 40, "C": 1}


# -- headers Salesforce, HubSpot and Pipedrive write --------------------------------------------

@pytest.mark.parametrize("entity, header, field", [
    ("lead", "Company / Account", "company"),
    ("lead", "Lead Owner", "owner"),
    ("lead", "Mobile", "phone"),
    ("lead", "Description", "notes"),
    ("lead", "Lead ID", "external_id"),
    ("lead", "Country/Region", "country"),
    ("contact", "Account Name", "account"),
    ("contact", "Mailing City", "extra.Mailing City"),
    ("contact", "Person - Organization", "account"),
    ("contact", "Person - Owner", "owner"),
    ("contact", "Person - ID", "external_id"),
    ("account", "Company name", "name"),
    ("account", "Organization - Name", "name"),
    ("account", "Organization - Owner", "owner"),
    ("account", "Organization - ID", "external_id"),
    ("account", "Billing City", "city"),
    ("opportunity", "Deal - ID", "external_id"),
    ("opportunity", "Deal - Stage", "stage"),
    ("opportunity", "Deal - Pipeline", "pipeline"),
    ("opportunity", "Deal - Probability", "probability"),
    ("opportunity", "Probability (%)", "probability"),
    ("opportunity", "Deal owner", "owner"),
    ("activity", "Activity ID", "external_id"),
    ("activity", "Assigned To", "owner"),
    ("activity", "Date Completed", "done_at"),
    ("activity", "Comments", "body"),
    ("activity", "Company / Account", "account"),
    ("activity", "Assigned", "owner"),
    ("activity", "Task Title", "subject"),
    ("activity", "Associated Company", "account"),
    ("activity", "Associated Contact", "contact"),
    ("activity", "Associated Deal", "opportunity"),
    ("contact", "Mobile Phone Number", "phone"),
    ("contact", "Person - First name", "first_name"),
    ("contact", "Person - Last name", "last_name"),
])
def test_other_crms_headers(entity, header, field):
    p = plan(entity, [header], {})
    assert p.targets == [field]


def test_salesforce_leads_report_company_account(cli, store, tmp_path):
    path = tmp_path / "sf.csv"
    path.write_text('"Lead ID","First Name","Last Name","Company / Account","Email"\n'
                    '"00Q1","Ada","Lovelace","Analytical Engines","ada@analytical.example"\n')
    out = cli.json("import", "leads", path)
    assert out["mapping"]["Company / Account"] == "company"
    lead = cli.json("lead", "list")[0]
    assert lead["company"] == "Analytical Engines" and not lead.get("extra")


# -- Salesforce/HubSpot task statuses and activity types ----------------------------------------

SF_TASKS = "Activity ID,Subject,Type,Due Date,Status,Contact,Account,Date Completed,Assigned To," \
           "Comments\n"


def test_salesforce_task_statuses(cli, store, tmp_path):
    cli("account", "add", "Acme")
    cli("contact", "add", "Ada Lovelace", "--account", "Acme")
    path = tmp_path / "tasks.csv"
    path.write_text(SF_TASKS
                    + "00T1,Call Ada,Call,2026-01-10,Completed,Ada Lovelace,Acme,2026-01-10,,\n"
                    + "00T2,Send quote,Email,2030-01-11,Not Started,Ada Lovelace,Acme,,,\n"
                    + "00T3,Meet,Meeting,2030-01-12,In Progress,Ada Lovelace,Acme,,,x\n"
                    + "00T4,Chase,Other,2030-01-13,Waiting on someone else,,Acme,,,\n"
                    + "00T5,Later,Call,2030-01-14,Deferred,,Acme,,,\n"
                    + "00T6,Done,Task,2026-01-14,Completed,,Acme,,,\n")
    out = cli.json("import", "activities", path)
    assert out["inserted"] == 6, out
    got = {a["subject"]: (a["kind"], a["done_at"] is not None)
           for a in cli.json("activity", "list")}
    assert got == {"Call Ada": ("call", True), "Send quote": ("email", False),
                   "Meet": ("meeting", False), "Chase": ("task", False),
                   "Later": ("call", False), "Done": ("task", True)}


@pytest.mark.parametrize("text, want", [
    ("Completed", "done"), ("COMPLETED", "done"), ("Complete", "done"), ("done", "done"),
    ("Not Started", "open"), ("NOT_STARTED", "open"), ("In Progress", "open"),
    ("IN_PROGRESS", "open"), ("Waiting on someone else", "open"), ("WAITING", "open"),
    ("Deferred", "open"), ("DEFERRED", "open"), ("open", "open"), ("To do", "open"),
])
def test_activity_status_values(text, want):
    from crmtui.importer.rows import activity_status

    assert activity_status(text) == want


@pytest.mark.parametrize("text, want", [
    ("Call", "call"), ("Email", "email"), ("Meeting", "meeting"), ("Note", "note"),
    ("Task", "task"), ("CALL", "call"), ("INCOMING_EMAIL", "email"),
    ("FORWARDED_EMAIL", "email"), ("List Email", "email"), ("Other", "task"),
    ("To-do", "task"), ("deadline", "task"), ("lunch", "meeting"), ("Phone call", "call"),
])
def test_activity_kind_values(text, want):
    from crmtui.importer.rows import activity_kind

    assert activity_kind(text) == want


def test_unknown_activity_status_and_kind_still_refused(cli, store, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Subject,Type,Status\nA,Call,Sleeping\nB,Fax,Completed\n")
    result = cli("import", "activities", path, "--json", code=None)
    assert result.exit_code != 0
    text = result.stdout + result.stderr
    assert "Sleeping" in text and "Fax" in text
