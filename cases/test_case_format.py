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

GROUP_CASE = """\
- name: rural household at exactly 2,250,000 with no deprivation has two low-income-worker candidates
  clause: Nghị định 30/2025/NĐ-CP, Điều 1
  reference_date: 2025-11-01
  household:
    id: GROUPS
    area: rural
    income_per_capita_month: 2250000
    members: [{id: G-1, birth_date: 1980-01-01}, {id: G-2, birth_date: 2015-01-01}]
    deprivations: {employment: false, dependants: false, nutrition: false, health_insurance: false,
                   adult_education: false, child_schooling: false, housing_quality: false,
                   housing_area: false, water_source: false, sanitation: false, telecom: false,
                   information_access: false}
  expect:
    classification: muc_song_trung_binh
    groups:
      nguoi_lao_dong_thu_nhap_thap: {eligible: true, count: 2, members: [G-2, G-1]}
      ho_nong_lam_ngu_diem_nghiep_muc_song_trung_binh: {eligible: null}
"""
LOW_INCOME = "nguoi_lao_dong_thu_nhap_thap: {eligible: true, count: 2, members: [G-2, G-1]}"

SAMPLES = {
    "good": GOOD_CASE,
    "no-clause": GOOD_CASE.replace("  clause: Nghị định 07/2021/NĐ-CP, Điều 3 khoản 2 điểm b\n", ""),
    "foreign-clause": GOOD_CASE.replace("Nghị định 07/2021/NĐ-CP, Điều 3", "Điều 3"),
    "typo": GOOD_CASE.replace("    member_count: 2\n", "    member_count: 2\n    water_sorce: piped\n"),
    "wrong": GOOD_CASE.replace("classification: can_ngheo", "classification: ngheo"),
    "duplicate": GOOD_CASE + "\n" + GOOD_CASE,
    "groups": GROUP_CASE,
    "groups-wrong": GROUP_CASE.replace("count: 2,", "count: 3,"),
    "groups-unknown-group": GROUP_CASE.replace("nguoi_lao_dong_thu_nhap_thap:", "nguoi_lao_dong_thu_nhap:"),
    "groups-unknown-key": GROUP_CASE.replace("{eligible: null}", "{eligible: null, applied: true}"),
    "groups-no-eligible": GROUP_CASE.replace("{eligible: null}", "{count: 0}"),
    "groups-bad-values": GROUP_CASE.replace(
        LOW_INCOME, "nguoi_lao_dong_thu_nhap_thap: {eligible: 1, count: two}"
    ),
    "groups-not-a-mapping": GROUP_CASE.replace("{eligible: null}", "true"),
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


def test_expected_groups_pass_on_both_engines(run: str) -> None:
    """`expect.groups` (eligible, count, members compared as a set) is checked and a right one passes."""
    assert outcome(run, "groups") == {"PASSED"}


def test_a_wrong_group_count_shows_a_diff_and_the_groups(run: str) -> None:
    """A wrong expected count fails with the group's expect/actual lines and the groups in the summary."""
    assert outcome(run, "groups-wrong") == {"FAILED"}
    assert "-    count: 3\n+    count: 2" in run
    assert "group nguoi_lao_dong_thu_nhap_thap: eligible, count 2" in run


def test_an_unknown_group_is_refused_with_a_suggestion(run: str) -> None:
    """A group id the standard does not declare is refused, with the closest declared id."""
    assert outcome(run, "groups-unknown-group") == {"FAILED"}
    assert "unknown group key 'nguoi_lao_dong_thu_nhap'; did you mean 'nguoi_lao_dong_thu_nhap_thap'?" in run


def test_unknown_keys_and_bad_values_in_a_group_are_refused(run: str) -> None:
    """Inside a group only eligible (true/false/null, required), count (whole number) and members."""
    assert outcome(run, "groups-unknown-key") == {"FAILED"}
    assert "unknown group key 'applied'; allowed: eligible, count, members" in run
    assert outcome(run, "groups-no-eligible") == {"FAILED"}
    assert "group `ho_nong_lam_ngu_diem_nghiep_muc_song_trung_binh` needs `eligible`" in run
    assert outcome(run, "groups-bad-values") == {"FAILED"}
    assert "`eligible` must be true, false or null" in run
    assert "`count` must be a whole number or null" in run
    assert outcome(run, "groups-not-a-mapping") == {"FAILED"}
    assert "group `ho_nong_lam_ngu_diem_nghiep_muc_song_trung_binh` must be a mapping" in run
