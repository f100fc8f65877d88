"""The golden-case collector itself: malformed cases fail loudly and wrong results show a diff.

Each test runs pytest in a subprocess on a scratch copy of ``cases/conftest.py`` with small case
files, because a collector can only be observed from outside the run it collects.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

GOOD_CASE = """\
- name: rural household at exactly 1,500,000 with no deprivation is near-poor
  clause: Nghị định 07/2021/NĐ-CP, Điều 3 khoản 2 điểm b
  reference_date: 2025-11-01
  household:
    id: OK
    area: rural
    income_per_capita_month: 1500000
    member_count: 2
    deprivations: {employment: false, dependants: false, nutrition: false, health_insurance: false,
                   adult_education: false, child_schooling: false, housing_quality: false,
                   housing_area: false, water_source: false, sanitation: false, telecom: false,
                   information_access: false}
  expect:
    classification: can_ngheo
    deprivation_count: 0
"""


SAMPLES = {
    "good": GOOD_CASE,
    "no-clause": GOOD_CASE.replace("  clause: Nghị định 07/2021/NĐ-CP, Điều 3 khoản 2 điểm b\n", ""),
    "foreign-clause": GOOD_CASE.replace("Nghị định 07/2021/NĐ-CP, Điều 3", "Điều 3"),
    "typo": GOOD_CASE.replace("    member_count: 2\n", "    member_count: 2\n    water_sorce: piped\n"),
    "wrong": GOOD_CASE.replace("classification: can_ngheo", "classification: ngheo"),
    "duplicate": GOOD_CASE + "\n" + GOOD_CASE,
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run pytest once on every sample file, placed beside a copy of the collector; its output."""
    root = tmp_path_factory.mktemp("golden")
    folder = root / "cases" / "nd-07-2021"
    folder.mkdir(parents=True)
    shutil.copy(CONFTEST, root / "cases" / "conftest.py")
    for name, text in SAMPLES.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "cases"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def outcome(output: str, sample: str) -> set[str]:
    """PASSED/FAILED for each case of one sample file, from the short summary."""
    prefix = f"cases/nd-07-2021/{sample}.yaml::"
    lines = output.splitlines()
    return {line.split(" ", 1)[0] for line in lines if prefix in line and line[:6] in ("PASSED", "FAILED")}


def test_a_well_formed_case_passes(run: str) -> None:
    """A correct case is collected as one test named by its sentence, and passes."""
    name = "rural household at exactly 1,500,000 with no deprivation is near-poor"
    assert f"PASSED cases/nd-07-2021/good.yaml::{name}" in run


def test_a_case_without_a_clause_fails(run: str) -> None:
    """Every case must name the clause it tests; the collector fails a case that does not."""
    assert outcome(run, "no-clause") == {"FAILED"}
    assert "no-clause.yaml:1: missing required key `clause`" in run


def test_a_clause_must_cite_an_instrument_of_the_standard(run: str) -> None:
    """A clause that names no instrument the standard's rule files cite is refused."""
    assert outcome(run, "foreign-clause") == {"FAILED"}
    assert "`clause` must cite an instrument of nd-07-2021" in run


def test_a_misspelt_answer_fails_with_a_suggestion(run: str) -> None:
    """A typo in an answer key fails the case (it would otherwise become an unknown answer silently)."""
    assert outcome(run, "typo") == {"FAILED"}
    assert "field 'water_sorce' = 'piped': expected a known field name (did you mean 'water_source'?)" in run


def test_a_wrong_expectation_shows_a_diff(run: str) -> None:
    """A case whose expectation is wrong fails with expect (-) and actual (+) lines, and the indicators."""
    assert outcome(run, "wrong") == {"FAILED"}
    assert "-classification: ngheo\n+classification: can_ngheo" in run
    assert "housing_area         not deprived (flag)" in run


def test_duplicate_names_in_one_file_fail(run: str) -> None:
    """Two cases with the same sentence in one file are refused (their test ids would collide)."""
    assert outcome(run, "duplicate") == {"PASSED", "FAILED"}
    assert "duplicate case name" in run
