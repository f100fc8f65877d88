"""`chuan-ngheo template`: the workbook a commune fills in must read back without a single error."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from classifier.cli import main


def _fill(sheet: openpyxl.worksheet.worksheet.Worksheet, values: dict[str, object]) -> None:
    headers = [cell.value for cell in sheet[1]]
    row = [values.get(header) for header in headers]
    unknown = set(values) - set(headers)
    assert not unknown, f"template lacks columns {unknown}"
    sheet.append(row)


def test_template_round_trip(tmp_path: Path) -> None:
    """A template filled with Vietnamese answers (có/không, coded labels) classifies without errors."""
    template = tmp_path / "mau.xlsx"
    out, err = io.StringIO(), io.StringIO()
    assert main(["template", "-o", str(template)], out=out, err=err) == 0, err.getvalue()
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["Hộ gia đình", "Thành viên", "Hướng dẫn"]
    households, members = workbook["Hộ gia đình"], workbook["Thành viên"]
    assert households["A1"].comment is not None  # every header explains itself
    _fill(
        households,
        {
            "Mã hộ": "H01",
            "Khu vực": "nông thôn",
            "Thu nhập bình quân đầu người/tháng": 1_200_000,
            "Ngày tham chiếu": "01/11/2026",
            "Diện tích nhà ở (m²)": 18,
            "Tường làm bằng vật liệu bền chắc": "có",
            "Cột làm bằng vật liệu bền chắc": "không",
            "Mái làm bằng vật liệu bền chắc": "không",
            "Nguồn nước sinh hoạt": "nước máy",
            "Loại nhà tiêu": "tự hoại",
            "Có thành viên sử dụng thuê bao điện thoại": "có",
            "Có thành viên sử dụng internet": "không",
            "Có ti vi": "có",
            "Có radio": "không",
            "Có máy tính": "không",
            "Nghe được hệ thống loa đài truyền thanh xã/thôn": "có",
        },
    )
    _fill(
        members,
        {
            "Mã hộ": "H01",
            "Mã thành viên": "H01-1",
            "Tuổi": 41,
            "Có thẻ bảo hiểm y tế còn hiệu lực": "không",
            "Đang đi học / đang đào tạo": "không",
            "Trình độ cao nhất đạt được": "trung học cơ sở",
            "Tình trạng việc làm": "thất nghiệp",
            "Là người phụ thuộc": "không",
        },
    )
    _fill(
        members,
        {
            "Mã hộ": "H01",
            "Mã thành viên": "H01-2",
            "Ngày sinh": "2016-05-01",
            "Có thẻ bảo hiểm y tế còn hiệu lực": "có",
            "Đang đi học / đang đào tạo": "có",
            "Tình trạng việc làm": "không tham gia lao động",
            "Là người phụ thuộc": "có",
            "Suy dinh dưỡng thấp còi (chiều cao theo tuổi)": "không",
            "Suy dinh dưỡng nhẹ cân (cân nặng theo tuổi)": "không",
        },
    )
    filled = tmp_path / "da-dien.xlsx"
    workbook.save(filled)
    result = tmp_path / "ket-qua.csv"
    code = main(["classify", str(filled), "-o", str(result), "--quiet"], out=out, err=err)
    assert code == 0, err.getvalue()
    with result.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and rows[0]["error"] == ""
    # unemployed adult, adult uninsured, 2 of 3 structures non-durable: 3 deprivations under the line
    assert rows[0]["employment"] == "1" and rows[0]["health_insurance"] == "1"
    assert rows[0]["housing_quality"] == "1"
    assert rows[0]["classification"] == "ngheo"


def test_template_refuses_a_non_xlsx_name(tmp_path: Path) -> None:
    """The template is a workbook; asking for .csv is a usage error, not a silently wrong file."""
    err = io.StringIO()
    assert main(["template", "-o", str(tmp_path / "mau.csv")], out=io.StringIO(), err=err) == 2
    assert "xlsx" in err.getvalue()
