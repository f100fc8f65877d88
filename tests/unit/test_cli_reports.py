"""`chuan-ngheo diff` and `chuan-ngheo transitions`, run in-process, writing CSV, JSON and XLSX."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from classifier.cli import main
from classifier.rules import default_rules_root, load_ruleset

BASE = load_ruleset("nd-07-2021")
LINE = BASE.parameters["income_line_rural"].value
TOP = BASE.parameters["middle_upper_rural"].value
NEW_LINE = (LINE + TOP) // 2
BETWEEN = (LINE + NEW_LINE) // 2


def run(*argv: Any) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_standard(root: Path, std_id: str, *, provisional: bool = False) -> Path:
    """A rule folder copied from nd-07-2021 with a higher rural income line (and maybe provisional)."""
    folder = root / std_id
    shutil.copytree(default_rules_root() / "nd-07-2021", folder)
    shutil.copy(default_rules_root() / "facts.yaml", root / "facts.yaml")
    std = (folder / "standard.yaml").read_text(encoding="utf-8").replace("id: nd-07-2021", f"id: {std_id}", 1)
    if provisional:
        std = std.replace("status: in_force", "status: provisional", 1)
    (folder / "standard.yaml").write_text(std, encoding="utf-8")
    params = (folder / "parameters.yaml").read_text(encoding="utf-8")
    params = re.sub(r"(income_line_rural:\n\s+value: )\d+", rf"\g<1>{NEW_LINE}", params, count=1)
    (folder / "parameters.yaml").write_text(params, encoding="utf-8")
    return folder


test_standard.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def households(path: Path, incomes: dict[str, Any], deprived: tuple[str, ...] = ()) -> Path:
    """A JSON Lines file of flags-only rural households in two communes."""
    with path.open("w", encoding="utf-8") as handle:
        for n, (hid, income) in enumerate(incomes.items()):
            record = {
                "id": hid,
                "area": "rural",
                "province": "Tỉnh A",
                "commune": f"Xã {'AB'[n % 2]}",
                "village": "Thôn 1",
                "income_per_capita_month": income,
                "member_count": 2,
                "reference_date": "2026-11-01",
                "deprivations": {i: i in deprived for i in BASE.indicator_ids},
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a report CSV, skipping its '#' warning lines."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def test_diff_writes_one_csv_per_table_and_reports_bad_records(tmp_path: Path) -> None:
    """CSV output: impact.csv lists the changed households, impact.matrix.csv the matrix; a bad
    record makes exit code 1 and is in impact.errors.csv."""
    data = households(tmp_path / "ho.jsonl", {"H1": BETWEEN, "H2": TOP + 1, "H3": "nhiều"})
    target = tmp_path / "impact.csv"
    code, out, err = run(
        "diff",
        data,
        "--from",
        "nd-07-2021",
        "--to",
        test_standard(tmp_path, "test-line"),
        "-o",
        target,
        "--quiet",
    )
    assert code == 1, err
    assert "Ma trận chuyển dịch" in out and "hộ có mức sống trung bình" in out
    assert "Đã đọc 3 = so sánh 2 + lỗi 1" in out
    changed = read_csv(target)
    assert [(r["id"], r["from_class"], r["to_class"]) for r in changed] == [
        ("H1", "muc_song_trung_binh", "can_ngheo")
    ]
    assert "income_line_rural" in changed[0]["decisive"]
    matrix = read_csv(tmp_path / "impact.matrix.csv")
    assert matrix[-1]["from_class"] == "total" and matrix[-1]["total"] == "2"
    assert [r["id"] for r in read_csv(tmp_path / "impact.errors.csv")] == ["H3"]
    assert (tmp_path / "impact.summary.csv").is_file()


def test_diff_xlsx_has_one_sheet_per_table_and_the_provisional_note(tmp_path: Path) -> None:
    """XLSX output: notes, matrix, changed households, per commune and errors sheets; a provisional
    standard's warning is printed and written in the notes sheet."""
    data = households(tmp_path / "ho.jsonl", {"H1": BETWEEN, "H2": TOP + 1, "H3": LINE})
    target = tmp_path / "impact.xlsx"
    folder = test_standard(tmp_path, "test-prov", provisional=True)
    code, out, err = run(
        "diff", data, "--from", "nd-07-2021", "--to", folder, "--by", "commune", "-o", target, "--quiet"
    )
    assert code == 0, err
    assert "warning: test-prov is a provisional standard" in err and "tạm thời" in out
    workbook = openpyxl.load_workbook(target, read_only=True)
    assert workbook.sheetnames == ["Ghi chú", "Ma trận chuyển dịch", "Hộ thay đổi", "Theo địa bàn", "Lỗi"]
    matrix = list(workbook["Ma trận chuyển dịch"].iter_rows(values_only=True))
    assert matrix[-1][0] == "total" and matrix[-1][-1] == 3
    notes = [r[2] for r in workbook["Ghi chú"].iter_rows(min_row=2, values_only=True)]
    assert any("tạm thời" in str(v) for v in notes)
    communes = {r[1] for r in workbook["Theo địa bàn"].iter_rows(min_row=2, values_only=True)}
    assert communes == {"Xã A", "Xã B"}
    workbook.close()


