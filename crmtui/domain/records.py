"""Creating, editing and deleting records: validation, optimistic locking, edit history.

Values arrive keyed by field name (see `fields.FIELDS`) as typed by a person or read from
a file; `build` turns them into store columns through `values`/`dates`/`refs`, so the CLI,
the app and the importer share every rule. Entity-specific rules (a deal's stage, a lead's
score) live in their own modules and are called from here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import desc, func, select, update as sql_update
from sqlalchemy.orm import Session

from crmtui.domain import dates, refs, values, words
from crmtui.domain.fields import FIELDS, FieldSpec
from crmtui.domain.identity import current_user
from crmtui.errors import Conflict, Invalid
from crmtui.store.models import (
    Activity, ChangeLog, Contact, Lead, Opportunity, TABLES_BY_ENTITY, utcnow,
)

SOURCES = ("cli", "app", "import", "system")


def spec_for(entity: str, name: str) -> FieldSpec:
    for spec in FIELDS[entity]:
        if spec.name == name:
            return spec
    known = ", ".join(f.name for f in FIELDS[entity])
    raise Invalid(f"{entity} has no field {name!r}", field=name, hint=f"fields: {known}")


def coerce(s: Session, spec: FieldSpec, raw: object, *, pipeline_id: int | None = None) -> Any:
    """One raw value to its store form; None/'' means unset. NUL characters are dropped
    everywhere (PostgreSQL cannot store them, and no real value holds one)."""
    if isinstance(raw, str) and "\x00" in raw:
        raw = raw.replace("\x00", "")
    limit = spec.max_len
    if limit is not None and isinstance(raw, str) and len(raw.strip()) > limit:
        raise Invalid(f"{spec.name}: {len(raw.strip()):,} characters is too long; at most "
                      f"{limit} are kept", field=spec.name, value=raw[:40] + "…",
                      hint="put long text in notes")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            raise required_error(spec, raw)
        return None
    kind = spec.kind
    if spec.name == "owner":
        from crmtui.domain import users

        return users.owner_value(s, values.clean_text(raw))
    if spec.name == "currency":  # as the importer reads it: three letters, upper case
        return values.parse_currency(raw, spec.name)
    if kind == "text":
        return values.clean_text(raw)
    if kind == "email":
        return values.parse_email(raw, spec.name)
    if kind == "phone":
        return values.parse_phone(raw, spec.name)
    if kind == "url":
        return values.parse_url(raw, spec.name)
    if kind == "int":
        return values.parse_int(raw, spec.name, maximum=values.INT32_MAX)
    if kind == "money":
        return values.to_minor(values.parse_money(raw, spec.name))
    if kind == "percent":
        return values.parse_percent(raw, spec.name)
    if kind == "date":
        return dates.parse_date(raw, spec.name)
    if kind == "datetime":
        return dates.parse_when(raw, spec.name)
    if kind == "choice":
        return values.parse_choice(raw, spec.name, spec.choices)
    if kind == "tags":
        return values.parse_tags(raw, spec.name)
    if kind == "ref":
        if spec.ref == "stage":
            return refs.resolve_stage(s, pipeline_id, raw, field=spec.name).id
        return refs.resolve(s, spec.ref, raw, field=spec.name).id
    raise AssertionError(f"unknown field kind {kind}")


def normalise_domain(raw: str) -> str:
    """An account's domain as stored: `https://www.Acme.com/path`, `www.acme.com` or
    `sales@acme.com` -> `acme.com` (the CLI, the app and imports all store it so)."""
    domain = values.domain_of(raw)
    if not domain or "." not in domain or any(ch.isspace() for ch in domain):
        raise Invalid(f"domain: {raw!r} is not a web domain", field="domain", value=raw,
                      hint="write it like example.com")
    return domain


def required_error(spec: FieldSpec, raw: object = None) -> Invalid:
    """A required field left empty (on add) or cleared (on edit): what to do instead."""
    return Invalid(f"{spec.name} is required and cannot be empty", field=spec.name, value=raw,
                   hint=f"give {words.a(spec.name)} instead: {spec.help}")


# A person's name parts are stored as "" when absent (a one-word name is a last name only):
# clearing one is fine as long as the person keeps a name or an email (rules.before_update).
NAME_PARTS = frozenset({"first_name", "last_name"})


def build(s: Session, entity: str, raw: dict[str, object], *, current=None) -> dict[str, Any]:
    """Validate `raw` (field name -> value) into store columns. Stage needs the pipeline first.

    An empty value clears a field; a required field (`FieldSpec.required`) cannot be cleared,
    and says so naming the field (the CLI, the app's forms and bulk edits share this)."""
    cols: dict[str, Any] = {}
    pending_stage = None
    for name, value in raw.items():
        spec = spec_for(entity, name)
        if spec.ref == "stage":
            pending_stage = (spec, value)
            continue
        cols[spec.col] = coerce(s, spec, value)
        if cols[spec.col] is None and entity in ("lead", "contact") and spec.name in NAME_PARTS:
            cols[spec.col] = ""
        elif entity == "account" and spec.name == "domain" and cols[spec.col] is not None:
            cols[spec.col] = normalise_domain(cols[spec.col])
    if entity == "opportunity" and "amount" in raw:
        _amount_currency(raw["amount"], cols, current)
    if entity == "opportunity":
        pipeline_id = cols.get("pipeline_id") or (current.pipeline_id if current else None)
        if pending_stage:
            cols["stage_id"] = coerce(s, pending_stage[0], pending_stage[1],
                                      pipeline_id=pipeline_id)
    elif pending_stage:
        raise AssertionError("only opportunities have a stage")
    return cols


def _amount_currency(amount: object, cols: dict, current) -> None:
    """An amount written with a currency (`€100`, `100 EUR`) sets a new deal's currency, and
    must agree with the currency given beside it (or, editing, the deal's own)."""
    if amount is None or isinstance(amount, str) and not amount.strip():
        return
    _number, mark = values.parse_money_currency(amount, "amount")
    if mark is None:
        return
    given = cols.get("currency")
    if given is None and current is not None:
        try:
            values.settle_currency("amount", amount, mark, current.currency)
        except Invalid as exc:
            raise Invalid(exc.message, field="amount", value=amount,
                          hint=f"give --currency {mark.code} to change the deal's currency") \
                from None
        return
    cols["currency"] = values.settle_currency("amount", amount, mark, given)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return dates.iso(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def log(s: Session, entity: str, record_id: int, action: str, *, field: str | None = None,
        old: Any = None, new: Any = None, source: str = "cli", at=None) -> None:
    s.add(ChangeLog(entity=entity, record_id=record_id, action=action, field=field,
                    old=_text(old), new=_text(new), source=source, actor=current_user(),
                    at=at or utcnow()))


def create(s: Session, entity: str, raw: dict[str, object], *, source: str = "cli",
           extra: dict | None = None):
    from crmtui.domain import rules

    cols = build(s, entity, {k: v for k, v in raw.items() if v is not None})
    if "owner" in {f.name for f in FIELDS[entity]} and cols.get("owner") is None:
        from crmtui.domain import users

        cols["owner"] = users.default_owner(s)
    rules.before_create(s, entity, cols, source=source)  # fills defaults (a deal's stage...)
    for spec in FIELDS[entity]:
        if spec.required and cols.get(spec.col) is None:
            raise required_error(spec)
    model = TABLES_BY_ENTITY[entity]
    obj = model(**cols, extra=extra or None)
    s.add(obj)
    _flush_unique(s, entity, cols)
    log(s, entity, obj.id, "create", source=source)
    rules.after_create(s, entity, obj, source=source)
    return obj


def _flush_unique(s: Session, entity: str, cols: dict) -> None:
    from sqlalchemy.exc import IntegrityError

    try:
        with s.begin_nested():
            s.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        if "external_id" in message:
            raise Conflict(f"another {entity} already has external id {cols.get('external_id')!r}",
                           hint="external ids are unique per record type") from None
        if "UNIQUE" in message.upper() and "name" in message:
            raise Conflict(f"a {entity} named {cols.get('name')!r} already exists") from None
        raise


def check_version(s: Session, entity: str, obj, expected_version: int | None) -> None:
    """Refuse a save based on an old read, saying what changed, when and from where."""
    if expected_version is None or obj.version == expected_version:
        return
    recent = s.scalars(
        select(ChangeLog).where(ChangeLog.entity == entity, ChangeLog.record_id == obj.id)
        .order_by(desc(ChangeLog.id)).limit(5)
    ).all()
    if recent:
        last = recent[0]
        who = f" by {last.actor}" if last.actor else ""
        from crmtui.domain.timeline import field_label

        what = ", ".join(sorted({field_label(entity, c.field) for c in recent
                                 if c.field and c.at == last.at})) or last.action
        detail = f"; last change{who} via {last.source} at {dates.human(last.at)}: {what}"
    else:
        detail = f"; it was last updated at {dates.human(obj.updated_at)}"
    raise Conflict(
        f"{entity} {obj.id} changed since you read it (you had version {expected_version}, "
        f"it is now version {obj.version}){detail}",
        current=to_dict(s, entity, obj),
        hint="nothing was saved; reload it and apply your change again",
    )


def update(s: Session, entity: str, record_id: int, raw: dict[str, object], *,
           expected_version: int | None = None, source: str = "cli", obj=None):
    """Apply the given fields only; returns the record. Bumps `version` when anything changed."""
    obj = obj or refs.get(s, entity, record_id)
    check_version(s, entity, obj, expected_version)
    cols = build(s, entity, raw, current=obj)
    for spec in FIELDS[entity]:
        if spec.required and spec.col in cols and cols[spec.col] is None:
            raise required_error(spec)
    return apply(s, entity, obj, cols, source=source)


def apply(s: Session, entity: str, obj, cols: dict[str, Any], *, source: str):
    """Write validated column values to `obj`: entity rules, history rows, version bump."""
    from crmtui.domain import rules

    cols = {c: v for c, v in cols.items() if getattr(obj, c) != v}
    if not cols:
        return obj
    rules.before_update(s, entity, obj, cols, source=source)
    changed = {c: v for c, v in cols.items() if getattr(obj, c) != v}
    if not changed:
        return obj
    at = utcnow()  # one edit, one moment: the conflict message can name all its fields
    for column, value in changed.items():
        log(s, entity, obj.id, "edit", field=column, old=getattr(obj, column), new=value,
            source=source, at=at)
        setattr(obj, column, value)
    touch(s, entity, obj)
    rules.after_update(s, entity, obj, set(changed), source=source)
    return obj


def touch(s: Session, entity: str, obj) -> None:
    """Bump version and updated_at with a compare-and-swap, so no concurrent save is lost."""
    model = type(obj)
    s.flush()
    new_version = obj.version + 1
    result = s.execute(
        sql_update(model).where(model.id == obj.id, model.version == obj.version)
        .values(version=new_version, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"{entity} {obj.id} was changed by someone else while saving",
                       hint="nothing was saved; reload it and try again")
    s.refresh(obj, ["version", "updated_at"])


# -- reading -----------------------------------------------------------------------------

# What refers to each kind of record: (label, model, column). Deleting the record deletes
# (--cascade) or unlinks (--detach) these; a lead converted into the record is never deleted
# with it -- under either choice the lead is kept and only its link is cleared (in history).
RELATED: dict[str, tuple] = {
    "account": (("contacts", Contact, Contact.account_id),
                ("opportunities", Opportunity, Opportunity.account_id),
                ("activities", Activity, Activity.account_id),
                ("converted leads", Lead, Lead.converted_account_id)),
    "contact": (("opportunities", Opportunity, Opportunity.contact_id),
                ("activities", Activity, Activity.contact_id),
                ("converted leads", Lead, Lead.converted_contact_id)),
    "lead": (("activities", Activity, Activity.lead_id),),
    "opportunity": (("activities", Activity, Activity.opportunity_id),
                    ("converted leads", Lead, Lead.converted_opportunity_id)),
    "activity": (),
}
UNLINK_ONLY = frozenset({"converted leads"})
_SINGULAR = {"contacts": "contact", "opportunities": "opportunity", "activities": "activity",
             "converted leads": "converted lead"}


def related_counts(s: Session, entity: str, record_id: int) -> dict[str, int]:
    """What refers to a record and would be orphaned by deleting it (label -> count)."""
    counts = {}
    for label, model, column in RELATED.get(entity, ()):
        n = s.scalar(select(func.count()).select_from(model).where(column == record_id))
        if n:
            counts[label] = n
    return counts


def describe_related(counts: dict[str, int], how: str | None = None, *, owners: int = 1,
                     done: bool = False) -> str:
    """'2 activities, 1 converted lead'; with `how` ('delete'/'detach'), what happens to each:
    'delete its 2 activities and unlink 1 converted lead (the lead is kept)' ('their' when
    the counts are summed over several `owners`; 'deleted', 'unlinked' once `done`)."""
    its = "its" if owners == 1 else "their"
    delete, unlink = ("deleted", "unlinked") if done else ("delete", "unlink")

    def part(label: str, n: int) -> str:
        return words.count(n, _SINGULAR.get(label, label))

    if how is None:
        return ", ".join(part(label, n) for label, n in counts.items())
    gone = [part(label, n) for label, n in counts.items()
            if how == "delete" and label not in UNLINK_ONLY]
    kept = [part(label, n) for label, n in counts.items()
            if how != "delete" or label in UNLINK_ONLY]
    phrases = []
    if gone:
        phrases.append(f"{delete} {its} " + ", ".join(gone))
    if kept:
        n_leads = sum(n for label, n in counts.items() if label in UNLINK_ONLY)
        leads_kept = ("" if not n_leads else " (the lead is kept)" if n_leads == 1
                      else " (the leads are kept)")
        phrases.append((f"{unlink} {its} " if not gone else f"{unlink} ") + ", ".join(kept)
                       + leads_kept)
    return " and ".join(phrases)


def check_deletable(s: Session, entity: str, obj, related: str | None) -> dict[str, int]:
    """What deleting `obj` would orphan; a Conflict unless `related` says what to do with it."""
    counts = related_counts(s, entity, obj.id)
    if counts and related not in ("delete", "detach"):
        leads = (" (a converted lead is kept either way; only its link to this "
                 f"{refs.LABELS[entity]} is cleared)") if UNLINK_ONLY & set(counts) else ""
        raise Conflict(
            f"{entity} {obj.id} ({refs.display_name(obj)}) has {describe_related(counts)}",
            hint="pass --cascade to delete them too, or --detach to keep them unlinked" + leads,
        )
    return counts


def delete(s: Session, entity: str, record_id: int, *, related: str | None = None,
           source: str = "cli") -> dict[str, int]:
    """Delete a record. With related records, `related` says what to do: 'delete' or 'detach'."""
    obj = refs.get(s, entity, record_id)
    counts = check_deletable(s, entity, obj, related)
    if counts:
        _handle_related(s, entity, record_id, related, source)
    log(s, entity, record_id, "delete", old=refs.display_name(obj), source=source)
    s.delete(obj)
    s.flush()
    return counts


def _handle_related(s: Session, entity: str, record_id: int, how: str, source: str) -> None:
    for label, model, column in RELATED[entity]:
        ids = s.scalars(select(model.id).where(column == record_id)).all()
        child = next(k for k, v in TABLES_BY_ENTITY.items() if v is model)
        for child_id in ids:
            if how == "delete" and label not in UNLINK_ONLY:
                delete(s, child, child_id, related="delete", source=source)
            else:
                child_obj = s.get(model, child_id)
                log(s, child, child_id, "edit", field=column.key, old=record_id, new=None,
                    source=source)
                setattr(child_obj, column.key, None)
                touch(s, child, child_obj)


def to_dict(s: Session, entity: str, obj, names: dict | None = None) -> dict[str, Any]:
    """The stable JSON form of a record (keys documented in README 'Output for scripts')."""
    from crmtui.domain import serialize

    return serialize.record(s, entity, obj, names)
