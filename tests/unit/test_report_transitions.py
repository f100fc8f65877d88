"""Transitions between review rounds, from hand-made result files of `chuan-ngheo classify`."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from classifier.errors import InputError
from classifier.report.transitions import compare_rounds, read_round, transitions_report

COLUMNS = (
    "id",
    "row",
    "classification",
    "deprivation_count",
    "employment",
    "nutrition",
    "telecom",
    "income_per_capita_month",
    "province",
    "commune",
    "village",
    "standard",
    "provisional",
    "error",
)
INDICATORS = ("employment", "nutrition", "telecom")


def write_round(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] = COLUMNS) -> Path:
    """A result CSV as the classify command writes it (BOM, ids as headers, 1/0 flags)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    "standard": "nd-07-2021",
                    "provisional": 0,
                    "province": "P",
                    "commune": "C",
                    "village": "V1",
                    **row,
                }
            )
    return path


def row(hid: str, cls: str, income: int = 0, *deprived: str, **extra: Any) -> dict[str, Any]:
    """One classified row: the named indicators deprived (1), the others not (0)."""
    flags = {i: int(i in deprived) for i in INDICATORS}
    return {
        "id": hid,
        "classification": cls,
        "income_per_capita_month": income,
        "deprivation_count": len(deprived),
        **flags,
        **extra,
    }


def categories(paths: Sequence[Path], **kwargs: Any) -> dict[tuple[str, str], str]:
    """(pair index, household id) -> category."""
    t = compare_rounds([read_round(p) for p in paths], indicator_keys=INDICATORS, **kwargs)
    index = {pair: i for i, pair in enumerate(t.pairs)}
    return {(str(index[m.pair]), m.household_id): m.category for m in t.movements}


def test_two_rounds_give_the_official_categories(tmp_path: Path) -> None:
    """Each move between two rounds maps to its category of the report forms."""
    before = write_round(
        tmp_path / "r2025.csv",
        [
            row("A", "ngheo"),
            row("B", "ngheo"),
            row("C", "can_ngheo"),
            row("D", "muc_song_trung_binh"),
            row("E", "khac"),
            row("F", "can_ngheo"),
            row("G", "ngheo"),
            row("H", "can_ngheo"),
            row("I", "muc_song_trung_binh"),
            row("J", "khac"),
        ],
    )
    after = write_round(
        tmp_path / "r2026.csv",
        [
            row("A", "can_ngheo"),
            row("B", "khac"),
            row("C", "muc_song_trung_binh"),
            row("D", "ngheo"),
            row("E", "can_ngheo"),
            row("F", "ngheo"),
            row("G", "ngheo"),
            row("H", "can_ngheo"),
            row("I", "khac"),
            row("J", "khac"),
        ],
    )
    got = categories([before, after])
    assert {hid: cat for (_, hid), cat in got.items()} == {
        "A": "thoat_ngheo_sang_can_ngheo",
        "B": "thoat_ngheo",
        "C": "thoat_can_ngheo",
        "D": "ngheo_phat_sinh_moi",
        "E": "can_ngheo_phat_sinh_moi",
        "F": "roi_xuong_ngheo",
        "G": "giu_nguyen_ngheo",
        "H": "giu_nguyen_can_ngheo",
        "I": "giu_nguyen_tren_can_ngheo",
        "J": "giu_nguyen_tren_can_ngheo",
    }


def test_re_poverty_needs_three_rounds(tmp_path: Path) -> None:
    """Poor, then above, then poor again is re-poor only when the earlier round is there; with two
    rounds it is counted as newly poor and the report says re-poverty could not be told apart."""
    r1 = write_round(tmp_path / "r1.csv", [row("A", "ngheo"), row("B", "khac"), row("C", "ngheo")])
    r2 = write_round(tmp_path / "r2.csv", [row("A", "khac"), row("B", "khac"), row("C", "can_ngheo")])
    r3 = write_round(tmp_path / "r3.csv", [row("A", "ngheo"), row("B", "ngheo"), row("C", "ngheo")])
    three = categories([r1, r2, r3])
    assert (three[("1", "A")], three[("1", "B")], three[("1", "C")]) == (
        "tai_ngheo",
        "ngheo_phat_sinh_moi",
        "tai_ngheo",
    )
    two = categories([r2, r3])
    assert (two[("0", "A")], two[("0", "C")]) == ("ngheo_phat_sinh_moi", "roi_xuong_ngheo")
    t = compare_rounds([read_round(r2), read_round(r3)], indicator_keys=INDICATORS)
    table = transitions_report(t).table("categories")
    repoor = table.rows[table.column("category").index("tai_ngheo")]
    assert repoor[3] is None and "tái nghèo" in repoor[4]
    notes = transitions_report(t).table("summary").column("value")
    assert any("chưa tách được hộ tái nghèo" in str(v) for v in notes)


