"""Reading records from JSON, JSON Lines, CSV (two-file and one-file forms) and XLSX."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from classifier.api import load_standard
from classifier.errors import InputError
from classifier.io import RawRecord, parse_records, read_records
from classifier.model import Household

RULESET = load_standard("nd-07-2021")
KEYS = frozenset({*RULESET.indicator_ids, "health_care_access"})


def typed(records: Any) -> list[Any]:
    return [result for _, result in parse_records(records, catalogue=RULESET.facts, indicator_keys=KEYS)]


def write(path: Path, text: str, *, bom: bool = False, encoding: str = "utf-8") -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


HOUSEHOLDS_CSV = """\
id,area,income_per_capita_month,province,floor_area_m2,water_source
H1,rural,"1.400.000",01,30,nước máy
H2,thành thị,2000000,01,,
H3,rural,1500000,01,12,giếng khoan
"""
MEMBERS_CSV = """\
household_id,id,birth_date,has_health_insurance,education
H1,H1-1,02/05/1980,có,trung học phổ thông
H1,H1-2,2015-09-01,không,
H2,H2-1,1990-01-01,1,đại học trở lên
"""


# -- CSV --------------------------------------------------------------------------------------------


def test_two_file_csv_joins_members_to_their_household_in_order(tmp_path: Path) -> None:
    """Members rows are attached to the household whose id is in their household_id column, in file order."""
    records = list(
        read_records(
            write(tmp_path / "ho.csv", HOUSEHOLDS_CSV), members_path=write(tmp_path / "tv.csv", MEMBERS_CSV)
        )
    )
    assert [(r.raw["id"], r.row, r.source) for r in records] == [
        ("H1", 2, "ho.csv"),
        ("H2", 3, "ho.csv"),
        ("H3", 4, "ho.csv"),
    ]
    h1, h2, h3 = typed(records)
    assert [m.member_id for m in h1.members] == ["H1-1", "H1-2"]
    assert h1.members[1].facts == {"birth_date": dt.date(2015, 9, 1), "has_health_insurance": False}
    assert h1.facts == {"floor_area_m2": 30, "water_source": "piped"}
    assert h2.area == "urban" and h2.members[0].facts["education"] == "university"
    assert h3.members == ()
    assert records[0].member_locations == (("tv.csv", 2), ("tv.csv", 3))


def test_member_rows_of_no_household_are_reported_not_dropped(tmp_path: Path) -> None:
    """A members row whose household_id matches no household comes back as an error naming its row."""
    members = MEMBERS_CSV + "H7,H7-1,1990-01-01,1,\nH7,H7-2,1991-01-01,1,\n"
    records = list(
        read_records(
            write(tmp_path / "ho.csv", HOUSEHOLDS_CSV), members_path=write(tmp_path / "tv.csv", members)
        )
    )
    orphan = records[-1]
    assert orphan.raw is None and len(records) == 4
    errors = typed(records)[-1]
    assert [(e.record_id, e.field, e.row, e.source) for e in errors] == [
        ("H7", "household_id", 5, "tv.csv"),
        ("H7", "household_id", 6, "tv.csv"),
    ]
    assert "ho.csv" in errors[0].expected


def test_a_member_error_names_the_member_and_its_row_in_the_members_file(tmp_path: Path) -> None:
    """A bad birth date in the members file is reported as members[2].birth_date at that file's row."""
    members = MEMBERS_CSV.replace("2015-09-01", "2015-13-01")
    records = read_records(
        write(tmp_path / "ho.csv", HOUSEHOLDS_CSV), members_path=write(tmp_path / "tv.csv", members)
    )
    errors = typed(records)[0]
    assert [(e.record_id, e.field, e.source, e.row) for e in errors] == [
        ("H1", "members[2].birth_date", "tv.csv", 3)
    ]


def test_one_file_csv_takes_flags_as_prefixed_bare_or_vietnamese_columns(tmp_path: Path) -> None:
    """In the one-file form flags come as deprivations.<key>, <key> or the indicator's Vietnamese label."""
    text = (
        "Mã hộ,  KHU VỰC ,Thu nhập bình quân đầu người/tháng (đồng),Số nhân khẩu,"
        "deprivations.employment,nutrition,Bảo hiểm y tế,Nguồn nước sinh hoạt,deprivations.water_source\n"
        "H1,nông thôn,1.400.000,4,có,không,,giếng khoan,1\n"
    )
    (household,) = typed(read_records(write(tmp_path / "mot-file.csv", text)))
    assert isinstance(household, Household)
    assert household.flags == {"employment": True, "nutrition": False, "water_source": True}
    assert household.member_count == 4 and household.income_per_capita_month == 1_400_000
    # The fact's own label names the answer, not the flag: the answer is a water source.
    assert household.facts == {"water_source": "drilled_well"}


def test_a_csv_with_a_byte_order_mark_reads_its_first_header(tmp_path: Path) -> None:
    """Excel's 'CSV UTF-8' starts with a BOM; the first column (the id) must still be recognised."""
    path = write(tmp_path / "bom.csv", "id,area,income_per_capita_month\nH1,rural,1\n", bom=True)
    (household,) = typed(read_records(path))
    assert isinstance(household, Household) and household.id == "H1"


