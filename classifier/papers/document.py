"""A small document model shared by the report tables and the papers, rendered to PDF and to DOCX.

Layout follows Nghị định 30/2020/NĐ-CP (Phụ lục I) as public copies describe it: A4 (landscape allowed
for tables), margins top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm; the header block with the
issuing body on the left and the national name and motto on the right; page numbers at the top centre
from page 2. The numbers used are in :data:`MARGINS_MM`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    "render_document",
    "write_document",
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


def render_document(doc: Document, fmt: str) -> bytes:
    """The bytes of ``doc`` as ``fmt``: ``docx`` (python-docx, for an official to edit), else PDF
    (reportlab). The one place that picks the renderer; each library loads only when used."""
    if fmt == "docx":
        from classifier.papers.word import render_docx

        return render_docx(doc)
    from classifier.papers.pdf import render_pdf

    return render_pdf(doc)


def write_document(
    doc: Document, path: Path, inputs: Sequence[Path | None] = (), fmt: str | None = None
) -> None:
    """Write ``doc`` to ``path`` as ``fmt`` (default: DOCX for a .docx name, else PDF), its folder
    created, with classify's output guarantees (classifier.io.outputs.write_file: not over one of
    ``inputs``, locked, unique temporary file, umask mode, nothing half-written)."""
    from classifier.io.outputs import write_file

    data = render_document(doc, fmt or ("docx" if path.suffix.lower() == ".docx" else "pdf"))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, lambda tmp: tmp.write_bytes(data), inputs)
