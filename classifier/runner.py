"""File-level jobs behind the CLI: classify a whole file, find one household in a file.

Every input record appears in the output exactly once, classified or with its errors; the summary
counts read = classified + errored, so nothing can go missing unnoticed. Per-record problems also
go to an errors file (record id, row, source, field, value, what was expected).

Engines: ``durable`` classifies one household at a time (the reference, with full traces);
``batch`` compiles the same rules to SQL. ``auto`` (the default) streams CSV / JSON Lines / Parquet
files through the batch pipeline and uses durable for Excel and JSON files or when a trace is asked.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import attrs

from classifier.api import resolve_reference_date
from classifier.engine import get_engine
from classifier.errors import InputError, RecordError
from classifier.io import RawRecord, ResultWriter
from classifier.io.outputs import OutputFiles, check_input_file, check_members_file
from classifier.io.readers import detect_format
from classifier.io.survey import read_survey
from classifier.io.writers import ErrorsFile
from classifier.model import Classification, Household
from classifier.progress import Progress
from classifier.rules.ruleset import RuleSet

__all__ = [
    "RunSummary",
    "choose_engine",
    "classify_file",
    "default_errors_path",
    "find_household",
]

BATCH_INPUTS = ("csv", "jsonl", "parquet")
BATCH_OUTPUTS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
#: Households handed to the batch engine at once on the per-record path (Excel, JSON inputs).
BATCH_CHUNK = 5_000


@attrs.define
class RunSummary:
    """What a run did: counts by outcome, errors, time, and which engine did it."""

    read: int = 0
    classified: int = 0
    errored: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = attrs.field(factory=Counter)
    output: Path | None = None
    errors_path: Path | None = None
    engine: str = "durable"

    def line(self) -> str:
        """One line for the end of a run, e.g. ``read 400 = classified 398 + errors 2 …``."""
        by_class = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        classes = f" ({by_class})" if by_class else ""
        return (
            f"read {self.read:,} = classified {self.classified:,} + errors {self.errored:,}{classes} "
            f"in {self.seconds:.1f}s ({rate:,.0f}/s, engine {self.engine}) -> {self.output}"
        )


def default_errors_path(output: Path) -> Path:
    """``results.csv`` -> ``results.errors.csv`` (always CSV, whatever the output format)."""
    return output.with_name(f"{output.stem}.errors.csv")


def _input_format(path: Path) -> str:
    if path.suffix.lower() == ".parquet":
        return "parquet"
    return detect_format(path)


def choose_engine(
    engine: str,
    input_path: Path,
    output_path: Path,
    fmt: str | None,
    with_trace: bool,
    members_path: Path | None = None,
) -> str:
    """Resolve ``auto`` and say whether the streaming batch pipeline can serve these files.

    Returns ``pipeline`` (batch, streamed in DuckDB), ``batch`` (batch engine on the per-record
    path) or ``durable``.
    """
    out_fmt = fmt or BATCH_OUTPUTS.get(output_path.suffix.lower())
    # The streaming pipeline reads a table more than once (header, typing pass, rows to re-check), which a
    # named pipe allows only once: a pipe is read by the per-record reader, in one pass.
    regular = input_path.is_file() and (members_path is None or members_path.is_file())
    if not regular and _input_format(input_path) == "parquet":
        raise InputError(f"{input_path} is not a regular file (a named pipe?): Parquet must be on disk")
    streamable = (
        regular
        and _input_format(input_path) in BATCH_INPUTS
        and out_fmt in BATCH_OUTPUTS.values()
        and not with_trace
    )
    if engine == "auto":
        return "pipeline" if streamable else "durable"
    if engine == "batch":
        if with_trace and _input_format(input_path) == "parquet":
            raise InputError("--trace needs the per-record path, which does not read Parquet")
        return "pipeline" if streamable else "batch"
    if _input_format(input_path) == "parquet" or out_fmt == "parquet":
        raise InputError("Parquet is read and written by the batch engine only: use --engine batch or auto")
    return "durable"


def _count_hint(path: Path) -> int | None:
    """A cheap total for the progress bar: data lines of a CSV/JSONL file; None when unknown."""
    if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson") or not path.is_file():
        return None  # a named pipe can be read only once: that read is the classification's
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(lines - (1 if path.suffix.lower() == ".csv" else 0), 0)


def classify_file(
    input_path: Path,
    output_path: Path,
    *,
    ruleset: RuleSet,
    members_path: Path | None = None,
    fmt: str | None = None,
    reference_date: dt.date | None = None,
    engine: str = "auto",
    with_trace: bool = False,
    quiet: bool = False,
    err: TextIO | None = None,
    rules_root: Path | None = None,
    errors_path: Path | None = None,
    method: str = "auto",
) -> RunSummary:
    """Classify every record of ``input_path`` into ``output_path`` (written atomically). ``method``:
    income, score or auto (classifier.engine.score; auto = score when a record carries score_a)."""
    from classifier.engine.score import check_method

    check_method(method, ruleset)
    errors_path = errors_path or default_errors_path(output_path)
    check_input_file(input_path)
    if members_path is not None:
        check_input_file(members_path, "members file")
        check_members_file(input_path, members_path)
    mode = choose_engine(engine, input_path, output_path, fmt, with_trace, members_path)
    if mode == "pipeline":
        return _run_pipeline(
            input_path,
            output_path,
            ruleset=ruleset,
            members_path=members_path,
            fmt=fmt,
            reference_date=reference_date,
            quiet=quiet,
            err=err,
            errors_path=errors_path,
            rules_root=rules_root,
            method=method,
        )
    started = time.monotonic()
    summary = RunSummary(output=output_path, errors_path=errors_path, engine=mode)
    progress = Progress(_count_hint(input_path), quiet=quiet, stream=err)
    notices: list[str] = []
    parsed = read_survey(
        input_path,
        ruleset,
        rules_root=rules_root,
        members_path=members_path,
        reference_date=reference_date,
        notices=notices,
    )
    results = (
        _classify_durable(parsed, ruleset, reference_date, with_trace, method)
        if mode == "durable"
        else _classify_batched(parsed, ruleset, reference_date, with_trace, method)
    )
    with OutputFiles([output_path, errors_path], [input_path, members_path]) as files:
        for notice in files.notices:
            (err or sys.stderr).write(f"note: {notice}\n")
        errors_file = ErrorsFile(files.temp(errors_path))
        try:
            with ResultWriter(
                output_path, ruleset, format=fmt, trace=with_trace, temp_path=files.temp(output_path)
            ) as writer:
                for record, result in results:
                    summary.read += 1
                    writer.write(record, result)
                    if isinstance(result, Classification):
                        summary.classified += 1
                        summary.outcomes[result.outcome] += 1
                    else:
                        summary.errored += 1
                        errors_file.write(result)
                    progress.update(summary.read)
            for notice in notices:
                (err or sys.stderr).write(f"note: {notice}\n")
            if writer.cut_cells:
                (err or sys.stderr).write(
                    f"note: {writer.cut_cells} cell(s) were longer than the 32,767 characters an Excel "
                    f"cell holds: cut in {output_path.name}, with a notice in the cell; {errors_path.name} "
                    "lists each problem on its own line\n"
                )
        finally:
            errors_file.close()
        files.commit()
    progress.close()
    summary.seconds = time.monotonic() - started
    return summary


_Outcome = tuple[RawRecord, "Classification | list[RecordError]"]


def _classify_durable(
    parsed: Iterator[tuple[RawRecord, Household | list[RecordError]]],
    ruleset: RuleSet,
    reference_date: dt.date | None,
    with_trace: bool,
    method: str = "auto",
) -> Iterator[_Outcome]:
    runner = get_engine("durable", ruleset)
    for record, item in parsed:
        if not isinstance(item, Household):
            yield record, item
            continue
        try:
            yield (
                record,
                runner.classify(item, resolve_reference_date(item, reference_date), with_trace, method),
            )
        except InputError as exc:
            yield record, list(exc.errors)


def _classify_batched(
    parsed: Iterator[tuple[RawRecord, Household | list[RecordError]]],
    ruleset: RuleSet,
    reference_date: dt.date | None,
    with_trace: bool,
    method: str = "auto",
) -> Iterator[_Outcome]:
    """The batch engine on records read one by one (Excel, JSON): classify in chunks, keep order."""
    from classifier.engine.batch import BatchEngine

    engine = get_engine("batch", ruleset)
    assert isinstance(engine, BatchEngine)
    pending: list[tuple[RawRecord, Household | list[RecordError]]] = []

    def flush() -> Iterator[_Outcome]:
        households = [item for _, item in pending if isinstance(item, Household)]
        by_date: dict[dt.date, list[Household]] = {}
        for h in households:
            by_date.setdefault(resolve_reference_date(h, reference_date), []).append(h)
        done: dict[int, Classification | list[RecordError]] = {}
        for day, group in by_date.items():
            for h, result in zip(group, engine.classify_each(group, day, method=method), strict=True):
                done[id(h)] = list(result.errors) if isinstance(result, InputError) else result
        for record, item in pending:
            yield record, (done[id(item)] if isinstance(item, Household) else item)
        pending.clear()

    for entry in parsed:
        pending.append(entry)
        if len(pending) >= BATCH_CHUNK:
            yield from flush()
    yield from flush()


def _run_pipeline(
    input_path: Path,
    output_path: Path,
    *,
    ruleset: RuleSet,
    members_path: Path | None,
    fmt: str | None,
    reference_date: dt.date | None,
    quiet: bool,
    err: TextIO | None,
    errors_path: Path,
    rules_root: Path | None = None,
    method: str = "auto",
) -> RunSummary:
    from classifier.batch import run_batch

    progress = Progress(None, quiet=quiet, stream=err)

    def report(done: int, total: int | None) -> None:
        progress.total = total
        progress.update(done)

    batch = run_batch(
        input_path,
        output_path,
        ruleset=ruleset,
        reference_date=reference_date or dt.date.today(),
        errors_path=errors_path,
        progress=report,
        members_path=members_path,
        output_format=fmt,
        rules_root=rules_root,
        method=method,
    )
    progress.close()
    for notice in batch.notices:
        (err or sys.stderr).write(f"note: {notice}\n")
    summary = RunSummary(
        read=batch.read,
        classified=batch.classified,
        errored=batch.errored,
        seconds=batch.seconds,
        output=output_path,
        errors_path=errors_path,
        engine="batch",
    )
    summary.outcomes.update(batch.outcomes)
    return summary


def find_household(
    input_path: Path,
    household_id: str,
    *,
    ruleset: RuleSet,
    members_path: Path | None = None,
    rules_root: Path | None = None,
    reference_date: dt.date | None = None,
) -> Household:
    """The typed household ``household_id`` of a file; a clear error when absent or invalid."""
    seen: list[str] = []
    for record, parsed in read_survey(
        input_path, ruleset, rules_root=rules_root, members_path=members_path, reference_date=reference_date
    ):
        raw_id = str((record.raw or {}).get("id", "")).strip()
        if raw_id != household_id:
            if raw_id and len(seen) < 5:
                seen.append(raw_id)
            continue
        if isinstance(parsed, Household):
            return parsed
        raise InputError(f"household {household_id} cannot be classified: {parsed[0]}", parsed)
    hint = f" (first ids in the file: {', '.join(seen)})" if seen else ""
    raise InputError(
        f"household {household_id!r} not found in {input_path}{hint}",
        [RecordError(household_id, "id", household_id, f"an id present in {input_path.name}")],
    )
