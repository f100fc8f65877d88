"""Read a rendered PDF back (pdfplumber): text in NFC, page count, glyphs inside the margins, fonts."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pdfplumber

from classifier.papers.document import MARGINS_MM

MM = 72 / 25.4


def read_pdf(data: bytes) -> list[dict[str, Any]]:
    """One dict per page: text (NFC), size, the glyph boxes and font names."""
    pages = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            text = page.extract_text() or ""
            pages.append(
                {
                    "text": text,
                    "width": page.width,
                    "height": page.height,
                    "chars": list(page.chars),
                    "images": list(page.images),
                }
            )
    return pages


def outside_margins(page: dict[str, Any]) -> list[str]:
    """Glyphs and images outside the body area (the page number at the top centre excepted)."""
    top, bottom, left, right = (m * MM for m in MARGINS_MM)
    tol = 0.5
    bad = []
    for c in page["chars"]:
        if (
            c["top"] < top - tol
            and c["text"].isdigit()
            and abs((c["x0"] + c["x1"]) / 2 - page["width"] / 2) < 20
        ):
            continue  # the page number
        if (
            c["x0"] < left - tol
            or c["x1"] > page["width"] - right + tol
            or c["top"] < top - tol
            or c["bottom"] > page["height"] - bottom + tol
        ):
            bad.append(f"{c['text']!r} at ({c['x0']:.1f}, {c['top']:.1f})")
    for im in page["images"]:
        if im["x0"] < left - tol or im["x1"] > page["width"] - right + tol or im["top"] < top - tol:
            bad.append(f"image at ({im['x0']:.1f}, {im['top']:.1f})")
    return bad


def page_number(page: dict[str, Any]) -> str | None:
    """The digits printed in the top margin, if any."""
    top = MARGINS_MM[0] * MM
    digits = "".join(c["text"] for c in page["chars"] if c["top"] < top and c["text"].isdigit())
    return digits or None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
