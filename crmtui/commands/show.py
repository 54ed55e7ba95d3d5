"""`crm X show`: one record's fields, its related records and its timeline."""

from __future__ import annotations

from crmtui.commands import output

SECTION_COLUMNS = {
    "contacts": ("contact", [("id", "ID"), ("name", "Name"), ("email", "Email"),
                             ("title", "Title")]),
    "open_opportunities": ("opportunity", [("id", "ID"), ("name", "Name"), ("stage", "Stage"),
                                           ("amount_display", "Amount"), ("close_date", "Close"),
                                           ("flags", "")]),
    "closed_opportunities": ("opportunity", [("id", "ID"), ("name", "Name"), ("stage", "Stage"),
                                             ("amount_display", "Amount"),
                                             ("closed_at", "Closed")]),
    "opportunities": ("opportunity", [("id", "ID"), ("name", "Name"), ("stage", "Stage"),
                                      ("amount_display", "Amount"), ("close_date", "Close")]),
    "open_tasks": ("activity", [("id", "ID"), ("kind", "Kind"), ("subject", "Subject"),
                                ("due_display", "Due")]),
    "recent_activities": ("activity", [("id", "ID"), ("kind", "Kind"), ("subject", "Subject"),
                                       ("done_at", "Done")]),
}
HIDDEN = {"id", "version", "extra", "created_at", "updated_at"}


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def render(entity: str, record: dict, extras: dict) -> None:
    from rich.text import Text

    from crmtui.commands.crud import display_row

    con = output.console()
    title = f"{entity} {record['id']}: {record.get('name') or record.get('subject') or ''}"
    pairs = []
    for key, value in record.items():
        if key in HIDDEN or key.endswith("_id") and key != "external_id":
            continue
        if key == "stale_reasons":
            value = "; ".join(value)
        pairs.append((_label(key), value))
    for key, value in (record.get("extra") or {}).items():
        pairs.append((f"{key} (imported)", value))
    stamps = output.human_times([record], ("created_at", "updated_at"))[0]
    pairs.append(("Created", stamps["created_at"]))
    pairs.append(("Updated", f"{stamps['updated_at']} (version {record.get('version')})"))
    con.print(output.fields_panel(pairs, title))
    for section, (sub_entity, columns) in SECTION_COLUMNS.items():
        block = extras.get(section)
        if not block or not block["count"]:
            continue
        rows = [display_row(dict(r), sub_entity) for r in block["items"]]
        more = block["count"] - len(rows)
        heading = _label(section) + (f" ({block['count']})" if more > 0 else "")
        con.print(output.table(rows, columns, title=heading, right={"id", "amount_display"}))
    events = extras.get("timeline") or []
    if events:
        con.print(output.table(output.human_times(events), [("at", "When"), ("type", "What"),
                                                            ("text", "")],
                               title="Timeline", limit=100))
    elif "timeline" in extras:
        con.print(Text("No activity yet.", style="dim"))