def test_a_semicolon_separated_csv_is_read(tmp_path: Path) -> None:
    """Excel in a decimal-comma locale writes ';'-separated CSV, where '1.400.000' and '25,5' are common."""
    text = "id;area;income_per_capita_month;floor_area_m2\nH1;rural;1.400.000;25,5\n"
    (household,) = typed(read_records(write(tmp_path / "sc.csv", text)))
    assert household.facts["floor_area_m2"] == 25.5 and household.income_per_capita_month == 1_400_000


def test_blank_rows_and_unnamed_empty_columns_are_ignored(tmp_path: Path) -> None:
    """A spacer row or a trailing separator carries nothing and yields no record or error."""
    text = "id,area,income_per_capita_month,,\nH1,rural,1,,\n,,,,\nH2,urban,2,,\n"
    results = typed(read_records(write(tmp_path / "b.csv", text)))
    assert [r.id for r in results] == ["H1", "H2"]


def test_an_unknown_column_is_an_error_on_the_record_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt header is kept as written and reported with a did-you-mean, not silently ignored."""
    text = "id,area,income_per_capita_month,dien_tich_nhaa\nH1,rural,1,30\n"
    (errors,) = typed(read_records(write(tmp_path / "u.csv", text)))
    assert errors[0].field == "dien_tich_nhaa" and "floor_area_m2" in errors[0].expected


def test_two_columns_meaning_the_same_field_are_refused(tmp_path: Path) -> None:
    """'id' and 'Mã hộ' both name the id: the file is refused naming both headers."""
    with pytest.raises(InputError, match="'id' and 'Mã hộ'"):
        read_records(write(tmp_path / "d.csv", "id,Mã hộ,area\nH1,H1,rural\n"))


def test_a_households_file_without_an_id_column_is_refused_before_reading(tmp_path: Path) -> None:
    """Without an id column no record could be named, so the file is refused as a whole, at once."""
    with pytest.raises(InputError, match="no household id column"):
        read_records(write(tmp_path / "n.csv", "area,income_per_capita_month\nrural,1\n"))


def test_a_members_file_without_household_id_is_refused(tmp_path: Path) -> None:
    """Members that cannot be joined would be lost, so the members file is refused as a whole."""
    with pytest.raises(InputError, match="no household_id column"):
        read_records(
            write(tmp_path / "h.csv", HOUSEHOLDS_CSV),
            members_path=write(tmp_path / "m.csv", "id,birth_date\nM1,1990-01-01\n"),
        )


def test_a_csv_not_in_utf8_is_refused_with_advice(tmp_path: Path) -> None:
    """A legacy-encoded CSV would garble Vietnamese; it is refused with advice to save as CSV UTF-8."""
    path = write(tmp_path / "legacy.csv", "id,area\nH1,nông thôn\n", encoding="utf-16")
    with pytest.raises(InputError, match="UTF-8"):
        list(read_records(path))


@pytest.mark.parametrize("name", ["data.txt", "data"])
def test_an_unknown_extension_is_refused(tmp_path: Path, name: str) -> None:
    """The format is never guessed from content: an unknown extension needs an explicit format."""
    with pytest.raises(InputError, match="format"):
        read_records(write(tmp_path / name, "[]"))


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A missing input file raises InputError (exit code 2), not a bare OSError."""
    with pytest.raises(InputError, match="not found"):
        read_records(tmp_path / "absent.csv")


# -- JSON and JSON Lines ----------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [False, True])
def test_json_arrays_and_households_objects_are_read(tmp_path: Path, wrap: bool) -> None:
    """JSON input is an array of records or {"households": [...]}; row is the 1-based position."""
    data: Any = [{"id": "A"}, {"id": "B"}]
    path = write(tmp_path / "h.json", json.dumps({"households": data} if wrap else data))
    assert [(r.raw["id"], r.row) for r in read_records(path)] == [("A", 1), ("B", 2)]


def test_json_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    """A JSON object that is not {"households": [...]} is not a list of records."""
    with pytest.raises(InputError, match="array"):
        read_records(write(tmp_path / "h.json", '{"id": "A"}'))


def test_json_lines_report_a_broken_line_as_that_record(tmp_path: Path) -> None:
    """A line that is not JSON becomes an error record at its line number; blank lines are skipped."""
    text = '{"id": "A", "area": "rural", "income_per_capita_month": 1}\n\n{"id": "B", oops\n'
    records = list(read_records(write(tmp_path / "h.jsonl", text)))
    assert [r.row for r in records] == [1, 3]
    _, broken = typed(records)
    assert broken[0].row == 3 and broken[0].field == "<line>" and "JSON object" in broken[0].expected


