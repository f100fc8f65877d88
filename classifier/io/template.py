"""`chuan-ngheo template`: an Excel workbook a commune can fill in and hand straight back.

Sheets "Hộ gia đình" and "Thành viên" carry Vietnamese column headers (each fact's ``label_vi`` from
rules/facts.yaml, which the readers accept as aliases), drop-down lists for yes/no and coded answers
(their Vietnamese labels, which the readers also accept), and a note on every header saying what goes
there. A third sheet, "Hướng dẫn", explains each column and shows an example. Pre-decided indicator
flags (forms B1/B2) are optional columns ``deprivations.<indicator>`` for the chosen standard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from classifier.io.admin import admin_catalogue
from classifier.io.columns import FLAG_PREFIX
from classifier.rules.ruleset import RuleSet

__all__ = ["write_template"]

HOUSEHOLD_SHEET = "Hộ gia đình"
MEMBER_SHEET = "Thành viên"
GUIDE_SHEET = "Hướng dẫn"
YES_NO = ("có", "không")

# Structural (non-survey) columns: header, field, note. Headers are spellings the readers accept.
_HOUSEHOLD_HEAD = (
    ("Mã hộ", "id", "Bắt buộc. Mã hộ, không trùng trong tệp."),
    ("Tỉnh", "province", "Tỉnh/thành phố (để tổng hợp theo địa bàn)."),
    ("Xã", "commune", "Xã/phường/đặc khu."),
    ("Thôn", "village", "Thôn/tổ dân phố."),
    (
        "Thu nhập bình quân đầu người/tháng",
        "income_per_capita_month",
        "Đồng/người/tháng. Điền cột này HOẶC tổng thu nhập của hộ/tháng.",
    ),
    (
        "Tổng thu nhập của hộ/tháng",
        "income_total_month",
        "Đồng/tháng của cả hộ; chương trình chia cho số nhân khẩu (không làm tròn).",
    ),
    ("Số nhân khẩu", "member_count", "Bắt buộc khi không kê khai từng thành viên."),
    ("Ngày tham chiếu", "reference_date", "Ngày tính tuổi (YYYY-MM-DD hoặc DD/MM/YYYY)."),
)
_MEMBER_HEAD = (
    ("Mã hộ", "household_id", "Bắt buộc. Mã hộ của thành viên (như ở trang Hộ gia đình)."),
    ("Mã thành viên", "id", "Tùy chọn."),
)
# Derived facts are computed by the engine, never entered.
_SKIP = {"member_count", "floor_area_per_person"}


def _choices(spec: Any) -> tuple[str, ...] | None:
    if spec.type == "bool":
        return YES_NO
    if spec.type == "enum":
        return tuple(spec.value_labels_vi.get(v, v) for v in spec.values)
    return None


def _note(spec: Any) -> str:
    """The header's note; ``spec`` is a FactSpec or an AdminField (rules/admin.yaml)."""
    choices = _choices(spec)
    parts = [spec.label_en or spec.name, f"(mã cột: {spec.name})"]
    if getattr(spec, "private", False):
        parts.append("Dữ liệu cá nhân: không ghi vào nhật ký hay thông báo lỗi.")
    if spec.type == "codes":
        labels = [spec.value_labels_vi.get(v, v) for v in spec.values]
        parts.append("Một hoặc nhiều, cách nhau bằng dấu ';': " + "; ".join(labels))
    elif spec.type == "id_number":
        parts.append("12 chữ số")
    elif spec.type == "enum" and len(spec.values) > 12:
        parts.append(f"Tên hoặc mã (xem rules/admin.yaml), {len(spec.values)} giá trị")
    elif choices:
        parts.append("Chọn: " + "; ".join(choices))
    elif spec.type == "date":
        parts.append("Ngày: YYYY-MM-DD hoặc DD/MM/YYYY")
    elif spec.type in ("integer", "number"):
        parts.append("Số")
    parts.append("Để trống = chưa biết (không phải 'không').")
    return "\n".join(parts)


