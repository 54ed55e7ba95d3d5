"""The fields of each record, declared once.

These specs drive everything that names a field: the options of `crm X add/edit`, the
validation of values typed in the CLI, the app's forms and imported files, and the keys of
JSON/CSV output and exports. Pure Python: importing this costs nothing.

Kinds: text, email, phone, url, int, money, date, datetime, percent, choice, ref, tags.
"""

from __future__ import annotations

from dataclasses import dataclass

LEAD_STATUSES = ("new", "working", "qualified", "disqualified", "converted")
STAGE_KINDS = ("open", "won", "lost")
ACTIVITY_KINDS = ("call", "email", "meeting", "note", "task")
SHORT_TEXT_MAX = 255
LONG_TEXT = frozenset({"notes", "body", "next_step", "lost_reason", "disqualify_reason",
                       "subject"})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str = "text"
    help: str = ""
    column: str | None = None  # store column when it differs (amount -> amount_minor)
    ref: str | None = None  # entity a `ref` field points to
    choices: tuple[str, ...] = ()
    required: bool = False
    settable: bool = True  # offered by add/edit; False for fields only rules change
    form_help: str | None = None  # the app's placeholder, when `help` speaks of the CLI

    @property
    def col(self) -> str:
        return self.column or self.name

    @property
    def max_len(self) -> int | None:
        """Longest value accepted, in characters: short text (names, emails, owners...) is
        indexed, and an index entry must stay small on every backend (PostgreSQL's B-tree
        entries stop near 2.7 kB); free text (notes, bodies, next steps, reasons) is not."""
        if self.kind in ("text", "email", "url", "phone", "tags") and self.name not in LONG_TEXT:
            return SHORT_TEXT_MAX
        return None

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


def _f(name: str, kind: str = "text", help: str = "", **kw) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, help=help, **kw)


PERSON = (
    _f("first_name", help="Given name(s); the positional NAME sets both names",
       form_help="Given name(s)"),
    _f("last_name", help="Family name"),
    _f("email", "email", "Email address"),
    _f("phone", "phone", "Phone number (normalised to +CC form when it can be read)"),
    _f("title", help="Job title"),
)
COMMON_TAIL = (
    _f("owner", help="Owner (a user name)"),
    _f("notes", help="Free text notes (searchable)"),
    _f("tags", "tags", "Comma-separated tags"),
    _f("external_id", help="Id in another system (case-sensitive; used to match imports)"),
)

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "lead": PERSON + (
        _f("company", help="Company name"),
        _f("industry", help="Industry"),
        _f("employees", "int", "Company head count"),
        _f("website", "url", "Company website"),
        _f("city", help="City"),
        _f("country", help="Country"),
        _f("source", help="Where the lead came from (web, referral, event, ...)"),
        _f("status", "choice", "Lead status", choices=LEAD_STATUSES, settable=False),
        _f("score", "int", "Lead score 0-100 (computed)", settable=False),
        _f("disqualify_reason", help="Why the lead was disqualified", settable=False),
    ) + COMMON_TAIL,
    "account": (
        _f("name", help="Account (company) name", required=True),
        _f("domain", help="Web domain, e.g. example.com"),
        _f("industry", help="Industry"),
        _f("employees", "int", "Head count"),
        _f("revenue", "money", "Annual revenue", column="revenue_minor"),
        _f("phone", "phone", "Main phone number"),
        _f("website", "url", "Website"),
        _f("city", help="City"),
        _f("country", help="Country"),
    ) + COMMON_TAIL,
    "contact": PERSON + (
        _f("account", "ref", "Account: id, external id or exact name", column="account_id",
           ref="account"),
    ) + COMMON_TAIL,
    "opportunity": (
        _f("name", help="Opportunity name", required=True),
        _f("account", "ref", "Account: id, external id or exact name", column="account_id",
           ref="account"),
        _f("contact", "ref", "Primary contact: id, external id or exact name",
           column="contact_id", ref="contact"),
        _f("pipeline", "ref", "Pipeline name or id (default: the default pipeline)",
           column="pipeline_id", ref="pipeline", required=True),
        _f("stage", "ref", "Stage name or position in the pipeline (default: the first)",
           column="stage_id", ref="stage", required=True),
        _f("amount", "money", "Amount, e.g. 1234.50", column="amount_minor", required=True),
        _f("currency", help="ISO currency code (default USD)", required=True),
        _f("close_date", "date", "Expected close date (ISO or e.g. 'next friday', '+30d')"),
        _f("probability", "percent", "Win probability 0-100, overriding the stage's"),
        _f("source", help="Lead source"),
        _f("next_step", help="The next step to move the deal on"),
        _f("lost_reason", help="Why the deal was lost", settable=False),
    ) + COMMON_TAIL,
    "activity": (
        _f("kind", "choice", "Kind of activity", choices=ACTIVITY_KINDS, required=True),
        _f("subject", help="Subject", required=True),
        _f("body", help="Details ('-' reads them from stdin)", form_help="Details"),
        _f("due", "datetime", "Due date/time for tasks (ISO, 'today', '+3d', 'next friday')",
           column="due_at"),
        _f("done_at", "datetime", "When it was done", settable=False),
        _f("owner", help="Owner (a user name)"),
        _f("external_id", help="Id in another system"),
    ),
}

# The filters `list` (and exports and the app) accept per record type; see domain.listing.
FILTERS = {
    "lead": ("status", "owner", "source", "search", "since", "tag"),
    "account": ("owner", "industry", "search", "since", "tag"),
    "contact": ("owner", "account", "search", "since", "tag"),
    "opportunity": ("owner", "status", "stage", "pipeline", "account", "search", "since",
                    "tag", "stale", "overdue", "closing_before", "closing_after",
                    "closed_after", "closed_before"),
    "activity": ("kind", "owner", "status", "on", "search", "since", "due_before"),
}

# Entity names as users type them on the command line and in `--on kind:ref`.
ALIASES = {
    "lead": "lead", "leads": "lead",
    "account": "account", "accounts": "account", "acct": "account",
    "contact": "contact", "contacts": "contact",
    "opp": "opportunity", "opps": "opportunity", "opportunity": "opportunity",
    "opportunities": "opportunity", "deal": "opportunity", "deals": "opportunity",
    "activity": "activity", "activities": "activity", "task": "activity",
    "pipeline": "pipeline", "stage": "stage",
}


def entity_name(word: str) -> str:
    from crmtui.errors import Invalid

    key = word.strip().lower()
    if key not in ALIASES:
        raise Invalid(
            f"unknown record type {word!r}",
            hint="use one of: lead, account, contact, opp, activity",
        )
    return ALIASES[key]


def field(entity: str, name: str) -> FieldSpec:
    for spec in FIELDS[entity]:
        if spec.name == name:
            return spec
    raise KeyError(f"{entity}.{name}")


def settable(entity: str) -> tuple[FieldSpec, ...]:
    return tuple(f for f in FIELDS[entity] if f.settable)
