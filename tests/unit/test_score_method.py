"""The score method of Thông tư 07/2021/TT-BLĐTBXH (điểm A / điểm B): both engines, all input forms.

The cut-offs come from rules/nd-07-2021 (parameters score_a_cutoff_rural/urban, score_b_cutoff,
score_b_points_per_indicator); the golden cases in cases/nd-07-2021/score-method.yaml pin both sides of
every boundary. These tests cover what golden cases cannot: files (CSV, JSON Lines, XLSX) through the CLI
on each engine path, record errors, the refusal for standards without score cut-offs, and the explanation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from classifier.api import classify, load_standard
from classifier.cli import main
from classifier.errors import InputError
from classifier.explain import render_text
from classifier.model import Household
from tests.helpers import DECREE_07_INDICATORS

RULES = load_standard("nd-07-2021")
A_RURAL = RULES.parameters["score_a_cutoff_rural"].value
A_URBAN = RULES.parameters["score_a_cutoff_urban"].value
B_CUT = RULES.parameters["score_b_cutoff"].value
POINTS = RULES.parameters["score_b_points_per_indicator"].value
DAY = dt.date(2025, 11, 1)

#: (id, area, score_a, score_b, expected class) on both sides of each cut-off.
ROWS = [
    ("R1", "rural", A_RURAL, B_CUT, "ngheo"),
    ("R2", "rural", A_RURAL, B_CUT - POINTS, "can_ngheo"),
    ("R3", "rural", A_RURAL + 1, B_CUT, "khong_du_du_lieu"),
    ("U1", "urban", A_URBAN, B_CUT, "ngheo"),
    ("U2", "urban", A_URBAN, B_CUT - POINTS, "can_ngheo"),
    ("U3", "urban", A_URBAN + 1, 0, "khong_du_du_lieu"),
]
HEADER = ["id", "area", "score_a", "score_b", "member_count", "reference_date"]


def _write(path: Path) -> None:
    records = [[hid, area, a, b, 4, DAY.isoformat()] for hid, area, a, b, _ in ROWS]
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(records)
    elif path.suffix == ".jsonl":
        path.write_text(
            "".join(json.dumps(dict(zip(HEADER, r, strict=True))) + "\n" for r in records), encoding="utf-8"
        )
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        # Vietnamese headers, as a commune's workbook has them (label_vi / aliases of rules/facts.yaml).
        sheet.append(
            ["id", "Khu vực", "Điểm A (phiếu B1)", "Điểm B (phiếu B2)", "member_count", "reference_date"]
        )
        for row in records:
            sheet.append(row)
        book.save(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
@pytest.mark.parametrize("engine", ["durable", "batch"])
def test_score_records_are_classified_from_every_input_form_on_both_engines(
    tmp_path: Path, suffix: str, engine: str
) -> None:
    """A file carrying only điểm A / điểm B (no income) is classified by score, each row naming the method."""
    source = tmp_path / f"scores{suffix}"
    _write(source)
    output = tmp_path / "out.csv"
    err = io.StringIO()
    code = main(
        ["classify", str(source), "-o", str(output), "--engine", engine, "--quiet"],
        out=io.StringIO(),
        err=err,
    )
    assert code == 0, err.getvalue()
    with output.open(encoding="utf-8-sig", newline="") as handle:
        got = {
            r["id"]: (r["classification"], r["method"], r["possible_outcomes"])
            for r in csv.DictReader(handle)
        }
    for hid, _, _, _, expected in ROWS:
        assert got[hid][0] == expected, (hid, got[hid])
        assert got[hid][1] == "score"
    assert got["R3"][2] == "muc_song_trung_binh;khac"


@pytest.mark.parametrize("engine", ["durable", "batch"])
def test_a_score_b_that_disagrees_with_the_flags_is_a_record_error_naming_both_figures(engine: str) -> None:
    """score_b 40 with 2 deprived of 12 known indicators: the error names 40 and 20 (10 × 2)."""
    flags = {k: i < 2 for i, k in enumerate(DECREE_07_INDICATORS)}
    household = Household(
        id="H",
        area="rural",
        income_per_capita_month=None,
        flags=flags,
        member_count=3,
        facts={"score_a": A_RURAL, "score_b": 40},
    )
    with pytest.raises(InputError) as caught:
        classify(household, RULES, reference_date=DAY, engine=engine)
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("score_b", 40)
    assert f"{POINTS * 2} = {POINTS} × 2" in error.expected


@pytest.mark.parametrize("engine", ["durable", "batch"])
def test_score_b_within_the_range_left_open_by_unknown_indicators_is_accepted(engine: str) -> None:
    """2 deprived and 1 unknown indicator: any B from 20 to 30 agrees; 40 does not; 25 is not a multiple."""
    flags = {k: i < 2 for i, k in enumerate(DECREE_07_INDICATORS[:11])}

    def run(b: int) -> str:
        household = Household(
            id="H",
            area="rural",
            income_per_capita_month=None,
            flags=flags,
            member_count=3,
            facts={"score_a": A_RURAL, "score_b": b},
        )
        return classify(household, RULES, reference_date=DAY, engine=engine).outcome

    assert run(30) == "ngheo"
    assert run(20) == "can_ngheo"
    for bad in (40, 25):
        with pytest.raises(InputError, match="score_b"):
            run(bad)


def test_standards_without_score_cut_offs_refuse_the_score_method_and_auto_uses_income() -> None:
    """Only Decree 07/2021 has score rules: --method score is refused elsewhere; auto falls back to income."""
    household = Household(
        id="H",
        area="rural",
        income_per_capita_month=1_000_000,
        member_count=3,
        facts={"score_a": 100, "score_b": 40},
    )
    for standard in ("nd-351-2025", "qd-59-2015", "hcm-2024"):
        assert load_standard(standard).score_rules == ()
        with pytest.raises(InputError, match="no score cut-offs"):
            classify(household, standard, reference_date=DAY, method="score")
        assert classify(household, standard, reference_date=DAY).method == "income"
    assert classify(household, RULES, reference_date=DAY).method == "score"
    assert classify(household, RULES, reference_date=DAY, method="income").method == "income"


def test_the_explanation_names_the_method_and_the_scores_in_vietnamese_first() -> None:
    """explain says "quyết định theo điểm A = 132 ≤ 140 và điểm B = 40 ≥ 30" (and the English twin)."""
    household = Household(
        id="H",
        area="rural",
        income_per_capita_month=None,
        member_count=3,
        facts={"score_a": 132, "score_b": 40},
    )
    result = classify(household, RULES, reference_date=DAY)
    assert result.trace.method == "score"
    vi = render_text(result, RULES, "vi")
    assert f"điểm A = 132 ≤ {A_RURAL} và điểm B = 40 ≥ {B_CUT}" in vi
    assert f"decided by score A = 132 ≤ {A_RURAL} and B = 40 ≥ {B_CUT}" in render_text(result, RULES, "en")
    by_income = classify(
        Household(id="I", area="rural", income_per_capita_month=1, member_count=1), RULES, reference_date=DAY
    )
    assert "Phương pháp: theo thu nhập" in render_text(by_income, RULES, "vi")


def test_the_streaming_pipeline_routes_score_rows_and_keeps_income_rows_on_the_fast_path(
    tmp_path: Path,
) -> None:
    """One CSV mixing score rows and income rows: the batch pipeline and the durable path agree row by row."""
    source = tmp_path / "mixed.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "area", "income_per_capita_month", "score_a", "score_b", "member_count"])
        writer.writerow(["A", "rural", "", A_RURAL, B_CUT, 2])
        writer.writerow(["B", "rural", 1_000_000, "", "", 2])
        writer.writerow(["C", "urban", 2_500_000, A_URBAN + 1, 0, 2])
    results = {}
    for engine in ("durable", "batch"):
        output = tmp_path / f"{engine}.csv"
        err = io.StringIO()
        assert (
            main(
                [
                    "classify",
                    str(source),
                    "-o",
                    str(output),
                    "--engine",
                    engine,
                    "--quiet",
                    "--reference-date",
                    DAY.isoformat(),
                ],
                out=io.StringIO(),
                err=err,
            )
            == 0
        ), err.getvalue()
        with output.open(encoding="utf-8-sig", newline="") as handle:
            results[engine] = [(r["id"], r["classification"], r["method"]) for r in csv.DictReader(handle)]
    assert (
        results["durable"]
        == results["batch"]
        == [
            ("A", "ngheo", "score"),
            ("B", "khong_du_du_lieu", "income"),
            ("C", "muc_song_trung_binh", "score"),
        ]
    )
