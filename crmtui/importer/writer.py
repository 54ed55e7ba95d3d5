"""The import itself: one transaction, every row checked, matched, then written in bulk.

For each chunk of rows: values are converted (`rows`), references resolved (`references`),
entity rules applied (the same `rules.before_create` as `crm X add`), rows matched against
existing records and against each other (`matching`), new rows inserted with driver-level
executemany (`store.bulk`), matched rows updated through `records.apply` (history, version,
entity rules) with their previous values kept for undo. The full-text index is filled once
per import instead of once per row. The batch row, the records' `import_batch_id` and the
ImportChange rows make `crm import undo` possible.

Default: any bad row -> nothing is written (the transaction is rolled back after every row
has been checked, so all problems are reported). `--on-error skip`: bad rows go to the
rejects file, the rest is committed. `--dry-run`: everything runs, then rolls back.
"""

from __future__ import annotations

import csv
import json
import os
from array import array
from datetime import datetime, time, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import insert, literal, select

from crmtui.domain import dates, leads as lead_rules, records, rules
from crmtui.domain.identity import current_user
from crmtui.errors import CrmError, Invalid
from crmtui.importer import convert, mapping, matching
from crmtui.importer.options import ImportOptions, Summary
from crmtui.importer.readers import Input, parse_delimiter
from crmtui.importer.references import References
from crmtui.importer.rows import FUTURE_SLACK, Row, RowBuilder, reason_of
from crmtui.paths import open_private
from crmtui.store import bulk
from crmtui.store.engine import Store
from crmtui.store.models import (
    ImportBatch, ImportChange, Opportunity, StageChange, TABLES_BY_ENTITY, utcnow,
)
from crmtui.textsafe import unneutralise

CHUNK = 5_000
NEVER_UPDATED = {"created_at", "closed_at"}  # history: set when a record is inserted


class _Rollback(Exception):
    pass


def run(store: Store, options: ImportOptions, *, stdin=None,
        progress: Callable[[int, int], None] | None = None,
        on_plan: Callable[[Input, mapping.Plan, list], None] | None = None) -> Summary:
    """Import `options.source` into `store`; the summary says what happened (or would)."""
    inp = Input.open(options.source, stdin=stdin, encoding=options.encoding,
                     format=options.format, delimiter=parse_delimiter(options.delimiter))
    summary = Summary(entity=options.entity, file=inp.name, format=inp.format,
                      encoding=inp.encoding, delimiter=inp.delimiter, dry_run=options.dry_run)
    job = None
    committed = False
    try:
        plan = mapping.plan(options.entity, list(inp.header), options.maps, source=inp.name)
        keys = matching.keys_for(options.entity, options.match, plan.fields())
        summary.match = [k.label for k in keys]
        _describe_plan(summary, plan)
        if on_plan:
            on_plan(inp, plan, keys)
        try:
            with store.write() as s:
                job = Job(s, inp, plan, keys, options, summary, progress)
                job.run()
                _describe_plan(summary, plan)
                failed = options.on_error == "abort" and summary.rejected
                if options.dry_run or failed:
                    raise _Rollback
                job.finish()
            committed = True
        except _Rollback:
            pass
        if options.dry_run:
            summary.batch = None
            summary.finish("dry-run")
        elif not committed:
            summary.batch = None
            summary.inserted = summary.updated = summary.unchanged = summary.skipped = 0
            summary.created = {}
            summary.finish("failed")
        else:
            summary.finish("done")
        return summary
    finally:
        if job is not None:
            job.close_rejects(keep=committed)
        inp.close()


def _describe_plan(summary: Summary, plan: mapping.Plan) -> None:
    summary.mapping = dict(plan.mapping)
    summary.extra_columns = list(plan.extra)
    summary.ignored_columns = dict(plan.ignored)


