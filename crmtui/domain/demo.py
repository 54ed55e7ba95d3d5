"""Deterministic demo data: a store that looks like a small sales team's year.

`generate(store, seed=7, leads=1000)` writes, through the bulk path:
- leads in every status (with scores computed by the real scoring rule),
- accounts (leads/5), contacts (2 per account), opportunities (0.6 per lead) created over
  the last 12 months, each with its stage history; some won, some lost with reasons, the
  rest open (a few stale, a few overdue),
- activities: logged calls/emails/meetings/notes, and tasks (some overdue, some due today,
  some upcoming).

The same seed and `now` give the same store. Scale with `leads` (1,000,000 is fine).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace
from typing import Callable, Iterator

from sqlalchemy import select

from crmtui.domain import leads as lead_rules
from crmtui.store import bulk
from crmtui.store.engine import Store
from crmtui.store.models import (
    Account, Activity, Contact, Lead, Opportunity, Stage, StageChange,
)

FIRST = ("Ada Grace Alan Edsger Barbara Donald Margaret Ken Dennis Linus Guido Bjarne Frances "
         "Katherine Tim Vint Radia Hedy Sophie John Mary Anita Jean Carol Fernando Leslie Niklaus "
         "Shafi Silvio Yukihiro Rasmus Anders James Brian Whitfield Martin Adele Joan Lynn Ruth "
         "Evelyn Hal Ivan Tony Robin Cynthia Ellen Susan Marian Lois Wei Priya Omar Lena Mateo "
         "Chiara Kofi Amara Yuki Hana").split()
LAST = ("Lovelace Hopper Turing Dijkstra Liskov Knuth Hamilton Thompson Ritchie Torvalds Rossum "
        "Stroustrup Allen Johnson Berners-Lee Cerf Perlman Lamarr Wilson Backus Keller Borg "
        "Sammet Kay Corbato Lamport Wirth Goldwasser Micali Matsumoto Lerdorf Hejlsberg Gosling "
        "Kernighan Diffie Fowler Goldberg Clarke Conway Lichterman Estrin Abelson Sutherland "
        "Hoare Milner Dwork Spertus Kam Croak Ullman Nakamura Okafor Rossi Sato Haddad Novak "
        "Garcia Mensah Patel Chen Kim").split()
PREFIX = ("Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay "
          "Pied Aperture Black Mesa Oscorp Gringotts Monarch Vehement Nakatomi Massive Dunder "
          "Prestige Bluth Sterling Kramerica Zorg Duff Krusty Virtucon Ollivander Nimbus Quantum "
          "Polar Cobalt Juniper Granite Harbor Summit Vertex Orbit Lumen Atlas Beacon Cedar "
          "Delta Ember Falcon Harvest Iris Keystone Lattice Maple Nova Onyx").split()
SUFFIX = ("Industries Labs Systems Corp Group Holdings Analytics Logistics Foods Energy Health "
          "Robotics Media Capital Software Partners Networks Dynamics Works Studios").split()
INDUSTRIES = ("Software Manufacturing Retail Healthcare Finance Logistics Education Energy Media "
              "Hospitality Construction Telecom").split()
SOURCES = ("web", "referral", "event", "partner", "outbound", "inbound", "webinar")
TITLES = ("CEO", "CTO", "CFO", "VP Sales", "Head of Operations", "IT Director", "Procurement Manager",
          "Engineering Manager", "Office Manager", "Analyst", "Founder", "Product Lead")
CITIES = (("Berlin", "Germany"), ("London", "United Kingdom"), ("Paris", "France"),
          ("New York", "United States"), ("Austin", "United States"), ("Toronto", "Canada"),
          ("Madrid", "Spain"), ("Lagos", "Nigeria"), ("Tokyo", "Japan"), ("Sydney", "Australia"),
          ("Milan", "Italy"), ("Accra", "Ghana"), ("Seoul", "South Korea"), ("Dublin", "Ireland"))
OWNERS = ("ada", "grace", "alan", "katherine", "linus")
LOST_REASONS = ("price too high", "chose a competitor", "no budget", "no decision",
                "timing", "missing feature")
DEAL_KINDS = ("renewal", "expansion", "new business", "pilot", "upgrade", "add-on")
STATUS_WEIGHTS = (("new", 35), ("working", 25), ("qualified", 15), ("disqualified", 15),
                  ("converted", 10))
CALL_SUBJECTS = ("Discovery call", "Follow-up call", "Pricing call", "Check-in", "Demo",
                 "Intro email", "Proposal sent", "Contract questions", "Kick-off meeting",
                 "Quarterly review")
TASK_SUBJECTS = ("Send proposal", "Prepare demo", "Follow up on pricing", "Book meeting",
                 "Send contract", "Call back", "Share case study", "Check budget")
DISQUALIFY = ("no budget", "not a fit", "no response", "duplicate", "student")


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


class Demo:
    def __init__(self, seed: int, n_leads: int, now: datetime):
        self.r = random.Random(seed)
        self.now = _aware(now).replace(microsecond=0)
        self.n_leads = n_leads
        self.n_accounts = max(5, n_leads // 5)
        self.n_contacts = self.n_accounts * 2
        self.n_opps = max(5, n_leads * 3 // 5)

    def _when(self, days_back: float) -> datetime:
        return self.now - timedelta(seconds=int(days_back * 86400))

    def _stamp(self, created: datetime, **row) -> dict:
        return {"created_at": created, "updated_at": created, "version": 1, **row}

    def company(self, i: int) -> str:
        return f"{PREFIX[i % len(PREFIX)]} {SUFFIX[(i // len(PREFIX)) % len(SUFFIX)]}" + (
            f" {i // (len(PREFIX) * len(SUFFIX)) + 1}" if i >= len(PREFIX) * len(SUFFIX) else "")

    @staticmethod
    def domain(name: str) -> str:
        return name.lower().replace(" ", "") + ".example"

    def accounts(self) -> Iterator[dict]:
        r = self.r
        for i in range(self.n_accounts):
            name = self.company(i)
            city, country = r.choice(CITIES)
            employees = r.choice((8, 25, 60, 150, 400, 1200, 5000))
            yield self._stamp(
                self._when(r.uniform(200, 400)), id=i + 1, name=name, domain=self.domain(name),
                industry=r.choice(INDUSTRIES), employees=employees,
                revenue_minor=employees * r.randint(80, 300) * 1000 * 100,
                phone=f"+1415555{i % 10000:04d}", website=f"https://www.{self.domain(name)}",
                city=city, country=country, owner=r.choice(OWNERS))

    def contacts(self) -> Iterator[dict]:
        r = self.r
        for i in range(self.n_contacts):
            account = i // 2 + 1
            first, last = r.choice(FIRST), r.choice(LAST)
            company = self.company(account - 1)
            yield self._stamp(
                self._when(r.uniform(100, 380)), id=i + 1, account_id=account, first_name=first,
                last_name=last, email=f"{first.lower()}.{last.lower()}{i}@{self.domain(company)}",
                phone=f"+1212555{i % 10000:04d}", title=r.choice(TITLES), owner=r.choice(OWNERS))

    def leads(self) -> Iterator[dict]:
        r = self.r
        statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
        for i in range(self.n_leads):
            first, last = r.choice(FIRST), r.choice(LAST)
            company = f"{r.choice(PREFIX)} {r.choice(SUFFIX)}"
            status = statuses[i % len(statuses)] if i < 100 else r.choice(statuses)
            created = self._when(r.uniform(0, 365))
            city, country = r.choice(CITIES)
            row = self._stamp(
                created, id=i + 1, first_name=first, last_name=last,
                email=f"{first.lower()}.{last.lower()}.{i}@{self.domain(company)}",
                phone=f"+1646555{i % 10000:04d}" if r.random() < 0.7 else None,
                company=company, title=r.choice(TITLES) if r.random() < 0.8 else None,
                industry=r.choice(INDUSTRIES), employees=r.choice((None, 10, 50, 200, 1000)),
                website=None, city=city, country=country, source=r.choice(SOURCES),
                status=status, owner=r.choice(OWNERS),
                disqualify_reason=r.choice(DISQUALIFY) if status == "disqualified" else None,
                converted_at=min(created + timedelta(days=3), self.now) if status == "converted"
                else None,  # never in the future: an export of the demo must import again
            )
            row["score"] = lead_rules.score(SimpleNamespace(**row), 0, None, self.now)
            yield row

    def opportunities(self, stages: list[Stage], opp_rows: list, changes: list) -> Iterator[dict]:
        """Deals with their walk through the pipeline; StageChange rows go to `changes`."""
        r = self.r
        open_stages = [s for s in stages if s.kind == "open"]
        won = next(s for s in stages if s.kind == "won")
        lost = next(s for s in stages if s.kind == "lost")
        for i in range(self.n_opps):
            oid = i + 1
            account = r.randint(1, self.n_accounts)
            contact = account * 2 - r.randint(0, 1)
            created = self._when(r.uniform(2, 365))
            age_days = (self.now - created).days
            fate = r.random()
            if age_days > 45 and fate < 0.35:
                final = won
            elif age_days > 30 and fate < 0.6:
                final = lost
            else:
                final = None
            last_open = r.randint(0, len(open_stages) - 1) if final is not lost else \
                r.randint(0, len(open_stages) - 1)
            if final is won:
                last_open = len(open_stages) - 1 if r.random() < 0.8 else last_open
            path = open_stages[: last_open + 1] + ([final] if final else [])
            at = created
            span = max(age_days - 1, 1)
            prev = None
            entered = created
            fresh = final is None and r.random() < 0.75  # most open deals are being worked
            for step, stage in enumerate(path):
                if step:
                    at = at + timedelta(seconds=int(r.uniform(0.1, 0.8) * span * 86400 / len(path)))
                    at = min(at, self.now - timedelta(hours=1))
                    if fresh and step == len(path) - 1:
                        at = max(at, self.now - timedelta(days=r.uniform(1, 10)))
                changes.append({"opportunity_id": oid, "from_stage_id": prev, "to_stage_id": stage.id,
                                "at": at, "source": "cli", "created_at": at, "updated_at": at,
                                "version": 1})
                prev = stage.id
                entered = at
            stage = path[-1]
            amount = r.choice((1500, 4800, 9000, 12000, 25000, 40000, 75000, 120000)) * 100
            amount += r.randint(0, 99) * 100
            close = (created + timedelta(days=r.randint(20, 120))).date()
            if stage.kind == "open" and r.random() < 0.15:
                close = (self.now - timedelta(days=r.randint(1, 20))).date()
            kind = r.choice(DEAL_KINDS)
            yield self._stamp(
                created, id=oid, name=f"{self.company(account - 1)} {kind}", account_id=account,
                contact_id=contact, pipeline_id=stage.pipeline_id, stage_id=stage.id,
                amount_minor=amount, currency="USD", close_date=close,
                owner=r.choice(OWNERS), source=r.choice(SOURCES),
                next_step=r.choice(TASK_SUBJECTS) if stage.kind == "open" else None,
                lost_reason=r.choice(LOST_REASONS) if stage.kind == "lost" else None,
                closed_at=entered if stage.kind != "open" else None, stage_entered_at=entered,
                last_activity_at=None)
            opp_rows.append((oid, account, contact, created, stage.kind))

    def activities(self, opp_rows: list) -> Iterator[dict]:
        r = self.r
        aid = 0
        today = self.now.date()
        for oid, account, contact, created, kind in opp_rows:
            recent = kind == "open" and r.random() < 0.75  # touched in the last ten days
            for i in range(r.randint(0, 3) + (1 if recent else 0)):
                aid += 1
                when = created + (self.now - created) * r.random()
                if recent and i == 0:
                    when = max(created, self.now - timedelta(days=r.uniform(0.2, 10)))
                yield self._stamp(
                    when, id=aid, kind=r.choice(("call", "email", "meeting", "note")),
                    subject=r.choice(CALL_SUBJECTS), body=None, due_at=None, done_at=when,
                    opportunity_id=oid, account_id=account, contact_id=contact, lead_id=None,
                    owner=r.choice(OWNERS))
            if kind == "open" and r.random() < 0.5:
                aid += 1
                offset = r.choice((-9, -4, -2, -1, 0, 0, 0, 1, 2, 3, 5, 6, 9, 14))
                due_day = today + timedelta(days=offset)
                due = datetime.combine(due_day, time(r.choice((9, 10, 11, 14, 15, 16))),
                                       timezone.utc)
                yield self._stamp(
                    self.now - timedelta(days=r.randint(1, 20)), id=aid, kind="task",
                    subject=r.choice(TASK_SUBJECTS), body=None, due_at=due, done_at=None,
                    opportunity_id=oid, account_id=account, contact_id=contact, lead_id=None,
                    owner=r.choice(OWNERS))
        for lead_id in range(1, min(self.n_leads, 400) + 1, 3):
            aid += 1
            when = self.now - timedelta(days=r.uniform(0, 60))
            yield self._stamp(
                when, id=aid, kind=r.choice(("call", "email")), subject=r.choice(CALL_SUBJECTS),
                body=None, due_at=None, done_at=when, lead_id=lead_id, account_id=None,
                contact_id=None, opportunity_id=None, owner=r.choice(OWNERS))


def generate(store: Store, *, seed: int = 7, leads: int = 1000, now: datetime | None = None,
             progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Fill an empty store with demo data; returns row counts per table."""
    from crmtui.errors import Conflict

    demo = Demo(seed, leads, now or datetime.now(timezone.utc))
    counts = {}

    def tick(label):
        return (lambda n: progress(label, n)) if progress else None

    with store.write_connection() as conn:
        if conn.scalar(select(Lead.id).limit(1)) or conn.scalar(select(Opportunity.id).limit(1)):
            raise Conflict("the demo store already holds data", hint="use --reset to rebuild it")
        stages = [Stage(**dict(row._mapping)) for row in conn.execute(
            select(Stage).where(Stage.pipeline_id == 1).order_by(Stage.position))]
        counts["accounts"] = bulk.insert_rows(conn, Account.__table__, demo.accounts(),
                                              progress=tick("accounts"))
        counts["contacts"] = bulk.insert_rows(conn, Contact.__table__, demo.contacts(),
                                              progress=tick("contacts"))
        counts["leads"] = bulk.insert_rows(conn, Lead.__table__, demo.leads(),
                                           progress=tick("leads"))
        opp_rows: list = []
        changes: list = []
        opp_iter = demo.opportunities(stages, opp_rows, changes)
        n = 0
        for batch in bulk.chunks(opp_iter):
            conn.execute(Opportunity.__table__.insert(), batch)
            bulk.insert_rows(conn, StageChange.__table__, changes)
            changes.clear()
            n += len(batch)
            if progress:
                progress("opportunities", len(batch))
        counts["opportunities"] = n
        counts["activities"] = bulk.insert_rows(conn, Activity.__table__,
                                                demo.activities(opp_rows),
                                                progress=tick("activities"))
        _last_activity(conn)
        _link_conversions(conn, counts["opportunities"])
        from crmtui.store.copy import reset_sequences

        reset_sequences(conn)
    return counts


