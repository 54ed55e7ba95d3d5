"""add / list / show / edit / delete for a record type, built from its field specs.

The options of `add` and `edit` are generated from `crmtui.domain.fields`, so the CLI,
the importer and the app all name fields the same way and a new field appears everywhere.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import (
    JsonOpt, YesOpt, confirm, handle, read_text_arg, store_session,
)
from crmtui.domain.fields import FIELDS, settable
from crmtui.domain.words import a, plural

NOUN = {"lead": "lead", "account": "account", "contact": "contact", "opportunity": "opp",
        "activity": "activity"}

TABLE_COLUMNS = {
    "lead": [("id", "ID"), ("name", "Name"), ("company", "Company"), ("email", "Email"),
             ("status", "Status"), ("score", "Score"), ("owner", "Owner")],
    "account": [("id", "ID"), ("name", "Name"), ("domain", "Domain"), ("industry", "Industry"),
                ("city", "City"), ("owner", "Owner")],
    "contact": [("id", "ID"), ("name", "Name"), ("account", "Account"), ("email", "Email"),
                ("title", "Title"), ("owner", "Owner")],
    "opportunity": [("id", "ID"), ("name", "Name"), ("account", "Account"), ("stage", "Stage"),
                    ("amount_display", "Amount"), ("close_date", "Close"), ("owner", "Owner"),
                    ("flags", "Flags")],
    "activity": [("id", "ID"), ("kind", "Kind"), ("subject", "Subject"), ("on", "On"),
                 ("due_display", "Due"), ("status", "Status"), ("owner", "Owner")],
}
RIGHT = {"id", "score", "amount_display"}

FILTER_HELP = {
    "status": "Only this status",
    "owner": "Only records of this owner",
    "source": "Only this lead source",
    "industry": "Only this industry",
    "search": "Full-text search (name, email, company, phone, notes; words are prefixes)",
    "since": "Created on or after this date",
    "tag": "Only records with this tag",
    "account": "Only records of this account (id, external id or name)",
    "stage": "Only deals in this stage",
    "pipeline": "Only deals in this pipeline",
    "stale": "Only stale deals (too long in stage or without activity)",
    "overdue": "Only open deals whose expected close date has passed",
    "closing_before": "Expected close on or before this date",
    "closing_after": "Expected close on or after this date",
    "closed_after": "Won or lost on or after this date",
    "closed_before": "Won or lost on or before this date",
    "kind": "Only this kind of activity",
    "on": "Only activities on this record (lead:12, account:Acme, opp:45)",
    "due_before": "Due on or before this date",
}
BOOL_FILTERS = {"stale", "overdue"}


def display_row(row: dict, entity: str) -> dict:
    """Add the human-only columns of a table (formatted amounts, flags)."""
    from crmtui.domain import dates, values

    if entity == "opportunity":
        minor = values.to_minor(values.parse_money(row["amount"])) if row.get("amount") else 0
        row["amount_display"] = values.money_human(minor, row.get("currency"))
        flags = [f for f in ("stale", "overdue") if row.get(f)]
        row["flags"] = " ".join(flags)
    elif entity == "activity":
        from datetime import datetime

        due = row.get("due")
        row["due_display"] = dates.human(datetime.fromisoformat(due.replace("Z", "+00:00"))) if due else ""
    return row


def _make(fn, params: list[inspect.Parameter]):
    fn.__signature__ = inspect.Signature(params)
    fn.__annotations__ = {p.name: p.annotation for p in params}
    return fn


def _opt(name: str, annotation, default, *decls: str, help: str = "", **kw) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=typer.Option(default, *decls, help=help, **kw))


def _field_params(entity: str) -> list[inspect.Parameter]:
    params = []
    for spec in settable(entity):
        if spec.required and spec.name == "name":
            continue
        params.append(_opt(spec.name, Optional[str], None, spec.option, help=spec.help))
    return params


def _format_params() -> list[inspect.Parameter]:
    return [
        _opt("json_", bool, False, "--json", help="Print JSON (stable keys, see README)"),
        _opt("jsonl", bool, False, "--jsonl", help="Print JSON Lines"),
        _opt("csv_", bool, False, "--csv", help="Print CSV with a header row"),
    ]


def _values(entity: str, kwargs: dict) -> dict[str, Any]:
    names = {spec.name for spec in settable(entity)}
    out = {k: v for k, v in kwargs.items() if k in names and v is not None}
    if "body" in out:
        out["body"] = read_text_arg(out["body"])
    return out


def _name_values(entity: str, name: str, raw: dict) -> dict:
    from crmtui.domain.values import split_name

    if entity in ("lead", "contact"):
        first, last = split_name(name)
        raw.setdefault("first_name", first)
        raw.setdefault("last_name", last)
    else:
        raw["name"] = name
    return raw


def add_command(app: typer.Typer, entity: str, *, example: str) -> None:
    label = "full name" if entity in ("lead", "contact") else "name"

    @handle
    def add(**kwargs):
        from crmtui.domain import records

        raw = _name_values(entity, kwargs.pop("name"), _values(entity, kwargs))
        with store_session(write=True) as s:
            obj = records.create(s, entity, raw)
            record = records.to_dict(s, entity, obj)
        _print_saved(record, entity, "added", output.pick(kwargs["json_"], False, False))

    params = [inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str,
                                default=typer.Argument(..., help=f"The {entity}'s {label}"))]
    params += _field_params(entity)
    params.append(_opt("json_", bool, False, "--json", help="Print the new record as JSON"))
    app.command("add", help=f"Add {a(entity)}; prints its id.\n\nExample: {example}")(
        _make(add, params))


def _print_saved(record: dict, entity: str, verb: str, fmt: str) -> None:
    if fmt == "json":
        output.write(output.dumps(record))
    else:
        output.write(str(record["id"]))
        from crmtui.domain.refs import LABELS

        output.note(f"{verb} {LABELS[entity]} {record['id']}: {record.get('name') or record.get('subject')}")


def list_command(app: typer.Typer, entity: str) -> None:
    from crmtui.domain.fields import FILTERS

    filters = FILTERS[entity]

    @handle
    def list_(**kwargs):
        from crmtui.domain import listing, records
        from crmtui.domain.serialize import Names, keys, prefetch_for
        from crmtui.domain.words import plural

        fmt = output.pick(kwargs["json_"], kwargs["jsonl"], kwargs["csv_"])
        query = listing.ListQuery(
            entity=entity,
            filters={f: kwargs.get(f) for f in filters},
            sort=kwargs["sort"], descending=kwargs["desc"], limit=kwargs["limit"],
            after=kwargs["after"],
        )
        mine = None
        with store_session() as s:
            if not query.filters.get("owner") and not kwargs["team"]:
                from crmtui.domain.users import mine_filter

                mine = query.filters["owner"] = mine_filter(s)
            page = listing.page(s, query)
            names = Names(s)
            prefetch_for(names, entity, page.rows)
            rows = [records.to_dict(s, entity, r, names) for r in page.rows]
        if fmt == "table":
            rows = [display_row(r, entity) for r in rows]
        output.emit(rows, fmt, TABLE_COLUMNS[entity], right=RIGHT, all_keys=keys(entity),
                    empty=f"No {entity} matches." if any(query.filters.values())
                    else f"No {plural(entity)} yet. Add one with `crm {NOUN[entity]} add`.")
        if page.more:
            output.note(f"{page.more_label()} more; next page: --after {page.next_after}")
        if mine and fmt == "table":
            output.note(f"showing {mine}'s {plural(entity)}; --team shows everyone's")

    params = []
    for name in filters:
        if name in BOOL_FILTERS:
            params.append(_opt(name, bool, False, "--" + name.replace("_", "-"),
                               help=FILTER_HELP[name]))
        else:
            params.append(_opt(name, Optional[str], None, "--" + name.replace("_", "-"),
                               help=FILTER_HELP[name]))
    params += [
        _opt("sort", str, "id", "--sort", help="Sort by this field"),
        _opt("desc", bool, False, "--desc", help="Sort descending"),
        _opt("limit", int, 50, "--limit", "-n", help="Rows per page", min=1),
        _opt("after", Optional[int], None, "--after",
             help="Continue after this id (printed at the end of the previous page)"),
        _opt("team", bool, False, "--team",
             help="Everyone's records (in team mode a list shows yours by default)"),
    ] + _format_params()
    app.command("list", help=f"List {plural(entity)}: filter, sort, page.")(_make(list_, params))


def show_command(app: typer.Typer, entity: str) -> None:
    @handle
    def show(ref: Annotated[str, typer.Argument(help="Id, external id or exact name")],
             json_: JsonOpt = False):
        from crmtui.domain import records, refs, related

        with store_session() as s:
            obj = refs.resolve(s, entity, ref)
            record = records.to_dict(s, entity, obj)
            extras = related.for_record(s, entity, obj)
            if entity == "lead" and obj.status == "converted":
                from crmtui.domain.leads import converted_into

                extras["converted_into"] = converted_into(s, obj)
        if json_:
            output.write(output.dumps({**record, **extras}))
            return
        render_show(entity, record, extras)

    app.command("show", help=f"Show one {entity} with its related records and timeline.")(show)


def render_show(entity: str, record: dict, extras: dict) -> None:
    from crmtui.commands.show import render

    render(entity, record, extras)


def edit_command(app: typer.Typer, entity: str) -> None:
    @handle
    def edit(**kwargs):
        from crmtui.domain import records, refs

        raw = _values(entity, kwargs)
        if kwargs.get("name") is not None:
            raw = _name_values(entity, kwargs["name"], raw)
        if not raw:
            from crmtui.errors import UsageError

            raise UsageError("nothing to change: pass at least one field option",
                             hint=f"see `crm {NOUN[entity]} edit --help`")
        with store_session(write=True) as s:
            obj = refs.resolve(s, entity, kwargs["ref"])
            before = obj.version
            obj = records.update(s, entity, obj.id, raw, expected_version=kwargs["if_version"],
                                 obj=obj)
            record = records.to_dict(s, entity, obj)
        if kwargs["json_"]:
            output.write(output.dumps(record))
        else:
            changed = "updated" if record["version"] != before else "unchanged"
            output.write(str(record["id"]))
            output.note(f"{changed} {entity} {record['id']}")

    params = [inspect.Parameter("ref", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str,
                                default=typer.Argument(..., help="Id, external id or exact name"))]
    if any(spec.name == "name" for spec in FIELDS[entity]) or entity in ("lead", "contact"):
        params.append(_opt("name", Optional[str], None, "--name",
                           help="New name" if entity not in ("lead", "contact")
                           else "New full name (sets first and last name)"))
    params += _field_params(entity)
    params += [
        _opt("if_version", Optional[int], None, "--if-version",
             help="Refuse the edit unless the record is still at this version"),
        _opt("json_", bool, False, "--json", help="Print the record as JSON"),
    ]
    app.command("edit", help=f"Change the given fields of {a(entity)}; an empty value clears "
                             "a field.")(_make(edit, params))


def delete_command(app: typer.Typer, entity: str) -> None:
    @handle
    def delete(ref: Annotated[str, typer.Argument(help="Id, external id or exact name")],
               cascade: Annotated[bool, typer.Option("--cascade",
                                  help="Also delete the records that belong to it")] = False,
               detach: Annotated[bool, typer.Option("--detach",
                                 help="Keep related records, unlinked from it")] = False,
               yes: YesOpt = False):
        from crmtui.domain import records, refs
        from crmtui.errors import UsageError

        if cascade and detach:
            raise UsageError("choose --cascade or --detach, not both")
        how = "delete" if cascade else "detach" if detach else None
        with store_session() as s:
            obj = refs.resolve(s, entity, ref)
            record_id, name = obj.id, refs.display_name(obj)
            counts = records.check_deletable(s, entity, obj, how)
        tail = f" and {records.describe_related(counts, how)}" if counts else ""
        confirm(f"Delete {entity} {record_id} ({name}){tail}?", yes)
        with store_session(write=True) as s:
            records.delete(s, entity, record_id, related=how)
        output.note(f"deleted {entity} {record_id} ({name})")

    app.command("delete", help=f"Delete {a(entity)} (asks first on a terminal).")(delete)


def crud(app: typer.Typer, entity: str, *, example: str, verbs=("add", "list", "show", "edit",
                                                                 "delete")) -> None:
    makers = {"add": add_command, "list": list_command, "show": show_command,
              "edit": edit_command, "delete": delete_command}
    for verb in verbs:
        if verb == "add":
            add_command(app, entity, example=example)
        else:
            makers[verb](app, entity)
