"""The report set as a print-ready PDF: each table on its own landscape pages (A4 or A3, as its template
says), under the national header block, with the column-code row, its notes and signature lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.papers.common import place_date
from classifier.papers.document import (
    Document,
    Image,
    NationalHeader,
    PageBreak,
    Para,
    Signature,
    TableBlock,
    Title,
    write_document,
)
from classifier.report.forms_xlsx import header_rows, sheet_rows, visible
from classifier.report.reportset import UNCONFIRMED, ReportSet
from classifier.report.templates import ComputedTable

__all__ = ["format_number", "report_document", "write_report_pdf"]


def format_number(value: Any, digits: int = 2) -> str:
    """Vietnamese number style: 1.234 and 12,34; empty for unknown."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


def _plain(value: Any) -> str:
    """A list cell: numbers as written (a birth year is not 1.982), unknown empty."""
    return "" if value is None else str(value)


def _numeric(table: ComputedTable, code: str) -> bool:
    """A list column is right-aligned when every filled cell is a number."""
    values = [r.values.get(code) for r in table.rows if r.kind == "line"]
    return all(isinstance(v, int | float) for v in values if v not in (None, ""))


def issuer_lines(commune: str | None) -> tuple[str, ...]:
    """ "ỦY BAN NHÂN DÂN" and the commune's name in capitals."""
    return ("ỦY BAN NHÂN DÂN", (commune or "").upper()) if commune else ("ỦY BAN NHÂN DÂN",)


def table_blocks(report: ReportSet, table: ComputedTable, first: bool = True) -> list[Any]:
    """Header block, title, the table, notes and signatures of one table (the full caveat on the first)."""
    t = table.template
    cols = visible(table)
    summary = t.kind == "summary"
    digits = {c.code: c.digits for c in cols}
    rows = []
    bold, spans = set(), set()
    for i, (values, computed) in enumerate(zip(sheet_rows(table), table.rows, strict=True)):
        if computed.kind == "header":
            spans.add(i)
            rows.append((computed.label,) + ("",) * (len(values) - 1))
            continue
        if computed.kind == "total":
            bold.add(i)
        codes = ([None] if summary else []) + [c.code for c in cols]
        rows.append(
            tuple(
                (format_number(v, digits.get(code or "", 2)) if summary else _plain(v)) if code else str(v)
                for v, code in zip(values, codes, strict=True)
            )
        )
    widths = ([2.6] if summary else []) + [c.width for c in cols]
    numeric = ([False] if summary else []) + [summary or _numeric(table, c.code) for c in cols]
    blocks: list[Any] = [
        NationalHeader(
            issuer_lines(report.commune), place_date=place_date(report.commune, report.reference_date)
        ),
        Title(t.title, t.subtitle),
        Para(
            f"{t.form or ''}. {UNCONFIRMED}" if first else (t.form or UNCONFIRMED),
            italic=True,
            size=10,
            indent=False,
        ),
        TableBlock(
            tuple(tuple(r) for r in header_rows(table)),
            tuple(rows),
            tuple(widths),
            bold_rows=frozenset(bold),
            span_rows=frozenset(spans),
            numeric=tuple(numeric),
        ),
    ]
    for note in table.notes:
        blocks.append(Para(f"Ghi chú: {note}", size=10, indent=False, align="left"))
    blocks.append(
        Para(
            "Đã kiểm tra: " + "; ".join(table.checks_passed) + ".",
            size=10,
            indent=False,
            align="left",
            italic=True,
        )
    )
    blocks.append(
        Signature(
            (
                ("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"),
                ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Ký, ghi rõ họ tên, đóng dấu)"),
            )
        )
    )
    return blocks


def report_document(report: ReportSet) -> Document:
    """One document holding every table, each starting on a new page of its own size."""
    blocks: list[Any] = []
    for i, table in enumerate(report.tables):
        if i:
            blocks.append(PageBreak(page=table.template.page, landscape=True))
        blocks.extend(table_blocks(report, table, first=i == 0))
    from classifier.report.charts import all_charts

    for chart in all_charts(report.frame, report.standard):
        blocks += [
            PageBreak(page="A4", landscape=True),
            Title("BIỂU ĐỒ", chart.title),
            Image(chart.png, width_mm=230),
        ]
    first = report.tables[0].template.page if report.tables else "A4"
    return Document(
        tuple(blocks), page=first, landscape=True, title="Báo cáo kết quả rà soát hộ nghèo, hộ cận nghèo"
    )


def write_report_pdf(report: ReportSet, path: Path, inputs: Sequence[Path | None] = ()) -> None:
    """Write the report set to ``path`` (.pdf), never over one of ``inputs`` (see write_document)."""
    write_document(report_document(report), path, inputs, fmt="pdf")
