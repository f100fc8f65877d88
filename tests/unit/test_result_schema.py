"""One declared result schema (issue 7 item 5): the writers of both paths write it, the strict reader
reads it back the same from every format, and refuses what no writer could have written."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from classifier.data import sample_path
from classifier.errors import InputError
from classifier.io.results import read_results, result_schema
from classifier.io.writers import result_columns
from classifier.report.transitions import read_round
from classifier.rules import load_ruleset
from classifier.runner import classify_file

RULESET = load_ruleset("nd-07-2021")


def test_every_output_reads_back_to_the_same_typed_rows(tmp_path: Path) -> None:
    """The bundled sample (CSV households + members) classified into CSV, JSON Lines and XLSX by the
    per-record path and into CSV and JSON Lines by the batch path: the strict reader gives the same
    typed rows from all five (but for ``engine``), with the schema's kinds."""
    households, members = sample_path("households.csv"), sample_path("members.csv")
    got = {}
    for engine, fmt in (
        ("durable", "csv"),
        ("durable", "jsonl"),
        ("durable", "xlsx"),
        ("batch", "csv"),
        ("batch", "jsonl"),
    ):
        out = tmp_path / f"{engine}.{fmt}"
        classify_file(
            households,
            out,
            ruleset=RULESET,
            members_path=members,
            reference_date=dt.date(2026, 11, 1),
            engine=engine,
            quiet=True,
        )
        found = read_results(out, RULESET.indicator_ids)
        assert found.columns == result_columns(RULESET)
        got[engine, fmt] = [{k: v for k, v in r.items() if k != "engine"} for r in found.rows]
    first = got["durable", "csv"]
    assert len(first) == 400
    for key, rows in got.items():
        assert rows == first, key
    row = first[0]
    assert isinstance(row["row"], int) and isinstance(row["employment"], bool | None)
    assert isinstance(row["reference_date"], dt.date) and isinstance(row["possible_outcomes"], tuple)
    assert result_schema(RULESET.indicator_ids).kind("income_per_capita_month") == "income"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("employment", "x", "1, 0 or empty"),
        ("deprivation_count", "2.5", "a whole number"),
        ("income_per_capita_month", "1.500.000", "a number of 0 or more"),
        ("reference_date", "01/11/2026", "a date YYYY-MM-DD"),
    ],
)
def test_a_cell_no_writer_could_write_is_refused(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    """transitions used to read the flag 'x' as deprived and '1.500.000' as 1.5: now the file is refused
    with its line, column and value."""
    path = tmp_path / "results.csv"
    columns = [
        "id",
        "classification",
        "employment",
        "deprivation_count",
        "income_per_capita_month",
        "reference_date",
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerow(
            {
                "id": "H1",
                "classification": "ngheo",
                "employment": "1",
                "deprivation_count": "3",
                "income_per_capita_month": "1500000",
                "reference_date": "2026-11-01",
            }
        )
        writer.writerow(
            {
                "id": "H2",
                "classification": "ngheo",
                "employment": "0",
                "deprivation_count": "3",
                "income_per_capita_month": "1500000",
                "reference_date": "2026-11-01",
                column: value,
            }
        )
    with pytest.raises(InputError, match=f"line 3, column '{column}'.*{expected}"):
        read_round(path)


def test_excel_safety_marks_are_removed_on_reading(tmp_path: Path) -> None:
    """A text cell the CSV writer prefixed with ' (it started with '=') reads back as written."""
    path = tmp_path / "results.csv"
    path.write_text("id,classification,error\n'=H1,ngheo,\n", encoding="utf-8")
    assert read_results(path).rows[0]["id"] == "=H1"


def test_the_readme_spellings_table_is_the_contracts() -> None:
    """README's accepted-spellings table is exactly what the typing contract generates."""
    import re

    from classifier.io.contract import spellings_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- spellings:begin -->\n(.*?)\n<!-- spellings:end -->", readme, re.S)
    assert found is not None and found.group(1) == spellings_table()
