"""Which source column feeds which field.

A column maps to a field when its name, ignoring case, spaces, underscores and punctuation,
is the field's name (`First Name` -> first_name) or a header other CRMs put in their exports
(`Lead Source`, `Deal Stage`, `Close Date`, `Account Name`, `Deal owner`, `Mobile Phone`...).
`--map SRC=FIELD` overrides (`--map SRC=-` ignores a column, `--map SRC=extra` keeps it in
`extra`). When two columns claim a field, a field's own name beats a common alias, which
beats a secondary one (`Phone` beats `Mobile`); the loser is kept in `extra`. Two equal
claims are an error that names both columns.

Columns crmtui itself computes and exports (`id`, `version`, `updated_at`, `score`,
`weighted_amount`, ...) are ignored on import and listed as such; every other column that
maps to no field goes to the record's `extra`, so nothing in the file is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crmtui.domain.fields import FIELDS, FieldSpec
from crmtui.errors import Invalid, UsageError

EXTRA_PREFIX = "extra."
REJECT_COLUMNS = ("_line", "_reason")


def norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.lower())


def _spec(name: str, kind: str = "text", **kw) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, **kw)


# Fields only an import sets (history from other systems), besides those of fields.FIELDS.
IMPORT_ONLY: dict[str, tuple[FieldSpec, ...]] = {
    "lead": (_spec("name", "fullname"), _spec("created_at", "datetime"),
             # what a converted lead became (crmtui's export, Salesforce's Converted ...)
             _spec("converted_account", "ref", column="converted_account_id", ref="account"),
             _spec("converted_contact", "ref", column="converted_contact_id", ref="contact"),
             _spec("converted_opportunity", "ref", column="converted_opportunity_id",
                   ref="opportunity"),
             _spec("converted_at", "datetime")),
    "contact": (_spec("name", "fullname"), _spec("created_at", "datetime")),
    "account": (_spec("created_at", "datetime"),),
    "opportunity": (_spec("created_at", "datetime"), _spec("closed_at", "datetime"),
                    _spec("stage_entered_at", "datetime"),
                    # open/won/lost (Pipedrive's "Deal - Status"): the stage when none says so
                    _spec("status", "choice", choices=("open", "won", "lost"),
                          column="_deal_status")),
    "activity": (
        _spec("created_at", "datetime"),
        _spec("on", "target"),
        _spec("status", "choice", choices=("open", "done")),
        _spec("lead", "ref", column="lead_id", ref="lead"),
        _spec("account", "ref", column="account_id", ref="account"),
        _spec("contact", "ref", column="contact_id", ref="contact"),
        _spec("opportunity", "ref", column="opportunity_id", ref="opportunity"),
    ),
}

# Fields that several columns may feed at once, complementary (Pipedrive's "Deal - Won
# time" and "Deal - Lost time"): a row takes the first non-empty one, in column order.
MERGED = {"opportunity": ("closed_at",)}

# Export columns crmtui computes: ignored on import.
COMPUTED = {
    "lead": ("score", "converted_account_id", "converted_contact_id",
             "converted_opportunity_id", "last_activity_at"),
    "account": (),
    "contact": (),
    "opportunity": ("weighted_amount", "last_activity_at",
                    "stale", "stale_reasons", "overdue", "pipeline_id", "stage_id"),
    "activity": ("lead_id", "account_id", "contact_id", "opportunity_id"),
}
COMPUTED_FIELDS = {("lead", "score")}  # fields whose value crmtui computes from the others
COMMON_COMPUTED = ("id", "version", "updated_at") + REJECT_COLUMNS

_PERSON = {
    "first_name": "first name|firstname|given name|forename|first|person - first name",
    "last_name": "last name|lastname|surname|family name|last|person - last name",
    "name": "full name|name|contact name|lead name|person name|person|~display name",
    "email": "email|e-mail|email address|e-mail address|work email|business email|"
             "primary email|email 1|person - email|~personal email|~other email",
    "phone": "phone|phone number|telephone|tel|work phone|business phone|direct phone|"
             "person - phone|~mobile|~mobile phone|~mobile number|~mobile phone number|~cell|"
             "~cell phone|~home phone",
    "title": "title|job title|position|role|job position",
}
_COMMON = {
    "owner": "owner|record owner|owner name|assigned to|assignee|sales rep|salesperson|"
             "hubspot owner|user|~created by",
    "notes": "notes|note|description|comments|comment|remarks",
    "tags": "tags|tag|labels|label|categories",
    "created_at": "created|created at|created date|create date|date created|created on|"
                  "creation date|created time|add time|added on|date added",
}
ALIASES: dict[str, dict[str, str]] = {
    "lead": {**_PERSON, **_COMMON,
             "company": "company|company name|organization|organisation|organization name|"
                        "associated company|company / account|"
                        "account name|employer|business name",
             "industry": "industry|sector|vertical",
             "employees": "employees|number of employees|no of employees|employee count|"
                          "headcount|company size|num employees",
             "website": "website|web site|url|website url|company website|homepage|web",
             "city": "city|town|~mailing city|~billing city",
             "country": "country|country region|country/region|~mailing country|"
                        "~billing country",
             "source": "lead source|source|original source|lead source detail|channel|"
                       "~campaign source|~utm source",
             "status": "lead status|status",
             "converted_account": "converted account|converted account name",
             "converted_contact": "converted contact|converted contact name",
             "converted_opportunity": "converted opportunity|converted opportunity name",
             "converted_at": "converted at|converted date|converted on|date converted",
             "disqualify_reason": "disqualify reason|disqualification reason|unqualified reason",
             "owner": "lead owner|contact owner|" + _COMMON["owner"],
             "external_id": "external id|lead id|record id|crm id|source id|lead record id"},
    "contact": {**_PERSON, **_COMMON,
                "account": "account|account name|company|company name|organization|"
                           "organisation|organization name|associated company|"
                           "company / account|person - organization|~account id",
                "owner": "contact owner|person - owner|" + _COMMON["owner"],
                "external_id": "external id|contact id|record id|crm id|source id|person id"},
    "account": {**_COMMON,
                "name": "name|account name|company|company name|organization|organisation|"
                        "organization name|business name",
                "domain": "domain|company domain|company domain name|website domain|"
                          "email domain",
                "industry": "industry|sector|vertical",
                "employees": "employees|number of employees|no of employees|employee count|"
                             "headcount|company size",
                "revenue": "revenue|annual revenue|annualrevenue|yearly revenue",
                "phone": "phone|phone number|company phone|main phone|telephone|"
                         "~billing phone",
                "website": "website|web site|url|website url|homepage|web",
                "city": "city|town|billing city|~shipping city|~mailing city",
                "country": "country|country region|country/region|billing country|"
                           "~shipping country",
                "owner": "account owner|company owner|organization - owner|"
                         + _COMMON["owner"],
                "external_id": "external id|account id|company id|organization id|record id|"
                               "crm id|source id"},
    "opportunity": {
        **_COMMON,
        "name": "name|opportunity name|deal name|deal title|deal - title|title|"
                "opportunity|deal",
        "account": "account|account name|company|company name|organization|"
                   "organization name|associated company|deal - organization|~account id",
        "contact": "contact|contact name|primary contact|person|person name|"
                   "associated contact|deal - contact person|~contact id",
        "pipeline": "pipeline|deal pipeline|sales pipeline",
        "stage": "stage|deal stage|opportunity stage|sales stage|stage name|pipeline stage",
        "amount": "amount|deal amount|value|deal value|opportunity amount|deal - value|"
                  "total amount|~amount usd|~expected revenue",
        "currency": "currency|currency code|deal currency|opportunity currency|"
                    "currency iso code|deal - currency",
        "close_date": "close date|expected close date|closing date|expected close|"
                      "est close date|estimated close date|close|deal - expected close date",
        "probability": "probability|probability percent|win probability|deal probability|"
                       "probability override|hs deal stage probability|"
                       "deal stage probability",
        "source": "source|lead source|deal source|opportunity source|original source",
        "next_step": "next step|next steps|nextstep",
        "lost_reason": "lost reason|closed lost reason|reason lost|loss reason|"
                       "deal - lost reason|closed lost reason detail",
        "closed_at": "closed at|closed date|date closed|won time|lost time|close time|"
                     "closed on|deal - won time|deal - lost time|deal closed on|"
                     "deal - deal closed on|deal - close time",
        "created_at": _COMMON["created_at"] + "|deal created|deal - deal created|"
                      "deal - created|deal create date|deal - add time",
        "status": "status|deal status|deal - status|opportunity status",
        "owner": "opportunity owner|deal owner|deal - owner|" + _COMMON["owner"],
        "external_id": "external id|opportunity id|deal id|record id|crm id|source id|"
                       "deal - id"},
    "activity": {
        **_COMMON,
        "kind": "kind|type|activity type|task type|event type|engagement type|"
                "activity kind",
        "subject": "subject|title|activity subject|name|task subject|task title",
        "body": "body|details|description|notes|note|comments|content",
        "due": "due|due date|due at|due time|due on|activity date|scheduled for|"
               "start time|~date",
        "done_at": "done at|done|completed|completed at|completion date|done date|"
                   "marked as done time|completed date|date completed",
        "owner": "activity owner|task owner|assigned to|assigned|" + _COMMON["owner"],
        "on": "on|related to|regarding|about|what",
        "lead": "lead|lead name|lead email|~lead id",
        "account": "account|account name|company|organization|company / account|"
                   "associated company|~account id",
        "contact": "contact|contact name|person|contact email|who|associated contact|"
                   "~contact id",
        "opportunity": "opportunity|deal|deal name|opportunity name|associated deal|"
                       "~opportunity id|~deal id",
        "status": "status|activity status|task status",
        "external_id": "external id|activity id|task id|event id|engagement id|record id|"
                       "crm id|source id"},
}


def import_fields(entity: str) -> dict[str, FieldSpec]:
    """Every field an import of `entity` can set, by name."""
    out = {spec.name: spec for spec in FIELDS[entity] if (entity, spec.name) not in COMPUTED_FIELDS}
    for spec in IMPORT_ONLY.get(entity, ()):
        out.setdefault(spec.name, spec)
    return out


def _alias_table(entity: str) -> dict[str, tuple[str, int]]:
    """normalised header -> (field, rank): 0 the field's own name, 1 an alias, 2 secondary."""
    table: dict[str, tuple[str, int]] = {}
    fields = import_fields(entity)
    for name, aliases in ALIASES.get(entity, {}).items():
        if name not in fields:  # a common alias of a field this entity lacks (activity notes)
            continue
        for alias in aliases.split("|"):
            rank = 2 if alias.startswith("~") else 1
            key = norm(alias.lstrip("~"))
            if key and key not in table:
                table[key] = (name, rank)
    for name in fields:
        table[norm(name)] = (name, 0)
    return table