def _sheet(
    ws: Any, head: tuple[tuple[str, str, str], ...], facts: list[Any], extra: list[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    columns: list[tuple[str, str, str]] = [*head]
    columns += [(spec.label_vi or spec.name, spec.name, _note(spec)) for spec in facts]
    columns += [(header, header, note) for header, note in extra]
    for index, (header, _field, note) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.comment = Comment(note, "chuan-ngheo", width=320, height=160)
        ws.column_dimensions[get_column_letter(index)].width = max(14, min(len(header) + 2, 40))
    ws.freeze_panes = "A2"
    offset = len(head)
    for index, spec in enumerate(facts, start=offset + 1):
        choices = _choices(spec)
        if choices:
            formula = '"' + ",".join(c.replace('"', "'") for c in choices) + '"'
            if len(formula) <= 255:  # Excel's limit for an inline list
                rule = DataValidation(type="list", formula1=formula, allow_blank=True)
                rule.error = "Chọn một giá trị trong danh sách (hoặc để trống nếu chưa biết)."
                ws.add_data_validation(rule)
                rule.add(f"{get_column_letter(index)}2:{get_column_letter(index)}5000")
    for index in range(offset + len(facts) + 1, len(columns) + 1):
        rule = DataValidation(type="list", formula1='"' + ",".join(YES_NO) + '"', allow_blank=True)
        ws.add_data_validation(rule)
        rule.add(f"{get_column_letter(index)}2:{get_column_letter(index)}5000")
    return columns


def write_template(path: Path, ruleset: RuleSet) -> Path:
    """Write the template workbook for ``ruleset``'s indicators; returns the path."""
    workbook = Workbook()
    households = workbook.active
    households.title = HOUSEHOLD_SHEET
    members = workbook.create_sheet(MEMBER_SHEET)
    guide = workbook.create_sheet(GUIDE_SHEET)
    catalogue = ruleset.facts
    admin = admin_catalogue()  # administrative and personal columns first, then the survey facts
    household_facts = [
        *admin.household.values(),
        *(s for n, s in catalogue.household.items() if n not in _SKIP and not s.derived),
    ]
    member_facts = [*admin.member.values(), *(s for s in catalogue.member.values() if not s.derived)]
    flags = [
        (
            f"{FLAG_PREFIX}{ind.id}",
            f"Tùy chọn (phiếu B1/B2): hộ thiếu hụt chỉ số '{ind.label_vi}'? có/không. "
            "Nếu điền, chỉ số này theo phiếu, không tính từ câu trả lời.",
        )
        for ind in ruleset.indicators
    ]
    h_cols = _sheet(households, _HOUSEHOLD_HEAD, household_facts, flags)
    m_cols = _sheet(members, _MEMBER_HEAD, member_facts, [])

    guide.append([f"Mẫu nhập liệu rà soát hộ nghèo, hộ cận nghèo — chuẩn {ruleset.id}: {ruleset.title_vi}"])
    guide["A1"].font = Font(bold=True, size=13)
    guide.append(
        [
            "Điền mỗi hộ một dòng ở trang 'Hộ gia đình', mỗi người một dòng ở trang 'Thành viên' "
            "(nối theo Mã hộ). Ô để trống nghĩa là CHƯA BIẾT, không phải 'không'."
        ]
    )
    guide.append(["Chạy: chuan-ngheo classify mau.xlsx -o ket-qua.xlsx"])
    guide.append([])
    guide.append(["Trang", "Cột", "Mã cột", "Ghi chú"])
    for cell in guide[5]:
        cell.font = Font(bold=True)
    for sheet, cols in ((HOUSEHOLD_SHEET, h_cols), (MEMBER_SHEET, m_cols)):
        for header, field, note in cols:
            guide.append([sheet, header, field, note.replace("\n", " · ")])
    for letter, width in zip("ABCD", (14, 42, 28, 90), strict=True):
        guide.column_dimensions[letter].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    from classifier.io.outputs import write_file

    write_file(path, workbook.save)  # locked, unique temporary file, renamed when complete
    return path
