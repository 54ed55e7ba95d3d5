"""SQLModel tables: the shape of the store.

Conventions (see DESIGN.md section 2):
- every record has `id`, `external_id` (case-sensitive upsert key), `created_at`,
  `updated_at` (aware UTC datetimes), `version` (optimistic locking) and `extra` (JSON);
- money is integer minor units (`*_minor`, two decimal places) and becomes `Decimal` at the edges;
- constraints and indexes are named by the metadata naming convention so migrations
  can address them on every backend.

The schema itself is created and changed only by the Alembic revisions under
`migrations/versions`; a test checks that those revisions produce these tables.
"""

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import JSON, BigInteger, Index, MetaData, UniqueConstraint, text
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Record(SQLModel):
    """Columns every table shares."""

    # Build each model's pydantic validator on first use, not at import: the CLI never
    # validates through them, and building 13 of them costs every command ~6 ms.
    model_config = {"defer_build": True}

    id: Optional[int] = Field(default=None, primary_key=True)
    external_id: Optional[str] = Field(default=None, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)
    extra: Optional[dict] = Field(default=None, sa_type=JSON)


class ImportBatch(Record, table=True):
    __tablename__ = "import_batch"

    entity: str
    source: str = ""
    format: str = ""
    options: Optional[dict] = Field(default=None, sa_type=JSON)
    status: str = "running"  # running, done, failed, undone
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    finished_at: Optional[datetime] = None
    undone_at: Optional[datetime] = None


class Imported(Record):
    """Records that can arrive through an import remember their batch."""

    import_batch_id: Optional[int] = Field(
        default=None, foreign_key="import_batch.id", ondelete="SET NULL", index=True
    )


class Pipeline(Record, table=True):
    __tablename__ = "pipeline"

    name: str = Field(unique=True)
    is_default: bool = False


class Stage(Record, table=True):
    __tablename__ = "stage"
    __table_args__ = (Index("ix_stage_pipeline_id_position", "pipeline_id", "position"),)

    pipeline_id: int = Field(foreign_key="pipeline.id", ondelete="CASCADE")
    name: str
    position: int
    probability: int = 0
    kind: str = "open"  # open, won, lost
    rot_days: Optional[int] = None


class Account(Imported, table=True):
    __tablename__ = "account"

    name: str = Field(index=True)
    domain: Optional[str] = Field(default=None, index=True)
    industry: Optional[str] = None
    employees: Optional[int] = None
    revenue_minor: Optional[int] = Field(default=None, sa_type=BigInteger)
    phone: Optional[str] = None
    website: Optional[str] = None
    city: Optional[str] = None
    country: Optional[str] = None
    owner: Optional[str] = Field(default=None, index=True)
    notes: Optional[str] = None
    tags: Optional[str] = None


class Contact(Imported, table=True):
    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_email_lower", text("lower(email)")),)

    account_id: Optional[int] = Field(default=None, foreign_key="account.id", index=True)
    first_name: str = ""
    last_name: str = ""
    email: Optional[str] = None
    phone: Optional[str] = None
    title: Optional[str] = None
    owner: Optional[str] = Field(default=None, index=True)
    notes: Optional[str] = None
    tags: Optional[str] = None


class Opportunity(Imported, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_stage_id_amount_minor", "stage_id", "amount_minor"),
        Index("ix_opportunity_close_date", "close_date"),
        Index("ix_opportunity_closed_at", "closed_at"),
    )

    name: str
    account_id: Optional[int] = Field(default=None, foreign_key="account.id", index=True)
    contact_id: Optional[int] = Field(
        default=None, foreign_key="contact.id", ondelete="SET NULL", index=True
    )
    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    stage_id: int = Field(foreign_key="stage.id")
    amount_minor: int = Field(default=0, sa_type=BigInteger)  # cents: 64-bit everywhere
    currency: str = "USD"
    close_date: Optional[date] = None
    probability: Optional[int] = None  # overrides the stage's probability when set
    owner: Optional[str] = Field(default=None, index=True)
    source: Optional[str] = None
    next_step: Optional[str] = None
    lost_reason: Optional[str] = None
    closed_at: Optional[datetime] = None
    stage_entered_at: datetime = Field(default_factory=utcnow)
    last_activity_at: Optional[datetime] = None
    notes: Optional[str] = None
    tags: Optional[str] = None