@dataclass
class Plan:
    """Where each source column goes: a field, `extra`, or nowhere (with the reason)."""

    entity: str
    header: list[str]
    targets: list[str | None]  # per column: field name, "extra.KEY", or None (ignored)
    mapping: dict[str, str] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # why a column went to extra

    def fields(self) -> set[str]:
        return {t for t in self.targets if t and not t.startswith(EXTRA_PREFIX)}

    def column_of(self, field_name: str) -> str | None:
        for src, target in zip(self.header, self.targets):
            if target == field_name:
                return src
        return None

    def extend(self, header: list[str], maps: dict[str, str]) -> None:
        """Columns first seen later in a JSON file: same rules; a field already fed -> extra."""
        taken = self.fields()
        table = _alias_table(self.entity)
        for src in header[len(self.targets):]:
            self.header.append(src)
            target = _explicit(self.entity, src, maps)
            if target is None:
                target = _automatic(self.entity, src, table)
            if target and target not in ("-",) and not target.startswith(EXTRA_PREFIX) \
                    and target in taken and target not in MERGED.get(self.entity, ()):
                target = EXTRA_PREFIX + src
            self._record(src, target)
            if target and not target.startswith(EXTRA_PREFIX) and target != "-":
                taken.add(target)

    def _record(self, src: str, target: str | None, reason: str = "") -> None:
        if target == "-" or target is None:
            self.targets.append(None)
            self.ignored[src] = reason or "ignored (--map)"
        elif target.startswith(EXTRA_PREFIX):
            self.targets.append(target)
            self.extra.append(src)
            if reason:
                self.notes[src] = reason
        else:
            self.targets.append(target)
            self.mapping[src] = target


