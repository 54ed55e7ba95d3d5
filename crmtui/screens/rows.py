"""The columns of each list and how a record becomes a table row (run in worker threads)."""

from __future__ import annotations

from rich.text import Text

from crmtui.domain.serialize import Names, prefetch_for
from crmtui.screens import present as p
from crmtui.widgets.vtable import Column, Row

COLUMNS: dict[str, list[Column]] = {
    "lead": [
        Column("id", "ID", 6, align="right", sort="id"),
        Column("name", "Name", 14, flex=3, sort="name"),
        Column("company", "Company", 12, flex=2, sort="company", drop=1),
        Column("email", "Email", 14, flex=2, sort="email", drop=3),
        Column("status", "Status", 12, sort="status"),
        Column("score", "Score", 5, align="right", sort="score"),
        Column("owner", "Owner", 9, sort="owner", drop=2),
        Column("source", "Source", 9, sort="source", drop=4),
    ],
    "account": [
        Column("id", "ID", 6, align="right", sort="id"),
        Column("name", "Name", 16, flex=3, sort="name"),
        Column("domain", "Domain", 14, flex=2, sort="domain", drop=2),
        Column("industry", "Industry", 13, sort="industry", drop=1),
        Column("city", "City", 10, flex=1, sort="city", drop=4),
        Column("country", "Country", 12, sort="country", drop=5),
        Column("owner", "Owner", 9, sort="owner", drop=3),
    ],
    "contact": [
        Column("id", "ID", 6, align="right", sort="id"),
        Column("name", "Name", 14, flex=2, sort="name"),
        Column("account", "Account", 14, flex=2, drop=1),
        Column("email", "Email", 16, flex=2, sort="email", drop=3),
        Column("title", "Title", 12, flex=1, sort="title", drop=2),
        Column("owner", "Owner", 9, sort="owner", drop=4),
    ],
    "opportunity": [
        Column("id", "ID", 6, align="right", sort="id"),
        Column("name", "Deal", 16, flex=3, sort="name"),
        Column("account", "Account", 12, flex=2, drop=3),
        Column("stage", "Stage", 13),
        Column("amount", "Amount", 12, align="right", sort="amount"),
        Column("close", "Close", 10, sort="close_date"),
        Column("owner", "Owner", 9, sort="owner", drop=2),
        Column("flags", "", 13, drop=1),
    ],
    "activity": [
        Column("id", "ID", 6, align="right", sort="id"),
        Column("kind", "Kind", 7, sort="kind"),
        Column("subject", "Subject", 16, flex=3, sort="subject"),
        Column("on", "On", 14, flex=2, drop=2),
        Column("due", "Due", 16, sort="due"),
        Column("status", "State", 6, drop=3),
        Column("owner", "Owner", 9, sort="owner", drop=1),
    ],
}

EMPTY = {  # (nothing at all, nothing matching)
    entity: (f"No {noun} yet. Press n to add one, or import them: crm import {command} FILE",
             f"No {noun} match. Press x to clear the filter and the search.")
    for entity, noun, command in (("lead", "leads", "leads"), ("account", "accounts", "accounts"),
                                  ("contact", "contacts", "contacts"),
                                  ("opportunity", "deals", "opportunities"),
                                  ("activity", "activities", "activities"))
}


def target_label(obj, names: Names) -> Text:
    for ref in ("opportunity", "contact", "lead", "account"):
        record_id = getattr(obj, f"{ref}_id")
        if record_id is not None:
            out = Text(f"{p.LABEL[ref].lower()} ", style="dim", end="")
            out.append_text(p.t(names.name(ref, record_id) or f"#{record_id}"))
            return out
    return Text("")


def cells(entity: str, obj, names: Names, facts: p.Facts) -> tuple[Text, ...]:
    today = facts.clock.today()
    if entity == "lead":
        name = f"{obj.first_name} {obj.last_name}".strip()
        return (Text(str(obj.id)), p.t(name, "bold"), p.t(obj.company), p.t(obj.email),
                p.status(obj.status), Text(str(obj.score)), p.t(obj.owner), p.t(obj.source))
    if entity == "account":
        return (Text(str(obj.id)), p.t(obj.name, "bold"), p.t(obj.domain), p.t(obj.industry),
                p.t(obj.city), p.t(obj.country), p.t(obj.owner))
    if entity == "contact":
        name = f"{obj.first_name} {obj.last_name}".strip()
        return (Text(str(obj.id)), p.t(name, "bold"), p.t(names.name("account", obj.account_id)),
                p.t(obj.email), p.t(obj.title), p.t(obj.owner))
    if entity == "opportunity":
        stage = facts.stages.get(obj.stage_id)
        kind = stage.kind if stage else "open"
        overdue = facts.overdue(obj)
        stage_text = p.t(stage.name if stage else "?", p.STATUS_STYLE.get(kind, ""))
        return (Text(str(obj.id)), p.t(obj.name, "bold"), p.t(names.name("account", obj.account_id)),
                stage_text, Text(p.money(obj.amount_minor)), p.date_text(obj.close_date, today,
                                                                      overdue=overdue),
                p.t(obj.owner), p.flags(bool(facts.stale(obj)), overdue))
    if entity == "activity":
        due = p.when(obj.due_at, facts.clock)
        late = obj.done_at is None and obj.due_at is not None and obj.due_at < facts.clock.now()
        return (Text(str(obj.id)), p.t(obj.kind), p.t(obj.subject, "bold"), target_label(obj, names),
                Text(due, style="bold red" if late else ""),
                p.status("done" if obj.done_at else "open"), p.t(obj.owner))
    raise AssertionError(entity)


def build(s, entity: str, objs: list, keys: list[tuple], facts: p.Facts) -> list[Row]:
    names = Names(s)
    prefetch_for(names, entity, objs)
    return [Row(id=obj.id, anchor=key, cells=cells(entity, obj, names, facts),
                data={"version": obj.version})
            for obj, key in zip(objs, keys)]
