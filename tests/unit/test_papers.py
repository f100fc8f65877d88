"""Papers per household and village: content, layout (A4 portrait, margins, page numbers), DOCX, privacy."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx

from classifier.api import load_standard
from classifier.cli import main
from tests.unit.pdfcheck import nfc, outside_margins, page_number, read_pdf

RULES = load_standard("nd-07-2021")
HEAD, CHILD, ID = "Nguyễn Thị Hằng", "Lường Văn Đức", "001180012345"


def record(hid: str, poor: bool, village: str = "Thôn Đoài", **admin: Any) -> dict[str, Any]:
    """A poor (every indicator deprived) or above-line household of Xã Hợp Hưng with named members."""
    return {
        "id": hid,
        "area": "rural",
        "province": "Tỉnh Phú Thọ",
        "commune": "Xã Hợp Hưng",
        "village": village,
        "income_per_capita_month": 1 if poor else 90_000_000,
        "reference_date": "2026-11-01",
        "deprivations": dict.fromkeys(RULES.indicator_ids, poor),
        "household_code": f"HH-{hid}",
        "head_name": HEAD,
        "head_gender": "female",
        "ethnicity": "tay",
        "members": [
            {
                "id": f"{hid}-1",
                "birth_date": "1980-05-01",
                "name": HEAD,
                "gender": "female",
                "relation": "head",
                "id_number": ID,
            },
            {
                "id": f"{hid}-2",
                "birth_date": "2015-02-01",
                "name": CHILD,
                "gender": "male",
                "relation": "child",
            },
        ],
        **admin,
    }


@pytest.fixture(scope="module")
def commune(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "ho.json"
    records = [record("1", True), record("2", False), record("3", True, "Thôn Chùa")]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def pdf_of(commune: Path, tmp: Path, *argv: str) -> list[dict[str, object]]:
    out = tmp / "p.pdf"
    code, text = run("papers", *argv[:1], str(commune), *argv[1:], "-o", str(out))
    assert code == 0, text
    assert HEAD not in text and CHILD not in text and ID not in text  # never on the terminal
    return read_pdf(out.read_bytes())


def check_layout(pages: list[dict[str, object]]) -> None:
    for page in pages:
        assert float(page["height"]) > float(page["width"])  # type: ignore[arg-type]  # portrait
        assert round(float(page["width"])) == 595  # type: ignore[arg-type]  # A4
        assert outside_margins(page) == []
    assert page_number(pages[0]) is None
    assert [page_number(p) for p in pages[1:]] == [str(n) for n in range(2, len(pages) + 1)]


def test_result_letter(commune: Path, tmp_path: Path) -> None:
    """Class, clause, why, what would change it, the monthly review and 15-day answer; A4 layout."""
    pages = pdf_of(commune, tmp_path, "letter", "--household", "HH-1")
    text = nfc(" ".join(str(p["text"]) for p in pages).replace("\n", " "))
    for expected in (
        "THÔNG BÁO",
        f"Kính gửi: Hộ ông/bà {HEAD} (mã hộ HH-1), Thôn Đoài, Xã Hợp Hưng",
        "được xác định là hộ nghèo",
        "Nghị định 07/2021/NĐ-CP, Điều 3",
        "1. Lý do",
        "2. Những thay đổi sẽ làm thay đổi kết quả",
        "hằng tháng",
        "15 ngày",
        "Quyết định 24/2021/QĐ-TTg",
        "TM. ỦY BAN NHÂN DÂN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ):
        assert expected in text, expected
    check_layout(pages)


def test_certificate_with_members(commune: Path, tmp_path: Path) -> None:
    """Number Số …/GCN-HN.HCN, the household, its members; refused for a household above the line."""
    pages = pdf_of(commune, tmp_path, "certificate", "--household", "HH-1")
    text = nfc(str(pages[0]["text"]))
    for expected in (
        "Số: …/GCN-HN.HCN",
        "GIẤY CHỨNG NHẬN",
        "HỘ NGHÈO NĂM 2026",
        HEAD,
        CHILD,
        ID,
        "Tày",
        "Căn cứ Nghị định số 07/2021/NĐ-CP",
    ):
        assert expected in text, expected
    assert len(pages) == 1
    check_layout(pages)
    code, msg = run(
        "papers", "certificate", str(commune), "--household", "HH-2", "-o", str(tmp_path / "x.pdf")
    )
    assert code == 2 and "poor and near-poor households only" in msg and HEAD not in msg


def test_pseudonymise_replaces_names_and_ids_everywhere(
    commune: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --pseudonymise no name or identity number reaches the PDF, the DOCX or the report XLSX."""
    monkeypatch.setenv("CHUAN_NGHEO_PSEUDONYM_KEY", "ab" * 32)
    pages = pdf_of(commune, tmp_path, "certificate", "--household", "HH-1", "--pseudonymise")
    text = nfc(str(pages[0]["text"]))
    assert HEAD not in text and CHILD not in text and ID not in text
    assert "Người " in text and "ID-" in text
    out = tmp_path / "p.docx"
    assert run("papers", "decision", str(commune), "--pseudonymise", "-o", str(out))[0] == 0
    doc_text = "\n".join(c.text for t in open_docx(str(out)).tables for r in t.rows for c in r.cells)
    assert HEAD not in doc_text and "Người " in doc_text
    xlsx = tmp_path / "r.xlsx"
    assert run("report", "tables", str(commune), "--pseudonymise", "-o", str(xlsx))[0] == 0
    from openpyxl import load_workbook

    cells = [str(v) for ws in load_workbook(xlsx) for row in ws.iter_rows(values_only=True) for v in row if v]
    assert not any(HEAD in c or CHILD in c for c in cells)
    assert any(c.startswith("Người ") for c in cells)


