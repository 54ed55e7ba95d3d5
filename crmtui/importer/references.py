"""Resolving what a row refers to: accounts, contacts, leads, deals, pipelines and stages.

Order: external id (exact), then email for people, then the exact name, then the name
ignoring case, then an account's domain (what an export writes for accounts that share a
name); never the numeric id (ids of another system mean nothing here). Several
matches are an error listing them. `--create-missing` creates missing accounts, and stages
(a stage named like "Closed Won" or "Lost" is the pipeline's won/lost stage; other new
stages are added as open stages before the closed ones). Every answer is cached, so a
column naming the same account a thousand times costs one query.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmtui.domain import pipelines, records, refs
from crmtui.errors import Ambiguous, CrmError, NotFound
from crmtui.domain.words import plural
from crmtui.importer.mapping import norm
from crmtui.store.models import Account, ImportChange, Pipeline, TABLES_BY_ENTITY

_WON = re.compile(r"\bwon\b|closedwon|dealwon", re.I)
_LOST = re.compile(r"\blost\b|closedlost|deallost", re.I)


def stage_kind_of(name: str) -> str | None:
    """'Closed Won' -> won, 'closedlost' -> lost, anything else -> None."""
    if _LOST.search(name):
        return "lost"
    if _WON.search(name):
        return "won"
    return None


class References:
    def __init__(self, s: Session, *, batch_id: int, create_missing: bool, owner: str | None,
                 now, created: dict[str, int]):
        self.s = s
        self.batch_id = batch_id
        self.create_missing = create_missing
        self.owner = owner
        self.now = now
        self.created = created
        self.cache: dict[tuple, object] = {}
        self.stage_cache: dict[int, list] = {}
        self.default_pipeline_id: int | None = None

    def _cached(self, key: tuple, compute):
        hit = self.cache.get(key)
        if hit is None:
            try:
                hit = compute()
            except CrmError as exc:
                hit = exc
            self.cache[key] = hit
        if isinstance(hit, CrmError):
            raise hit
        return hit

    # -- records -------------------------------------------------------------------------------
    def record(self, entity: str, raw: str) -> int:
        return self._cached((entity, raw), lambda: self._find(entity, raw))

    def _find(self, entity: str, raw: str) -> int:
        model = TABLES_BY_ENTITY[entity]
        s = self.s
        found = s.scalars(select(model.id).where(model.external_id == raw).limit(2)).all()
        if not found and entity in ("lead", "contact") and "@" in raw:
            found = s.scalars(select(model.id).where(func.lower(model.email) == raw.lower())
                              .limit(11)).all()
        if not found and entity != "activity":
            name = refs.name_expr(model)
            for condition in (name == raw, func.lower(name) == raw.lower()):
                found = s.scalars(select(model.id).where(condition).limit(11)).all()
                if found:
                    break
        if not found and entity == "account" and "." in raw and " " not in raw.strip():
            # an export names an account by its domain when two accounts share its name
            found = s.scalars(select(model.id).where(func.lower(model.domain) ==
                                                     raw.strip().lower()).limit(11)).all()
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(map(str, found[:10]))
            raise Ambiguous(f"{raw!r} matches {len(found) if len(found) <= 10 else 'over 10'} "
                            f"{plural(entity)} (ids {shown})")
        if entity == "account" and self.create_missing:
            return self._create_account(raw)
        hint = " (--create-missing creates it)" if entity == "account" else ""
        raise NotFound(f"no {entity} has the external id, email or name {raw!r}{hint}")

    def _create_account(self, name: str) -> int:
        account = Account(name=name, owner=self.owner, import_batch_id=self.batch_id,
                          created_at=self.now, updated_at=self.now)
        self.s.add(account)
        self.s.flush()
        records.log(self.s, "account", account.id, "import", new=f"batch {self.batch_id}",
                    source="import")
        self.created["account"] = self.created.get("account", 0) + 1
        return account.id

    # -- pipelines and stages ----------------------------------------------------------------
    def pipeline(self, raw: str | None) -> int:
        if raw is None:
            if self.default_pipeline_id is None:
                self.default_pipeline_id = refs.default_pipeline(self.s).id
            return self.default_pipeline_id
        return self._cached(("pipeline", raw), lambda: self._find_pipeline(raw))

    def _find_pipeline(self, raw: str) -> int:
        s = self.s
        for condition in (Pipeline.external_id == raw, Pipeline.name == raw,
                          func.lower(Pipeline.name) == raw.lower()):
            found = s.scalars(select(Pipeline.id).where(condition).limit(2)).all()
            if found:
                return found[0]
        names = ", ".join(s.scalars(select(Pipeline.name).order_by(Pipeline.id)).all())
        raise NotFound(f"no pipeline named {raw!r} (pipelines: {names})")

    def stages(self, pipeline_id: int) -> list:
        if pipeline_id not in self.stage_cache:
            self.stage_cache[pipeline_id] = refs.stages_of(self.s, pipeline_id)
        return self.stage_cache[pipeline_id]

    def stage(self, pipeline_id: int, raw: str):
        return self._cached(("stage", pipeline_id, raw), lambda: self._find_stage(pipeline_id, raw))

    def _find_stage(self, pipeline_id: int, raw: str):
        stages = self.stages(pipeline_id)
        for test in (lambda st: st.name == raw, lambda st: st.name.lower() == raw.lower(),
                     lambda st: norm(st.name) == norm(raw), lambda st: st.external_id == raw):
            hits = [st for st in stages if test(st)]
            if len(hits) == 1:
                return hits[0]
        kind = stage_kind_of(raw)
        if kind:
            of_kind = [st for st in stages if st.kind == kind]
            if len(of_kind) == 1:
                return of_kind[0]
        pipeline = self.s.get(Pipeline, pipeline_id)
        if not self.create_missing:
            names = ", ".join(st.name for st in stages)
            raise NotFound(f"pipeline {pipeline.name!r} has no stage {raw!r} (stages: {names}; "
                           "--create-missing creates it)")
        stage = pipelines.add_stage(self.s, pipeline_id, raw.strip(), kind=kind or "open",
                                    source="import")
        self.s.add(ImportChange(batch_id=self.batch_id, entity="stage", record_id=stage.id,
                                action="insert", before=None, version_after=stage.version))
        self.created["stage"] = self.created.get("stage", 0) + 1
        self.stage_cache.pop(pipeline_id, None)
        return stage

    def stage_by_id(self, pipeline_id: int, stage_id: int):
        for st in self.stages(pipeline_id):
            if st.id == stage_id:
                return st
        return self.s.get(refs.Stage, stage_id)
