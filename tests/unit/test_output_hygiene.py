"""Output meant for Excel: cells Excel would evaluate are neutralised (both engines alike), and XLSX
cells beyond Excel's limit are cut with a notice, never silently."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import sample_path
from classifier.errors import RecordError
from classifier.io.writers import XLSX_CELL_LIMIT, ResultWriter, excel_safe
from classifier.rules import load_ruleset

HOUSEHOLDS = sample_path("households.csv")
MEMBERS = sample_path("members.csv")
HOSTILE_IDS = ['=HYPERLINK("http://evil.example","bấm")', "@SUM(A1:A9)", "+1+2", "-2+3", "-5", "7"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_excel_safe_prefixes_formula_starts_and_leaves_numbers() -> None:
    """OWASP's list (= + - @ tab CR) gets a leading quote; plain numbers and ordinary text do not."""
    assert excel_safe("=1+1") == "'=1+1"
    assert excel_safe("@SUM(A1)") == "'@SUM(A1)"
    assert excel_safe("+84 912") == "'+84 912"
    assert excel_safe("\rX") == "'\rX"
    assert excel_safe("-5") == "-5"
    assert excel_safe("+1.5e3") == "+1.5e3"
    assert excel_safe("Xã Hợp Hưng") == "Xã Hợp Hưng"
    assert excel_safe("a=b") == "a=b"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The first sample households with ids and a village Excel would run as formulas; one bad income."""
    rows = list(csv.reader(HOUSEHOLDS.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    body = rows[1 : 1 + len(HOSTILE_IDS)]
    id_col, village, income = (
        header.index("id"),
        header.index("village"),
        header.index("income_per_capita_month"),
    )
    for row, new_id in zip(body, HOSTILE_IDS, strict=True):
        row[id_col] = new_id
    body[0][village] = "=1+1"
    body[1][income] = "=cmd|' /C calc'!A0"
    path = tmp_path / "ho.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return path


def test_csv_outputs_of_both_engines_neutralise_formulas_alike(hostile: Path, tmp_path: Path) -> None:
    """Results and errors files: every text cell starting like a formula begins with ', numbers stay as
    written, and the batch and per-record paths write the same bytes."""
    files = {}
    for engine in ("durable", "batch"):
        out = tmp_path / f"kq-{engine}.csv"
        code, _, err = run(
            "classify",
            str(hostile),
            "-o",
            str(out),
            "--engine",
            engine,
            "--quiet",
            "--reference-date",
            "2026-11-01",
        )
        assert code == 1, err
        files[engine] = (out.read_bytes(), (tmp_path / f"kq-{engine}.errors.csv").read_bytes())
        rows = read_csv(out)
        assert [r["id"] for r in rows] == [
            "'" + i if i[0] in "=+-@\t" and i != "-5" else i for i in HOSTILE_IDS
        ]
        assert rows[0]["village"] == "'=1+1"
        assert rows[0]["income_per_capita_month"][0].isdigit()
        errors = read_csv(tmp_path / f"kq-{engine}.errors.csv")
        assert "'=cmd|' /C calc'!A0" in [e["value"] for e in errors]
        assert {e["record_id"] for e in errors} >= {"'@SUM(A1:A9)"}
    # Identical apart from the engine column.
    durable, batch = (
        files[e][0].decode("utf-8-sig").replace(f",{e},", ",ENGINE,") for e in ("durable", "batch")
    )
    assert durable == batch
    assert files["durable"][1] == files["batch"][1]


def test_jsonl_output_keeps_text_as_written(hostile: Path, tmp_path: Path) -> None:
    """JSON Lines is not for Excel: ids are written exactly as read."""
    out = tmp_path / "kq.jsonl"
    code, _, err = run("classify", str(hostile), "-o", str(out), "--quiet")
    assert code == 1, err
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == HOSTILE_IDS


def test_xlsx_cells_beyond_excels_limit_are_cut_with_a_notice(tmp_path: Path) -> None:
    """An error text longer than Excel's 32,767 characters is cut to fit, with a notice in the cell saying so
    and how long it was; other cells are untouched."""
    import openpyxl

    ruleset = load_ruleset("nd-07-2021")
    path = tmp_path / "kq.xlsx"
    # A record with many problems (a household of 300 members, each with a bad cell) makes a long text.
    many = [
        RecordError("H1", f"members[{i}].birth_date", "x" * 150, "a date YYYY-MM-DD", row=2)
        for i in range(300)
    ]
    with ResultWriter(path, ruleset) as writer:
        writer.write_errors(many, record_id="H1", row=2)
        writer.write_errors(
            [RecordError("H2", "area", "moon", "rural or urban", row=3)], record_id="H2", row=3
        )
    assert writer.cut_cells == 1
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(workbook["results"].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = rows[0]
    error = header.index("error")
    cut = rows[1][error]
    assert isinstance(cut, str) and len(cut) <= XLSX_CELL_LIMIT
    assert "[cut:" in cut and "characters in all" in cut
    assert "moon" in rows[2][error] and "[cut:" not in rows[2][error]
