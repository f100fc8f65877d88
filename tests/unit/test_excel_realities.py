"""Excel files as officials make them: formulas without saved results, a title above the header,
values merged down over several households, hidden rows, and .xlsm workbooks."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from classifier.cli import main
from classifier.data import sample_path
from classifier.io import read_records
from classifier.io.readers import XLSX_HEADER_ROWS

HOUSEHOLDS = sample_path("households.csv")
MEMBERS = sample_path("members.csv")
HOUSEHOLD_COUNT = 4


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _sample_tables() -> tuple[list[list[str]], list[list[str]]]:
    """The first households of the sample and their members, as rows of text (header first)."""
    households = list(csv.reader(HOUSEHOLDS.read_text(encoding="utf-8").splitlines()))
    households = [households[0], *households[1 : 1 + HOUSEHOLD_COUNT]]
    ids = {row[0] for row in households[1:]}
    members = list(csv.reader(MEMBERS.read_text(encoding="utf-8").splitlines()))
    members = [members[0], *(m for m in members[1:] if m[0] in ids)]
    return households, members


def _workbook(path: Path, households: list[list[Any]], members: list[list[Any]], above: int = 0) -> Any:
    """A workbook with sheets households / members; ``above`` title rows above the households header."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "households"
    if above:
        sheet.append(["DANH SÁCH HỘ GIA ĐÌNH RÀ SOÁT NĂM 2026"])
        for _ in range(above - 1):
            sheet.append([])
    for row in households:
        sheet.append([None if c == "" else c for c in row])
    member_sheet = workbook.create_sheet("members")
    for row in members:
        member_sheet.append([None if c == "" else c for c in row])
    workbook.save(path)
    return workbook


def _classify(path: Path, tmp_path: Path) -> tuple[int, str, list[dict[str, str]]]:
    out = tmp_path / "kq.csv"
    code, _, err = run("classify", str(path), "-o", str(out), "--quiet", "--reference-date", "2026-11-01")
    return code, err, read_csv(out) if out.exists() else []


def _reference(tmp_path: Path) -> list[dict[str, str]]:
    """Results of the same households from a plain workbook."""
    households, members = _sample_tables()
    plain = tmp_path / "plain.xlsx"
    _workbook(plain, households, members)
    code, err, rows = _classify(plain, tmp_path)
    assert code == 0, err
    return rows


def test_a_formula_without_a_saved_result_is_that_records_error_saying_how_to_fix(tmp_path: Path) -> None:
    """openpyxl (like any script) saves formulas without results: such a cell is not 'unanswered' but an
    error naming the record, the field and the formula, and telling how to get the values saved."""
    households, members = _sample_tables()
    income = households[0].index("income_per_capita_month")
    households[2][income] = "=1000000*2"
    path = tmp_path / "cong-thuc.xlsx"
    _workbook(path, households, members)
    code, err, rows = _classify(path, tmp_path)
    assert code == 1, err
    bad = rows[1]
    assert bad["classification"] == ""
    assert households[2][0] in bad["error"] and "income_per_capita_month" in bad["error"]
    assert "=1000000*2" in bad["error"] and "LibreOffice" in bad["error"] and "paste" in bad["error"]
    assert all(r["classification"] for i, r in enumerate(rows) if i != 1)


def test_a_formula_in_a_member_row_is_reported_on_its_household(tmp_path: Path) -> None:
    """A members-sheet formula without a result makes its household an error naming the field."""
    households, members = _sample_tables()
    birth = members[0].index("birth_date")
    members[1][birth] = "=DATE(1990,1,1)"
    path = tmp_path / "cong-thuc-tv.xlsx"
    _workbook(path, households, members)
    code, err, rows = _classify(path, tmp_path)
    assert code == 1, err
    bad = next(r for r in rows if r["id"] == members[1][0])
    assert "birth_date" in bad["error"] and "DATE(1990,1,1)" in bad["error"]


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    """A title and a blank row above the header: the header is found, households are classified as
    from a plain sheet, and rows keep their spreadsheet numbers."""
    reference = _reference(tmp_path)
    households, members = _sample_tables()
    path = tmp_path / "tieu-de.xlsx"
    _workbook(path, households, members, above=2)
    code, err, rows = _classify(path, tmp_path)
    assert code == 0, err
    assert [r["classification"] for r in rows] == [r["classification"] for r in reference]
    assert [int(r["row"]) for r in rows] == [int(r["row"]) + 2 for r in reference]