def test_households_in_only_one_round_are_listed(tmp_path: Path) -> None:
    """A household that left and one that arrived are each listed once with their class, not dropped."""
    before = write_round(tmp_path / "a.csv", [row("A", "ngheo"), row("GONE", "can_ngheo")])
    after = write_round(tmp_path / "b.csv", [row("A", "ngheo"), row("NEW", "ngheo")])
    t = compare_rounds([read_round(before), read_round(after)], indicator_keys=INDICATORS)
    listed = {(m.household_id, m.category, m.before, m.after) for m in t.movements}
    assert ("GONE", "chi_co_o_vong_truoc", "can_ngheo", None) in listed
    assert ("NEW", "chi_co_o_vong_sau", None, "ngheo") in listed
    counts = t.counts(t.pairs[0])
    assert (counts["chi_co_o_vong_truoc"], counts["chi_co_o_vong_sau"], sum(counts.values())) == (1, 1, 3)
    labels = transitions_report(t).table("households").column("label")
    assert "chỉ có ở vòng trước" in labels and "chỉ có ở vòng sau" in labels


def test_each_household_says_what_moved_it(tmp_path: Path) -> None:
    """Income before → after and the indicators that switched are reported for the household."""
    before = write_round(tmp_path / "a.csv", [row("A", "ngheo", 900, "employment", "nutrition", "telecom")])
    after = write_round(tmp_path / "b.csv", [row("A", "can_ngheo", 1200, "employment", "nutrition")])
    t = compare_rounds([read_round(before), read_round(after)], indicator_keys=INDICATORS)
    (move,) = t.movements
    assert (move.income_before, move.income_after) == (900, 1200)
    assert move.no_longer_deprived == ("telecom",) and move.became_deprived == ()
    assert move.what_moved("en") == "income 900 → 1,200; deprivations 3 → 2 (- telecom)"


def test_errors_and_undecidable_rows_are_categorised_and_listed(tmp_path: Path) -> None:
    """A row with an error, an undecidable row, a row without id and a repeated id are all reported."""
    before = write_round(
        tmp_path / "a.csv",
        [
            row("A", "ngheo"),
            row("B", "can_ngheo"),
            row("C", "khac"),
            row("C", "ngheo"),
        ],
    )
    after = write_round(
        tmp_path / "b.csv",
        [
            {
                "id": "A",
                "classification": "",
                "error": "record A (row 1): field 'area' = 'x': expected rural",
            },
            row("B", "khong_du_du_lieu"),
            row("C", "khac"),
            {"id": "", "classification": "", "error": "record ? (row 4): no id"},
        ],
    )
    t = compare_rounds([read_round(before), read_round(after)], indicator_keys=INDICATORS)
    cats = {m.household_id: m.category for m in t.movements}
    assert cats == {"A": "loi", "B": "khong_xac_dinh", "C": "giu_nguyen_tren_can_ngheo"}
    errors = transitions_report(t).table("errors")
    assert errors.column("id") == ["C", "A", None]
    assert errors.column("line") == [5, 2, 5]
    assert "mã hộ trùng" in errors.column("error")[0]
    assert "field 'area'" in errors.column("error")[1]


def test_grouping_by_an_absent_column_names_the_column(tmp_path: Path) -> None:
    """--by village on files without a village column is a clear error naming column and file."""
    columns = [c for c in COLUMNS if c != "village"]
    a = write_round(tmp_path / "a.csv", [row("A", "ngheo")], columns)
    b = write_round(tmp_path / "b.csv", [row("A", "ngheo")], columns)
    with pytest.raises(InputError, match=r"a\.csv has no 'village' column"):
        compare_rounds([read_round(a), read_round(b)], by="village", indicator_keys=INDICATORS)


def test_counts_per_village(tmp_path: Path) -> None:
    """Per-village counts follow each household's village in the later round."""
    a = write_round(tmp_path / "a.csv", [row("A", "ngheo", village="V1"), row("B", "ngheo", village="V2")])
    b = write_round(tmp_path / "b.csv", [row("A", "khac", village="V1"), row("B", "ngheo", village="V2")])
    t = compare_rounds([read_round(a), read_round(b)], by="village", indicator_keys=INDICATORS)
    table = transitions_report(t).table("by_area")
    assert list(
        zip(table.column("village"), table.column("category"), table.column("households"), strict=True)
    ) == [("V1", "thoat_ngheo", 1), ("V2", "giu_nguyen_ngheo", 1)]


def test_a_provisional_round_warns(tmp_path: Path) -> None:
    """A round classified under a provisional standard puts a warning in the report."""
    a = write_round(tmp_path / "a.csv", [row("A", "ngheo")])
    b = write_round(tmp_path / "b.csv", [row("A", "ngheo", standard="nd-351-2025", provisional=1)])
    report = transitions_report(compare_rounds([read_round(a), read_round(b)], indicator_keys=INDICATORS))
    assert any("tạm thời" in w and "nd-351-2025" in w for w in report.warnings)
    assert any("chuẩn khác nhau" in w for w in report.warnings)


def test_a_file_that_is_not_a_result_file_is_refused(tmp_path: Path) -> None:
    """A file without the classification column is rejected with the column named."""
    path = tmp_path / "households.csv"
    path.write_text("id,area\nH1,rural\n", encoding="utf-8")
    with pytest.raises(InputError, match="'classification'"):
        read_round(path)