def test_a_json_line_that_is_not_utf8_is_that_records_error(tmp_path: Path) -> None:
    """One mis-encoded line is reported at its line; the lines around it are still read."""
    path = tmp_path / "enc.ndjson"
    path.write_bytes(b'\xef\xbb\xbf{"id": "A"}\n' + b"\xff\xfe broken\n" + b'{"id": "C"}\n')
    records = list(read_records(path))
    assert [r.raw for r in records] == [{"id": "A"}, None, {"id": "C"}]
    assert "UTF-8" in records[1].errors[0].expected and records[1].row == 2


def test_json_lines_are_read_lazily(tmp_path: Path) -> None:
    """The reader streams: it hands out the first record while the rest of the file is not yet written."""
    fifo = tmp_path / "stream.jsonl"
    os.mkfifo(fifo)
    got_first = threading.Event()
    seen: list[bool] = []

    def producer() -> None:
        with fifo.open("wb") as out:
            out.write(b'{"id": "A"}\n')
            out.flush()
            # A reader that loaded the whole file would still be waiting here; a guard, not a timing test.
            seen.append(got_first.wait(timeout=30))
            out.write(b'{"id": "B"}\n')

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    records = read_records(fifo, format="jsonl")
    first = next(records)
    got_first.set()
    rest = list(records)
    thread.join()
    assert first.raw == {"id": "A"} and [r.raw for r in rest] == [{"id": "B"}]
    assert seen == [True]


def test_a_members_file_can_complete_json_lines_households(tmp_path: Path) -> None:
    """The members join works for any households format, and refuses members given twice."""
    text = (
        '{"id": "H1", "area": "rural", "income_per_capita_month": 1}\n'
        '{"id": "H2", "area": "rural", "income_per_capita_month": 1, "members": [{}]}\n'
    )
    members = "household_id,age\nH1,30\nH2,40\n"
    h1, h2 = typed(
        read_records(write(tmp_path / "h.jsonl", text), members_path=write(tmp_path / "m.csv", members))
    )
    assert h1.members[0].facts == {"age": 30}
    assert h2[0].field == "members" and "not both" in h2[0].expected


# -- XLSX -------------------------------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_with_vietnamese_sheets_and_headers_is_read_and_typed(tmp_path: Path) -> None:
    """A commune workbook ('Hộ gia đình' + 'Thành viên', Vietnamese headers, typed cells) reads like a CSV."""
    path = _workbook(
        tmp_path / "xa.xlsx",
        {
            "Hộ gia đình": [
                [
                    "Mã hộ",
                    "Khu vực",
                    "Thu nhập bình quân đầu người/tháng (đồng)",
                    "Tỉnh",
                    "Loại nhà tiêu",
                    "Có ti vi",
                    "Diện tích nhà ở (m²)",
                ],
                ["H1", "Nông thôn", 1_400_000, 1, "Tự hoại", True, 24.5],
                [None, None, None, None, None, None, None],
                [2, "thành thị", "1.800.000", 1, "bán tự hoại", "không", None],
            ],
            "Thành viên": [
                ["Mã hộ", "Mã thành viên", "Ngày sinh", "Có thẻ bảo hiểm y tế còn hiệu lực", "Tuổi"],
                ["H1", "H1-1", dt.datetime(1980, 5, 2), 1, None],
                [2, "2-1", None, "có", 41],
            ],
        },
    )
    records = list(read_records(path))
    assert [(r.row, r.source) for r in records] == [
        (2, "xa.xlsx [Hộ gia đình]"),
        (4, "xa.xlsx [Hộ gia đình]"),
    ]
    h1, h2 = typed(records)
    assert (h1.id, h1.area, h1.income_per_capita_month) == ("H1", "rural", 1_400_000)
    assert h1.place == {"province": "1"}
    assert h1.facts == {"latrine_type": "septic", "has_tv": True, "floor_area_m2": 24.5}
    assert h1.members[0].facts == {"birth_date": dt.date(1980, 5, 2), "has_health_insurance": True}
    assert (h2.id, h2.area, h2.income_per_capita_month) == ("2", "urban", 1_800_000)
    assert h2.members[0].member_id == "2-1"
    assert h2.members[0].facts == {"has_health_insurance": True, "age": 41}


def test_xlsx_without_named_sheets_reads_the_first_sheet(tmp_path: Path) -> None:
    """A workbook whose sheet is not named 'households' is read from its first sheet."""
    path = _workbook(
        tmp_path / "sheet1.xlsx",
        {"Sheet1": [["id", "area", "income_per_capita_month"], ["H1", "rural", 1]], "Ghi chú": [["x"]]},
    )
    (household,) = typed(read_records(path))
    assert household.id == "H1"


def test_xlsx_members_sheet_orphans_are_reported(tmp_path: Path) -> None:
    """A members-sheet row for a household missing from the workbook is reported at its sheet row."""
    path = _workbook(
        tmp_path / "o.xlsx",
        {
            "households": [["id", "area", "income_per_capita_month"], ["H1", "rural", 1]],
            "members": [["household_id", "age"], ["H1", 30], ["H5", 40]],
        },
    )
    records: list[RawRecord] = list(read_records(path))
    assert len(records) == 2
    orphan = typed(records)[1]
    assert (orphan[0].record_id, orphan[0].row, orphan[0].source) == ("H5", 3, "o.xlsx [members]")
