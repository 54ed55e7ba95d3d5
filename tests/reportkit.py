"""Small hand-built stores for the report tests: deals with explicit stage paths and times.

Everything is inserted directly with fixed UTC timestamps, so the expected figures in the
tests can be worked out by hand; reports run with `now` pinned to NOW.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from crmtui.domain import refs
from crmtui.store.models import (
    Account, Activity, Lead, Opportunity, Pipeline, Quota, StageChange,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)  # a Monday, in 2026-Q2


def at(text: str) -> datetime:
    """'2026-06-05' (noon UTC) or '2026-06-05 08:30' as an aware UTC datetime."""
    if len(text) == 10:
        text += " 12:00"
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def day(text: str) -> date:
    return date.fromisoformat(text)


def cents(amount: str) -> int:
    return round(float(amount) * 100)


class Kit:
    def __init__(self, store):
        self.store = store
        with store.read() as s:
            self.pipeline_id = refs.default_pipeline(s).id
            self.stages = {st.name: st for st in refs.stages_of(s, self.pipeline_id)}

    def stage_id(self, name: str) -> int:
        return self.stages[name].id

    def deal(self, name: str, amount: str = "0", *, path: list[tuple[str, str]],
             currency: str = "USD", owner: str | None = "ada", close: str | None = None,
             probability: int | None = None, lost_reason: str | None = None,
             source: str | None = None, account_id: int | None = None, history: bool = True,
             last_activity: str | None = None, created: str | None = None) -> int:
        """A deal that walked `path` [(stage name, when), ...]; the first entry is its creation.
        `history=False` stores no StageChange rows (as an import without history would)."""
        final, final_at = path[-1]
        stage = self.stages[final]
        with self.store.write() as s:
            opp = Opportunity(
                name=name, pipeline_id=self.pipeline_id, stage_id=stage.id,
                amount_minor=cents(amount), currency=currency, owner=owner,
                close_date=day(close) if close else None, probability=probability,
                lost_reason=lost_reason if lost_reason is not None else
                ("no budget" if stage.kind == "lost" else None),
                source=source, account_id=account_id,
                created_at=at(created or path[0][1]), updated_at=at(final_at),
                stage_entered_at=at(final_at),
                closed_at=at(final_at) if stage.kind != "open" else None,
                last_activity_at=at(last_activity) if last_activity else None)
            s.add(opp)
            s.flush()
            if history:
                previous = None
                for stage_name, when in path:
                    sid = self.stages[stage_name].id
                    s.add(StageChange(opportunity_id=opp.id, from_stage_id=previous,
                                      to_stage_id=sid, at=at(when), source="cli"))
                    previous = sid
            return opp.id

    def account(self, name: str, owner: str | None = "ada") -> int:
        with self.store.write() as s:
            acct = Account(name=name, owner=owner, created_at=at("2026-01-01"),
                           updated_at=at("2026-01-01"))
            s.add(acct)
            s.flush()
            return acct.id

    def lead(self, name: str, *, status: str = "new", source: str | None = None,
             owner: str | None = "ada", created: str = "2026-05-01",
             opportunity_id: int | None = None) -> int:
        with self.store.write() as s:
            lead = Lead(last_name=name, status=status, source=source, owner=owner,
                        created_at=at(created), updated_at=at(created),
                        converted_opportunity_id=opportunity_id)
            s.add(lead)
            s.flush()
            return lead.id

    def activity(self, kind: str, done: str | None, *, owner: str | None = "ada",
                 opportunity_id: int | None = None, account_id: int | None = None,
                 due: str | None = None) -> int:
        with self.store.write() as s:
            act = Activity(kind=kind, subject=f"{kind} {done}", owner=owner,
                           done_at=at(done) if done else None, due_at=at(due) if due else None,
                           opportunity_id=opportunity_id, account_id=account_id,
                           created_at=at(done or due or "2026-06-01"),
                           updated_at=at(done or due or "2026-06-01"))
            s.add(act)
            s.flush()
            return act.id

    def quota(self, owner: str, period: str, amount: str, currency: str = "USD") -> None:
        with self.store.write() as s:
            s.add(Quota(owner=owner, period=period, amount_minor=cents(amount),
                        currency=currency))

    def pipeline(self, name: str, stages: str) -> int:
        from crmtui.domain import pipelines

        with self.store.write() as s:
            p = pipelines.add_pipeline(s, name, stages)
            return p.id

    def report(self, name: str, **options) -> dict:
        from crmtui.reports import REPORTS, ReportOptions

        options.setdefault("now", NOW)
        for key in ("date_from", "date_to", "as_of"):
            if isinstance(options.get(key), str):
                options[key] = day(options[key])
        with self.store.read() as s:
            return REPORTS[name].compute(s, ReportOptions(**options))


def write_config(home, text: str) -> None:
    """Write config.toml in the test's data folder and make crmtui read it again."""
    from crmtui import config

    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)
    config.load.cache_clear()


def by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


__all__ = ["NOW", "Kit", "at", "day", "write_config", "by", "Pipeline"]