def parse_maps(entity: str, items: list[str]) -> dict[str, str]:
    """`--map SRC=FIELD` items -> {SRC: FIELD}; FIELD may be `-` (ignore) or `extra`."""
    known = import_fields(entity)
    out: dict[str, str] = {}
    for item in items or ():
        src, eq, target = item.rpartition("=")
        src, target = src.strip(), target.strip()
        if not eq or not src:
            raise UsageError(f"--map {item!r}: write SOURCE_COLUMN=FIELD",
                             hint="e.g. --map 'E-Mail Adresse=email' or --map 'Legacy ID=-'")
        if target in ("", "-", "ignore"):
            target = "-"
        elif target.lower() == "extra":
            target = "extra"
        elif target.startswith(EXTRA_PREFIX):
            pass
        else:
            lookup = {norm(k): k for k in known}
            if norm(target) not in lookup:
                raise UsageError(f"--map {item!r}: {entity} has no field {target!r}",
                                 hint="fields: " + ", ".join(sorted(known))
                                 + "; or '-' to ignore the column, 'extra' to keep it in extra")
            target = lookup[norm(target)]
        out[src] = target
    return out


def _explicit(entity: str, src: str, maps: dict[str, str]) -> str | None:
    target = maps.get(src)
    if target is None:
        for key, value in maps.items():
            if norm(key) == norm(src):
                target = value
                break
    if target == "extra":
        return EXTRA_PREFIX + (src[len(EXTRA_PREFIX):] if src.startswith(EXTRA_PREFIX) else src)
    return target