class Lead(Imported, table=True):
    __tablename__ = "lead"
    __table_args__ = (Index("ix_lead_email_lower", text("lower(email)")),)

    first_name: str = ""
    last_name: str = ""
    email: Optional[str] = None
    phone: Optional[str] = None
    company: Optional[str] = None
    title: Optional[str] = None
    industry: Optional[str] = None
    employees: Optional[int] = None
    website: Optional[str] = None
    city: Optional[str] = None
    country: Optional[str] = None
    source: Optional[str] = None
    status: str = Field(default="new", index=True)
    score: int = Field(default=0, index=True)
    owner: Optional[str] = Field(default=None, index=True)
    disqualify_reason: Optional[str] = None
    last_activity_at: Optional[datetime] = None
    converted_at: Optional[datetime] = None
    converted_account_id: Optional[int] = Field(
        default=None, foreign_key="account.id", ondelete="SET NULL"
    )
    converted_contact_id: Optional[int] = Field(
        default=None, foreign_key="contact.id", ondelete="SET NULL"
    )
    converted_opportunity_id: Optional[int] = Field(
        default=None, foreign_key="opportunity.id", ondelete="SET NULL"
    )
    notes: Optional[str] = None
    tags: Optional[str] = None


class StageChange(Record, table=True):
    """Append-only: one row per stage a deal entered. Reports and as-of views read it."""

    __tablename__ = "stage_change"
    # (deal, time, id) order with the stages: history, as-of views and funnels read only this
    __table_args__ = (Index("ix_stage_change_history", "opportunity_id", "at", "id",
                            "to_stage_id", "from_stage_id"),)

    opportunity_id: int = Field(foreign_key="opportunity.id", ondelete="CASCADE")
    from_stage_id: Optional[int] = Field(default=None, foreign_key="stage.id", ondelete="SET NULL")
    to_stage_id: Optional[int] = Field(
        default=None, foreign_key="stage.id", ondelete="SET NULL", index=True
    )
    at: datetime = Field(default_factory=utcnow)
    source: str = "cli"
    # set when the stage is deleted (its id above becomes NULL): history keeps its name
    from_stage_name: Optional[str] = None
    to_stage_name: Optional[str] = None


class Activity(Imported, table=True):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_done_at_due_at", "done_at", "due_at"),)

    kind: str  # call, email, meeting, note, task
    subject: str
    body: Optional[str] = None
    due_at: Optional[datetime] = None
    done_at: Optional[datetime] = None
    lead_id: Optional[int] = Field(default=None, foreign_key="lead.id", index=True)
    account_id: Optional[int] = Field(default=None, foreign_key="account.id", index=True)
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)
    opportunity_id: Optional[int] = Field(default=None, foreign_key="opportunity.id", index=True)
    owner: Optional[str] = Field(default=None, index=True)


class ChangeLog(SQLModel, table=True):
    """Append-only edit history: one row per changed field (or per event such as a merge)."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_entity_record_id", "entity", "record_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    entity: str
    record_id: int
    action: str = "edit"  # create, edit, delete, merge, convert, erase, import, undo
    field: Optional[str] = None
    old: Optional[str] = None
    new: Optional[str] = None
    at: datetime = Field(default_factory=utcnow)
    source: str = "cli"  # cli, app, import, system
    actor: Optional[str] = None


class ImportChange(SQLModel, table=True):
    """What an import did to one row, so the batch can be undone."""

    __tablename__ = "import_change"
    __table_args__ = (Index("ix_import_change_batch_id", "batch_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", ondelete="CASCADE")
    entity: str
    record_id: int
    action: str  # insert, update
    before: Optional[dict] = Field(default=None, sa_type=JSON)
    version_after: int = 1


TABLES_BY_ENTITY = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
    "activity": Activity,
    "pipeline": Pipeline,
    "stage": Stage,
}


class Quota(Record, table=True):
    """A sales target: the amount an owner should win in a period (`2026-Q4` or `2026-11`)."""

    __tablename__ = "quota"
    __table_args__ = (UniqueConstraint("owner", "period"),)

    owner: str
    period: str
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    currency: str = "USD"


class User(Record, table=True):
    """A member of the team; records' `owner` names one once the team has users."""

    __tablename__ = "crm_user"  # "user" is reserved on PostgreSQL

    name: str = Field(unique=True)
    full_name: Optional[str] = None
    email: Optional[str] = None
    active: bool = True


# Covering indexes for the reports (crmtui/reports, revision 0002): each report's GROUP BY
# reads one of these instead of the table rows.
_OPP = Opportunity.__table__.c
Index("ix_opportunity_report", _OPP.stage_id, _OPP.currency, _OPP.close_date,
      _OPP.amount_minor, _OPP.probability, _OPP.closed_at, _OPP.stage_entered_at,
      _OPP.last_activity_at, _OPP.created_at, _OPP.owner, _OPP.source, _OPP.pipeline_id,
      _OPP.account_id)
Index("ix_opportunity_closed", _OPP.stage_id, _OPP.currency, _OPP.closed_at, _OPP.amount_minor,
      _OPP.owner)
Index("ix_activity_report", Activity.__table__.c.done_at, Activity.__table__.c.owner,
      Activity.__table__.c.kind)
Index("ix_activity_account_id_done_at", Activity.__table__.c.account_id,
      Activity.__table__.c.done_at)
_LEAD = Lead.__table__.c
Index("ix_lead_report", _LEAD.source, _LEAD.status, _LEAD.created_at, _LEAD.owner,
      _LEAD.converted_opportunity_id)