def test_diff_json_in_english_holds_every_table(tmp_path: Path) -> None:
    """JSON output is one document with every table; --lang en prints English class labels."""
    data = households(tmp_path / "ho.jsonl", {"H1": BETWEEN}, deprived=("nutrition",))
    target = tmp_path / "impact.json"
    code, out, _ = run(
        "diff",
        data,
        "--from",
        "nd-07-2021",
        "--to",
        test_standard(tmp_path, "test-line"),
        "-o",
        target,
        "--lang",
        "en",
        "--quiet",
    )
    assert code == 0
    assert "near-poor household" in out
    document = json.loads(target.read_text(encoding="utf-8"))
    assert set(document["tables"]) == {"summary", "matrix", "changed", "errors"}
    (changed,) = document["tables"]["changed"]["rows"]
    assert changed["thresholds"][0]["param"] == "income_line_rural" and changed["thresholds"][0]["crossed"]
    assert document["counts"]["changed"] == 1 and document["warnings"] == []


def test_diff_refuses_an_unknown_report_format_before_running(tmp_path: Path) -> None:
    """A report named .txt is a usage error (exit 2), said before any record is read."""
    data = households(tmp_path / "ho.jsonl", {"H1": BETWEEN})
    code, _, err = run("diff", data, "--from", "nd-07-2021", "--to", "nd-07-2021", "-o", tmp_path / "x.txt")
    assert code == 2 and ".csv, .json or .xlsx" in err


def test_transitions_between_classify_outputs(tmp_path: Path) -> None:
    """Two rounds classified by the CLI (CSV, then XLSX) are linked by id into categories, written as
    XLSX and JSON."""
    rich = ("nutrition", "telecom", "sanitation")
    round1 = households(tmp_path / "2025.jsonl", {"H1": LINE, "H2": TOP + 1, "GONE": LINE}, deprived=rich)
    round2 = households(tmp_path / "2026.jsonl", {"H1": TOP + 1, "H2": LINE, "NEW": LINE}, deprived=rich)
    for source, target in ((round1, "r2025.csv"), (round2, "r2026.xlsx")):
        code, _, err = run("classify", source, "-o", tmp_path / target, "--quiet")
        assert code == 0, err
    rounds = (tmp_path / "r2025.csv", tmp_path / "r2026.xlsx")
    code, out, err = run("transitions", *rounds, "-o", tmp_path / "t.xlsx")
    assert code == 0, err
    assert "r2025 → r2026" in out and "hộ thoát nghèo" in out
    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx", read_only=True)
    assert workbook.sheetnames == ["Ghi chú", "Tổng hợp theo loại", "Danh sách hộ", "Lỗi"]
    rows = list(workbook["Danh sách hộ"].iter_rows(values_only=True))
    header = rows[0]
    found = {r[header.index("Mã hộ")]: r[header.index("Mã loại")] for r in rows[1:]}
    assert found == {
        "H1": "thoat_ngheo",
        "H2": "ngheo_phat_sinh_moi",
        "NEW": "chi_co_o_vong_sau",
        "GONE": "chi_co_o_vong_truoc",
    }
    workbook.close()
    code, _, _ = run("transitions", *rounds, "-o", tmp_path / "t.json", "--lang", "en")
    assert code == 0
    document = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    counts = document["pairs"][0]["counts"]
    assert counts["thoat_ngheo"] == 1 and counts["ngheo_phat_sinh_moi"] == 1
    assert document["pairs"][0]["repoverty_decidable"] is False


def test_transitions_usage_errors(tmp_path: Path) -> None:
    """One result file, or grouping by a column the files lack, is a usage error naming the problem."""
    path = tmp_path / "r.csv"
    path.write_text("id,classification,error\nH1,ngheo,\n", encoding="utf-8")
    code, _, err = run("transitions", path)
    assert code == 2 and "at least two result files" in err
    code, _, err = run("transitions", path, path, "--by", "commune")
    assert code == 2 and "no 'commune' column" in err


@pytest.mark.parametrize("command", ["diff", "transitions"])
def test_report_commands_show_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` of each report command shows a runnable example."""
    assert main([command, "--help"]) == 0
    assert f"chuan-ngheo {command} " in capsys.readouterr().out