def test_village_papers(commune: Path, tmp_path: Path) -> None:
    """Meeting list and minutes of one village; the minutes carry the approval rule from the data."""
    pages = pdf_of(commune, tmp_path, "minutes", "--village", "Thôn Đoài")
    text = nfc(" ".join(str(p["text"]) for p in pages).replace("\n", " "))
    for expected in (
        "BIÊN BẢN HỌP",
        "THÔN ĐOÀI",
        "2 hộ được rà soát, trong đó 1 hộ nghèo, 0 hộ cận nghèo",
        "trên 50% số người tham dự",
        "DANH SÁCH HỘ GIA ĐÌNH ĐƯA RA BÌNH XÉT",
        HEAD,
    ):
        assert expected in text, expected
    check_layout(pages)
    listing = pdf_of(commune, tmp_path, "meeting-list", "--village", "Thôn Chùa")
    assert "HH-3" in str(listing[0]["text"]) and "HH-1" not in str(listing[0]["text"])
    code, msg = run("papers", "minutes", str(commune), "--village", "Thôn Xa", "-o", str(tmp_path / "m.pdf"))
    assert code == 2 and "Thôn Xa" in msg


def test_posting_list_shows_no_identity_or_ethnicity(commune: Path, tmp_path: Path) -> None:
    """The posted list: head, code, village, class; never the identity number or the ethnicity."""
    text = nfc(str(pdf_of(commune, tmp_path, "posting")[0]["text"]))
    assert HEAD in text and "HH-1" in text and "HH-3" in text and "HH-2" not in text
    assert ID not in text and "Tày" not in text


def test_decision_docx_layout(commune: Path, tmp_path: Path) -> None:
    """The draft decision as DOCX: A4 portrait, decree margins, page number field from page 2, counts."""
    out = tmp_path / "qd.docx"
    assert run("papers", "decision", str(commune), "-o", str(out))[0] == 0
    doc = open_docx(str(out))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [
        round(m.mm)
        for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ] == [20, 20, 30, 15]
    assert section.different_first_page_header_footer
    assert 'w:instr="PAGE"' in section.header._element.xml
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Điều 1. Công nhận 2 hộ nghèo (4 nhân khẩu) và 0 hộ cận nghèo" in text
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_certificates_for_every_eligible_household_in_a_folder(commune: Path, tmp_path: Path) -> None:
    """Without --household, one file per poor/near-poor household, named by household code."""
    out = tmp_path / "gcn"
    code, text = run("papers", "certificate", str(commune), "--format", "docx", "-o", str(out))
    assert code == 0, text
    assert sorted(f.name for f in out.iterdir()) == ["giay-chung-nhan-HH-1.docx", "giay-chung-nhan-HH-3.docx"]
    code, text = run("papers", "letter", str(commune), "-o", str(tmp_path / "one.pdf"))
    assert code == 2 and "give a folder" in text


def test_meeting_list_with_previous_round_shows_who_escaped(tmp_path: Path) -> None:
    """On the bundled rounds: households poor last round and not now are put to the meeting, marked."""
    from classifier.data import sample_path

    rounds = sample_path("commune.json").parent / "rounds"
    out = tmp_path / "ds.pdf"
    code, text = run(
        "papers",
        "meeting-list",
        str(rounds / "ho-2026.json"),
        "--previous",
        str(rounds / "ho-2025.json"),
        "--village",
        "Thôn Đoài",
        "-o",
        str(out),
    )
    assert code == 0, text
    pages = read_pdf(out.read_bytes())
    page = nfc(" ".join(str(p["text"]) for p in pages).replace("\n", " "))
    assert "thoát nghèo, thoát cận nghèo so với vòng rà soát trước" in page
    assert "trước:" in page and "không đổi" in page  # a wrapped cell: "trước: hộ / nghèo"
    check_layout(pages)


def test_place_and_date_line() -> None:
    """The unit word is dropped (two-word units too); the day and month are left for the signing day."""
    import datetime as dt

    from classifier.papers.common import fill, place_date

    assert place_date("Thị trấn Phong Châu", dt.date(2026, 11, 1)) == "Phong Châu, ngày … tháng … năm 2026"
    assert place_date("Phường Nguyễn Trãi", None) == "Nguyễn Trãi, ngày … tháng … năm …"
    assert (
        fill("Hộ ông/bà {head_name}, {village}", {"head_name": None, "village": "Thôn A"})
        == "Hộ ông/bà …, Thôn A"
    )