def _link_conversions(conn, n_opps: int) -> None:
    """Converted leads point at a deal (and its account and contact), as conversion leaves
    them, so lead-to-revenue reports have something to follow."""
    from sqlalchemy import update

    target = (Lead.id * 7) % n_opps + 1
    opp = Opportunity.__table__

    def of_deal(column):
        return select(column).where(opp.c.id == target).scalar_subquery()

    conn.execute(update(Lead).where(Lead.status == "converted").values(
        converted_opportunity_id=target, converted_account_id=of_deal(opp.c.account_id),
        converted_contact_id=of_deal(opp.c.contact_id)))


def _last_activity(conn) -> None:
    """Denormalised `last_activity_at` for deals and leads, from the activities just written."""
    # one grouped pass joined by id (UPDATE ... FROM: SQLite >= 3.33, PostgreSQL); the
    # correlated form took a minute for 25k activities on PostgreSQL
    for table, column in (("opportunity", "opportunity_id"), ("lead", "lead_id")):
        conn.exec_driver_sql(
            f"UPDATE {table} SET last_activity_at = latest.at FROM (SELECT {column} AS id, "
            f"max(done_at) AS at FROM activity WHERE {column} IS NOT NULL GROUP BY {column}) "
            f"AS latest WHERE {table}.id = latest.id")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")  # fresh statistics for the reports that follow

