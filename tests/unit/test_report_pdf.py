"""The report set rendered: PDF read back for diacritics, pages, margins, fonts; XLSX with its code row."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from classifier.cli import main
from classifier.data import sample_path
from classifier.papers.pdf import render_pdf
from classifier.report.forms_pdf import format_number
from tests.unit.pdfcheck import outside_margins, page_number, read_pdf

SAMPLE = str(sample_path("commune.json"))


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    out = tmp_path_factory.mktemp("r") / "bao-cao.pdf"
    assert main(["report", "tables", SAMPLE, "--commune", "Xã Hợp Hưng", "-o", str(out)]) == 0
    return read_pdf(out.read_bytes())


def test_header_block_and_titles_survive_in_nfc(report_pdf: list[dict[str, object]]) -> None:
    """The national header and Vietnamese titles come back from the PDF exactly, in NFC."""
    first = str(report_pdf[0]["text"])
    assert unicodedata.is_normalized("NFC", first)
    for text in (
        "ỦY BAN NHÂN DÂN",
        "XÃ HỢP HƯNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO, HỘ CÓ MỨC SỐNG TRUNG BÌNH",
        "Hợp Hưng, ngày … tháng … năm 2026",
    ):
        assert text in first
    assert "chưa được xác nhận" in first.replace("\n", " ")


def test_every_table_is_printed_landscape_within_margins(report_pdf: list[dict[str, object]]) -> None:
    """12 tables and 2 charts without a previous round, on landscape pages; nothing past the margins."""
    text = "\n".join(str(p["text"]) for p in report_pdf)
    for title in ("BIẾN ĐỘNG",):
        assert title not in text  # needs --previous
    assert text.count("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") == 12
    assert text.count("BIỂU ĐỒ") == 2
    assert 14 <= len(report_pdf) <= 16  # 14 with reportlab 5.1; a table may take a second page
    for page in report_pdf:
        assert float(page["width"]) > float(page["height"])  # type: ignore[arg-type]
        assert outside_margins(page) == []


def test_page_numbers_from_page_two(report_pdf: list[dict[str, object]]) -> None:
    """No number on page 1; page n shows n at the top centre."""
    assert page_number(report_pdf[0]) is None
    assert [page_number(p) for p in report_pdf[1:]] == [str(n) for n in range(2, len(report_pdf) + 1)]


def test_only_the_bundled_font_is_embedded(report_pdf: list[dict[str, object]]) -> None:
    """Every glyph is set in the bundled Liberation Serif (no system font)."""
    fonts = {c["fontname"].split("+")[-1] for p in report_pdf for c in p["chars"]}  # type: ignore[attr-defined]
    assert fonts <= {
        "LiberationSerif",
        "LiberationSerif-Bold",
        "LiberationSerif-Italic",
        "LiberationSerif-BoldItalic",
    }


def test_xlsx_has_the_code_row_and_numbers(tmp_path: Path) -> None:
    """Each sheet carries (1) (2) … under the labels, numbers stay numbers."""
    out = tmp_path / "bao-cao.xlsx"
    assert main(["report", "tables", SAMPLE, "--commune", "Xã Hợp Hưng", "-o", str(out)]) == 0
    wb = load_workbook(out)
    ws = wb["overall"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    code_row = next(r for r in rows if r[0] == "(A)")
    assert code_row[1:5] == ["(1)", "(2)", "(3)", "(4)"]
    total = rows[rows.index(code_row) + 1]
    assert total[0] == "Tổng cộng" and total[1] == 211 and isinstance(total[4], float)
    assert "list-poor" in wb.sheetnames and "movements-poor" not in wb.sheetnames


def test_vietnamese_number_format() -> None:
    """Thousands with a dot, decimals with a comma, unknown empty."""
    assert (format_number(1234567), format_number(12.345), format_number(None)) == ("1.234.567", "12,35", "")


def test_bad_output_suffix(tmp_path: Path) -> None:
    """An unsupported output type is a usage error naming what is accepted."""
    import io

    err = io.StringIO()
    assert (
        main(["report", "tables", SAMPLE, "--commune", "Xã Hợp Hưng", "-o", str(tmp_path / "x.doc")], err=err)
        == 2
    )
    assert ".xlsx or .pdf" in err.getvalue()


def test_single_paragraph_document_renders() -> None:
    """A one-paragraph document renders to one page and a name with diacritics survives."""
    from classifier.papers.document import Document, Para

    pages = read_pdf(render_pdf(Document((Para("Thử nghiệm tiếng Việt: Nguyễn Thị Hằng"),))))
    assert len(pages) == 1 and "Nguyễn Thị Hằng" in str(pages[0]["text"])


def test_report_from_a_register_round_equals_the_files(tmp_path: Path) -> None:
    """`report tables --round` reads the register (departures included) and matches the file-based run."""
    from openpyxl import load_workbook

    rounds = sample_path("commune.json").parent / "rounds"
    db = str(tmp_path / "reg.sqlite")
    for year in (2025, 2026):
        for argv in (
            ["new", str(year), "--year", str(year), "--reference-date", f"{year}-11-01"],
            ["import", str(year), str(rounds / f"ho-{year}.json")],
            ["classify", str(year)],
        ):
            assert main(["round", *argv, "--db", db]) in (0, 1)
    out, ref = tmp_path / "r.xlsx", tmp_path / "f.xlsx"
    assert (
        main(["report", "tables", "--round", "2026", "--previous", "2025", "--db", db, "-o", str(out)]) == 0
    )
    assert (
        main(
            [
                "report",
                "tables",
                str(rounds / "ho-2026.json"),
                "--previous",
                str(rounds / "ho-2025.json"),
                "-o",
                str(ref),
            ]
        )
        == 0
    )

    def totals(path: Path) -> list[object]:
        wb = load_workbook(path)
        return [
            r
            for name in ("overall", "movements-poor")
            for r in wb[name].iter_rows(values_only=True)
            if r and r[0] == "Tổng cộng"
        ]

    assert totals(out) == totals(ref)
    assert (
        main(["report", "tables", "--round", "2026", "--db", str(tmp_path / "none.sqlite"), "-o", str(out)])
        == 2
    )
