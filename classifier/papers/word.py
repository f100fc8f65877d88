"""Render a :class:`~classifier.papers.document.Document` to DOCX (python-docx), for an official to edit.

The same blocks as the PDF, with the same page size, margins and page numbers (top centre, from page
2, as a PAGE field). The font is named "Times New Roman", as Nghị định 30/2020/NĐ-CP asks: a DOCX does
not embed fonts, and the official's word processor has it (LibreOffice substitutes the metric-compatible
Liberation Serif the PDF uses).
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from classifier.papers.document import (
    BODY_SIZE,
    MARGINS_MM,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    Document,
    Image,
    NationalHeader,
    PageBreak,
    Para,
    Signature,
    TableBlock,
    Title,
)

__all__ = ["render_docx"]

FONT = "Times New Roman"
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
_SIZES_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}


def _page(section: Any, page: str, land: bool) -> None:
    w, h = _SIZES_MM[page]
    if land:
        w, h = h, w
    section.orientation = WD_ORIENT.LANDSCAPE if land else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(w), Mm(h)
    top, bottom, left, right = MARGINS_MM
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True
    para = section.header.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if para._p.find(qn("w:fldSimple")) is None:
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "2"
        run.append(text)
        field.append(run)
        para._p.append(field)


def _width_mm(page: str, land: bool) -> float:
    w, h = _SIZES_MM[page]
    return (h if land else w) - MARGINS_MM[2] - MARGINS_MM[3]


def _para(
    container: Any,
    text: str,
    *,
    size: float = BODY_SIZE,
    bold: bool = False,
    italic: bool = False,
    align: str = "left",
    indent: bool = False,
) -> Any:
    p = container.add_paragraph()
    p.alignment = _ALIGN[align]
    p.paragraph_format.space_after = Pt(3)
    if indent:
        p.paragraph_format.first_line_indent = Mm(10)
    run = p.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    return p


def _rule_under(p: Any, share: float, width_mm: float) -> None:
    """A bottom border under a centred paragraph, about ``share`` of ``width_mm`` long."""
    margin = Mm(width_mm * (1 - share) / 2)
    p.paragraph_format.left_indent = margin
    p.paragraph_format.right_indent = margin
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.append(border)


def _no_cell_spacing(cell: Any) -> None:
    for p in cell.paragraphs:
        p.paragraph_format.space_after = Pt(0)


def _header(doc: Any, block: NationalHeader, width: float) -> None:
    table = doc.add_table(rows=2 if (block.number or block.place_date) else 1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Mm(width * 0.4), Mm(width * 0.6)
    left.paragraphs[0].text = ""
    for i, line in enumerate(block.issuer):
        p = left.paragraphs[0] if i == 0 else left.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(line)
        run.bold, run.font.size = i == len(block.issuer) - 1 and i > 0, Pt(12.5)
    _rule_under(left.paragraphs[-1], 0.55, width * 0.4)
    p = right.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(NATIONAL_NAME)
    run.bold, run.font.size = True, Pt(12.5)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(NATIONAL_MOTTO)
    run.bold, run.font.size = True, Pt(13.5)
    _rule_under(p, 0.55, width * 0.6)
    if len(table.rows) > 1:
        a, b = table.rows[1].cells
        _para(a, block.number or "", align="center").runs[0].font.size = Pt(13)
        _para(b, block.place_date or "", italic=True, align="center")
    for row in table.rows:
        for cell in row.cells:
            _no_cell_spacing(cell)
    doc.add_paragraph()


def _repeat_header(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _table(doc: Any, block: TableBlock, width: float) -> None:
    ncols = len(block.widths)
    table = doc.add_table(rows=0, cols=ncols)
    if block.ruled:
        table.style = "Table Grid"
    total = sum(block.widths) or 1.0
    widths = [Mm(width * w / total) for w in block.widths]
    for head in block.header:
        row = table.add_row()
        _repeat_header(row)
        for c, text in enumerate(head):
            cell = row.cells[c]
            cell.width = widths[c]
            cell.paragraphs[0].text = ""
            run = cell.paragraphs[0].add_run(text)
            run.bold, run.font.size = True, Pt(block.size)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for r, values in enumerate(block.rows):
        row = table.add_row()
        if r in block.span_rows:
            merged = row.cells[0].merge(row.cells[-1])
            merged.paragraphs[0].add_run(values[0]).bold = True
            continue
        for c, text in enumerate(values):
            cell = row.cells[c]
            cell.width = widths[c]
            run = cell.paragraphs[0].add_run(text)
            run.font.size, run.bold = Pt(block.size), r in block.bold_rows
            if c < len(block.numeric) and block.numeric[c]:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        for cell in row.cells:
            _no_cell_spacing(cell)
    doc.add_paragraph()


def _signature(doc: Any, block: Signature, width: float) -> None:
    doc.add_paragraph()
    table = doc.add_table(rows=1, cols=len(block.blocks))
    for cell, lines in zip(table.rows[0].cells, block.blocks, strict=True):
        cell.width = Mm(width / len(block.blocks))
        cell.paragraphs[0].text = ""
        for i, line in enumerate(lines):
            p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(line)
            italic = line.startswith("(")
            run.italic, run.bold = italic, not italic and i < 2
        _no_cell_spacing(cell)


def render_docx(doc: Document) -> bytes:
    """The DOCX bytes of ``doc``."""
    out = new_docx()
    style = out.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_SIZE)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    out.core_properties.title = doc.title
    out.core_properties.author = "chuan-ngheo"
    page, land = doc.page, doc.landscape
    _page(out.sections[0], page, land)
    for block in doc.blocks:
        width = _width_mm(page, land)
        if isinstance(block, NationalHeader):
            _header(out, block, width)
        elif isinstance(block, Title):
            _para(out, block.text, size=14, bold=True, align="center")
            if block.subtitle:
                _para(out, block.subtitle, bold=True, align="center")
        elif isinstance(block, Para):
            _para(
                out,
                block.text,
                size=block.size or BODY_SIZE,
                bold=block.bold,
                italic=block.italic,
                align=block.align,
                indent=block.indent,
            )
        elif isinstance(block, TableBlock):
            _table(out, block, width)
        elif isinstance(block, Signature):
            _signature(out, block, width)
        elif isinstance(block, Image):
            out.add_picture(io.BytesIO(block.png), width=Mm(min(block.width_mm, width)))
            if block.caption:
                _para(out, block.caption, size=11, italic=True, align="center")
        elif isinstance(block, PageBreak):
            new_page = block.page or page
            new_land = land if block.landscape is None else block.landscape
            if (new_page, new_land) == (page, land):
                out.add_page_break()  # type: ignore[no-untyped-call]
            else:
                from docx.enum.section import WD_SECTION

                _page(out.add_section(WD_SECTION.NEW_PAGE), new_page, new_land)
                page, land = new_page, new_land
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()
