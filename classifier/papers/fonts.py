"""The bundled font: Liberation Serif (SIL Open Font License 1.1), metric-compatible with Times New Roman.

Nghị định 30/2020/NĐ-CP names Times New Roman, which may not be redistributed; Liberation Serif has the
same glyph widths, so a page laid out with it keeps its line breaks in Times New Roman, and it covers
every Vietnamese letter (precomposed, NFC). The .ttf files and their licence are committed under
``classifier/data/fonts/`` (from Debian's fonts-liberation2 2.1.5-1): no system font is read at run time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["FONT_FAMILY", "font_files", "register_reportlab_fonts"]

FONT_FAMILY = "LiberationSerif"
_FILES = {
    "regular": "LiberationSerif-Regular.ttf",
    "bold": "LiberationSerif-Bold.ttf",
    "italic": "LiberationSerif-Italic.ttf",
    "bolditalic": "LiberationSerif-BoldItalic.ttf",
}


def font_files() -> dict[str, Path]:
    """Style -> path of the bundled .ttf file."""
    base = Path(str(resources.files("classifier.data") / "fonts"))
    return {style: base / name for style, name in _FILES.items()}


@cache
def register_reportlab_fonts() -> str:
    """Register the bundled family with reportlab (once) and return its name."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    files = font_files()
    names = {style: f"{FONT_FAMILY}-{style}" for style in files}
    for style, path in files.items():
        pdfmetrics.registerFont(TTFont(names[style], str(path)))
    for bold, italic, style in ((0, 0, "regular"), (1, 0, "bold"), (0, 1, "italic"), (1, 1, "bolditalic")):
        addMapping(FONT_FAMILY, bold, italic, names[style])
    pdfmetrics.registerFontFamily(
        FONT_FAMILY,
        normal=names["regular"],
        bold=names["bold"],
        italic=names["italic"],
        boldItalic=names["bolditalic"],
    )
    return FONT_FAMILY