class Job:
    def __init__(self, s, inp: Input, plan: mapping.Plan, keys: list, options: ImportOptions,
                 summary: Summary, progress):
        self.s = s
        self.conn = s.connection()
        self.inp = inp
        self.plan = plan
        self.keys = keys
        self.options = options
        self.summary = summary
        self.progress = progress
        self.entity = entity = options.entity
        self.model = TABLES_BY_ENTITY[entity]
        self.table = self.model.__table__
        self.now = utcnow()
        self.owner = current_user()
        self.csv_like = inp.format in ("csv", "tsv")
        self.batch = ImportBatch(entity=entity, source=_source_label(options.source),
                                 format=inp.format, options=options.as_json(), status="running",
                                 created_at=self.now, updated_at=self.now)
        s.add(self.batch)
        s.flush()
        summary.batch = self.batch.id
        self.first_id = self.next_id = bulk.next_id(self.conn, self.table)
        self.lines = array("q")  # line of each inserted row, by id - first_id
        self.matched: dict[int, int] = {}  # existing record id -> line that matched it
        self.columns = [c.name for c in self.table.columns]
        self.pos = {c: i for i, c in enumerate(self.columns)}
        self.inserter = bulk.RowInserter(self.conn, self.table, self.columns)
        self.template = self._template()
        self.refs = References(s, batch_id=self.batch.id, create_missing=options.create_missing,
                               owner=self.owner, now=self.now, created=summary.created)
        self.builder = RowBuilder(entity, plan, options, infer=self.infer, csv_like=self.csv_like)
        self.orders: dict | None = None
        self.rejects = None
        self.rejects_path = None
        if options.on_error == "skip" and not options.dry_run:
            self.rejects_path = Path(options.rejects) if options.rejects else \
                _default_rejects(options.source, inp.format)
        self.opp_stage_rows: list = []
        self.has_names = bool({"first_name", "last_name"} & plan.fields())

    def _template(self) -> list:
        values = []
        for column in self.columns:
            field_info = self.model.model_fields.get(column)
            default = getattr(field_info, "default", None)
            if default is None or not isinstance(default, (str, int, float, bool)):
                default = None
            values.append(default)
        values[self.pos["version"]] = 1
        values[self.pos["updated_at"]] = self.now
        if "import_batch_id" in self.pos:
            values[self.pos["import_batch_id"]] = self.batch.id
        return values

    # -- the pass over the file ------------------------------------------------------------
    def run(self) -> None:
        sqlite = self.conn.dialect.name == "sqlite"
        if sqlite:
            old_cache = self.conn.exec_driver_sql("PRAGMA cache_size").scalar()
            self.conn.exec_driver_sql("PRAGMA cache_size = -65536")
        try:
            with bulk.deferred_insert_triggers(self.conn, self.table) as replay:
                self._pass()
                replay(self.first_id, self.next_id - 1)
        finally:
            if sqlite:
                try:
                    self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(old_cache)}")
                except Exception:  # interrupted: the connection is being rolled back
                    pass

    def _pass(self) -> None:
        rows = self.inp.rows()
        header = rows.header
        chunk: list[Row] = []
        build = self.builder.build
        try:
            for line, cells in rows:
                if len(header) > len(self.plan.targets):
                    self.plan.extend(header, self.options.maps)
                row = build(line, cells, len(self.plan.targets))
                if row is None:
                    continue
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    self._chunk(chunk)
                    chunk = []
                    if self.progress:
                        self.progress(rows.position(), self.inp.size)
            if chunk:
                self._chunk(chunk)
        finally:
            rows.close()
        if self.progress:
            self.progress(self.inp.size, self.inp.size)

    def infer(self, index: int) -> str:
        """The day/month order of a date column, from one scan of the whole file."""
        if self.orders is None:
            columns = self.builder.date_columns()
            stats = {i: convert.new_stats() for i, _ in columns}
            rows = self.inp.rows()
            try:
                for line, cells in rows:
                    for i, st in stats.items():
                        if i < len(cells):
                            text = cells[i].strip()
                            if text:
                                if self.csv_like and text[0] == "'":
                                    text = unneutralise(text)
                                convert.observe(st, text, line)
            finally:
                rows.close()
            self.orders = {}
            for i, src in columns:
                try:
                    self.orders[i] = convert.order_verdict(src, stats[i])
                except CrmError as exc:
                    self.orders[i] = exc
        verdict = self.orders[index]
        if isinstance(verdict, CrmError):
            raise verdict
        return verdict

    def _chunk(self, chunk: list[Row]) -> None:
        self.summary.rows += len(chunk)
        for row in chunk:
            row.given = set(row.cols)
        good = [r for r in chunk if not self._rejected(r)]
        if self.entity in ("contact", "opportunity", "activity"):
            self._resolve(good)
            good = [r for r in good if not self._rejected(r)]
        self._finalise(good)
        good = [r for r in good if not self._rejected(r)]
        inserts, updates = self._match(good)
        self._insert(inserts)
        for row, existing in updates:
            self._update(row, existing)

    def _rejected(self, row: Row) -> bool:
        if not row.problems:
            return False
        self.summary.rejected += 1
        for p in row.problems:
            self.summary.problem(p)
        if self.rejects_path is not None:
            self._write_reject(row)
        return True

    # -- references and entity rules ---------------------------------------------------------
    def _resolve(self, rows: list[Row]) -> None:
        refs = self.refs
        for row in rows:
            raw = row.refs
            if not raw:
                if self.entity == "opportunity":
                    row.cols["pipeline_id"] = refs.pipeline(None)
                continue
            for name in ("account", "contact", "lead", "opportunity"):
                if name in raw:
                    try:
                        row.cols[f"{name}_id"] = refs.record(name, raw[name])
                        row.given.add(f"{name}_id")
                    except CrmError as exc:
                        row.bad(self.plan.column_of(name), raw[name], reason_of(exc, name))
            if self.entity == "opportunity":
                self._resolve_stage(row, raw)
            elif self.entity == "activity":
                self._resolve_on(row, raw)

    def _resolve_stage(self, row: Row, raw: dict) -> None:
        refs = self.refs
        try:
            pipeline_id = refs.pipeline(raw.get("pipeline"))
        except CrmError as exc:
            row.bad(self.plan.column_of("pipeline"), raw.get("pipeline"),
                    reason_of(exc, "pipeline"))
            return
        row.cols["pipeline_id"] = pipeline_id
        if "pipeline" in raw:
            row.given.add("pipeline_id")
        if "stage" in raw:
            try:
                row.cols["stage_id"] = refs.stage(pipeline_id, raw["stage"]).id
                row.given.add("stage_id")
            except CrmError as exc:
                row.bad(self.plan.column_of("stage"), raw["stage"], reason_of(exc, "stage"))

    def _resolve_on(self, row: Row, raw: dict) -> None:
        cols = row.cols
        links = ("lead_id", "account_id", "contact_id", "opportunity_id")
        if "on" in raw and not any(cols.get(c) for c in links):
            text = raw["on"]
            kind, _, ref = text.partition(":")
            from crmtui.domain.fields import ALIASES

            target = ALIASES.get(kind.strip().lower())
            if not ref.strip() or target not in ("lead", "account", "contact", "opportunity"):
                row.bad(self.plan.column_of("on"), text,
                        "write what it is about as TYPE:REF, e.g. lead:ada@example.com, "
                        "account:Acme, opp:Acme renewal")
                return
            try:
                cols[f"{target}_id"] = self.refs.record(target, ref.strip())
                row.given.add(f"{target}_id")
            except CrmError as exc:
                row.bad(self.plan.column_of("on"), text, reason_of(exc, "on"))
                return
        if cols.get("account_id") is None:
            if cols.get("opportunity_id"):
                cols["account_id"] = self._account_of(Opportunity, cols["opportunity_id"])
            elif cols.get("contact_id"):
                from crmtui.store.models import Contact

                cols["account_id"] = self._account_of(Contact, cols["contact_id"])

    def _account_of(self, model, record_id: int):
        return self.refs._cached((model.__name__ + ".account", record_id),
                                 lambda: self.s.scalar(select(model.account_id)
                                                       .where(model.id == record_id)) or 0) or None

    def _finalise(self, rows: list[Row]) -> None:
        entity = self.entity
        for row in rows:
            cols = row.cols
            try:
                if entity == "opportunity":
                    self._opportunity(row)
                elif entity == "activity":
                    self._activity(row)
                else:
                    rules.before_create(self.s, entity, cols, source="import")
                if "owner" in self.pos and not cols.get("owner"):
                    cols["owner"] = self.owner
            except CrmError as exc:
                row.bad(getattr(exc, "field", None) and self.plan.column_of(exc.field),
                        getattr(exc, "value", None), exc.message)

    def _opportunity(self, row: Row) -> None:
        cols, refs = row.cols, self.refs
        created = cols.get("created_at") or self.now
        stage_id = cols.get("stage_id")
        stage = refs.stage_by_id(cols["pipeline_id"], stage_id) if stage_id else None
        if stage is not None and stage.pipeline_id != cols["pipeline_id"]:
            stage = None
        closed = stage is not None and stage.kind != "open"
        if closed:
            closed_at = cols.get("closed_at")
            if closed_at is None and cols.get("close_date"):
                closed_at = datetime.combine(cols["close_date"], time(0),
                                             dates.local_now().tzinfo).astimezone(timezone.utc)
            closed_at = closed_at or self.now
            if closed_at < created:
                row.bad(self.plan.column_of("closed_at") or self.plan.column_of("close_date"),
                        dates.iso(closed_at), "the deal closed before it was created "
                                              f"({dates.iso(created)})")
                return
            cols["closed_at"] = closed_at
            cols["stage_entered_at"] = closed_at
        elif cols.get("closed_at") is not None:
            row.bad(self.plan.column_of("closed_at"), dates.iso(cols["closed_at"]),
                    f"closed_at is set but the stage ({stage.name if stage else 'the first'}) "
                    "is open")
            return
        else:
            cols["stage_entered_at"] = created
        cols["created_at"] = created
        if not cols.get("name"):
            cols["name"] = self._deal_name(row)
        rules.before_create(self.s, "opportunity", cols, source="import")

    def _deal_name(self, row: Row) -> str:
        """No name column: "<account> deal", else "<contact> deal", else "Deal <external id>"."""
        raw = row.refs
        base = raw.get("account") or raw.get("contact")
        if base and "@" in base and row.cols.get("contact_id"):
            base = None
        if base:
            label = f"{base} deal"
        elif row.cols.get("external_id"):
            label = f"Deal {row.cols['external_id']}"
        else:
            label = f"Deal from line {row.line}"
        if row.cols.get("close_date"):
            label += f" {row.cols['close_date']:%Y-%m}"
        return label

    def _activity(self, row: Row) -> None:
        cols = row.cols
        if not cols.get("subject"):
            cols["subject"] = cols["kind"].capitalize()
        status = cols.pop("status", None)
        if "done_at" in cols:
            pass
        elif status == "done" or (status is None and cols["kind"] != "task"
                                  and (cols.get("due_at") is None or cols["due_at"] <= self.now)):
            cols["done_at"] = cols.get("due_at") or cols.get("created_at") or self.now
        if status is not None and "done_at" in cols:
            row.given.add("done_at")
        if cols.get("done_at") and cols["done_at"] > utcnow() + FUTURE_SLACK:
            row.bad(self.plan.column_of("done_at"), dates.iso(cols["done_at"]),
                    "done_at is in the future")

    # -- matching ----------------------------------------------------------------------------
    def _match(self, rows: list[Row]):
        inserts: list[Row] = []
        updates: list[tuple[Row, dict]] = []
        if not self.keys:
            return rows, updates
        found = [matching.candidates(self.conn, self.table, key, [r.cols for r in rows])
                 for key in self.keys]
        pending: list[dict] = [{} for _ in self.keys]  # key -> line, rows inserted by this chunk
        for row in rows:
            hits: dict[int, str] = {}
            duplicate = None
            for k, key in enumerate(self.keys):
                value = key.of(row.cols)
                if value is None:
                    continue
                if value in pending[k]:
                    duplicate = (key.label, pending[k][value])
                    break
                existing = found[k].get(value, [])
                if len(existing) > 1:
                    ids = ", ".join(str(m["id"]) for m in existing[:10])
                    row.bad(self.plan.column_of(key.parts[0].field), _show(value),
                            f"{key.label} matches {len(existing)} {self.entity}s (ids {ids}); "
                            "match on another field with --match")
                    break
                for m in existing:
                    rid = m["id"]
                    if rid >= self.first_id:
                        duplicate = (key.label, self.lines[rid - self.first_id])
                    elif rid in self.matched:
                        duplicate = (key.label, self.matched[rid])
                    else:
                        hits[rid] = key.label
                if duplicate:
                    break
            if duplicate:
                label, line = duplicate
                row.bad(None, None, f"same {label} as line {line} of this file")
            elif not row.problems and len(hits) > 1:
                detail = " but ".join(f"{label} matches {self.entity} {rid}"
                                      for rid, label in hits.items())
                row.bad(None, None, detail)
            if self._rejected(row):
                continue
            if not hits:
                for k, key in enumerate(self.keys):
                    value = key.of(row.cols)
                    if value is not None:
                        pending[k][value] = row.line
                inserts.append(row)
                continue
            rid, label = next(iter(hits.items()))
            self.matched[rid] = row.line
            how = self.options.on_conflict
            if how == "skip":
                self.summary.skipped += 1
            elif how == "update":
                record = next(m for k in range(len(self.keys)) for ms in found[k].values()
                              for m in ms if m["id"] == rid)
                updates.append((row, record))
            else:
                row.bad(self.plan.column_of(self.keys[0].parts[0].field) if label ==
                        self.keys[0].label else None, None,
                        f"{label} matches existing {self.entity} {rid} (use --on-conflict "
                        "update or skip)")
                self.matched.pop(rid, None)
                self._rejected(row)
        return inserts, updates

    # -- writing -----------------------------------------------------------------------------
    def _insert(self, rows: list[Row]) -> None:
        if not rows:
            return
        pos, template, process = self.pos, self.template, self.inserter.process
        batch = []
        for row in rows:
            values = template.copy()
            for column, value in row.cols.items():
                values[pos[column]] = value
            rid = self.next_id
            self.next_id += 1
            values[pos["id"]] = rid
            if values[pos["created_at"]] is None:
                values[pos["created_at"]] = self.now
            if row.extra:
                values[pos["extra"]] = row.extra
            if self.entity == "lead":
                values[pos["score"]] = self._lead_score(row.cols)
            batch.append(process(values))
            self.lines.append(row.line)
            row.record_id = rid
        self.inserter.insert(batch)
        self.summary.inserted += len(rows)
        if self.entity == "opportunity":
            self._stage_history(rows)

    def _lead_score(self, cols: dict) -> int:
        view = SimpleNamespace(email=cols.get("email"), phone=cols.get("phone"),
                               company=cols.get("company"), title=cols.get("title"),
                               first_name=cols.get("first_name"), last_name=cols.get("last_name"),
                               source=cols.get("source"), employees=cols.get("employees"))
        return lead_rules.score(view, 0, None, self.now)

    def _stage_history(self, rows: list[Row]) -> None:
        """Each new deal's creation, and for closed deals their close, as StageChange rows."""
        table = StageChange.__table__
        if not hasattr(self, "_changes"):
            columns = ["opportunity_id", "from_stage_id", "to_stage_id", "at", "source",
                       "created_at", "updated_at", "version"]
            self._changes = bulk.RowInserter(self.conn, table, columns)
        out = []
        for row in rows:
            cols = row.cols
            stage = self.refs.stage_by_id(cols["pipeline_id"], cols["stage_id"])
            created = cols["created_at"]
            if stage.kind == "open":
                steps = [(None, stage.id, created)]
            else:
                first = next((st for st in self.refs.stages(cols["pipeline_id"])
                              if st.kind == "open"), None)
                steps = ([(None, first.id, created)] if first else []) + \
                    [(first.id if first else None, stage.id, cols["closed_at"])]
            for from_id, to_id, at in steps:
                out.append(self._changes.process([row.record_id, from_id, to_id, at, "import",
                                                  self.now, self.now, 1]))
        self._changes.insert(out)

    def _update(self, row: Row, existing) -> None:
        cols = row.cols
        changed = {c: cols[c] for c in row.given - NEVER_UPDATED
                   if c in cols and existing.get(c) != cols[c]}
        extra = None
        if row.extra:
            merged = {**(existing.get("extra") or {}), **row.extra}
            if merged != (existing.get("extra") or {}):
                extra = merged
        if not changed and extra is None:
            self.summary.unchanged += 1
            return
        obj = self.s.get(self.model, existing["id"])
        snapshot = {c: getattr(obj, c) for c in self.columns if c not in ("version", "updated_at")}
        try:
            with self.s.begin_nested():
                if changed:
                    records.apply(self.s, self.entity, obj, dict(changed), source="import")
                if extra is not None:
                    records.log(self.s, self.entity, obj.id, "edit", field="extra",
                                old=json.dumps(obj.extra or {}), new=json.dumps(extra),
                                source="import")
                    obj.extra = extra
                    records.touch(self.s, self.entity, obj)
        except CrmError as exc:
            self.s.expire(obj)
            row.bad(getattr(exc, "field", None) and self.plan.column_of(exc.field), None,
                    exc.message)
            self.matched.pop(obj.id, None)
            self._rejected(row)
            return
        if obj.version == existing["version"]:
            self.summary.unchanged += 1
            return
        before = {c: _jsonable(v) for c, v in snapshot.items() if getattr(obj, c) != v}
        self.s.add(ImportChange(batch_id=self.batch.id, entity=self.entity, record_id=obj.id,
                                action="update", before={"columns": before,
                                                         "version": existing["version"]},
                                version_after=obj.version))
        self.summary.updated += 1

    def finish(self) -> None:
        """After the last chunk: history rows, activity side effects, the batch's counts."""
        s, conn = self.s, self.conn
        s.flush()
        if self.next_id > self.first_id:  # one history row per new record, in one statement
            from crmtui.store.models import ChangeLog

            log = ChangeLog.__table__
            chosen = select(literal(self.entity), self.table.c.id, literal("import"),
                            literal(f"batch {self.batch.id}"),
                            literal(self.now, type_=log.c.at.type), literal("import"),
                            literal(self.owner, type_=log.c.actor.type)).where(
                self.table.c.id.between(self.first_id, self.next_id - 1))
            conn.execute(insert(log).from_select(
                ["entity", "record_id", "action", "new", "at", "source", "actor"], chosen))
        if self.entity == "activity" and self.summary.inserted:
            self._activity_effects()
        batch = self.batch
        batch.inserted = self.summary.inserted
        batch.updated = self.summary.updated
        batch.skipped = self.summary.skipped + self.summary.unchanged
        batch.rejected = self.summary.rejected
        batch.status = "done"
        batch.finished_at = utcnow()
        batch.extra = {"unchanged": self.summary.unchanged, "rows": self.summary.rows,
                       "created": dict(self.summary.created), "first_id": self.first_id,
                       "last_id": self.next_id - 1}
        s.flush()

    def _activity_effects(self) -> None:
        """Imported activities move their deals' and leads' last activity time and lead scores."""
        conn = self.conn
        for table, column in (("opportunity", "opportunity_id"), ("lead", "lead_id")):
            conn.exec_driver_sql(
                f"UPDATE {table} SET last_activity_at = (SELECT max(done_at) FROM activity "
                f"WHERE activity.{column} = {table}.id) WHERE id IN (SELECT {column} FROM "
                f"activity WHERE import_batch_id = {int(self.batch.id)} AND done_at IS NOT NULL)")
        self.s.expire_all()
        from crmtui.store.models import Activity, Lead

        lead_ids = self.s.scalars(select(Activity.lead_id).where(
            Activity.import_batch_id == self.batch.id, Activity.lead_id.is_not(None))
            .distinct()).all()
        for lead_id in lead_ids:
            lead_rules.refresh_score(self.s, self.s.get(Lead, lead_id))

    # -- rejects -------------------------------------------------------------------------------
    def _write_reject(self, row: Row) -> None:
        reason = "; ".join((f"{p.column}: " if p.column else "") + p.reason
                           for p in row.problems)
        if self.rejects is None:
            self.summary.rejects_file = str(self.rejects_path)
            encoding = "utf-8-sig" if self.inp.encoding.startswith("utf-16") else \
                self.inp.encoding
            fh = open_private(self.rejects_path, "w", encoding=encoding, errors="replace",
                              newline="")
            if self.csv_like:
                writer = csv.writer(fh, delimiter=self.inp.delimiter or ",", lineterminator="\r\n"
                                    if self.inp.encoding != "utf-8" else "\n")
                writer.writerow(self.plan.header + ["_reason", "_line"])
            else:
                writer = None
            self.rejects = (fh, writer)
        fh, writer = self.rejects
        if writer is not None:
            width = len(self.plan.header)
            cells = list(row.cells[:width]) + [""] * (width - len(row.cells))
            writer.writerow(cells + [reason, row.line] + list(row.cells[width:]))
        else:
            obj = {h: c for h, c in zip(self.plan.header, row.cells) if c != ""}
            obj.update({"_reason": reason, "_line": row.line})
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def close_rejects(self, *, keep: bool) -> None:
        if self.rejects is not None:
            self.rejects[0].close()
            if not keep:
                try:
                    os.unlink(self.rejects_path)
                except FileNotFoundError:
                    pass
                self.summary.rejects_file = None
            self.rejects = None


def _show(value: tuple) -> str:
    return " + ".join(str(v) for v in value)


def _jsonable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _source_label(source: str) -> str:
    return "<stdin>" if source == "-" else str(Path(source).expanduser().resolve())


def _default_rejects(source: str, fmt: str) -> Path:
    ext = "csv" if fmt in ("csv", "tsv") else "jsonl"
    if source == "-":
        return Path.cwd() / f"stdin.rejects.{ext}"
    path = Path(source).expanduser()
    return path.with_name(f"{path.stem}.rejects.{ext}")


__all__ = ["run", "Invalid"]
