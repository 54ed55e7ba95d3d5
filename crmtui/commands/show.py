"""`crm X show`: one record's fields, its related records and its timeline."""

from __future__ import annotations

import re

from crmtui.commands import output

SECTION_COLUMNS = {
    "contacts": ("contact", [("id", "ID"), ("name", "Name"), ("email", "Email"),
                             ("title", "Title")]),
    "open_opportunities": ("opportunity", [("id", "ID"), ("name", "Name"), ("stage", "Stage"),
                                           ("amount_display", "Amount"), ("close_date", "Close"),
                                           ("flags", "Flags")]),
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
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)")


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _human(entity: str, record: dict, key: str, value):
    """A value as lists show it: amounts with thousands separators (and the currency),
    timestamps in local time without seconds."""
    from crmtui.domain import values
    from crmtui.domain.fields import FIELDS

    money = {spec.name for spec in FIELDS.get(entity, ()) if spec.kind == "money"}
    if (key in money or key == "weighted_amount") and isinstance(value, str) and value:
        currency = record.get("currency") if entity == "opportunity" else None
        return values.money_human(values.to_minor(values.parse_money(value)), currency)
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):
        return output.human_times([{key: value}], (key,))[0][key]
    return value


def _human_rows(entity: str, rows: list[dict]) -> list[dict]:
    return [{k: _human(entity, row, k, v) for k, v in row.items()} for row in rows]


def _became(items: list[dict]) -> str:
    from crmtui.domain.refs import LABELS

    return ", ".join(f"{LABELS[i['type']]} {i['id']} ({i['name']})" for i in items)


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
        pairs.append((_label(key), _human(entity, record, key, value)))
        if key == "converted_at" and extras.get("converted_into"):
            pairs.append(("Became", _became(extras["converted_into"])))
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
        rows = _human_rows(sub_entity, [display_row(dict(r), sub_entity)
                                        for r in block["items"]])
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
