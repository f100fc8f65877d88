"""run_batch: classify a file of any size with the SQL engine, streaming, in input order.

The run goes through the stages of classifier/batch/tables.py, each a module of its own over the
one registry of work tables there (an on-disk DuckDB work database; DuckDB keeps to
``memory_limit`` and spills to ``temp_directory``, so the input may be larger than memory):

1. **read** (sources.py) and **type** (typed.py): each file typed in one parallel pass, straight
   from the file, into HH_TYPED / MEM_TYPED (the same tables for CSV, Parquet and JSON Lines).
2. For each chunk of rows, **check** (checks.py: which rows are clean) and **classify**
   (classify.py: the clean households through the compiled rule query into RESULTS).
3. **fall back** (fallback.py): the other rows through the per-record parser, which types them or
   reports their errors exactly as the per-record path would; then member rows naming no household.
4. **write** (output.py): one ordered COPY to a temporary file beside the target, renamed over it
   only after everything succeeded; the errors file likewise. An interrupted run leaves no
   half-written file under the output name.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from classifier.batch import output as write_stage
from classifier.batch.blanklines import without_empty_lines
from classifier.batch.checks import check_chunk, create_bad
from classifier.batch.classify import classify_chunk
from classifier.batch.fallback import fall_back, orphan_members
from classifier.batch.sources import Staged, detect_input_format
from classifier.batch.tables import CHECKED, HH_ROWS, RESULTS, ResultRows, drop_file_tables
from classifier.batch.typed import TypingPlan, type_file
from classifier.engine.batch import BatchEngine, connect
from classifier.errors import EngineError, InputError
from classifier.io.columns import ColumnMap
from classifier.io.outputs import OutputFiles, WorkFolder, check_input_file, check_members_file
from classifier.io.results import result_schema
from classifier.io.survey import survey_columns
from classifier.io.writers import ErrorsFile, result_columns
from classifier.rules.ruleset import RuleSet

__all__ = ["BatchSummary", "Work", "run_batch"]

OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}

Progress = Callable[[int, int | None], None]

#: Input files of at most this many bytes together (about 2,000 households of the CSV sample) are a
#: small run: one thread and no query optimizer (engine/batch.py SMALL_RUN), which for so few rows
#: cost more than they save. Results are the same either way.
SMALL_INPUT_BYTES = 1 << 20


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
        workfolder as folder,
    ):
        notices += files.notices + workfolder.notices
        out_tmp = files.temp(output)
        err_tmp = files.temp(errors) if errors is not None else None
        # An on-disk work database; its TEMP tables spill to the work folder beyond memory_limit.
        con = connect(
            memory_limit=memory_limit,
            temp_directory=str(folder / "spill"),
            threads=threads,
            database=str(folder / "work.duckdb"),
            small=_input_bytes(paths, members_path) <= SMALL_INPUT_BYTES,
        )
        sink = ErrorsFile(err_tmp)
        try:
            work = Work(
                con,
                ruleset,
                reference_date,
                method,
                *survey_columns(Path(rules_root) if rules_root else None),
                BatchEngine(ruleset, connection=con),
                sink,
                output_format=out_fmt,
            )
            work.rows.create(con)
            offset = 0
            for given in paths:
                fmt = detect_input_format(given, input_format)
                # Row numbers must match the per-record reader's, which counts empty lines.
                path = without_empty_lines(given, folder) if fmt == "csv" else given
                mpath = without_empty_lines(Path(members_path), folder) if members_path else None
                offset = process_file(work, path, mpath, fmt, offset, chunk_rows, progress)
            write_stage.write_results(
                con, work.rows, work.out_columns, out_tmp, out_fmt, in_order=work.appended == 0
            )
            outcomes = dict(
                con.execute(
                    f"SELECT classification, count(*) FROM {RESULTS} WHERE error IS NULL GROUP BY 1"
                ).fetchall()
            )
            counts = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE error IS NULL), "
                f"count(*) FILTER (WHERE error IS NOT NULL) FROM {RESULTS}"
            ).fetchone()
            sink.close()
            assert counts is not None
            files.commit()
        finally:
            sink.close()
            con.close()
    return BatchSummary(
        int(counts[0]), int(counts[1]), int(counts[2]), time.monotonic() - started, tuple(notices), outcomes
    )


@attrs.define
class Work:
    """What every stage of one run shares: the work database, the rules and where errors go."""

    con: Any
    ruleset: RuleSet
    reference_date: dt.date
    #: income, score or auto (classifier.engine.score). The compiled query classifies by income
    #: only: a record the score method may classify goes to the per-record path (checks.py).
    method: str
    columns: ColumnMap
    indicator_keys: frozenset[str]
    engine: BatchEngine
    errors: ErrorsFile
    #: csv, jsonl or parquet: CSV rows are rendered as they are stored (ResultRows).
    output_format: str = attrs.field(default="csv", kw_only=True)
    #: RESULTS rows added after the chunks (fall-back and orphan rows): while 0, RESULTS is in output
    #: order (each chunk is inserted ordered, chunks in order) and the write stage needs no sort.
    appended: int = 0
    out_columns: list[str] = attrs.field(init=False)
    #: (column, SQL type) of RESULTS, from the one declared result schema (classifier/io/results.py).
    schema: list[tuple[str, str]] = attrs.field(init=False)
    #: How RESULT_ROWS holds the rows of this run's output format; every stage inserts through it.
    rows: ResultRows = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.out_columns = list(result_columns(self.ruleset))
        self.schema = list(result_schema(self.ruleset.indicator_ids).sql_columns())
        csv = write_stage.csv_line(self.schema) if self.output_format == "csv" else None
        self.rows = ResultRows(tuple(self.schema), csv)

    def plan_for(self, staged: Staged) -> TypingPlan:
        return TypingPlan(self.ruleset, staged, self.indicator_keys)


def process_file(
    work: Work,
    path: Path,
    members_path: Path | None,
    fmt: str,
    offset: int,
    chunk_rows: int,
    progress: Progress | None,
) -> int:
    """One households file (and its members file) through every stage but write, its rows at output
    positions from ``offset`` on; returns the next free position."""
    con = work.con
    plan = type_file(con, work.plan_for, path, members_path, fmt, work.columns)
    create_bad(con)

    def check_and_classify(start: int, stop: int) -> int:
        check_chunk(con, plan, start, stop, work.reference_date, work.method)
        classify_chunk(con, plan, work.engine, work.rows, work.reference_date, offset)
        counted = con.execute(f"SELECT count(*) FROM {CHECKED}").fetchone()
        return int(counted[0]) if counted else 0

    high, total = _by_chunks(con, chunk_rows, check_and_classify, progress)
    work.appended += fall_back(work, plan, offset, chunk_rows)
    written = con.execute(
        f"SELECT count(*) FROM {RESULTS} WHERE seq >= {offset} AND seq <= {offset + high}"
    ).fetchone()
    if written is None or written[0] != total:  # every input row must come out exactly once
        raise EngineError(f"{path.name}: {total} records read but {written and written[0]} written")
    orphans = orphan_members(work, plan, offset + high + 1)
    work.appended += orphans
    drop_file_tables(con)
    return offset + high + 1 + orphans


def _by_chunks(
    con: Any, chunk_rows: int, run: Callable[[int, int], int], progress: Progress | None
) -> tuple[int, int]:
    """Call ``run(start, stop)`` over row-number ranges of HH_ROWS; returns (max rid, row count).

    Row numbers are dense apart from blank rows, so fixed-width ranges give even chunks.
    """
    bounds = con.execute(f"SELECT min(rid), max(rid), count(*) FROM {HH_ROWS}").fetchone()
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


def _input_bytes(paths: Sequence[Path], members_path: str | Path | None) -> int:
    return sum(p.stat().st_size for p in [*paths, *([Path(members_path)] if members_path else [])])


def _output_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in set(OUTPUT_FORMATS.values()):
            raise InputError(f"unknown batch output format {fmt!r}: use csv, jsonl or parquet")
        return fmt
    found = OUTPUT_FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(f"cannot tell the output format of {path.name}: name it .csv, .jsonl or .parquet")
    return found
