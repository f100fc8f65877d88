"""run_batch: classify a file of any size with the SQL engine, streaming, in input order.

1. CSV / Parquet: type every cell of each file in one parallel pass, straight from the file, into
   a compact typed table of an on-disk DuckDB work database (typing.py; row number = rowid + 2,
   see _in_file_order). JSON Lines: stage the lines as text, typed chunk by chunk. DuckDB keeps to
   ``memory_limit`` and spills to ``temp_directory``, so the input may be larger than memory.
2. For each chunk of rows: decide whether the row is *clean* (every cell accepted by the narrow
   SQL typing, id present and not repeated, members consistent, area and income given...). Clean
   households are classified by the compiled rule query (engine/sql.py) in one statement. Any
   other row goes to the per-record parser (classifier/io) — for tables after the last chunk,
   with its text re-read from the file once — which either types it or reports its errors exactly
   as the per-record path would; the few households it types are classified by the same
   BatchEngine. Every result row goes to a ``results`` table keyed by input position.
3. Member rows naming no household come last as error rows (as in classifier/io/readers.py).
4. The output is written with one ordered COPY to a temporary file beside the target and renamed
   over it only after everything succeeded; the errors file likewise. An interrupted run leaves
   no half-written file under the output name.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import duckdb

from classifier.batch.blanklines import without_empty_lines
from classifier.batch.sources import (
    Staged,
    detect_input_format,
    is_ragged_error,
    open_side,
    raw_record,
    stage,
    unreadable,
)
from classifier.batch.typing import (
    accepted_sql,
    empty_sql,
    fast_text_sql,
    fast_typed_cell,
    income_text_sql,
    strip_sql,
    text_ok_sql,
    typed_cell,
)
from classifier.engine.batch import BatchEngine, connect
from classifier.engine.sql import (
    COL_AREA,
    COL_DECLARED_COUNT,
    COL_ID,
    COL_IDX,
    COL_INCOME,
    COL_MEMBER_ID,
    COL_REF_DATE,
    literal,
    quote_ident,
)
from classifier.engine.sql import SQL_TYPES as _SQL_TYPES
from classifier.errors import EngineError, InputError, RecordError
from classifier.io.columns import default_column_map, known_indicator_keys
from classifier.io.contract import CONTRACT
from classifier.io.outputs import OutputFiles, WorkFolder, check_input_file, check_members_file
from classifier.io.records import PLACE_KEYS, id_key, parse_record
from classifier.io.results import result_schema
from classifier.io.writers import (
    CANNOT_CLASSIFY_VI,
    ERROR_COLUMNS,
    FORMULA_TRIGGERS_SQL,
    PLAIN_NUMBER_SQL,
    error_file_row,
    format_income,
    record_place,
    result_columns,
    result_values,
)
from classifier.model import CANNOT_CLASSIFY, Classification
from classifier.rules.ruleset import FactSpec, RuleSet

__all__ = ["BatchSummary", "run_batch"]

OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_RECORD_KEYS = (
    "id",
    "area",
    "income_per_capita_month",
    "income_total_month",
    "member_count",
    "reference_date",
    "members",
    "deprivations",
    "notes",
    *PLACE_KEYS,
)
# A JSON number with a fraction is not typed in SQL: DuckDB re-spells it from a double
# (1234567.0000000001 -> "1234567.0"), so the per-record parser reads its exact text instead.
_JSON_SCALARS = "('VARCHAR', 'BIGINT', 'UBIGINT', 'BOOLEAN', 'NULL')"

QUOTE = "'"

Progress = Callable[[int, int | None], None]


@attrs.frozen
class BatchSummary:
    """What a run did: ``read`` = ``classified`` + ``errored`` (one output row per input record)."""

    read: int
    classified: int
    errored: int
    seconds: float
    #: Things the user should know that are not errors (leftovers of killed runs removed...).
    notices: tuple[str, ...] = ()
    #: Classified households by class id.
    outcomes: Mapping[str, int] = attrs.field(factory=dict)


def run_batch(
    inputs: str | Path | Sequence[str | Path],
    output: str | Path,
    *,
    ruleset: RuleSet,
    reference_date: dt.date,
    errors_path: str | Path | None = None,
    chunk_rows: int = 250_000,
    progress: Progress | None = None,
    members_path: str | Path | None = None,
    memory_limit: str = "512MB",
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    rules_root: str | Path | None = None,
    method: str = "income",
) -> BatchSummary:
    """Classify every record of ``inputs`` (CSV, JSON Lines or Parquet) into ``output``.

    ``reference_date`` applies to records without their own. The output has the columns of
    classifier.io.writers.result_columns, one row per input record in input order (several input
    files are read one after the other); ``errors_path`` receives one line per problem (record id,
    row, source, field, value, what was expected). ``progress(done, total)`` is called per chunk.
    ``rules_root`` (the ruleset's rules folder) gives the column aliases and the indicator keys.
    """
    started = time.monotonic()
    paths = [Path(inputs)] if isinstance(inputs, str | Path) else [Path(p) for p in inputs]
    if not paths:
        raise InputError("no input file given")
    if members_path is not None and len(paths) != 1:
        raise InputError("a members file goes with exactly one households file")
    output = Path(output)
    out_fmt = _output_format(output, output_format)
    errors = Path(errors_path) if errors_path is not None else None
    for given in paths:
        check_input_file(given, regular=True)
    if members_path is not None:
        check_input_file(Path(members_path), "members file", regular=True)
        check_members_file(paths[0], Path(members_path))
    notices: list[str] = []
    workfolder = WorkFolder(temp_directory)
    # Checks, a lock per target, unique temporary files committed together (classifier/io/outputs.py).
    with (
        OutputFiles([output, errors], [*paths, Path(members_path) if members_path else None]) as files,
        workfolder as work,
    ):
        notices += files.notices + workfolder.notices
        out_tmp = files.temp(output)
        err_tmp = files.temp(errors) if errors is not None else None
        # An on-disk work database: staged input and results live on disk, DuckDB keeps to memory_limit.
        con = connect(
            memory_limit=memory_limit,
            temp_directory=str(work / "spill"),
            threads=threads,
            database=str(work / "work.duckdb"),
        )
        run: _Run | None = None
        try:
            run = _Run(
                con, ruleset, reference_date, err_tmp, Path(rules_root) if rules_root else None, method=method
            )
            offset = 0
            for index, given in enumerate(paths):
                fmt = detect_input_format(given, input_format)
                # Row numbers must match the per-record reader's, which counts empty lines.
                path = without_empty_lines(given, work) if fmt == "csv" else given
                mpath = without_empty_lines(Path(members_path), work) if members_path else None
                if fmt == "jsonl":
                    staged = stage(con, path, mpath)
                    offset = run.process_file(
                        staged, offset, chunk_rows, progress, file_index=index, files=len(paths)
                    )
                else:
                    offset = run.process_table_file(path, mpath, fmt, offset, chunk_rows, progress)
            run.write_output(out_tmp, out_fmt)
            outcomes = dict(
                con.execute(
                    "SELECT classification, count(*) FROM results WHERE error IS NULL GROUP BY 1"
                ).fetchall()
            )
            counts = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE error IS NULL), "
                "count(*) FILTER (WHERE error IS NOT NULL) "
                "FROM results"
            ).fetchone()
            run.close_errors()
            assert counts is not None
            files.commit()
        finally:
            if run is not None:
                run.close_errors()
            con.close()
    return BatchSummary(
        int(counts[0]), int(counts[1]), int(counts[2]), time.monotonic() - started, tuple(notices), outcomes
    )


def _in_file_order(con: Any, create_sql: str) -> None:
    """Run a CREATE TABLE ... AS SELECT over a file so that the table's rowid order is file order.

    Row numbers are taken from the rowid, so this is what makes them right. DuckDB keeps insertion
    order for a parallel scan only through its batch insert; its IN-list rewrite turns a long
    ``x IN (...)`` into a join, which makes it fall back to an unordered insert, so that rewrite is
    switched off here (the lists are short constant lists). Should the plan still not be a batch
    insert, the statement runs on one thread, which reads the file in order.
    """
    before = con.execute(
        "SELECT current_setting('disabled_optimizers'), current_setting('threads')"
    ).fetchone()
    assert before is not None
    disabled = ",".join(x for x in [str(before[0] or ""), "in_clause"] if x)
    con.execute(f"SET disabled_optimizers = '{disabled}'")
    try:
        plan = " ".join(str(r[-1]) for r in con.execute("EXPLAIN " + create_sql).fetchall())
        ordered = "batch create table as" in plan.lower().replace("_", " ")
        if not ordered:
            con.execute("SET threads = 1")
        con.execute(create_sql)
    finally:
        con.execute(f"SET disabled_optimizers = '{before[0] or ''}'")
        con.execute(f"SET threads = {int(before[1])}")


def _output_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in set(OUTPUT_FORMATS.values()):
            raise InputError(f"unknown batch output format {fmt!r}: use csv, jsonl or parquet")
        return fmt
    found = OUTPUT_FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(f"cannot tell the output format of {path.name}: name it .csv, .jsonl or .parquet")
    return found


class _Run:
    """State of one run: the engine, the results table, the errors file."""

    def __init__(
        self,
        con: Any,
        ruleset: RuleSet,
        reference_date: dt.date,
        err_tmp: Path | None,
        rules_root: Path | None = None,
        method: str = "income",
    ) -> None:
        self.con = con
        self.ruleset = ruleset
        # income, score or auto (classifier.engine.score). The compiled query classifies by income only:
        # a record the score method may classify goes to the per-record path (see clean_sql).
        self.method = method
        self.reference_date = reference_date
        self.columns = default_column_map(rules_root)
        self.indicator_keys = known_indicator_keys(rules_root)
        self.engine = BatchEngine(ruleset, connection=con)
        self.out_columns = result_columns(ruleset)
        # Column types from the one declared result schema (classifier/io/results.py).
        schema = result_schema(ruleset.indicator_ids).sql_columns()
        self.schema = schema
        ddl = ", ".join(f"{quote_ident(n)} {t}" for n, t in schema)
        con.execute(f"CREATE OR REPLACE TABLE results (seq BIGINT, {ddl})")
        self._err_handle = None
        self._err_csv: Any = None
        if err_tmp is not None:
            self._err_handle = err_tmp.open("w", encoding="utf-8-sig", newline="")
            self._err_csv = csv.writer(self._err_handle, lineterminator="\r\n")
            self._err_csv.writerow(ERROR_COLUMNS)

    # -- one CSV / Parquet file: typed where it lies ---------------------------------------------------

    def process_table_file(
        self,
        path: Path,
        members_path: Path | None,
        fmt: str,
        offset: int,
        chunk_rows: int,
        progress: Progress | None,
    ) -> int:
        """Type the households (and members) file in one pass each, straight from the file, into
        compact typed tables; classify them chunk by chunk; re-read the raw text only of the rows the
        SQL typing did not accept. Returns the next free output position."""
        con = self.con
        staged = Staged(fmt, open_side(path, fmt, self.columns, "households"), None, path.name)
        staged = self._typed_table(staged, "households", path, fmt)
        plan = _TypingPlan(self.ruleset, staged, self.indicator_keys)
        plan.prepare_typed(con)
        if members_path is not None:
            mfmt = detect_input_format(members_path)
            if mfmt == "jsonl":
                raise InputError(f"a members file must be .csv or .parquet, not {members_path.name}")
            side = open_side(members_path, mfmt, self.columns, "members")
            staged = self._typed_table(attrs.evolve(staged, members=side), "members", members_path, mfmt)
            plan = _TypingPlan(self.ruleset, staged, self.indicator_keys)
            plan.prepare_members(con)
        con.execute('CREATE OR REPLACE TEMP TABLE bad (rid BIGINT, "row" BIGINT, first_row BIGINT)')

        def classify_chunk(start: int, stop: int) -> int:
            con.execute(plan.chunk_households_sql(start, stop))
            con.execute(plan.chunk_members_sql(con, start, stop))
            return self._classify_chunk(plan, staged, start, stop, offset)

        high, total = self._by_chunks("t_hh_all", chunk_rows, classify_chunk, progress)
        self._slow_path_tables(staged, plan, offset, chunk_rows)
        written = con.execute(
            f"SELECT count(*) FROM results WHERE seq >= {offset} AND seq <= {offset + high}"
        ).fetchone()
        if written is None or written[0] != total:  # every input row must come out exactly once
            raise EngineError(f"{path.name}: {total} records read but {written and written[0]} written")
        orphans = self._orphans_typed(staged, offset + high + 1)
        return offset + high + 1 + orphans

    def _typed_table(self, staged: Staged, what: str, path: Path, fmt: str) -> Staged:
        """Run the typing statement of one side; a CSV row of the wrong width makes DuckDB's strict
        (parallel) scan fail, and the side is then read ragged (padded / spilled, not parallel)."""
        con = self.con
        for ragged in (False, True):
            if ragged:
                side = open_side(path, fmt, self.columns, what, ragged=True)
                staged = (
                    attrs.evolve(staged, households=side)
                    if what == "households"
                    else attrs.evolve(staged, members=side)
                )
            plan = _TypingPlan(self.ruleset, staged, self.indicator_keys)
            sql = plan.households_table_sql() if what == "households" else plan.members_table_sql()
            try:
                _in_file_order(con, sql)
                return staged
            except duckdb.InvalidInputException as exc:
                if ragged or fmt != "csv" or not is_ragged_error(exc):
                    raise unreadable(path, fmt, exc, ragged) from exc
        raise AssertionError("unreachable")

    def _slow_path_tables(self, staged: Staged, plan: _TypingPlan, offset: int, chunk_rows: int) -> None:
        """Rows the SQL typing did not accept: their text re-read from the file (one scan per side),
        then the per-record parser, in batches of ``chunk_rows`` households."""
        con = self.con
        count = con.execute("SELECT count(*) FROM bad").fetchone()
        if not count or not count[0]:
            return
        hh, mem = staged.households, staged.members
        assert hh is not None
        con.execute(
            f"CREATE OR REPLACE TABLE raw_bad AS SELECT b.first_row, r.* FROM {hh.rows} AS r "
            f"JOIN bad AS b USING (rid)"
        )
        if mem is not None:
            con.execute(
                f"CREATE OR REPLACE TABLE raw_bad_mem AS SELECT j.rid, r.* FROM {mem.rows} AS r "
                f"JOIN (SELECT rid, mrow FROM mem_j WHERE rid IN (SELECT rid FROM bad)) AS j USING (mrow)"
            )
        cols = ", ".join(f"r.{c}" for c in hh.columns)
        bounds = con.execute("SELECT min(rid), max(rid) FROM bad").fetchone()
        assert bounds is not None
        start, high = bounds
        while start <= high:
            stop = start + chunk_rows
            rows = con.execute(
                f'SELECT r.rid, r.rid AS "row", r.first_row, {cols} FROM raw_bad AS r '
                f"WHERE r.rid >= {start} AND r.rid < {stop} ORDER BY r.rid"
            ).fetchall()
            members: dict[int, list[tuple[int, Sequence[Any]]]] = {}
            if mem is not None and rows:
                mcols = ", ".join(f"m.{c}" for c in mem.columns)
                for rid, mrow, *cells in con.execute(
                    f"SELECT m.rid, m.mrow, {mcols} FROM raw_bad_mem AS m "
                    f"WHERE m.rid >= {start} AND m.rid < {stop} ORDER BY m.rid, m.mrow"
                ).fetchall():
                    members.setdefault(rid, []).append((mrow, cells))
            items = [(rid, row, first, cells, None, members.get(rid, [])) for rid, row, first, *cells in rows]
            self._per_record(items, staged, plan, offset)
            start = stop

    def _orphans_typed(self, staged: Staged, seq: int) -> int:
        """Member rows whose household is not in the file: one error record per household id."""
        if staged.members is None:
            return 0
        groups = self.con.execute(
            "SELECT hid, list(mrow ORDER BY mrow) FROM "
            "(SELECT rowid + 2 AS mrow, hid FROM t_mem_typed WHERE NOT blank) "
            "WHERE hid NOT IN (SELECT hid FROM hh_ids) GROUP BY hid ORDER BY min(mrow)"
        ).fetchall()
        return self._orphan_rows(staged, seq, groups)

    # -- one input file ------------------------------------------------------------------------------

    def process_file(
        self,
        staged: Staged,
        offset: int,
        chunk_rows: int,
        progress: Progress | None,
        *,
        file_index: int,
        files: int,
    ) -> int:
        """Classify every staged row; returns the next free output position."""
        con = self.con
        plan = _TypingPlan(self.ruleset, staged, self.indicator_keys)
        plan.prepare(con)
        high, _ = self._by_chunks(
            "raw_hh", chunk_rows, lambda start, stop: self._chunk(plan, staged, start, stop, offset), progress
        )
        return offset + high + 1  # JSON Lines carry members inline: no orphan member rows

    def _by_chunks(
        self, table: str, chunk_rows: int, run: Callable[[int, int], int], progress: Progress | None
    ) -> tuple[int, int]:
        """Call ``run(start, stop)`` over row-number ranges of ``table``; returns (max rid, row count).

        Row numbers are dense apart from blank rows, so fixed-width ranges give even chunks.
        """
        bounds = self.con.execute(f"SELECT min(rid), max(rid), count(*) FROM {table}").fetchone()
        assert bounds is not None
        low, high, total = bounds
        if total:
            done, start = 0, low
            while start <= high:
                done += run(start, start + chunk_rows)
                if progress is not None:
                    progress(done, total)
                start += chunk_rows
        return high or 0, total

    def _chunk(self, plan: _TypingPlan, staged: Staged, start: int, stop: int, offset: int) -> int:
        con = self.con
        con.execute(plan.typed_households_sql(start, stop))
        con.execute(plan.typed_members_sql(start, stop))
        return self._classify_chunk(plan, staged, start, stop, offset)

    def _classify_chunk(self, plan: _TypingPlan, staged: Staged, start: int, stop: int, offset: int) -> int:
        """t_hh0 / t_mem0 (one chunk, typed) -> clean rows classified into ``results``; the others to
        the slow path (now for JSON Lines; recorded in ``bad`` for tables)."""
        con = self.con
        con.execute(plan.clean_sql(self.reference_date, by_score=self.method))
        hh_cols = ", ".join(plan.engine_household_select(self.reference_date))
        con.execute(f"CREATE OR REPLACE TEMP TABLE hh AS SELECT {hh_cols} FROM t_hh WHERE clean")
        mem_cols = ", ".join(plan.engine_member_select())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE mem AS SELECT {mem_cols} FROM t_mem0 "
            f"WHERE rid IN (SELECT rid FROM hh)"
        )
        compiled = self.engine.compiled
        con.execute(f"CREATE OR REPLACE TEMP TABLE r AS {compiled.query('hh', 'mem', explain=False)}")
        # The missing answers are listed only for households left with unknown indicators (few).
        open_rids = "(SELECT rid FROM r WHERE unknown > 0)"
        idx = quote_ident(COL_IDX)
        # Members numbered 1, 2, ... within their household (member labels "member #2" need it).
        numbered = (
            f"(SELECT * REPLACE (CAST(row_number() OVER (PARTITION BY rid ORDER BY {idx}) AS INTEGER) "
            f"AS {idx}) FROM mem WHERE rid IN {open_rids})"
        )
        full = compiled.query(f"(SELECT * FROM hh WHERE rid IN {open_rids})", numbered)
        con.execute(f"CREATE OR REPLACE TEMP TABLE rm AS SELECT rid, missing_fields FROM ({full})")
        bad = con.execute("SELECT count(*) FROM r WHERE min_match <> 1 OR max_match <> 1").fetchone()
        if bad and bad[0]:
            raise EngineError(
                f"{bad[0]} households matched no or several classification rules of "
                f"{self.ruleset.id}; the rule checks should have found this"
            )
        con.execute(f"INSERT INTO results {self._result_select(offset)}")
        if staged.format != "jsonl":
            con.execute('INSERT INTO bad SELECT rid, "row", first_row FROM t_hh WHERE NOT clean')
            counted = con.execute("SELECT count(*) FROM t_hh").fetchone()
            return int(counted[0]) if counted else 0
        self._slow_path(staged, plan, offset)
        staged_rows, written = con.execute(
            f"SELECT (SELECT count(*) FROM t_hh), "
            f"(SELECT count(*) FROM results WHERE seq >= {start + offset} "
            f"AND seq < {stop + offset})"
        ).fetchone() or (0, 0)
        if staged_rows != written:  # every input row must come out exactly once
            raise EngineError(f"rows {start}..{stop - 1}: {staged_rows} records read but {written} written")
        return int(staged_rows)

    def _result_select(self, offset: int) -> str:
        rs = self.ruleset
        q = quote_ident
        labels = " ".join(f"WHEN {literal(c.id)} THEN {literal(c.label_vi)}" for c in rs.classes.values())
        values = {
            "id": f"hh.{q(COL_ID)}",
            "row": 't."row"',
            **{key: f"t.{q('f$' + key)}" for key in PLACE_KEYS},
            "classification": "r.outcome",
            "classification_vi": (
                f"CASE r.outcome {labels} "
                f"WHEN {literal(CANNOT_CLASSIFY)} THEN {literal(CANNOT_CLASSIFY_VI)} END"
            ),
            "income_per_capita_month": income_text_sql(f"hh.{q(COL_INCOME)}"),
            "deprivation_count": "r.known",
            "unknown_count": "r.unknown",
            **{i: f"r.{q('d$' + i)}" for i in rs.indicator_ids},
            "possible_outcomes": "r.possible_outcomes",
            "missing_fields": "coalesce(rm.missing_fields, []::VARCHAR[])",
            "standard": literal(rs.id),
            "rules_digest": literal(rs.digest[:12]),
            "provisional": literal(rs.provisional),
            "engine": literal(self.engine.name),
            "method": literal("income"),  # score-method rows never take this path (clean_sql)
            "reference_date": f"hh.{q(COL_REF_DATE)}",
            "error": "CAST(NULL AS VARCHAR)",
        }
        missing = set(self.out_columns) - set(values)
        if missing:  # a column added to result_columns must be filled here too
            raise EngineError(f"the batch pipeline does not fill result columns {sorted(missing)}")
        cols = [f"r.rid + {offset} AS seq", *(f"{values[c]} AS {q(c)}" for c in self.out_columns)]
        return (
            f"SELECT {', '.join(cols)} FROM r JOIN hh USING (rid) JOIN t_hh AS t USING (rid) "
            f"LEFT JOIN rm USING (rid)"
        )

    # -- rows the SQL typing did not accept ------------------------------------------------------------

    def _slow_path(self, staged: Staged, plan: _TypingPlan, offset: int) -> None:
        """JSON Lines rows of this chunk the SQL typing did not accept (tables: _slow_path_tables)."""
        rows = self.con.execute(
            'SELECT t.rid, t."row", t.first_row, raw.line FROM t_hh AS t '
            "JOIN raw_hh AS raw USING (rid) WHERE NOT t.clean ORDER BY t.rid"
        ).fetchall()
        items: list[Any] = [(rid, row, first, None, line, []) for rid, row, first, line in rows]
        self._per_record(items, staged, plan, offset)

    def _per_record(self, items: list[Any], staged: Staged, plan: _TypingPlan, offset: int) -> None:
        """Rows as the per-record reader would build them, through the per-record parser; the ones
        it types are classified by the same engine, the others become error rows."""
        if not items:
            return
        households = []
        out_rows: list[tuple[Any, ...]] = []
        for rid, row, first_row, cells, line, member_rows in items:
            record = raw_record(staged, row, cells, line, member_rows)
            if record.raw is None:
                self._error_row(out_rows, rid + offset, record.row, list(record.errors))
                continue
            seen: dict[str, int | None] = {}
            if first_row is not None and first_row != row:
                seen[id_key(plan.id_text(record.raw))] = first_row
            result = parse_record(
                record.raw,
                row=record.row,
                source=record.source,
                catalogue=self.ruleset.facts,
                indicator_keys=self.indicator_keys,
                seen_ids=seen,
                member_locations=record.member_locations,
                reference_date=self.reference_date,
            )
            if record.errors:
                result = [*record.errors, *(result if isinstance(result, list) else [])]
            if isinstance(result, list):
                self._error_row(out_rows, rid + offset, record.row, result, record_place(record.raw))
            else:
                households.append((rid, record.row, result))
        if households:
            results = self.engine.classify_each(
                [h for _, _, h in households], self.reference_date, method=self.method
            )
            for (rid, row, household), found in zip(households, results, strict=True):
                if isinstance(found, InputError):
                    self._error_row(out_rows, rid + offset, row, list(found.errors), household.place)
                else:
                    out_rows.append(self._result_row(rid + offset, row, found, household.place))
        self._insert(out_rows)

    def _result_row(
        self, seq: int, row: int | None, result: Classification, place: Mapping[str, str]
    ) -> tuple[Any, ...]:
        values = result_values(result, self.ruleset, row, place)
        # The results table holds the income as text, spelled exactly as the per-record CSV writer does.
        values["income_per_capita_month"] = format_income(result.income_per_capita_month)
        return (seq, *(values.get(c) for c in self.out_columns))

    def _error_row(
        self,
        out: list[tuple[Any, ...]],
        seq: int,
        row: int | None,
        errors: Sequence[RecordError],
        place: Mapping[str, str] | None = None,
    ) -> None:
        record_id = next((e.record_id for e in errors if e.record_id is not None), None)
        values: dict[str, Any] = {"id": record_id, "row": row, "error": "; ".join(e.message for e in errors)}
        values.update(place or {})
        out.append((seq, *(values.get(c) for c in self.out_columns)))
        if self._err_csv is not None:
            for e in errors:
                self._err_csv.writerow(error_file_row(e))

    def _insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        types = [("seq", "BIGINT"), *self.schema]
        columns = list(zip(*rows, strict=True))
        selects = ", ".join(f"unnest(${i}::{t}[])" for i, (_, t) in enumerate(types, start=1))
        self.con.execute(f"INSERT INTO results SELECT {selects}", [list(c) for c in columns])

    def _orphan_rows(self, staged: Staged, seq: int, groups: list[Any]) -> int:
        assert staged.members is not None
        out: list[tuple[Any, ...]] = []
        for i, (hid, rows) in enumerate(groups):
            expected = (
                f"the id of a household in {staged.source}"
                if hid
                else f"a household id (the id of a household in {staged.source})"
            )
            errors = [
                RecordError(
                    hid or None, "household_id", hid or None, expected, row=r, source=staged.members.source
                )
                for r in rows
            ]
            self._error_row(out, seq + i, rows[0], errors)
        self._insert(out)
        return len(groups)

    # -- output ----------------------------------------------------------------------------------------

    def write_output(self, path: Path, fmt: str) -> None:
        """One ordered COPY of the results (CSV: with a UTF-8 BOM, 1/0 and ';'-joined lists)."""
        con = self.con
        target = str(path).replace("'", "''")
        income = quote_ident("income_per_capita_month")
        if fmt in ("parquet", "jsonl"):
            # The income is kept as its exact text (see format_income); typed formats get a number.
            as_number = f"CAST({income} AS DOUBLE)" if fmt == "parquet" else f"CAST({income} AS JSON)"
            cols = ", ".join(
                f"{as_number} AS {income}" if n == "income_per_capita_month" else quote_ident(n)
                for n, _ in self.schema
            )
            form = "parquet" if fmt == "parquet" else "json"
            con.execute(f"COPY (SELECT {cols} FROM results ORDER BY seq) TO '{target}' (FORMAT {form})")
            return
        flat = []
        for name, sql_type in self.schema:
            col = quote_ident(name)
            if sql_type == "BOOLEAN":
                flat.append(f"CAST({col} AS INTEGER) AS {col}")
            elif sql_type == "VARCHAR[]":
                flat.append(f"NULLIF(array_to_string({col}, ';'), '') AS {col}")
            elif sql_type == "VARCHAR" and name != "income_per_capita_month":
                # As writers.excel_safe: text Excel would evaluate gets a leading "'".
                flat.append(
                    f"CASE WHEN regexp_matches({col}, {literal(FORMULA_TRIGGERS_SQL)}) AND NOT "
                    f"regexp_matches({col}, {literal(PLAIN_NUMBER_SQL)}) THEN {literal(QUOTE)} || {col} "
                    f"ELSE {col} END AS {col}"
                )
            else:
                flat.append(col)
        body = path.with_name(path.name + ".body")
        try:
            con.execute(
                f"COPY (SELECT {', '.join(flat)} FROM results ORDER BY seq) TO "
                f"'{str(body).replace(chr(39), chr(39) * 2)}' "
                # As Python's csv writer: CRLF lines, quotes only around separators, quotes and
                # line breaks (DuckDB would also quote any '#' as a comment character).
                "(FORMAT csv, HEADER false, NEW_LINE '\r\n', COMMENT '')"
            )
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle, lineterminator="\r\n").writerow(self.out_columns)
            with body.open("rb") as src, path.open("ab") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        finally:
            body.unlink(missing_ok=True)

    def close_errors(self) -> None:
        if self._err_handle is not None:
            self._err_handle.close()


class _TypingPlan:
    """The SQL that types one staged file's cells and decides which rows are clean."""

    def __init__(self, ruleset: RuleSet, staged: Staged, indicator_keys: frozenset[str]) -> None:
        self.rs = ruleset
        self.staged = staged
        self.keys = indicator_keys
        facts = ruleset.facts
        self.hh_facts = {n: s for n, s in facts.household.items() if not s.derived and n != "area"}
        self.mem_facts = {n: s for n, s in facts.member.items() if not s.derived}
        self.area_spec = facts.household.get("area") or facts.classification["area"]
        # JSON Lines: every field is extracted in one parse per line (a list of paths), then indexed.
        self.hh_paths = [*dict.fromkeys([*_RECORD_KEYS, *self.hh_facts])]
        self.hh_paths.remove("members")
        self.hh_paths.remove("deprivations")
        self.flag_paths = sorted(indicator_keys)
        self.mem_paths = ["id", "notes", *self.mem_facts]
        # Fields read as text: a cell longer than the typing contract allows is refused by the parser.
        self.text_fields = {
            "id",
            "notes",
            *PLACE_KEYS,
            *(n for n, s in self.hh_facts.items() if s.type == "string"),
        }
        self.member_text_fields = {
            "id",
            "notes",
            *(n for n, s in self.mem_facts.items() if s.type == "string"),
        }

    # -- where each field's text comes from ---------------------------------------------------------

    def _hh_cell(self, name: str, kind: str = "field") -> str | None:
        if self.staged.format == "jsonl":
            if kind == "flag":
                return f"raw.fv[{self.flag_paths.index(name) + 1}]"
            return f"raw.v[{self.hh_paths.index(name) + 1}]"
        side = self.staged.households
        assert side is not None
        col = side.column_of(kind, name)
        return f"raw.{col}" if col else None

    def _mem_cell(self, name: str) -> str | None:
        if self.staged.format == "jsonl":
            return f"e.v[{self.mem_paths.index(name) + 1}]"
        side = self.staged.members
        assert side is not None
        col = side.column_of("field", name)
        return f"m.{col}" if col else None

    def id_text(self, raw: Any) -> str:
        value = raw.get("id") if isinstance(raw, dict) else None
        return str(value).strip() if value is not None else ""

    # -- staging steps ------------------------------------------------------------------------------

    def prepare(self, con: Any) -> None:
        """JSON Lines, per file: parsed lines and household ids (first row of each id)."""
        con.execute(
            "CREATE OR REPLACE TABLE raw_j AS SELECT rid, "
            "CASE WHEN json_valid(line) THEN CAST(line AS JSON) END "
            "AS j FROM raw_hh"
        )
        # Ids that differ only in Unicode form are one id (classifier/io/records.py id_key).
        json_id = "nfc_normalize(" + strip_sql("(j ->> '$.id')") + ")"
        con.execute(
            f"CREATE OR REPLACE TABLE hh_ids AS SELECT rid, {json_id} AS hid FROM raw_j "
            "WHERE json_type(j, '$.id') = 'VARCHAR'"
        )
        con.execute(
            "CREATE OR REPLACE TABLE first_ids AS SELECT hid, min(rid) AS first_rid FROM hh_ids GROUP BY hid"
        )

    # -- CSV / Parquet: typed in one pass per file ----------------------------------------------------

    def households_table_sql(self) -> str:
        """``t_hh_typed``: every data row of the households file in file order (spacer rows flagged
        ``blank``), typed, with ``cells_ok``; no raw text kept. Row number = rowid + 2."""
        sel, ok = self._household_cells(fast=True)
        side = self.staged.households
        assert side is not None
        # Cells typed once (inner query), acceptance from the typed column and the raw text (outer).
        return (
            f"CREATE OR REPLACE TABLE t_hh_typed AS "
            f"SELECT * EXCLUDE ({', '.join(self._raw_cols(sel))}), "
            f"({' AND '.join(['shape_ok', *ok])}) AS cells_ok "
            f"FROM (SELECT {', '.join(sel)}, {side.blank} AS blank FROM {side.scan} AS raw) AS typed"
        )

    @staticmethod
    def _raw_cols(sel: list[str]) -> list[str]:
        """The e$ (raw text) columns of a fast-typed select list, dropped once acceptance is known."""
        out = [s.rsplit(" AS ", 1)[-1] for s in sel if s.rsplit(" AS ", 1)[-1].startswith('"e$')]
        return out or ["shape_ok"]

    def prepare_typed(self, con: Any) -> None:
        """The numbered view of the households, household ids for the member join, and the rows
        repeating an earlier row's id."""
        # The table was written in file order (preserve_insertion_order), so rowid 0 is row 2.
        con.execute(
            'CREATE OR REPLACE VIEW t_hh_all AS SELECT rowid + 2 AS rid, rowid + 2 AS "row", '
            "* EXCLUDE (blank) FROM t_hh_typed WHERE NOT blank"
        )
        fid = quote_ident("f$id")
        con.execute(
            f"CREATE OR REPLACE TABLE hh_ids AS SELECT rid, {fid} AS hid FROM t_hh_all WHERE {fid} <> ''"
        )
        con.execute(
            "CREATE OR REPLACE TABLE dups AS SELECT rid, first_rid FROM "
            "(SELECT rid, min(rid) OVER (PARTITION BY k) AS first_rid FROM "
            " (SELECT rid, nfc_normalize(hid) AS k FROM hh_ids) "
            " WHERE k IN (SELECT nfc_normalize(hid) FROM hh_ids GROUP BY 1 HAVING count(*) > 1)) "
            "WHERE rid <> first_rid"
        )

    def members_table_sql(self) -> str:
        """``t_mem_typed``: every data row of the members file in file order, typed, with its stripped
        household id (``hid``) and ``cells_ok``. Row number = rowid + 2."""
        side = self.staged.members
        assert side is not None
        sel, ok = self._member_cells()
        hid_col = side.column_of("field", "household_id")
        return (
            f"CREATE OR REPLACE TABLE t_mem_typed AS "
            f"SELECT typed.* EXCLUDE ({', '.join(self._raw_cols(sel))}), "
            f"({' AND '.join(ok) or 'TRUE'}) AS cells_ok "
            f"FROM (SELECT coalesce({fast_text_sql(f'm.{hid_col}')}, '') AS hid, {', '.join(sel)}, "
            f"{side.blank} AS blank FROM {side.scan} AS m) AS typed"
        )

    def prepare_members(self, con: Any) -> None:
        """``mem_j``: (household rid, member row) for every member row naming a household of the file."""
        con.execute(
            "CREATE OR REPLACE TABLE mem_j AS SELECT i.rid, m.mrow FROM "
            "(SELECT rowid + 2 AS mrow, hid FROM t_mem_typed WHERE NOT blank) AS m "
            "JOIN hh_ids AS i USING (hid)"
        )

    def chunk_households_sql(self, start: int, stop: int) -> str:
        return (
            f"CREATE OR REPLACE TEMP TABLE t_hh0 AS SELECT t.*, coalesce(d.first_rid, t.rid) AS first_row "
            f'FROM (SELECT rowid + 2 AS rid, rowid + 2 AS "row", * EXCLUDE (blank) FROM t_hh_typed '
            f"WHERE rowid >= {int(start) - 2} AND rowid < {int(stop) - 2} AND NOT blank) AS t "
            f"LEFT JOIN dups AS d USING (rid)"
        )

    def chunk_members_sql(self, con: Any, start: int, stop: int) -> str:
        if self.staged.members is None:
            return self.typed_members_sql(start, stop)
        # Members files list households mostly in order, so the chunk's member rows are a narrow
        # rowid range of the typed table (the whole table at worst, never wrong).
        span = con.execute(
            f"SELECT min(mrow), max(mrow) FROM mem_j WHERE rid >= {int(start)} AND rid < {int(stop)}"
        ).fetchone()
        low, high = span if span and span[0] is not None else (2, 1)
        return (
            f"CREATE OR REPLACE TEMP TABLE t_mem0 AS SELECT j.rid, m.* EXCLUDE (hid, blank) FROM "
            f"(SELECT rid, mrow FROM mem_j WHERE rid >= {int(start)} AND rid < {int(stop)}) AS j JOIN "
            f"(SELECT rowid + 2 AS mrow, * FROM t_mem_typed WHERE rowid >= {int(low) - 2} "
            f"AND rowid <= {int(high) - 2}) AS m USING (mrow)"
        )

    def _household_cells(self, fast: bool = False) -> tuple[list[str], list[str]]:
        sel: list[str] = []
        ok: list[str] = []

        def add(name: str, spec: FactSpec, cell: str | None) -> None:
            if cell is None:  # no such column: unknown, typed so that the rule query binds
                sel.append(f"CAST(NULL AS {_SQL_TYPES[spec.type]}) AS {quote_ident('f$' + name)}")
                return
            if fast:
                self._add_fast(sel, ok, name, spec, cell)
                return
            typed, empty = typed_cell(cell, spec)
            sel.append(f"{typed} AS {quote_ident('f$' + name)}")
            sel.append(f"{empty} AS {quote_ident('e$' + name)}")
            ok.append(f"({quote_ident('e$' + name)} OR {quote_ident('f$' + name)} IS NOT NULL)")

        for name, spec in self.hh_facts.items():
            add(name, spec, self._hh_cell(name))
        add("area", self.area_spec, self._hh_cell("area"))
        money = FactSpec(name="money", level="household", type="number", minimum=0)
        add("income_per_capita_month", money, self._hh_cell("income_per_capita_month"))
        add("income_total_month", money, self._hh_cell("income_total_month"))
        add(
            "member_count",
            FactSpec(name="member_count", level="household", type="integer", minimum=1),
            self._hh_cell("member_count"),
        )
        add(
            "reference_date",
            FactSpec(name="reference_date", level="household", type="date"),
            self._hh_cell("reference_date"),
        )
        for key in PLACE_KEYS:  # text as Household.place holds it (stripped; blank = absent)
            add(key, FactSpec(name=key, level="household", type="string"), self._hh_cell(key))
        flag_keys = sorted(self.keys) if self.staged.format == "jsonl" else self._table_flags()
        bool_spec = FactSpec(name="flag", level="household", type="bool")
        for key in flag_keys:
            add("flag." + key, bool_spec, self._hh_cell(key, "flag"))
        id_cell = self._hh_cell("id")
        id_sql = fast_text_sql(str(id_cell)) if fast else strip_sql(str(id_cell))
        sel.append(f"{id_sql} AS {quote_ident('f$id')}")
        sel.append(f"({self._shape_sql()}) AS shape_ok")
        return sel, ok

    @staticmethod
    def _add_fast(sel: list[str], ok: list[str], name: str, spec: FactSpec, cell: str) -> None:
        """One cell typed by fast_typed_cell; its raw text rides along (r$) only to decide acceptance."""
        typed, check = fast_typed_cell(cell, spec)
        sel.append(f"{typed} AS {quote_ident('f$' + name)}")
        if check:
            # The raw text rides along (e$) only to decide acceptance in the outer query.
            sel.append(f"{cell} AS {quote_ident('e$' + name)}")
            ok.append(accepted_sql(quote_ident("e$" + name), quote_ident("f$" + name)))

    def typed_households_sql(self, start: int, stop: int) -> str:
        cells, ok = self._household_cells()
        sel = ["raw.rid", 'raw."row"', "f.first_rid AS first_row", *cells]
        if self.staged.format == "jsonl":
            paths = "[" + ", ".join(literal("$." + p) for p in self.hh_paths) + "]"
            fpaths = "[" + ", ".join(literal("$.deprivations." + p) for p in self.flag_paths) + "]"
            source = (
                f'(SELECT rid, rid AS "row", json_extract_string(j, {paths}) AS v, '
                f"json_type(j, {paths}) AS ty, "
                f"json_extract_string(j, {fpaths}) AS fv, json_type(j, {fpaths}) AS fty, json_type(j) AS jt, "
                f"json_keys(j) AS k, json_type(j, '$.deprivations') AS dt, json_type(j, '$.members') AS mt, "
                f"CASE WHEN json_type(j, '$.deprivations') = 'OBJECT' "
                f"THEN json_keys(j, '$.deprivations') END AS dk "
                f"FROM raw_j WHERE rid >= {int(start)} AND rid < {int(stop)}) AS raw"
            )
        else:  # CSV / Parquet are typed in one pass per file (households_table_sql)
            raise AssertionError("typed_households_sql reads staged JSON Lines only")
        # Typed cells once (inner query), then acceptance from the typed columns (outer query).
        return (
            f"CREATE OR REPLACE TEMP TABLE t_hh0 AS "
            f"SELECT *, ({' AND '.join(['shape_ok', *ok])}) AS cells_ok "
            f"FROM (SELECT {', '.join(sel)} FROM {source} "
            f"LEFT JOIN hh_ids AS i USING (rid) LEFT JOIN first_ids AS f ON f.hid = i.hid "
            f"WHERE raw.rid >= {int(start)} AND raw.rid < {int(stop)}) AS typed"
        )

    def _table_flags(self) -> list[str]:
        side = self.staged.households
        assert side is not None
        return [t.name for _, t, _ in side.targets() if t.kind == "flag"]

    def _shape_sql(self) -> str:
        """Row-level conditions outside cell typing that the per-record parser would complain about."""
        if self.staged.format == "jsonl":
            allowed = [*_RECORD_KEYS, *self.hh_facts]
            conds = [
                "raw.jt = 'OBJECT'",
                # A repeated key is that record's error (classifier/io/readers.py json_line_record).
                "len(raw.k) = len(list_distinct(raw.k))",
                "(raw.dk IS NULL OR len(raw.dk) = len(list_distinct(raw.dk)))",
                *(
                    text_ok_sql(f"raw.v[{i}]")
                    for i, n in enumerate(self.hh_paths, 1)
                    if n in self.text_fields
                ),
                f"list_has_all([{', '.join(literal(k) for k in allowed)}], raw.k)",
                "coalesce(raw.dt, 'NULL') IN ('OBJECT', 'NULL')",
                "coalesce(raw.mt, 'NULL') IN ('ARRAY', 'NULL')",
                f"(raw.dk IS NULL OR list_has_all([{', '.join(literal(k) for k in self.flag_paths)}], "
                "raw.dk))",
            ]
            for i, name in enumerate(self.hh_paths, start=1):
                # Text fields must be JSON strings (a number id would be re-spelled); others scalars.
                kinds = "('VARCHAR', 'NULL')" if name in ("id", *PLACE_KEYS) else _JSON_SCALARS
                conds.append(f"coalesce(raw.ty[{i}], 'NULL') IN {kinds}")
            conds.append("raw.ty[1] = 'VARCHAR'")  # the id is required
            for i in range(1, len(self.flag_paths) + 1):
                conds.append(f"coalesce(raw.fty[{i}], 'NULL') IN {_JSON_SCALARS}")
            return " AND ".join(conds)
        side = self.staged.households
        assert side is not None
        conds = []
        table_allowed = {*_RECORD_KEYS, *self.hh_facts}
        for col, target, unnamed in side.targets():
            if target.kind == "flag":
                if target.name not in self.keys:
                    conds.append("FALSE")  # every row names an unknown flag: the parser reports it
                continue
            if target.name in self.text_fields:
                conds.append(text_ok_sql(f"raw.{col}"))
            if unnamed:
                conds.append(empty_sql(f"raw.{col}"))
            elif target.name not in table_allowed:
                conds.append("FALSE")  # an unknown column: the parser reports it on every row
        return " AND ".join(conds) or "TRUE"

    def _member_cells(self) -> tuple[list[str], list[str]]:
        """Typed member cells of a table side (m.c<i>), their empty tests, mid and shape_ok."""
        side = self.staged.members
        assert side is not None
        sel: list[str] = []
        ok: list[str] = []
        for name, spec in self.mem_facts.items():
            cell = self._mem_cell(name)
            if cell is None:  # no such column: unknown, typed so that the rule query binds
                sel.append(f"CAST(NULL AS {_SQL_TYPES[spec.type]}) AS {quote_ident('f$' + name)}")
                continue
            self._add_fast(sel, ok, name, spec, cell)
        id_cell = self._mem_cell("id")
        sel.append(f"{fast_text_sql(id_cell)} AS mid" if id_cell else "CAST(NULL AS VARCHAR) AS mid")
        shape: list[str] = []
        allowed = {"household_id", "id", "notes", *self.mem_facts}
        for col, target, unnamed in side.targets():
            if unnamed:
                shape.append(empty_sql(f"m.{col}"))
            elif target.name not in allowed:
                shape.append("FALSE")
            elif target.name in self.member_text_fields:
                shape.append(text_ok_sql(f"m.{col}"))
        sel.append(f"({' AND '.join(shape) or 'TRUE'}) AS shape_ok")
        ok.append("shape_ok")
        return sel, ok

    def typed_members_sql(self, start: int, stop: int) -> str:
        if self.staged.format != "jsonl" and self.staged.members is None:
            cols = ", ".join(
                f"CAST(NULL AS {_SQL_TYPES[s.type]}) AS {quote_ident('f$' + n)}"
                for n, s in self.mem_facts.items()
            )
            return (
                f"CREATE OR REPLACE TEMP TABLE t_mem0 AS SELECT CAST(NULL AS BIGINT) AS rid, "
                f"CAST(NULL AS BIGINT) AS mrow, {cols}, CAST(NULL AS VARCHAR) AS mid, "
                "TRUE AS cells_ok LIMIT 0"
            )
        sel = ["rid", "mrow"]
        ok: list[str] = []
        for name, spec in self.mem_facts.items():
            cell = self._mem_cell(name)
            if cell is None:  # no such column: unknown, typed so that the rule query binds
                sel.append(f"CAST(NULL AS {_SQL_TYPES[spec.type]}) AS {quote_ident('f$' + name)}")
                continue
            typed, empty = typed_cell(cell, spec)
            sel.append(f"{typed} AS {quote_ident('f$' + name)}")
            sel.append(f"{empty} AS {quote_ident('e$' + name)}")
            ok.append(f"({quote_ident('e$' + name)} OR {quote_ident('f$' + name)} IS NOT NULL)")
        id_cell = self._mem_cell("id")
        sel.append(f"NULLIF({strip_sql(id_cell)}, '') AS mid" if id_cell else "CAST(NULL AS VARCHAR) AS mid")
        if self.staged.format == "jsonl":
            paths = "[" + ", ".join(literal("$." + p) for p in self.mem_paths) + "]"
            shape = [
                "e.jt = 'OBJECT'",
                "len(e.k) = len(list_distinct(e.k))",
                *(
                    text_ok_sql(f"e.v[{i}]")
                    for i, n in enumerate(self.mem_paths, 1)
                    if n in self.member_text_fields
                ),
                f"list_has_all([{', '.join(literal(k) for k in self.mem_paths)}], e.k)",
                "coalesce(e.ty[1], 'NULL') IN ('VARCHAR', 'NULL')",
                *(
                    f"coalesce(e.ty[{i}], 'NULL') IN {_JSON_SCALARS}"
                    for i in range(2, len(self.mem_paths) + 1)
                ),
            ]
            sel.append(f"({' AND '.join(shape)}) AS shape_ok")
            return (
                f"CREATE OR REPLACE TEMP TABLE t_mem0 AS SELECT *, ({' AND '.join(['shape_ok', *ok])}) "
                f"AS cells_ok FROM (SELECT {', '.join(sel)} FROM "
                f"(SELECT r.rid, CAST(x.key AS BIGINT) + 1 AS mrow, json_type(x.value) AS jt, "
                f"json_keys(x.value) AS k, json_extract_string(x.value, {paths}) AS v, "
                f"json_type(x.value, {paths}) AS ty FROM raw_j AS r, json_each(r.j, '$.members') AS x "
                f"WHERE r.rid >= {int(start)} AND r.rid < {int(stop)} "
                "AND json_type(r.j, '$.members') = 'ARRAY'"
                f") AS e) AS typed"
            )
        raise AssertionError("typed_members_sql reads staged JSON Lines only (or no members file)")

    def _birth_dates_ok(self, reference_date: dt.date) -> str:
        """SQL over a member row ``m`` and its household's reference date ``ref.d``: the birth date is
        surely one the parser accepts (not after the reference date, and an age below the age cap);
        anything else goes to the parser, which decides (classifier/io/records.py)."""
        if "birth_date" not in self.mem_facts:
            return "TRUE"
        born = f"m.{quote_ident('f$birth_date')}"
        age = self.rs.facts.member.get(CONTRACT.age_fact or "")
        cap = age.maximum if age is not None else None
        young = f" AND {born} > ref.d - INTERVAL {int(cap)} YEAR" if cap is not None else ""
        return f"coalesce({born} <= ref.d{young}, TRUE)"

    def clean_sql(self, reference_date: dt.date, by_score: str = "income") -> str:
        """Decide the clean rows; number members per household in file order. Under the score method
        (``by_score`` score, or auto with a score_a) a row is never clean: the per-record path classifies
        it (the compiled query classifies by income only)."""
        q = quote_ident
        ref = f"coalesce({q('f$reference_date')}, {literal(reference_date)})"
        scored = {
            "income": "",
            "score": "AND FALSE",
            "auto": f"AND h.{q('f$score_a')} IS NULL"
            if "score_a" in self.hh_facts and self.rs.score_rules
            else "",
        }[by_score]
        return f"""
CREATE OR REPLACE TEMP TABLE t_hh AS
  WITH mc AS (SELECT m.rid, count(*) AS n,
                     bool_and(m.cells_ok) AND count(m.mid) = count(DISTINCT m.mid)  -- ids unique
                     AND bool_and({self._birth_dates_ok(reference_date)}) AS members_ok
              FROM t_mem0 AS m JOIN (SELECT rid, {ref} AS d FROM t_hh0) AS ref USING (rid)
              GROUP BY m.rid)
  SELECT h.*, coalesce(mc.n, 0) AS n_members,
    coalesce(h.cells_ok AND coalesce(mc.members_ok, TRUE)
     AND h.{q("f$id")} IS NOT NULL AND h.{q("f$id")} <> '' AND h.first_row = h."row"
     AND h.{q("f$area")} IS NOT NULL
     AND (h.{q("f$income_per_capita_month")} IS NOT NULL) <> (h.{q("f$income_total_month")} IS NOT NULL)
     AND (h.{q("f$income_total_month")} IS NULL OR (
          h.{q("f$income_total_month")} = floor(h.{q("f$income_total_month")})
          AND coalesce(NULLIF(coalesce(mc.n, 0), 0), h.{q("f$member_count")}) IS NOT NULL))
     AND (h.{q("f$member_count")} IS NULL OR coalesce(mc.n, 0) = 0 OR h.{q("f$member_count")} = mc.n)
     {scored},
    FALSE) AS clean
  FROM t_hh0 AS h LEFT JOIN mc USING (rid);
"""

    def engine_household_select(self, reference_date: dt.date) -> list[str]:
        """t_hh -> the households table of the compiled query (engine/sql.py)."""
        q = quote_ident
        count = f"coalesce(NULLIF(n_members, 0), {q('f$member_count')})"
        income = (
            f"CASE WHEN {q('f$income_per_capita_month')} IS NOT NULL THEN {q('f$income_per_capita_month')} "
            f"ELSE CAST({q('f$income_total_month')} AS DOUBLE) / {count} END"
        )
        cols = {
            "rid": "rid",
            COL_ID: q("f$id"),
            COL_AREA: q("f$area"),
            COL_INCOME: income,
            COL_REF_DATE: f"coalesce({q('f$reference_date')}, {literal(reference_date)})",
            COL_DECLARED_COUNT: q("f$member_count"),
        }
        out = []
        for name, _ in self.engine_columns():
            if name in cols:
                expr = cols[name]
            elif name.startswith("$flag$"):
                key = name[len("$flag$") :]
                has = self.staged.format == "jsonl" or key in self._table_flags()
                expr = q("f$flag." + key) if has else "CAST(NULL AS BOOLEAN)"
            else:
                expr = q("f$" + name)
            out.append(f"{expr} AS {q(name)}")
        return out

    def engine_columns(self) -> list[tuple[str, str]]:
        from classifier.engine.sql import household_schema

        return household_schema(self.rs.facts, self.rs.indicator_ids)

    def engine_member_select(self) -> list[str]:
        from classifier.engine.sql import member_schema

        q = quote_ident
        out = []
        for name, _ in member_schema(self.rs.facts):
            if name == "rid":
                out.append("rid")
            elif name == COL_IDX:
                # File order stands in for the 1-based position: the verdicts-only query does not
                # read it, and the explaining query renumbers (see _numbered_members).
                out.append(f"CAST(mrow AS INTEGER) AS {q(COL_IDX)}")
            elif name == COL_MEMBER_ID:
                out.append(f"mid AS {q(COL_MEMBER_ID)}")
            else:
                out.append(f"{q('f$' + name)} AS {q(name)}")
        return out
