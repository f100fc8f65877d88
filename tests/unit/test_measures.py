"""Poverty measures (issue 10 item 4): official rates and Alkire–Foster, pinned on a hand-worked example."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import SAMPLE_DIR
from classifier.errors import InputError
from classifier.report.measures import MeasureInput, compute_measures, measure_columns

KEYS = ("a", "b", "c")
ROWS = [
    MeasureInput("U1", "ngheo", 4, {"a": True, "b": True, "c": False}),  # 2 of 3: AF-poor, share 2/3
    MeasureInput("U1", "can_ngheo", 2, {"a": True, "b": False, "c": False}),
    MeasureInput("U1", "khac", 3, {"a": False, "b": False, "c": False}),
    MeasureInput("U2", "ngheo", 1, {"a": True, "b": True, "c": True}),  # 3 of 3: AF-poor, share 1
    MeasureInput("U2", "khong_du_du_lieu", 2, {"a": True, "b": None, "c": False}),  # unknown: apart
    MeasureInput("U2", None, None, {}),  # an error row
]


def _total(weight: str) -> dict[str, object]:
    return compute_measures(ROWS, indicators=KEYS, cutoff=2, weight=weight)[-1]


def test_rates_and_alkire_foster_by_household_match_the_hand_count() -> None:
    """5 households (1 error apart): rates 40/20/60 %; H 2/4, A 5/6, M0 5/12; contributions .4 .4 .2."""
    t = _total("households")
    assert (t["households"], t["persons"], t["poor"], t["near_poor"], t["cannot_classify"], t["errors"]) == (
        5,
        12,
        2,
        1,
        1,
        1,
    )
    assert (t["rate_poor"], t["rate_near_poor"], t["rate_multidimensional"]) == (40.0, 20.0, 60.0)
    assert (t["af_counted"], t["af_unknown"]) == (4, 1)
    assert (
        t["H"] == 0.5
        and t["A"] == pytest.approx(5 / 6, abs=1e-6)
        and t["M0"] == pytest.approx(5 / 12, abs=1e-6)
    )
    assert [t[f"uncensored_{k}"] for k in KEYS] == [0.75, 0.5, 0.25]
    assert [t[f"censored_{k}"] for k in KEYS] == [0.5, 0.5, 0.25]
    assert [t[f"contribution_{k}"] for k in KEYS] == pytest.approx([0.4, 0.4, 0.2], abs=1e-6)


def test_weighting_by_person_uses_member_counts() -> None:
    """By person: rates 5/12, 2/12; H 5/10; A 11/15; M0 11/30; contribution of c 1/11."""
    t = _total("persons")
    assert t["rate_poor"] == pytest.approx(500 / 12, abs=1e-4)
    assert t["rate_near_poor"] == pytest.approx(200 / 12, abs=1e-4)
    assert (t["H"], t["A"], t["M0"]) == pytest.approx((0.5, 11 / 15, 11 / 30), abs=1e-6)
    assert t["contribution_a"] == pytest.approx(5 / 11, abs=1e-6)
    assert t["contribution_c"] == pytest.approx(1 / 11, abs=1e-6)


def test_one_row_per_unit_then_the_total() -> None:
    """Units are sorted, the total comes last; U1: H 1/3, A 2/3, M0 2/9."""
    rows = compute_measures(ROWS, indicators=KEYS, cutoff=2)
    assert [r["unit"] for r in rows] == ["U1", "U2", "Tổng"]
    assert (rows[0]["H"], rows[0]["A"], rows[0]["M0"]) == pytest.approx((1 / 3, 2 / 3, 2 / 9), abs=1e-6)
    assert list(rows[0]) == list(measure_columns(KEYS))


def test_unknown_indicators_are_never_taken_as_not_deprived() -> None:
    """A unit whose only households have unknown indicators has no H at all, not H = 0."""
    rows = compute_measures(
        [MeasureInput("U", "khong_du_du_lieu", 2, {"a": None, "b": True, "c": True})],
        indicators=KEYS,
        cutoff=2,
    )
    assert (rows[-1]["af_unknown"], rows[-1]["H"], rows[-1]["M0"]) == (1, None, None)


def test_weighting_by_person_needs_member_counts() -> None:
    """--weight persons with a household of unknown size is a clear error, not a silent 0."""
    with pytest.raises(InputError, match="member count"):
        compute_measures(
            [MeasureInput("U", "ngheo", None, dict.fromkeys(KEYS, True))],
            indicators=KEYS,
            cutoff=2,
            weight="persons",
        )


def test_the_command_gives_the_same_figures_from_a_result_file_and_from_the_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report measures results.csv --input` and `report measures --round` agree on the 2026 sample."""
    sample = SAMPLE_DIR / "rounds" / "ho-2026.json"
    shutil.copy(sample, tmp_path / "ho.json")
    monkeypatch.chdir(tmp_path)
    assert main(["classify", "ho.json", "-o", "results.csv", "--engine", "durable", "--quiet"]) == 0
    assert (
        main(
            [
                "report",
                "measures",
                "results.csv",
                "--input",
                "ho.json",
                "--by",
                "village",
                "--weight",
                "persons",
                "-o",
                "from-file.csv",
            ]
        )
        == 0
    )
    assert (
        main(["round", "new", "2026", "--year", "2026", "--reference-date", dt.date(2026, 11, 1).isoformat()])
        == 0
    )
    assert main(["round", "import", "2026", "ho.json", "--quiet"]) == 0
    assert main(["round", "classify", "2026", "--quiet"]) == 0
    assert (
        main(
            [
                "report",
                "measures",
                "--round",
                "2026",
                "--by",
                "village",
                "--weight",
                "persons",
                "-o",
                "from-register.csv",
            ]
        )
        == 0
    )
    from_file = (tmp_path / "from-file.csv").read_text(encoding="utf-8")
    assert from_file == (tmp_path / "from-register.csv").read_text(encoding="utf-8")
    assert "rate_multidimensional" in from_file and "contribution_information_access" in from_file


def test_an_unreadable_household_of_the_input_file_is_refused_not_left_without_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report measures --input`: a record of the households file that does not read used to be
    skipped, so that household silently counted as one without a member count; now the command
    stops and names the record's error, as `report` does."""
    monkeypatch.chdir(tmp_path)
    households = tmp_path / "ho.csv"
    households.write_text(
        "id,area,income_per_capita_month,member_count\nH1,rural,1000000,3\nH2,rural,not-a-number,2\n",
        encoding="utf-8",
    )
    assert main(["classify", str(households), "-o", "results.csv", "--quiet"]) != 2
    code = main(["report", "measures", "results.csv", "--input", str(households), "--weight", "persons"])
    assert code != 0
    err = capsys.readouterr().err
    assert "1 error(s) in the records" in err and "H2" in err and "income_per_capita_month" in err
