"""The report set as an Excel workbook: one sheet per table, with the row of column codes.

Each sheet: the issuer and the title, the note that the form numbers are unconfirmed, the header rows
(group labels, column labels, the codes ``(1) (2) …`` as the provincial templates print them), the
rows, then the table's notes and the identities it was checked against. Numbers stay numbers (rates
rounded for display only by the cell format). Written to a temporary file and moved into place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from classifier.io.outputs import write_file
from classifier.report.reportset import UNCONFIRMED, ReportSet
from classifier.report.templates import ColumnSpec, ComputedTable

__all__ = ["sheet_rows", "write_report_xlsx"]

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def visible(table: ComputedTable) -> list[ColumnSpec]:
    """The printed columns of a table."""
    return [c for c in table.template.columns if not c.hidden]


def header_rows(table: ComputedTable) -> list[list[str]]:
    """Group row (when any column has a group), label row, code row; a summary table starts with its unit."""
    cols = visible(table)
    summary = table.template.kind == "summary"
    lead = ["Đơn vị"] if summary else []
    rows = []
    if any(c.group for c in cols):
        rows.append(lead + [c.group or c.label for c in cols])
    rows.append(lead + [c.label for c in cols])
    rows.append((["(A)"] if summary else []) + [f"({c.code})" for c in cols])
    return rows


def cell_value(value: Any) -> Any:
    """A cell as Excel should hold it: numbers as numbers, unknown as empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "x" if value else None
    return value


def sheet_rows(table: ComputedTable) -> list[list[Any]]:
    """The body rows (unit label first for a summary table; a list's village lines carry the name)."""
    cols = visible(table)
    out = []
    for row in table.rows:
        if row.kind == "header":
            out.append([row.label] + [None] * (len(cols) - 1))
            continue
        values = [cell_value(row.values.get(c.code)) for c in cols]
        if table.template.kind == "summary":
            values.insert(0, ("\u00a0" * 4 * max(row.depth - 1, 0)) + row.label)
        out.append(values)
    return out


def write_report_xlsx(report: ReportSet, path: Path, inputs: Sequence[Path | None] = ()) -> None:
    """Write every table of ``report`` to ``path`` (.xlsx)."""
    wb = Workbook()
    wb.remove(wb.active)
    issuer = f"ỦY BAN NHÂN DÂN {(report.commune or '').upper()}".strip()
    for table in report.tables:
        t = table.template
        ws = wb.create_sheet(t.id.translate(_FORBIDDEN)[:31])
        ws.append([issuer])
        ws.append([t.form or ""])
        ws.append([t.title])
        ws.append([t.subtitle or ""])
        ws.append([UNCONFIRMED])
        ws.append([])
        for r in (1, 3):
            ws.cell(row=r, column=1).font = Font(bold=True)
        first = ws.max_row + 1
        heads = header_rows(table)
        for head in heads:
            ws.append(head)
        for r in range(first, first + len(heads)):
            for cell in ws[r]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
                cell.border = _BOX
        for values, computed in zip(sheet_rows(table), table.rows, strict=True):
            ws.append(values)
            for cell in ws[ws.max_row]:
                cell.border = _BOX
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
                if computed.kind in ("total", "header"):
                    cell.font = Font(bold=True)
        ws.append([])
        for note in table.notes:
            ws.append([f"Ghi chú: {note}"])
        for check in table.checks_passed:
            ws.append([f"Đã kiểm tra: {check}"])
        width = len(heads[-1])
        for i in range(1, width + 1):
            ws.column_dimensions[get_column_letter(i)].width = 28 if i == 1 and t.kind == "summary" else 12
        ws.freeze_panes = ws.cell(row=first + len(heads), column=2 if t.kind == "summary" else 1)
    if report.skipped:
        ws = wb.create_sheet("bo-qua")
        ws.append(["Biểu không lập", "Lý do"])
        for tid, why in report.skipped:
            ws.append([tid, why])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, wb.save, inputs)
