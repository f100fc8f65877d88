"""Render a :class:`~classifier.papers.document.Document` to PDF with reportlab and the bundled font.

reportlab (BSD, on PyPI with no system dependency) lays out flowing text and tables whose header rows
repeat on each page; every font it embeds is the bundled Liberation Serif, subset into the file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A3, A4, landscape, portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Image as RLImage
from reportlab.platypus import PageBreak as RLPageBreak

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
from classifier.papers.fonts import register_reportlab_fonts

__all__ = ["render_pdf"]

_ALIGN = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}
_SIZES = {"A4": A4, "A3": A3}


def _style(
    size: float = BODY_SIZE,
    bold: bool = False,
    italic: bool = False,
    align: str = "left",
    indent: float = 0,
    leading: float | None = None,
) -> ParagraphStyle:
    family = register_reportlab_fonts()
    style = ("bold" if bold else "") + ("italic" if italic else "") or "regular"
    return ParagraphStyle(
        f"s{size}{style}{align}{indent}",
        fontName=f"{family}-{style}",
        fontSize=size,
        leading=leading or size * 1.25,
        alignment=_ALIGN[align],
        firstLineIndent=indent,
    )


def _p(text: str, **kw: Any) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _style(**kw))


def _pagesize(page: str, land: bool) -> tuple[float, float]:
    size = _SIZES[page]
    w, h = landscape(size) if land else portrait(size)
    return float(w), float(h)


def _template_id(page: str, land: bool) -> str:
    return f"{page}-{'landscape' if land else 'portrait'}"


def _page_number(canvas: Any, doc: Any) -> None:
    """The page number at the top centre, from page 2 (Nghị định 30/2020/NĐ-CP)."""
    if doc.page < 2:
        return
    width, height = canvas._pagesize
    canvas.saveState()
    canvas.setFont(f"{register_reportlab_fonts()}-regular", 13)
    canvas.drawCentredString(width / 2, height - 12 * mm, str(doc.page))
    canvas.restoreState()


def _templates() -> list[PageTemplate]:
    top, bottom, left, right = (m * mm for m in MARGINS_MM)
    out = []
    for page in ("A4", "A3"):
        for land in (False, True):
            w, h = _pagesize(page, land)
            frame = Frame(
                left,
                bottom,
                w - left - right,
                h - top - bottom,
                id="body",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            )
            out.append(
                PageTemplate(
                    id=_template_id(page, land), frames=[frame], onPage=_page_number, pagesize=(w, h)
                )
            )
    return out


def _width(page: str, land: bool) -> float:
    _, _, left, right = (m * mm for m in MARGINS_MM)
    return float(_pagesize(page, land)[0] - left - right)


def _header(block: NationalHeader, width: float) -> Flowable:
    left: list[Flowable] = []
    last = len(block.issuer) - 1
    for i, line in enumerate(block.issuer):
        left.append(_p(line, size=12.5, bold=i == last and i > 0, align="center"))
    left.append(HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=3, hAlign="CENTER"))
    right: list[Flowable] = [
        _p(NATIONAL_NAME, size=12.5, bold=True, align="center"),
        _p(NATIONAL_MOTTO, size=13.5, bold=True, align="center"),
        HRFlowable(width="52%", thickness=0.6, color=colors.black, spaceBefore=3, hAlign="CENTER"),
    ]
    rows: list[list[Any]] = [[left, right]]
    if block.number or block.place_date:
        rows.append(
            [
                _p(block.number or "", size=13, align="center"),
                _p(block.place_date or "", size=13, italic=True, align="center"),
            ]
        )
    table = Table(rows, colWidths=[width * 0.4, width * 0.6])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 6),
            ]
        )
    )
    return table


def _spans(header: Sequence[Sequence[str]]) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """SPAN commands: equal neighbours in the first header row; a cell equal to the one below it."""
    cmds: list[tuple[str, tuple[int, int], tuple[int, int]]] = []
    if len(header) < 2:
        return cmds
    top, under = header[0], header[1]
    c = 0
    while c < len(top):
        end = c
        while end + 1 < len(top) and top[end + 1] == top[c] and top[c] != under[end + 1]:
            end += 1
        if end > c:
            cmds.append(("SPAN", (c, 0), (end, 0)))
        elif top[c] == under[c]:
            cmds.append(("SPAN", (c, 0), (c, 1)))
        c = end + 1
    return cmds


def _table(block: TableBlock, width: float) -> Flowable:
    total = sum(block.widths) or 1.0
    widths = [width * w / total for w in block.widths]
    size = block.size
    header = [list(r) for r in block.header]
    cells: list[list[Any]] = []
    for r, row in enumerate(header):
        first_row = r == 0 and len(header) > 1
        cells.append(
            [
                _p(t, size=size, bold=True, align="center")
                if not (first_row and c > 0 and t == row[c - 1] and t != header[1][c])
                else ""
                for c, t in enumerate(row)
            ]
        )
    body_start = len(cells)
    for r, body in enumerate(block.rows):
        if r in block.span_rows:
            cells.append([_p(body[0], size=size, bold=True)] + [""] * (len(widths) - 1))
            continue
        bold = r in block.bold_rows
        cells.append(
            [
                _p(
                    t,
                    size=size,
                    bold=bold,
                    align="right" if c < len(block.numeric) and block.numeric[c] else "left",
                )
                for c, t in enumerate(body)
            ]
        )
    style: list[Any] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        *_spans(block.header),
    ]
    style += [("SPAN", (0, body_start + r), (-1, body_start + r)) for r in block.span_rows]
    if block.ruled:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    table = Table(cells, colWidths=widths, repeatRows=len(header) if block.ruled else 0)
    table.setStyle(TableStyle(style))
    return table


def _signature(block: Signature, width: float) -> Flowable:
    cols = []
    for lines in block.blocks:
        flow: list[Flowable] = []
        for i, line in enumerate(lines):
            italic = line.startswith("(")
            flow.append(_p(line, size=13, bold=not italic and i < 2, italic=italic, align="center"))
        cols.append(flow)
    n = len(cols) or 1
    table = Table([cols], colWidths=[width / n] * n)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 6 * mm), table])


def _flowables(doc: Document) -> list[Flowable]:
    page, land = doc.page, doc.landscape
    out: list[Flowable] = []
    for block in doc.blocks:
        width = _width(page, land)
        if isinstance(block, NationalHeader):
            out += [_header(block, width), Spacer(1, 6 * mm)]
        elif isinstance(block, Title):
            out.append(_p(block.text, size=14, bold=True, align="center"))
            if block.subtitle:
                out.append(_p(block.subtitle, size=13, bold=True, align="center"))
            out.append(Spacer(1, 4 * mm))
        elif isinstance(block, Para):
            out.append(
                _p(
                    block.text,
                    size=block.size or BODY_SIZE,
                    bold=block.bold,
                    italic=block.italic,
                    align=block.align,
                    indent=10 * mm if block.indent else 0,
                    leading=(block.size or BODY_SIZE) * 1.35,
                )
            )
            out.append(Spacer(1, 1.5 * mm))
        elif isinstance(block, TableBlock):
            out += [_table(block, width), Spacer(1, 3 * mm)]
        elif isinstance(block, Signature):
            out.append(_signature(block, width))
        elif isinstance(block, Image):
            w = min(block.width_mm * mm, width)
            img = RLImage(io.BytesIO(block.png))
            img.drawHeight = img.imageHeight * w / img.imageWidth
            img.drawWidth = w
            out.append(img)
            if block.caption:
                out.append(_p(block.caption, size=11, italic=True, align="center"))
            out.append(Spacer(1, 3 * mm))
        elif isinstance(block, PageBreak):
            page = block.page or page
            land = land if block.landscape is None else block.landscape
            out += [NextPageTemplate(_template_id(page, land)), RLPageBreak()]
    return out


def render_pdf(doc: Document) -> bytes:
    """The PDF bytes of ``doc``."""
    buf = io.BytesIO()
    top, bottom, left, right = (m * mm for m in MARGINS_MM)
    templates = _templates()
    first = _template_id(doc.page, doc.landscape)
    templates.sort(key=lambda t: t.id != first)  # the first template is the first page's
    pdf = BaseDocTemplate(
        buf,
        pagesize=_pagesize(doc.page, doc.landscape),
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=doc.title,
        author="chuan-ngheo",
        creator="chuan-ngheo",
        invariant=True,
    )
    pdf.addPageTemplates(templates)
    pdf.build(_flowables(doc))
    return buf.getvalue()
