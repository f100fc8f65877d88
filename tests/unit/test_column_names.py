"""A name that is both a fact and an indicator id (``water_source``) is resolved by the header,
never by the cells (issue 7 item 6; classifier/io/columns.py)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from classifier.io.columns import Target, default_column_map
from classifier.rules import load_ruleset
from classifier.runner import classify_file

RULESET = load_ruleset("nd-07-2021")
KEYS = list(RULESET.indicator_ids)
VALUES = ["true", "false", "", "1", "0", "có", "không"]


def _flags_csv(path: Path, prefix: str) -> None:
    """A one-file flags CSV: 40 households, every indicator as a column, deterministic values."""
    lines = [",".join(["id", "area", "income_per_capita_month", "member_count", *(prefix + k for k in KEYS)])]
    for i in range(40):
        flags = [VALUES[(i * 3 + j) % len(VALUES)] for j in range(len(KEYS))]
        area = "rural" if i % 2 else "urban"
        lines.append(",".join([f"H{i}", area, str(900_000 + 61_000 * i), str(1 + i % 5), *flags]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("engine", ["batch", "durable"])
def test_a_flags_csv_classifies_alike_with_bare_keys_and_with_the_prefix(tmp_path: Path, engine: str) -> None:
    """With bare keys every record failed: the `water_source` column was read as the water source."""
    results = []
    for prefix in ("deprivations.", ""):
        source, out = tmp_path / f"in{len(prefix)}.csv", tmp_path / f"out{len(prefix)}.csv"
        _flags_csv(source, prefix)
        summary = classify_file(
            source, out, ruleset=RULESET, reference_date=dt.date(2026, 11, 1), engine=engine, quiet=True
        )
        assert summary.errored == 0
        results.append(_rows(out))
    assert results[0] == results[1]
    assert {r["water_source"] for r in results[1]} >= {"1", "0"}


def test_the_shared_name_is_the_answer_when_no_other_flag_is_named_bare() -> None:
    """The bundled sample gives flags as deprivations.<key>: there `water_source` stays the answer."""
    columns = default_column_map()
    sample = ["id", "water_source", "deprivations.employment"]
    assert columns.household_resolver(sample)("water_source") == Target("field", "water_source")
    bare = ["id", "water_source", "employment"]
    assert columns.household_resolver(bare)("water_source") == Target("flag", "water_source")
    assert columns.household_resolver(bare)("nguon_nuoc") == Target("field", "water_source")