def _automatic(entity: str, src: str, table) -> str | None:
    if src.startswith(EXTRA_PREFIX) and len(src) > len(EXTRA_PREFIX):
        return src
    found = table.get(norm(src))
    return found[0] if found else None


def plan(entity: str, header: list[str], maps: dict[str, str], *, source: str = "") -> Plan:
    _check_header(header, source)
    unknown = [src for src in maps if src not in header
               and norm(src) not in {norm(h) for h in header}]
    if unknown:
        raise UsageError(f"--map: no column named {', '.join(map(repr, unknown))} in {source}",
                         hint="columns: " + ", ".join(repr(h) for h in header))
    table = _alias_table(entity)
    computed = set(COMMON_COMPUTED) | set(COMPUTED.get(entity, ()))
    claims: dict[str, list[tuple[int, int]]] = {}  # field -> [(rank, column index)]
    decided: dict[int, str | None] = {}
    reasons: dict[int, str] = {}
    for i, src in enumerate(header):
        explicit = _explicit(entity, src, maps)
        if explicit is not None:
            decided[i] = explicit
            if explicit not in ("-",) and not explicit.startswith(EXTRA_PREFIX):
                claims.setdefault(explicit, []).append((-1, i))
            continue
        if src.startswith(EXTRA_PREFIX) and len(src) > len(EXTRA_PREFIX):
            decided[i] = src
            continue
        key = norm(src)
        found = table.get(key)
        if found and not (found[1] == 0 and src in computed and found[0] in ("probability",)):
            claims.setdefault(found[0], []).append((found[1], i))
        elif src in computed or key in {norm(c) for c in computed}:
            decided[i] = None
            reasons[i] = "computed by crmtui"
        else:
            decided[i] = EXTRA_PREFIX + src
    _special_cases(entity, header, claims, decided, reasons)
    for name, contenders in claims.items():
        contenders.sort()
        best = contenders[0][0]
        tied = [header[i] for rank, i in contenders if rank == best]
        if len(tied) > 1 and name in MERGED.get(entity, ()):
            for rank, i in contenders:  # complementary columns: the first non-empty counts
                if rank == best:
                    decided[i] = name
                else:
                    decided[i] = EXTRA_PREFIX + header[i]
                    reasons[i] = f"{name} comes from {', '.join(map(repr, tied))}"
            continue
        if len(tied) > 1:
            raise Invalid(
                f"columns {' and '.join(repr(t) for t in tied)} both map to {name}",
                hint=f"choose one with --map, e.g. --map {tied[1]!r}=- to ignore the other "
                     "(or =extra to keep it in extra)")
        decided[contenders[0][1]] = name
        for _rank, i in contenders[1:]:
            decided[i] = EXTRA_PREFIX + header[i]
            reasons[i] = f"{name} comes from {header[contenders[0][1]]!r}"
    result = Plan(entity=entity, header=[], targets=[])
    for i, src in enumerate(header):
        result.header.append(src)
        result._record(src, decided.get(i), reasons.get(i, ""))
    return result


