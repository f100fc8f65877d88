"""File-level jobs behind the CLI: classify a whole file, find one household in a file.

Every input record appears in the output exactly once, classified or with its errors; the summary
counts read = classified + errored, so nothing can go missing unnoticed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

import attrs

from classifier.api import resolve_reference_date
from classifier.engine import get_engine
from classifier.errors import InputError, RecordError
from classifier.io import ResultWriter, known_indicator_keys, parse_records, read_records
from classifier.model import Household
from classifier.progress import Progress
from classifier.rules.ruleset import RuleSet

__all__ = ["RunSummary", "classify_file", "find_household"]


@attrs.define
class RunSummary:
    """What a run did: counts by outcome, errors, time."""

    read: int = 0
    classified: int = 0
    errored: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = attrs.field(factory=Counter)
    output: Path | None = None

    def line(self) -> str:
        """One line for the end of a run, e.g. ``read 400 = classified 398 + errors 2 …``."""
        by_class = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        return (f"read {self.read:,} = classified {self.classified:,} + errors {self.errored:,}"
                f" ({by_class}) in {self.seconds:.1f}s ({rate:,.0f}/s) -> {self.output}")


def _count_hint(path: Path) -> int | None:
    """A cheap total for the progress bar: data lines of a CSV/JSONL file; None when unknown."""
    if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        return None
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
    engine: str = "durable",
    with_trace: bool = False,
    quiet: bool = False,
    err: TextIO | None = None,
    rules_root: Path | None = None,
) -> RunSummary:
    """Classify every record of ``input_path`` into ``output_path`` (written atomically)."""
    if engine == "batch":
        from classifier.batch import run_batch_file  # type: ignore[attr-defined]

        return run_batch_file(  # type: ignore[no-any-return]
            input_path, output_path, ruleset=ruleset, members_path=members_path, fmt=fmt,
            reference_date=reference_date, quiet=quiet, err=err,
        )
    started = time.monotonic()
    summary = RunSummary(output=output_path)
    runner = get_engine(engine, ruleset)
    keys = known_indicator_keys(rules_root)
    progress = Progress(_count_hint(input_path), quiet=quiet, stream=err)
    records = read_records(input_path, members_path=members_path)
    with ResultWriter(output_path, ruleset, format=fmt, trace=with_trace) as writer:
        for record, parsed in parse_records(records, catalogue=ruleset.facts, indicator_keys=keys):
            summary.read += 1
            if isinstance(parsed, Household):
                try:
                    result = runner.classify(parsed, resolve_reference_date(parsed, reference_date), with_trace)
                except InputError as exc:
                    writer.write(record, list(exc.errors))
                    summary.errored += 1
                else:
                    writer.write(record, result)
                    summary.classified += 1
                    summary.outcomes[result.outcome] += 1
            else:
                writer.write(record, parsed)
                summary.errored += 1
            progress.update(summary.read)
    progress.close()
    summary.seconds = time.monotonic() - started
    return summary


def find_household(
    input_path: Path,
    household_id: str,
    *,
    ruleset: RuleSet,
    members_path: Path | None = None,
    rules_root: Path | None = None,
) -> Household:
    """The typed household ``household_id`` of a file; a clear error when absent or invalid."""
    keys = known_indicator_keys(rules_root)
    seen: list[str] = []
    for record, parsed in parse_records(read_records(input_path, members_path=members_path),
                                        catalogue=ruleset.facts, indicator_keys=keys):
        raw_id = str((record.raw or {}).get("id", "")).strip()
        if raw_id != household_id:
            if raw_id and len(seen) < 5:
                seen.append(raw_id)
            continue
        if isinstance(parsed, Household):
            return parsed
        raise InputError(f"household {household_id} cannot be classified: {parsed[0]}", parsed)
    hint = f" (first ids in the file: {', '.join(seen)})" if seen else ""
    raise InputError(f"household {household_id!r} not found in {input_path}{hint}",
                     [RecordError(household_id, "id", household_id, f"an id present in {input_path.name}")])
