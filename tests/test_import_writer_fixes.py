"""Importer writer: a closed deal's history starts in the stage it closed from; one update is
one version; unchanged rows are not counted as skipped in `crm import history`."""

from __future__ import annotations

from sqlalchemy import select

from crmtui.store.models import Stage, StageChange

LATE_LOSS = (
    "Deal - Title,Deal - Organization,Deal - Value,Deal - Stage,Deal - Status,"
    "Deal - Deal created,Deal - Expected close date,Deal - Lost time,Deal - Lost reason\n"
    "Late loss,Acme,1000,Negotiation,lost,2026-01-10 09:00:00,2026-06-30,"
    "2026-06-20 10:00:00,Price\n"
    "Plain loss,Acme,500,,lost,2026-01-11 09:00:00,2026-06-30,2026-06-21 10:00:00,Price\n")


def _history(store, deal_id):
    with store.read() as s:
        names = {st.id: st.name for st in s.scalars(select(Stage))}
        rows = s.scalars(select(StageChange).where(StageChange.opportunity_id == deal_id)
                         .order_by(StageChange.id)).all()
        return [(names.get(r.from_stage_id), names.get(r.to_stage_id),
                 r.at.strftime("%Y-%m-%d %H:%M")) for r in rows]


def _lost_here(cli):
    rows = cli.json("report", "win-rate", "--by", "stage-lost-at")["rows"]
    return {r["stage"]: r["lost_here"] for r in rows}


def test_a_closed_pipedrive_deal_is_created_and_closed_in_its_named_stage(cli, store, tmp_path):
    path = tmp_path / "la.csv"
    path.write_text(LATE_LOSS)
    cli("import", "opportunities", path, "--create-missing")
    assert _history(store, 1) == [(None, "Negotiation", "2026-01-10 09:00"),
                                  ("Negotiation", "Lost", "2026-06-20 10:00")]
    # no stage named: created in the first stage, as before
    assert _history(store, 2) == [(None, "Prospecting", "2026-01-11 09:00"),
                                  ("Prospecting", "Lost", "2026-06-21 10:00")]
    assert _lost_here(cli) == {"Prospecting": 1, "Qualification": 0, "Proposal": 0,
                               "Negotiation": 1}
    funnel = {r["stage"]: r["reached"] for r in cli.json("report", "funnel")["rows"]}
    assert funnel["Negotiation"] == 1 and funnel["Proposal"] == 1
    # the stage is in the history, not repeated in extra
    assert cli.json("opp", "show", "1")["extra"] == {}


def test_crmtui_stage_before_close_column_starts_the_history_there(cli, store, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("name,account,stage,status,stage_before_close,created_at,closed_at,"
                    "lost_reason\n"
                    "A,Acme,Lost,lost,Proposal,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,Price\n"
                    "B,Acme,Won,won,qualification,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,\n"
                    "C,Acme,Won,won,Nowhere,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,\n"
                    "D,Acme,Proposal,open,Negotiation,2025-01-01T00:00:00Z,,\n")
    cli("import", "opportunities", path, "--create-missing")
    assert [h[:2] for h in _history(store, 1)] == [(None, "Proposal"), ("Proposal", "Lost")]
    assert [h[:2] for h in _history(store, 2)] == [(None, "Qualification"),
                                                   ("Qualification", "Won")]
    # a name that is no open stage, or an open deal: kept in extra, history as before
    assert [h[:2] for h in _history(store, 3)] == [(None, "Prospecting"), ("Prospecting", "Won")]
    deals = {d["name"]: d["extra"] for d in cli.json("opp", "list")}
    assert deals == {"A": {}, "B": {}, "C": {"stage_before_close": "Nowhere"},
                     "D": {"stage_before_close": "Negotiation"}}


def test_one_import_update_bumps_the_version_once(cli, store, tmp_path):
    first, second = tmp_path / "v1.csv", tmp_path / "v2.csv"
    first.write_text("email,name,title,color\nv@x.example,Vic Tor,CTO,red\n")
    second.write_text("email,name,title,color\nv@x.example,Vic Tor,CFO,green\n")
    cli("import", "leads", first)
    assert cli.json("lead", "show", "1")["version"] == 1
    out = cli.json("import", "leads", second, "--on-conflict", "update")
    assert out["updated"] == 1
    lead = cli.json("lead", "show", "1")
    assert (lead["version"], lead["title"], lead["extra"]) == (2, "CFO", {"color": "green"})
    # only extra changes: still one
    first.write_text("email,name,title,color\nv@x.example,Vic Tor,CFO,blue\n")
    cli("import", "leads", first, "--on-conflict", "update")
    assert cli.json("lead", "show", "1")["version"] == 3
    # only a field changes: one
    first.write_text("email,name,title,color\nv@x.example,Vic Tor,CEO,blue\n")
    cli("import", "leads", first, "--on-conflict", "update")
    assert cli.json("lead", "show", "1")["version"] == 4
    # and undo of such an update still restores both
    batch = cli.json("import", "history")[0]["id"]
    cli("import", "undo", str(batch), "--yes")
    lead = cli.json("lead", "show", "1")
    assert (lead["title"], lead["extra"]) == ("CFO", {"color": "blue"})


def test_history_counts_unchanged_rows_apart_from_skipped_ones(cli, store, tmp_path,
                                                               monkeypatch):
    path = tmp_path / "l.csv"
    path.write_text("email,name\na@x.example,A A\nb@x.example,B B\n")
    cli("import", "leads", path)
    again = cli.json("import", "leads", path, "--on-conflict", "update")
    assert (again["skipped"], again["unchanged"]) == (0, 2)
    skip = cli.json("import", "leads", path, "--on-conflict", "skip")
    history = cli.json("import", "history")
    by_id = {h["id"]: h for h in history}
    assert (by_id[again["batch"]]["skipped"], by_id[again["batch"]]["unchanged"]) == (0, 2)
    assert (by_id[skip["batch"]]["skipped"], by_id[skip["batch"]]["unchanged"]) == \
        (skip["skipped"], skip["unchanged"])
    monkeypatch.setenv("COLUMNS", "200")
    table = cli("import", "history").stdout
    assert "Unchanged" in table and "Skipped" in table
    line = next(ln for ln in table.splitlines() if ln.strip("│ ").startswith(str(again["batch"])))
    assert [c.strip() for c in line.split("│")][5:9] == ["0", "0", "2", "0"]