def _special_cases(entity: str, header: list[str], claims: dict, decided: dict,
                   reasons: dict) -> None:
    """Export columns that only make sense when their better twin is absent."""
    names = {norm(h): i for i, h in enumerate(header)}
    def drop(field_name: str, because: str) -> None:
        for _rank, i in claims.pop(field_name, []):
            decided[i] = None
            reasons[i] = because

    if entity in ("lead", "contact") and ("first_name" in claims or "last_name" in claims):
        if "name" in claims and all(rank >= 0 for rank, _ in claims["name"]):
            drop("name", "the first/last name columns are used")
    if entity == "opportunity" and "probabilityoverride" in names:
        i = names["probabilityoverride"]
        claims["probability"] = [(r, j) for r, j in claims.get("probability", []) if j == i] \
            or [(0, i)]
        for j, h in enumerate(header):
            if norm(h) == "probability" and j != i:
                decided[j] = None
                reasons[j] = "computed by crmtui (probability_override is used)"
    for ref in ("account", "contact", "lead", "opportunity"):
        entries = claims.get(ref, [])
        if len(entries) > 1:
            id_cols = [(r, i) for r, i in entries if norm(header[i]) == ref + "id"]
            if id_cols and len(id_cols) < len(entries):
                claims[ref] = [e for e in entries if e not in id_cols]
                for _r, i in id_cols:
                    decided[i] = None
                    reasons[i] = f"an id from the exporting system; the {ref} column is used"


def _check_header(header: list[str], source: str) -> None:
    empty = [str(i + 1) for i, h in enumerate(header) if not h.strip()]
    if empty:
        raise Invalid(f"{source}: the header has no name for column {', '.join(empty)}",
                      hint="name the column (or delete it) and try again")
    seen: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        seen.setdefault(h, []).append(i + 1)
    dupes = {h: cols for h, cols in seen.items() if len(cols) > 1}
    if dupes:
        listing = "; ".join(f"{h!r} (columns {', '.join(map(str, cols))})"
                            for h, cols in dupes.items())
        raise Invalid(f"{source}: the header names a column more than once: {listing}",
                      hint="rename one of them so each column has its own name")


def describe(p: Plan) -> list[tuple[str, str]]:
    """(source column, what happens to it) for --dry-run."""
    out = []
    for src, target in zip(p.header, p.targets):
        if target is None:
            out.append((src, f"ignored: {p.ignored.get(src, '')}".rstrip(": ")))
        elif target.startswith(EXTRA_PREFIX):
            key = target[len(EXTRA_PREFIX):]
            note = p.notes.get(src)
            out.append((src, f"extra[{key!r}]" + (f" ({note})" if note else "")))
        else:
            out.append((src, target))
    return out
