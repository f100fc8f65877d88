"""A small document model shared by the report tables and the papers, rendered to PDF and to DOCX.

Layout follows Nghị định 30/2020/NĐ-CP (Phụ lục I) as public copies describe it: A4 (landscape allowed
for tables), margins top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm; the header block with the
issuing body on the left and the national name and motto on the right; page numbers at the top centre
from page 2. The numbers used are in :data:`MARGINS_MM`.
"""

from __future__ import annotations

import attrs

__all__ = [
    "MARGINS_MM",
    "NATIONAL_MOTTO",
    "NATIONAL_NAME",
    "Document",
    "Image",
    "NationalHeader",
    "PageBreak",
    "Para",
    "Signature",
    "TableBlock",
    "Title",
]

#: top, bottom, left, right (mm): inside the ranges of Nghị định 30/2020/NĐ-CP (20–25, 20–25, 30–35, 15–20).
MARGINS_MM = (20.0, 20.0, 30.0, 15.0)
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
BODY_SIZE = 13
TABLE_SIZE = 9


@attrs.frozen
class NationalHeader:
    """Issuer (upper lines, e.g. "ỦY BAN NHÂN DÂN" / "XÃ HỢP HƯNG") left, national name and motto right;
    under them the document number (left) and place and date (right, italic)."""

    issuer: tuple[str, ...]
    number: str | None = None
    place_date: str | None = None


@attrs.frozen
class Title:
    text: str
    subtitle: str | None = None


@attrs.frozen
class Para:
    text: str
    bold: bool = False
    italic: bool = False
    align: str = "justify"  # left | center | right | justify
    indent: bool = True
    size: float | None = None


@attrs.frozen
class TableBlock:
    """A ruled table. ``header`` rows repeat on every page; adjacent equal cells of the first header row
    are merged (a column group), and a cell equal to the one under it spans both rows."""

    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative
    bold_rows: frozenset[int] = frozenset()
    span_rows: frozenset[int] = frozenset()  # rows printed as one cell across the table
    numeric: tuple[bool, ...] = ()  # right-align these columns
    size: float = TABLE_SIZE
    ruled: bool = True


@attrs.frozen
class Signature:
    """Signature blocks side by side: each a tuple of lines (role in bold, then a note in italic)."""

    blocks: tuple[tuple[str, ...], ...]


@attrs.frozen
class Image:
    png: bytes
    width_mm: float
    caption: str | None = None


@attrs.frozen
class PageBreak:
    """A new page, optionally of another size/orientation (a report mixes A4 and A3 landscape)."""

    page: str | None = None
    landscape: bool | None = None


Block = NationalHeader | Title | Para | TableBlock | Signature | Image | PageBreak


@attrs.frozen
class Document:
    blocks: tuple[Block, ...]
    page: str = "A4"
    landscape: bool = False
    title: str = ""