def test_a_header_below_the_search_window_is_a_clear_error(tmp_path: Path) -> None:
    """A header further down than the rows searched: exit 2 saying where the header must be."""
    households, members = _sample_tables()
    path = tmp_path / "qua-xa.xlsx"
    workbook = _workbook(path, [], members)
    sheet = workbook["households"]
    for n in range(XLSX_HEADER_ROWS + 2):
        sheet.append([f"ghi chú {n}"])
    for row in households:
        sheet.append([None if c == "" else c for c in row])
    workbook.save(path)
    code, err, _ = _classify(path, tmp_path)
    assert code == 2
    assert f"within the first {XLSX_HEADER_ROWS} non-empty rows" in err


def test_a_value_merged_down_over_households_is_given_to_each(tmp_path: Path) -> None:
    """A village merged down over three households counts for each of them (what Excel shows), and
    no message ever shows Python's None."""
    households, members = _sample_tables()
    village = households[0].index("village")
    households[2][village] = households[3][village] = ""
    households[1][village] = "Thôn Gộp"
    path = tmp_path / "gop.xlsx"
    workbook = _workbook(path, households, members)
    letter = openpyxl.utils.get_column_letter(village + 1)
    workbook["households"].merge_cells(f"{letter}2:{letter}4")
    workbook.save(path)
    code, err, rows = _classify(path, tmp_path)
    assert code == 0, err
    assert [r["village"] for r in rows[:3]] == ["Thôn Gộp"] * 3
    assert "None" not in err and all("None" not in r["error"] for r in rows)


def test_hidden_rows_are_read_and_said(tmp_path: Path) -> None:
    """A hidden (or filtered-out) row is a household like the others: classified, with a note saying
    hidden rows were read."""
    households, members = _sample_tables()
    path = tmp_path / "an.xlsx"
    workbook = _workbook(path, households, members)
    workbook["households"].row_dimensions[3].hidden = True
    workbook.save(path)
    code, err, rows = _classify(path, tmp_path)
    assert code == 0, err
    assert len(rows) == HOUSEHOLD_COUNT
    assert "1 hidden row(s) were read" in err
    notices: list[str] = []
    assert len(list(read_records(path, notices=notices))) == HOUSEHOLD_COUNT
    assert len(notices) == 1


def test_xlsm_workbooks_are_read(tmp_path: Path) -> None:
    """A macro-enabled workbook (.xlsm) is read like .xlsx (its macros are never run)."""
    reference = _reference(tmp_path)
    households, members = _sample_tables()
    path = tmp_path / "macro.xlsm"
    _workbook(path, households, members)
    code, err, rows = _classify(path, tmp_path)
    assert code == 0, err
    assert [r["classification"] for r in rows] == [r["classification"] for r in reference]


@pytest.mark.parametrize("above", [0, 3])
def test_reading_a_plain_sheet_gives_what_openpyxl_gives(tmp_path: Path, above: int) -> None:
    """The sheet reader that sees formulas and merges reads ordinary cells exactly as openpyxl does."""
    households, members = _sample_tables()
    path = tmp_path / "thuong.xlsx"
    _workbook(path, households, members, above=above)
    records = list(read_records(path))
    assert [r.raw["id"] for r in records if r.raw] == [row[0] for row in households[1:]]
    assert [r.row for r in records] == list(range(2 + above, 2 + above + HOUSEHOLD_COUNT))


def test_a_formula_whose_saved_result_is_empty_text_is_an_empty_answer(tmp_path: Path) -> None:
    """Excel and LibreOffice save a formula that yields "" as t="str" with an empty value: that is an
    answer (empty), not a missing result, and must not become an error."""
    import zipfile

    households, members = _sample_tables()
    village = households[0].index("village")
    households[1][village] = '=""'
    path = tmp_path / "rong.xlsx"
    _workbook(path, households, members)
    patched = tmp_path / "rong-excel.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = f'<c r="{openpyxl.utils.get_column_letter(village + 1)}2"'
                assert data.count(cell.encode()) == 1
                data = data.replace(cell.encode(), (cell + ' t="str"').encode())
            target.writestr(item, data)
    code, err, rows = _classify(patched, tmp_path)
    assert code == 0, err
    assert rows[0]["village"] == "" and rows[0]["classification"]
    code, err, rows = _classify(path, tmp_path)  # as openpyxl wrote it: no saved result at all
    assert code == 1 and "village" in rows[0]["error"]
