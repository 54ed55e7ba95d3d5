"""The import itself: one transaction, every row checked, matched, then written in bulk.

For each chunk of rows: values are converted column by column (`rows`), references resolved
(`references`), entity rules applied (the same `rules.before_create` as `crm X add`), rows
matched against existing records and against each other (`matching`: a filter of the keys
the table holds spares the store a lookup for nearly every new row), new rows inserted in
bulk (`store.bulk`), matched rows updated through `records.apply` (history, version, entity
rules) with their previous values kept for undo. The full-text index is filled per chunk by
one statement instead of once per row, and so are the new records' history rows.

On SQLite the database's share of a chunk (moving it into the table, the full-text index,
the history rows) runs on a second thread while the next chunk is read and checked: SQLite
works without Python's GIL, so both of a machine's cores are busy. It is one connection and
one transaction; the reading side waits for the writer before it touches the store again,
and an interrupt stops the writer before the transaction is rolled back.

The batch row, the records' `import_batch_id` and the ImportChange rows make `crm import
undo` possible. Default: any bad row -> nothing is written (the transaction is rolled back
after every row has been checked, so all problems are reported). `--on-error skip`: bad
rows go to the rejects file, the rest is committed. `--dry-run`: everything runs, then rolls
back.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from array import array
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import bindparam, insert, literal, select
from sqlalchemy.exc import IntegrityError

from crmtui.domain import dates, leads as lead_rules, records, rules, users
from crmtui.domain.identity import current_user
from crmtui.domain.words import plural
from crmtui.errors import Conflict, CrmError, Invalid
from crmtui.importer import convert, mapping, matching
from crmtui.importer.options import ImportOptions, Summary
from crmtui.importer.readers import Input, parse_delimiter
from crmtui.importer.references import References
from crmtui.importer.rows import (
    CLOSE_MOMENT, DEAL_STATUS, FUTURE_SLACK, Batch, ColumnView, Row, RowBuilder, clean_cell, reason_of,
)
from crmtui.paths import open_private
from crmtui.store import bulk
from crmtui.store.engine import Store
from crmtui.store.models import (
    ImportBatch, ImportChange, Opportunity, StageChange, TABLES_BY_ENTITY, utcnow,
)
from crmtui.textsafe import neutralise_formula

CHUNK = 5_000
CACHE_KIB = 64 * 1024  # SQLite's page cache during an import (indexes of a big table)
NEVER_UPDATED = {"created_at", "closed_at", "stage_entered_at", "converted_at"}  # history:
# set when a record is inserted
CREATED_FROM_CLOSE = "_created_from_close"  # a closed deal's created_at is its close time
BEFORE_CLOSE = "_stage_before_close"  # a closed deal's open stage before it closed (its id)
STAGE_BEFORE_CLOSE = "stage_before_close"  # that stage's column in crmtui's own export
_LEAD_SCORE_FIELDS = ("email", "phone", "company", "title", "first_name", "last_name", "source",
                      "employees")


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
        keys = matching.keys_for(options.entity, options.match, _matchable(plan))
        summary.match = [k.label for k in keys]
        if not keys and options.match is None:
            summary.notes.append(
                f"no column to match on ({', '.join(matching.DEFAULTS[options.entity])}): "
                "re-importing this file will add the rows again")
        _describe_plan(summary, plan)
        if on_plan:
            on_plan(inp, plan, keys)
        try:
            with store.write() as s, _unchecked_rule(options.entity):
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


@contextmanager
def _unchecked_rule(entity: str):
    """A constraint the store enforces and the rows were not checked against: the import
    stops with a message instead of a traceback (and is rolled back like any failure)."""
    try:
        yield
    except (IntegrityError, sqlite3.IntegrityError) as exc:
        raise Conflict(f"the import of {plural(entity)} stopped: the store refused a row "
                       f"({getattr(exc, 'orig', exc)}); nothing was imported",
                       hint="please report this: the import should have named the row") \
            from None


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
        self.owner = current_user()  # who imports (the history's actor)
        self.owners: dict[str, object] = {}  # owner as written -> as stored, or the error
        self.team = users.team_mode(s)
        try:  # new records without an owner: the same default as `crm X add`
            self.default_owner: object = users.default_owner(s)
        except CrmError as exc:
            self.default_owner = exc
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
        self.filters: list | None | bool = None  # matching.KeyFilter per key, once needed
        # external ids are unique: checked apart when rows are not matched on them
        self.unique = matching.external_id_key(options.entity) if "external_id" in \
            plan.fields() and not any(k.parts[0].col == "external_id" and len(k.parts) == 1
                                      for k in keys) else None
        self.columns = [c.name for c in self.table.columns]
        self.pos = {c: i for i, c in enumerate(self.columns)}
        self.inserter = None  # created by run()
        self.logged = False  # whether the inserter writes the new records' ChangeLog rows
        self.history: list[tuple[Batch, int]] = []  # new deals whose StageChange rows are due
        self.template = self._template()
        self.refs = References(s, batch_id=self.batch.id, create_missing=options.create_missing,
                               owner=None if isinstance(self.default_owner, CrmError)
                               else self.default_owner, now=self.now, created=summary.created)
        self.builder = RowBuilder(entity, plan, options, infer=self.infer, csv_like=self.csv_like)
        self.orders: dict | None = None
        self.rejects = None
        self.rejects_path = None
        if options.on_error == "skip" and not options.dry_run:
            self.rejects_path = Path(options.rejects) if options.rejects else \
                _default_rejects(options.source, inp.format)
        self.opp_stage_rows: list = []
        self.created_from_close = 0  # closed deals without created_at: created = closed
        # crmtui's own export: its `id` column (ignored as a value) tells records apart
        self.id_index = _id_index(plan)
        self.match_id = any(p.field == "id" for key in keys for p in key.parts)
        self.file_ids = array("q")  # crmtui id of each line of such a file (0: none)
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
            self.conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
        try:
            with bulk.deferred_insert_triggers(self.conn, self.table) as deferred:
                if sqlite:  # the database's share of the work runs beside the reading
                    sql, params = bulk.driver_statement(self.conn, self._history_rows(
                        bindparam("first"), bindparam("last")))
                    self.inserter = bulk.StagedInserter(
                        self.conn, self.table, self.columns, deferred,
                        follow_ups=[(sql, lambda first, last: params(first=first, last=last))])
                    self.logged = True
                else:
                    self.inserter = bulk.RowInserter(self.conn, self.table, self.columns)
                try:
                    self._pass()
                    self._notes()
                    self.inserter.close()
                    self._stage_history()
                except BaseException:
                    self.inserter.abort()  # before the transaction is rolled back
                    raise
        finally:
            if sqlite:
                try:
                    self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(old_cache)}")
                except Exception:  # interrupted: the connection is being rolled back
                    pass

    def _pass(self) -> None:
        rows = self.inp.rows()
        header = rows.header
        build = self.builder.build
        try:
            for lines, cells in rows.chunks(CHUNK):
                if len(header) > len(self.plan.targets):
                    self.plan.extend(header, self.options.maps)
                # meanwhile the previous chunk is being written: the Python side first
                batch = self._before_matching(build(lines, cells))
                self.inserter.wait()
                self._stage_history()
                if batch.n:
                    self._chunk(batch)
                if self.progress:
                    self.progress(rows.position(), self.inp.size)
        finally:
            rows.close()
        if self.progress:
            self.progress(self.inp.size, self.inp.size)

    def _notes(self) -> None:
        """What the summary should tell besides the counts."""
        if self.created_from_close:
            n = self.created_from_close
            self.summary.notes.append(
                f"{n:,} closed deal{'s' if n != 1 else ''} had no created date: created set "
                f"to {'their' if n != 1 else 'its'} close date")

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
                            text = clean_cell(cells[i], self.csv_like)
                            if text:
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

    def _before_matching(self, batch: Batch) -> Batch:
        """What needs no database, done while the previous chunk is being written: for leads
        and accounts (no references) the entity rules, the rows' keys and the values to
        insert, bind-processed; `_chunk` then only matches and writes."""
        self.summary.rows += batch.n
        if self.match_id:
            self._file_ids_as_keys(batch)
        batch = self._good(batch)
        if self.entity not in ("lead", "account") or not batch.n or self._by_row():
            return batch
        self._finalise_columns(batch)
        batch = self._good(batch)
        batch.ready = {"keys": self._key_values(batch), "insert": self._prepare_insert(batch)}
        return batch

    def _by_row(self) -> bool:
        """Whether rows need the store one by one (references to resolve)."""
        return self.entity in ("contact", "opportunity", "activity") or any(
            self.builder.specs[f].kind == "ref" for f in self.plan.fields()
            if f in self.builder.specs)

    def _chunk(self, batch: Batch) -> None:
        if self._by_row():  # row by row: references
            rows = [batch.row(i) for i in range(batch.n)]
            self._resolve(rows)
            rows = [r for r in rows if not self._rejected(r)]
            self._finalise(rows)
            rows = [r for r in rows if not self._rejected(r)]
            batch = Batch.of_rows(rows)
        inserts, updates = self._match(batch)
        flags = batch.cols.get(CREATED_FROM_CLOSE)
        if flags:
            self.created_from_close += sum(1 for i in inserts if flags[i])
        for i, existing in updates:
            self._update(batch.row(i), existing)
        self._insert(batch, inserts)  # last: it may finish in the background

    def _good(self, batch: Batch) -> Batch:
        """The batch without its bad rows (which are rejected, in file order)."""
        if not batch.problems:
            return batch
        for i in sorted(batch.problems):
            self._reject(batch.lines[i], batch.cells[i], batch.problems[i])
        return batch.take([i for i in range(batch.n) if i not in batch.problems])

    def _rejected(self, row: Row) -> bool:
        if not row.problems:
            return False
        self._reject(row.line, row.cells, row.problems)
        return True

    def _rejected_at(self, batch: Batch, i: int) -> bool:
        problems = batch.problems.get(i)
        if not problems:
            return False
        self._reject(batch.lines[i], batch.cells[i], problems)
        return True

    def _reject(self, line: int, cells: list, problems: list) -> None:
        self.summary.rejected += 1
        for p in problems:
            self.summary.problem(p)
        if self.rejects_path is not None:
            self._write_reject(line, cells, problems)

    # -- references and entity rules ---------------------------------------------------------
    def _resolve(self, rows: list[Row]) -> None:
        refs = self.refs
        for row in rows:
            raw = row.refs
            if not raw:
                if self.entity == "opportunity":
                    row.cols["pipeline_id"] = refs.pipeline(None)
                    self._deal_status(row)
                    self._stage_before_close(row)
                continue
            on_kind = self._resolve_on(row, raw) if self.entity == "activity" else None
            specs = self.builder.specs
            for name, text in raw.items():
                spec = specs.get(name)
                if spec is None or spec.kind != "ref" or spec.ref in ("pipeline", "stage") \
                        or name == on_kind:  # (`on` named that one, by id and name)
                    continue
                try:
                    row.cols[spec.col] = refs.record(spec.ref, text)
                    row.given.add(spec.col)
                except CrmError as exc:
                    row.bad(self.plan.column_of(name), text, reason_of(exc, name))
            if self.entity == "activity":
                self._account_of_activity(row)
            if self.entity == "opportunity":
                self._resolve_stage(row, raw)
                if "pipeline_id" in row.cols:
                    self._deal_status(row)
                    self._stage_before_close(row)

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

    def _deal_status(self, row: Row) -> None:
        """A status column (open/won/lost): a won or lost deal whose stage column names an
        open stage (the stage it was in when it closed, as Pipedrive exports it) or none
        goes to its pipeline's won/lost stage (the open stage is where its history has it
        closed from, `_stage_history`); a stage of another kind than the status is refused."""
        cols = row.cols
        status = cols.pop(DEAL_STATUS, None)
        row.given.discard(DEAL_STATUS)
        if status is None:
            return
        pipeline_id = cols["pipeline_id"]
        stage_id = cols.get("stage_id")
        stage = self.refs.stage_by_id(pipeline_id, stage_id) if stage_id else None
        if stage is not None and stage.kind == status:
            return
        column = self.plan.column_of("status")
        if stage is not None and stage.kind != "open":
            row.bad(column, self._cell(row, column), f"the status says {status} but the "
                    f"stage ({stage.name}) is a {stage.kind} stage")
            return
        if status == "open":
            return
        target = next((st for st in self.refs.stages(pipeline_id) if st.kind == status), None)
        if target is None:
            row.bad(column, self._cell(row, column), f"the deal's pipeline has no {status} "
                    "stage (add one with `crm stage add NAME --kind " + status + "`)")
            return
        if stage is not None:
            cols[BEFORE_CLOSE] = stage.id
        cols["stage_id"] = target.id
        row.given.add("stage_id")

    def _stage_before_close(self, row: Row) -> None:
        """A `stage_before_close` column (crmtui's export writes it for closed deals): the
        open stage of the deal's pipeline it names is where the deal's history has it closed
        from. A name that is no open stage of that pipeline, or a deal that is not closed,
        keeps the value in extra (nothing is lost)."""
        cols = row.cols
        name = (row.extra or {}).get(STAGE_BEFORE_CLOSE)
        if name is None or BEFORE_CLOSE in cols or not cols.get("stage_id"):
            return
        pipeline_id = cols["pipeline_id"]
        stage = self.refs.stage_by_id(pipeline_id, cols["stage_id"])
        if stage is None or stage.kind == "open" or stage.pipeline_id != pipeline_id:
            return
        text = str(name).strip()
        open_stages = [st for st in self.refs.stages(pipeline_id) if st.kind == "open"]
        for test in (lambda st: st.name == text, lambda st: st.name.lower() == text.lower(),
                     lambda st: mapping.norm(st.name) == mapping.norm(text)):
            hits = [st for st in open_stages if test(st)]
            if len(hits) == 1:
                cols[BEFORE_CLOSE] = hits[0].id
                del row.extra[STAGE_BEFORE_CLOSE]
                return

    def _resolve_on(self, row: Row, raw: dict) -> str | None:
        """The `on` column (TYPE:REF, or `TYPE:ID NAME` as crmtui exports it): which record
        the activity is on; returns that record's kind (its own column is then not read)."""
        if "on" not in raw:
            return None
        cols = row.cols
        text = raw["on"]
        kind, _, ref = text.partition(":")
        from crmtui.domain.fields import ALIASES

        target = ALIASES.get(kind.strip().lower())
        if not ref.strip() or target not in ("lead", "account", "contact", "opportunity"):
            row.bad(self.plan.column_of("on"), text,
                    "write what it is about as TYPE:REF, e.g. lead:ada@example.com, "
                    "account:Acme, opp:Acme renewal")
            return None
        try:
            cols[f"{target}_id"] = self._on_record(target, ref.strip())
            row.given.add(f"{target}_id")
        except CrmError as exc:
            row.bad(self.plan.column_of("on"), text, reason_of(exc, "on"))
            return None
        return target

    def _on_record(self, target: str, ref: str) -> int:
        """`ID NAME` (an export of crmtui): record ID when it has that name (ids are kept
        when an export is imported into an empty store), else NAME as any reference."""
        head, _, name = ref.partition(" ")
        if head.isdigit() and name.strip():
            def by_id():
                from crmtui.domain import refs as domain_refs

                obj = self.s.get(TABLES_BY_ENTITY[target], int(head))
                return obj.id if obj is not None and \
                    domain_refs.display_name(obj) == name.strip() else 0
            found = self.refs._cached((target + ".id", ref), by_id)
            if found:
                return found
            return self.refs.record(target, name.strip())
        return self.refs.record(target, ref)

    def _account_of_activity(self, row: Row) -> None:
        cols = row.cols
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
                    if entity == "lead":
                        column = self.plan.column_of("status")
                        problem = self._lead_rules(cols, self._cell(row, column))
                        if problem is not None:
                            row.bad(problem[0], problem[1], problem[2])
                if "owner" in self.pos:
                    owner, problem = self._owner(cols.get("owner"))
                    if problem is not None:
                        row.bad(self.plan.column_of("owner") if cols.get("owner") else None,
                                cols.get("owner"), problem)
                    else:
                        cols["owner"] = owner
            except CrmError as exc:
                row.bad(getattr(exc, "field", None) and self.plan.column_of(exc.field),
                        getattr(exc, "value", None), exc.message)

    def _finalise_columns(self, batch: Batch) -> None:
        """Leads and accounts: the entity's rules for new records, row by row on the columns."""
        entity, s = self.entity, self.s
        view = ColumnView(batch)
        for i in range(batch.n):
            view.i = i
            try:
                rules.before_create(s, entity, view, source="import")
            except CrmError as exc:
                batch.bad(i, getattr(exc, "field", None) and self.plan.column_of(exc.field),
                          getattr(exc, "value", None), exc.message)
                continue
            if entity == "lead":
                texts = batch.texts.get("status")
                problem = self._lead_rules(view, texts[i] if texts else None)
                if problem is not None:
                    batch.bad(i, *problem)
        if "owner" in self.pos:
            column = self.plan.column_of("owner")
            out = []
            for i, value in enumerate(batch.column("owner")):
                owner, problem = self._owner(value)
                if problem is not None:
                    batch.bad(i, column if value else None, value, problem)
                out.append(owner)
            batch.cols["owner"] = out

    def _lead_rules(self, cols, status_text: str | None):
        """A lead's status as the domain has it (`domain.leads`): a disqualified lead has a
        reason (one disqualified by another CRM's status keeps that status as its reason),
        no other lead has one; a converted lead links what it became, no other lead does.
        None, or (column, value, problem) naming the fix."""
        status = cols.get("status") or "new"
        reason = cols.get("disqualify_reason")
        status_column = self.plan.column_of("status")
        links = [cols.get(c) for c in ("converted_account_id", "converted_contact_id",
                                       "converted_opportunity_id")]
        if status == "disqualified" and not reason:
            if status_text and mapping.norm(status_text) != "disqualified":
                cols["disqualify_reason"] = f"{status_text} (imported status)"
            else:
                return (status_column, status_text, "a disqualified lead needs a reason: add a "
                        "disqualify_reason column (or --map 'COLUMN=disqualify_reason')")
        elif status != "disqualified" and reason:
            column = self.plan.column_of("disqualify_reason")
            return (column, self._shown(column, reason), f"only a disqualified lead has a "
                    f"disqualify reason (this one is {status}): empty it, or make the status "
                    "disqualified")
        if status == "converted":
            if not any(links):
                return (status_column, status_text, "a converted lead needs what it became: "
                        "add converted_account and/or converted_contact columns (names or "
                        "emails), or import it as qualified")
            if not cols.get("converted_at"):
                cols["converted_at"] = cols.get("created_at") or self.now
        elif any(links) or cols.get("converted_at"):
            return (status_column, status_text, f"the lead is {status} but the file says what "
                    "it was converted into: make its status converted, or empty those columns")
        return None

    @staticmethod
    def _shown(column: str | None, value):
        return value if column else None

    def _owner(self, value: str | None) -> tuple[str | None, str | None]:
        """(owner to store, None) or (None, the problem): the rule of `crm X add --owner`
        (`users.owner_value`: in team mode an active user, stored as the user's name), and
        without one the same default (`users.default_owner`); once per distinct value."""
        if value is None:
            default = self.default_owner
            if isinstance(default, CrmError):
                return None, _with_hint(default, "owner")
            return default, None
        if not self.team:
            return value, None
        hit = self.owners.get(value)
        if hit is None:
            self.inserter.wait()  # the store is asked: the writer thread must be idle
            try:
                hit = users.owner_value(self.s, value)
            except CrmError as exc:
                hit = exc
            self.owners[value] = hit
        if isinstance(hit, CrmError):
            return None, _with_hint(hit, "owner")
        return hit, None

    def _opportunity(self, row: Row) -> None:
        """A new deal's history from the file: created_at, and for a closed deal closed_at
        (else the close date, at its time of day or 00:00 local; else now). A closed deal
        without created_at was created when it closed (counted in the summary's notes);
        a row that turns out to update an existing deal is checked against that deal's
        created_at in `_update`."""
        cols, refs = row.cols, self.refs
        given_created = cols.get("created_at")
        stage_id = cols.get("stage_id")
        stage = refs.stage_by_id(cols["pipeline_id"], stage_id) if stage_id else None
        if stage is not None and stage.pipeline_id != cols["pipeline_id"]:
            stage = None
        closed = stage is not None and stage.kind != "open"
        created = given_created or self.now
        self._probability(row, stage)
        if closed:
            closed_at = cols.get("closed_at")
            column = self.plan.column_of("closed_at")
            if closed_at is None and cols.get("close_date"):
                closed_at = cols.get(CLOSE_MOMENT) or dates.local_midnight(cols["close_date"])
                column = self.plan.column_of("close_date")
            if closed_at is None:
                closed_at = self.now
            elif closed_at > self.now + FUTURE_SLACK:
                row.bad(column, self._cell(row, column),
                        f"the deal is {stage.kind} but its close date is in the future "
                        f"({dates.iso(closed_at)})")
                return
            if given_created is None:
                created = min(closed_at, self.now)
                if closed_at < self.now:
                    cols[CREATED_FROM_CLOSE] = True
            elif closed_at < created:
                row.bad(column, self._cell(row, column), "the deal closed before it was "
                        f"created ({dates.iso(created)})")
                return
            cols["closed_at"] = closed_at
            cols["stage_entered_at"] = cols.get("stage_entered_at") or closed_at
        elif cols.get("closed_at") is not None:
            column = self.plan.column_of("closed_at")
            row.bad(column, self._cell(row, column),
                    f"closed_at is set but the stage ({stage.name if stage else 'the first'}) "
                    "is open")
            return
        elif cols.get("lost_reason"):
            column = self.plan.column_of("lost_reason")
            row.bad(column, self._cell(row, column),
                    f"lost_reason is set but the deal is not lost (its stage, "
                    f"{stage.name if stage else 'the first'}, is open): give its lost stage in "
                    "the stage column, or a status column saying lost")
            return
        else:
            entered = cols.get("stage_entered_at")
            if entered is not None and entered < created:
                column = self.plan.column_of("stage_entered_at")
                row.bad(column, self._cell(row, column), "the deal entered its stage before "
                        f"it was created ({dates.iso(created)})")
                return
            cols["stage_entered_at"] = entered or created
        cols["created_at"] = created
        if not cols.get("name"):
            cols["name"] = self._deal_name(row)
        rules.before_create(self.s, "opportunity", cols, source="import")

    def _probability(self, row: Row, stage) -> None:
        """A probability column that only repeats the stage's own (Salesforce exports the
        effective probability) is no override: the deal keeps following its stage. A column
        named as an override (`probability_override`) is kept as given."""
        value = row.cols.get("probability")
        column = self.plan.column_of("probability")
        if value is None or column is None or mapping.norm(column) == "probabilityoverride":
            return
        if stage is None:
            stage = next((st for st in self.refs.stages(row.cols["pipeline_id"])
                          if st.kind == "open"), None)
        if stage is not None and stage.probability == value:
            row.cols["probability"] = None
            row.given.discard("probability")

    def _cell(self, row: Row, column: str | None) -> str | None:
        """The text of `column` in the row, as the file has it (for messages)."""
        if column is None:
            return None
        try:
            return row.cells[self.plan.header.index(column)].strip()
        except (ValueError, IndexError):
            return None

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
            column = self.plan.column_of("done_at") if "done_at" in row.given else None
            row.bad(column, self._cell(row, column) or dates.iso(cols["done_at"]),
                    "done_at is in the future")

    # -- matching ----------------------------------------------------------------------------
    def _match(self, batch: Batch) -> tuple[list[int], list[tuple[int, dict]]]:
        """Rows to insert, and (row, existing record) pairs to update; rejects the rest."""
        n = batch.n
        inserts: list[int] = []
        updates: list[tuple[int, dict]] = []
        if not self.keys and not self.unique:
            return list(range(n)), updates
        keys = self.keys
        lookups = keys + ([self.unique] if self.unique else [])
        ready = batch.ready["keys"] if batch.ready else self._key_values(batch)
        values, asked = ready
        if self.filters is None:
            self.filters = matching.key_filters(
                self.conn, self.table, lookups, max(CHUNK, self.inp.size // 64),
                existing_limit=max(100_000, self.inp.size // 8)) or False
            asked = None
        if asked is None:  # the values to look up: those the filters cannot rule out
            asked = [f.maybe(vals) for f, vals in zip(self.filters, values)] if self.filters \
                else values
        found = [matching.candidates(self.conn, self.table, key, vals)
                 for key, vals in zip(lookups, asked)]
        pending: list[dict] = [{} for _ in lookups]  # key -> line, rows written by this chunk
        # A file of crmtui's own (an `id` column): rows with different ids are different
        # records even when a key other than the external id is the same (the store allows
        # two deals named alike at one account); per key: whether that applies.
        ids = None if self.id_index is None else \
            [not (len(key.parts) == 1 and key.parts[0].field == "external_id") for key in keys]
        first_id, lines, matched = self.first_id, self.lines, self.matched
        ranges = range(len(keys))
        for i in range(n):
            hits: dict[int, str] = {}
            duplicate = None
            line_i = batch.lines[i]
            if ids is not None:
                self._note_file_id(line_i, batch.cells[i])
            for k in ranges:
                value = values[k][i]
                if value is None:
                    continue
                if value in pending[k]:
                    if ids is None or not ids[k] or not self._distinct(line_i, pending[k][value]):
                        duplicate = (keys[k].label, pending[k][value])
                        break
                    continue
                existing = found[k].get(value) if found[k] else None
                if existing and ids is not None and ids[k]:  # rows of this file, other ids
                    existing = [m for m in existing if not (m["id"] >= first_id and self._distinct(
                        line_i, lines[m["id"] - first_id]))]
                if not existing:
                    continue
                if len(existing) > 1:
                    key = keys[k]
                    some = ", ".join(str(m["id"]) for m in existing[:10])
                    column, shown = self._key_shown(batch, i, key.label)
                    batch.bad(i, column, shown or _show(value),
                              f"{key.label} matches {len(existing)} {plural(self.entity)} "
                              f"(ids {some}); match on another field with --match")
                    break
                for m in existing:
                    rid = m["id"]
                    if rid >= first_id:
                        duplicate = (keys[k].label, lines[rid - first_id])
                    elif rid in matched:
                        duplicate = (keys[k].label, matched[rid])
                    else:
                        hits[rid] = keys[k].label
                if duplicate:
                    break
            if duplicate:
                label, line = duplicate
                column, shown = self._key_shown(batch, i, label)
                derived = " (the deal's name is derived from its account and close date: " \
                    "add a name column to tell them apart)" if "name" in label and \
                    self.plan.column_of("name") is None and self.entity == "opportunity" \
                    else ""
                batch.bad(i, column, shown, f"same {label} as line {line} of this file"
                          + derived)
            elif len(hits) > 1 and i not in batch.problems:
                detail = " but ".join(f"{label} matches {self.entity} {rid}"
                                      for rid, label in hits.items())
                batch.bad(i, None, None, detail)
            if self.unique and i not in batch.problems and \
                    (not hits or self.options.on_conflict == "update"):
                self._check_unique(batch, i, values[-1][i], found[-1], pending[-1],
                                   next(iter(hits)) if hits else None)
            if self._rejected_at(batch, i):
                continue
            if not hits or self.options.on_conflict == "update":  # this row will be written:
                line = batch.lines[i]  # a later row with one of its keys matches it
                for k in range(len(lookups)):
                    value = values[k][i]
                    if value is not None:
                        pending[k][value] = line
            if not hits:
                inserts.append(i)
                continue
            rid, label = next(iter(hits.items()))
            matched[rid] = batch.lines[i]
            how = self.options.on_conflict
            if how == "skip":
                self.summary.skipped += 1
            elif how == "update":
                record = next(m for k in ranges for ms in found[k].values()
                              for m in ms if m["id"] == rid)
                updates.append((i, record))
            else:
                column, shown = self._key_shown(batch, i, label)
                batch.bad(i, column, shown,
                          f"{label} matches existing {self.entity} {rid} (use --on-conflict "
                          "update or skip)")
                matched.pop(rid, None)
                self._rejected_at(batch, i)
        if self.filters:  # what the table will hold: the new rows, and the updated ones
            written = inserts + [i for i, _ in updates]
            for f, vals in zip(self.filters, values):
                f.add([vals[i] for i in written])
        return inserts, updates

    def _file_ids_as_keys(self, batch: Batch) -> None:
        """`--match id`: the export's id of each row, as the key to look up (never written)."""
        column = self.plan.header[self.id_index]
        out = []
        for i, cells in enumerate(batch.cells):
            raw = getattr(cells[self.id_index], "value", cells[self.id_index]) \
                if self.id_index < len(cells) else ""
            text = "" if raw is None else str(raw).strip()  # JSON keeps the number's type
            if text.isdigit() and len(text) < 18 and not isinstance(raw, (bool, float)):
                out.append(int(text))
            else:
                out.append(None)
                if text:
                    batch.bad(i, column, text, "not a crmtui id (a whole number from "
                                               "`crm export`); empty it to add the row as new")
        batch.cols["id"] = out

    def _note_file_id(self, line: int, cells: list) -> None:
        text = cells[self.id_index].strip() if self.id_index < len(cells) else ""
        file_id = int(text) if text.isdigit() and len(text) < 18 else 0
        ids = self.file_ids
        if line >= len(ids):
            ids.extend([0] * (line + 1 - len(ids) + 1024))
        ids[line] = file_id

    def _distinct(self, line: int, other: int) -> bool:
        """Whether two lines of the file carry different crmtui ids (different records)."""
        ids = self.file_ids
        a = ids[line] if line < len(ids) else 0
        b = ids[other] if other < len(ids) else 0
        return bool(a and b and a != b)

    def _key_shown(self, batch: Batch, i: int, label: str) -> tuple[str | None, str | None]:
        """The column(s) and the file's text of key `label` in row i (for messages)."""
        key = next((k for k in self.keys if k.label == label), None)
        if key is None:
            return None, None
        columns, texts = [], []
        for part in key.parts:
            fields = ("first_name", "last_name") if part.how == "fullname" else (part.field,)
            for name in fields:
                column = self.plan.column_of(name)
                if column is None and part.how == "fullname":
                    column = self.plan.column_of("name")
                if column is not None and column not in columns:
                    columns.append(column)
                    try:
                        texts.append(clean_cell(batch.cells[i][self.plan.header.index(column)],
                                                self.csv_like))
                    except IndexError:
                        texts.append("")
                elif column is None and batch.cols.get(part.col):
                    texts.append(str(batch.cols[part.col][i]))
        return " + ".join(columns) or None, " + ".join(t for t in texts if t) or None

    def _key_values(self, batch: Batch) -> tuple[list, list | None]:
        """Each key's value per row, and those to look up in the store (None: not known
        yet, before the first chunk has built the filters)."""
        lookups = self.keys + ([self.unique] if self.unique else [])
        values = [matching.key_values(key, batch.cols, batch.n) for key in lookups]
        if self.filters is None:
            return values, None
        if not self.filters:
            return values, values
        return values, [f.maybe(vals) for f, vals in zip(self.filters, values)]

    def _check_unique(self, batch: Batch, i: int, value, found: dict, pending: dict,
                      target: int | None) -> None:
        """External ids are unique per record type, also when rows are matched on something
        else: a row that would give another record's external id to a new or updated one
        is refused (the database would refuse the whole import)."""
        if value is None:
            return
        column = self.plan.column_of("external_id")
        if value in pending:
            batch.bad(i, column, value[0], f"same external_id as line {pending[value]} of "
                                           "this file")
            return
        for m in found.get(value, ()):
            rid = m["id"]
            if rid == target:
                continue
            if rid >= self.first_id:
                batch.bad(i, column, value[0], f"same external_id as line "
                                               f"{self.lines[rid - self.first_id]} of this file")
            else:
                batch.bad(i, column, value[0], f"external id {value[0]!r} already belongs to "
                                               f"{self.entity} {rid} (external ids are unique)")
            return

    # -- writing -----------------------------------------------------------------------------
    def _insert(self, batch: Batch, rows: list[int]) -> None:
        """Insert rows `rows` of the batch (bind-processed beforehand, or now), in bulk."""
        if not rows:
            return
        prepared = batch.ready["insert"] if batch.ready else None
        if prepared is None:
            if len(rows) < batch.n:
                batch = batch.take(rows)
            rows = None
            prepared = self._prepare_insert(batch)
        first = self.next_id
        n = len(rows) if rows is not None else batch.n
        self.next_id += n
        self.inserter.insert_prepared(prepared, rows, more={"id": list(range(first, first + n))},
                                      ids=(first, first + n - 1))
        lines = batch.lines if rows is None else [batch.lines[i] for i in rows]
        self.lines.extend(lines)
        self.summary.inserted += n
        if self.entity == "opportunity":
            self.history.append((batch, first))

    def _prepare_insert(self, batch: Batch):
        """The batch's rows as the table's columns (defaults, the lead score), bind-processed."""
        template = dict(zip(self.columns, self.template))
        columns: dict[str, list] = {}
        for name, col in batch.cols.items():
            if name not in self.pos or name == "id":
                continue
            default = template.get(name)
            if name == "created_at":
                default = self.now
            columns[name] = col if default is None else \
                [default if v is None else v for v in col]
        if batch.extra is not None and any(batch.extra):
            columns["extra"] = batch.extra
        if self.entity == "lead":
            columns["score"] = self._lead_scores(batch)
        constants = {name: (self.now if name == "created_at" else value)
                     for name, value in template.items() if name not in columns and name != "id"}
        return self.inserter.prepare(batch.n, columns, constants)

    def _lead_scores(self, batch: Batch) -> list[int]:
        """Each new lead's score, by the rule every lead is scored by (no activities yet)."""
        cols, n, now, score = batch.cols, batch.n, self.now, lead_rules.score
        empty = [None] * n
        view = SimpleNamespace()
        out = []
        for email, phone, company, title, first, last, source, employees in zip(
                *(cols.get(c, empty) for c in _LEAD_SCORE_FIELDS)):
            view.email, view.phone, view.company, view.title = email, phone, company, title
            view.first_name, view.last_name, view.source = first, last, source
            view.employees = employees
            out.append(score(view, 0, None, now))
        return out

    def _stage_history(self) -> None:
        """Each new deal's creation, and for closed deals their close, as StageChange rows
        (once the deals are in the table: the rows refer to them). A closed deal was created
        in the open stage the file says it closed from (Pipedrive's stage with a won/lost
        status, crmtui's `stage_before_close`), else in its pipeline's first stage."""
        if not self.history:
            return
        table = StageChange.__table__
        if not hasattr(self, "_changes"):
            columns = ["opportunity_id", "from_stage_id", "to_stage_id", "at", "source",
                       "created_at", "updated_at", "version"]
            self._changes = bulk.RowInserter(self.conn, table, columns)
        out = []
        for batch, first_id in self.history:
            cols = batch.cols
            empty = [None] * batch.n
            for i, (pipeline_id, stage_id, created, closed_at, before) in enumerate(zip(
                    cols["pipeline_id"], cols["stage_id"], cols["created_at"],
                    cols.get("closed_at", empty), cols.get(BEFORE_CLOSE, empty))):
                stage = self.refs.stage_by_id(pipeline_id, stage_id)
                if stage.kind == "open":
                    steps = [(None, stage.id, created)]
                else:
                    opened = [st for st in self.refs.stages(pipeline_id) if st.kind == "open"]
                    first = next((st for st in opened if st.id == before),
                                 opened[0] if opened else None)
                    steps = ([(None, first.id, created)] if first else []) + \
                        [(first.id if first else None, stage.id, closed_at)]
                for from_id, to_id, at in steps:
                    out.append(self._changes.process([first_id + i, from_id, to_id, at,
                                                      "import", self.now, self.now, 1]))
        self.history = []
        self._changes.insert(out)

    def _update(self, row: Row, existing) -> None:
        cols = row.cols
        changed = {c: cols[c] for c in row.given - NEVER_UPDATED
                   if c in cols and not _same(existing.get(c), cols[c])}
        extra = None
        if row.extra:
            merged = {**(existing.get("extra") or {}), **row.extra}
            if merged != (existing.get("extra") or {}):
                extra = merged
        if not changed and extra is None:
            self.summary.unchanged += 1
            return
        closing = None
        if self.entity == "opportunity" and "stage_id" in changed:
            closing = self._closing(row, existing, changed["stage_id"])
            if closing is False:
                self._rejected(row)
                return
        obj = self.s.get(self.model, existing["id"])
        snapshot = {c: getattr(obj, c) for c in self.columns if c not in ("version", "updated_at")}
        try:
            with self.s.begin_nested():  # one update, one version: the fields and extra
                if extra is not None:
                    records.log(self.s, self.entity, obj.id, "edit", field="extra",
                                old=json.dumps(obj.extra or {}), new=json.dumps(extra),
                                source="import")
                    obj.extra = extra
                if changed:
                    records.apply(self.s, self.entity, obj, dict(changed), source="import")
                    if closing is not None:
                        self._closed_when(obj, closing)
                if extra is not None and obj.version == existing["version"]:
                    records.touch(self.s, self.entity, obj)
        except (CrmError, IntegrityError) as exc:
            self.s.expire(obj)
            if isinstance(exc, IntegrityError):  # a unique value another record holds
                row.bad(None, None, f"conflicts with another {self.entity}: {exc.orig}")
            else:
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

    def _closing(self, row: Row, existing, stage_id: int):
        """When an update closes a deal: the close time the file gives (None: none, the
        deal closes now), checked against the deal's own created_at; False: refused."""
        stage = self.refs.stage_by_id(row.cols.get("pipeline_id") or existing["pipeline_id"],
                                      stage_id)
        cols = row.cols
        if stage.kind == "open":
            return None
        closed_at, column = cols.get("closed_at"), self.plan.column_of("closed_at")
        if "closed_at" not in row.given:
            column = self.plan.column_of("close_date")
            if "close_date" not in row.given:
                return None
        if closed_at is None or closed_at == self.now:
            return None
        created = existing["created_at"]
        if created is not None and closed_at < created:
            row.bad(column, self._cell(row, column), "the deal closed before it was created "
                    f"({dates.iso(created)})")
            return False
        return closed_at

    def _closed_when(self, obj, closed_at) -> None:
        """The deal was just closed by an update: at the file's close time, not now (its
        closed_at, stage_entered_at, the StageChange row and their history)."""
        if obj.stage_id is None or obj.closed_at is None or obj.closed_at == closed_at:
            return
        moved = obj.closed_at
        self.s.flush()
        change = self.s.scalars(select(StageChange).where(
            StageChange.opportunity_id == obj.id, StageChange.to_stage_id == obj.stage_id)
            .order_by(StageChange.id.desc()).limit(1)).first()
        if change is not None and change.at == moved:
            change.at = closed_at
        from crmtui.store.models import ChangeLog

        logged = self.s.scalars(select(ChangeLog).where(
            ChangeLog.entity == "opportunity", ChangeLog.record_id == obj.id,
            ChangeLog.field.in_(("closed_at", "stage_entered_at")),
            ChangeLog.new == dates.iso(moved))).all()
        for entry in logged:
            entry.new = dates.iso(closed_at)
        obj.closed_at = closed_at
        obj.stage_entered_at = closed_at

    def finish(self) -> None:
        """After the last chunk: history rows, activity side effects, the batch's counts."""
        s, conn = self.s, self.conn
        s.flush()
        if self.next_id > self.first_id and not self.logged:  # (else written chunk by chunk)
            conn.execute(self._history_rows(self.first_id, self.next_id - 1))
        bulk.ids_used(conn, self.table, self.next_id - 1)
        if self.entity == "activity" and self.summary.inserted:
            self._activity_effects()
        batch = self.batch
        batch.inserted = self.summary.inserted
        batch.updated = self.summary.updated
        batch.skipped = self.summary.skipped  # (unchanged rows: extra["unchanged"])
        batch.rejected = self.summary.rejected
        batch.status = "done"
        batch.finished_at = utcnow()
        batch.extra = {"unchanged": self.summary.unchanged, "rows": self.summary.rows,
                       "created": dict(self.summary.created), "first_id": self.first_id,
                       "last_id": self.next_id - 1}
        s.flush()

    def _history_rows(self, first_id, last_id):
        """One ChangeLog row ("import", batch N) per record inserted with ids first..last."""
        from crmtui.store.models import ChangeLog

        log = ChangeLog.__table__
        chosen = select(literal(self.entity), self.table.c.id, literal("import"),
                        literal(f"batch {self.batch.id}"),
                        literal(self.now, type_=log.c.at.type), literal("import"),
                        literal(self.owner, type_=log.c.actor.type)).where(
            self.table.c.id.between(first_id, last_id))
        return insert(log).from_select(
            ["entity", "record_id", "action", "new", "at", "source", "actor"], chosen)

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
    def _write_reject(self, line: int, cells: list, problems: list) -> None:
        reason = "; ".join((f"{p.column}: " if p.column else "") + p.reason
                           for p in problems)
        if self.rejects is None:
            self.summary.rejects_file = str(self.rejects_path)
            encoding = "utf-8-sig" if self.inp.encoding.startswith("utf-16") else \
                self.inp.encoding
            fh = open_private(self.rejects_path, "w", encoding=encoding, errors="replace",
                              newline="")
            if self.csv_like:
                writer = csv.writer(fh, delimiter=self.inp.delimiter or ",", lineterminator="\r\n"
                                    if self.inp.encoding != "utf-8" else "\n")
                writer.writerow([neutralise_formula(h) for h in self.plan.header]
                                + ["_reason", "_line"])
            else:
                writer = None
            self.rejects = (fh, writer)
        fh, writer = self.rejects
        if writer is not None:
            width = len(self.plan.header)
            shown = list(cells[:width]) + [""] * (width - len(cells))
            # opened in a spreadsheet to be fixed: no cell runs as a formula there (as in an
            # export); importing the file again takes the `'` off
            writer.writerow([neutralise_formula(c) if isinstance(c, str) else c for c in
                             shown + [reason, line] + list(cells[width:])])
        else:
            obj = {h: getattr(c, "value", c) for h, c in zip(self.plan.header, cells)
                   if c != ""}
            obj.update({"_reason": reason, "_line": line})
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


def _matchable(plan: mapping.Plan) -> set[str]:
    """The fields rows will have when they are matched: the mapped ones, and a deal's name
    derived from its account when the file has no name column (`Job._deal_name`)."""
    fields = plan.fields()
    if plan.entity == "opportunity" and "name" not in fields and "account" in fields:
        fields = fields | {"name"}
    if _id_index(plan) is not None:  # crmtui's own export: `--match id` can use it
        fields = fields | {"id"}
    return fields


def _same(stored, given) -> bool:
    """Whether a file's value leaves the stored one as it is. A time written to the second
    (as `crm export` writes them) is the stored time when that differs only below it."""
    if stored == given:
        return True
    if isinstance(stored, datetime) and isinstance(given, datetime) and \
            given.microsecond == 0 and stored.tzinfo is not None and given.tzinfo is not None:
        return stored.replace(microsecond=0) == given
    return False


def _id_index(plan: mapping.Plan) -> int | None:
    """The column of crmtui's own `id` (an export's), which is no field to import."""
    if "id" in plan.header and plan.targets[plan.header.index("id")] is None:
        return plan.header.index("id")
    return None


def _with_hint(exc: CrmError, field_name: str) -> str:
    text = reason_of(exc, field_name)
    hint = getattr(exc, "hint", None)
    return f"{text} ({hint})" if hint and hint not in text else text


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
