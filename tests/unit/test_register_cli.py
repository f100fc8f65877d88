"""`chuan-ngheo round ...` on the bundled three-round sample: the README's steps, end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import SAMPLE_DIR
from classifier.register import Register
from classifier.register.movements import TOTAL, round_movements
from tools.rounds import build, departures

ROUNDS = SAMPLE_DIR / "rounds"


def test_the_committed_sample_is_what_the_generator_writes() -> None:
    """classifier/data/sample/rounds/ho-<year>.json equal `python -m tools.rounds` output (deterministic)."""
    for year, records in build().items():
        assert json.loads((ROUNDS / f"ho-{year}.json").read_text(encoding="utf-8")) == records


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's round steps on the sample, once for the module (register.sqlite in a temp folder)."""
    folder = tmp_path_factory.mktemp("walk")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("CHUAN_NGHEO_USER", "cán bộ xã")
        for year in ("2024", "2025", "2026"):
            assert _run("round", "new", year, "--year", year, "--reference-date", f"{year}-11-01")[0] == 0
            assert _run("round", "import", year, str(ROUNDS / f"ho-{year}.json"), "--quiet")[0] == 0
            assert _run("round", "classify", year, "--quiet")[0] == 0
        for code, reason in departures():
            assert _run("round", "depart", "2026", code, "--reason", reason)[0] == 0
    return folder


@pytest.fixture
def walked(built: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The walked register's folder as the current folder (the default --db is found there)."""
    monkeypatch.chdir(built)
    monkeypatch.setenv("CHUAN_NGHEO_USER", "cán bộ xã")
    return built


def test_the_sample_moves_households_in_every_category(walked: Path) -> None:
    """Between 2025 and 2026 every column of both movement tables counts at least one household."""
    with Register.open(db=walked / "register.sqlite") as reg:
        result = round_movements(reg, "2025", "2026")
    for table in (result.poor, result.near_poor):
        for column in table.columns:
            assert table.value(TOTAL, column) > 0, (table.kind, column)
    reasons = {reason for (_, column, reason) in result.poor.reasons if column == "other_decrease"}
    assert reasons == {"moved_out", "merged", "missing", "unclassified"}
    labels = {m.label for m in result.households}
    assert {"ngheo_cu", "ngheo_moi", "tai_ngheo", "can_ngheo_cu", "can_ngheo_moi", "tai_can_ngheo"} <= labels


def test_reimporting_a_round_changes_nothing(walked: Path) -> None:
    """The same file again: 0 added, 0 changed; classify again: every result already current."""
    code, out, _ = _run("round", "import", "2026", str(ROUNDS / "ho-2026.json"), "--quiet")
    assert code == 0 and "0 added, 0 changed, 48 unchanged" in out
    code, out, _ = _run("round", "classify", "2026", "--quiet")
    assert code == 0 and "0 classified, 48 already current" in out


def test_status_prints_the_movement_tables(walked: Path) -> None:
    """`round status 2026 --previous 2025` prints both tables with household/person cells."""
    code, out, _ = _run("round", "status", "2026", "--previous", "2025", "--by", "village")
    assert code == 0
    assert "biến động hộ nghèo 2025 → 2026" in out and "biến động hộ cận nghèo" in out
    assert "Thôn Đoài" in out and "[6] re_poor" in out


def test_export_pseudonymises_names_and_identity_numbers(walked: Path) -> None:
    """With --pseudonymise no name or CCCD of the register appears in the export; pseudonyms are stable."""
    assert _run("round", "export", "2026", "-o", "plain.csv", "--previous", "2025")[0] == 0
    assert _run("round", "export", "2026", "-o", "p1.csv", "--pseudonymise")[0] == 0
    assert _run("round", "export", "2026", "-o", "p2.xlsx", "--pseudonymise")[0] == 0
    records = json.loads((ROUNDS / "ho-2026.json").read_text(encoding="utf-8"))
    secrets = {m["name"] for r in records for m in r["members"]} | {
        m["id_number"] for r in records for m in r["members"] if "id_number" in m
    }
    pseudonymised = (walked / "p1.csv").read_text(encoding="utf-8") + (walked / "p1.members.csv").read_text(
        encoding="utf-8"
    )
    assert not [s for s in secrets if s in pseudonymised]
    plain = (walked / "plain.members.csv").read_text(encoding="utf-8")
    assert any(s in plain for s in secrets)  # the test would catch a pseudonymiser that did nothing
    assert _run("round", "export", "2026", "-o", "p3.csv", "--pseudonymise")[0] == 0
    assert (walked / "p3.members.csv").read_text(encoding="utf-8") == (walked / "p1.members.csv").read_text(
        encoding="utf-8"
    )
    with (walked / "plain.csv").open(encoding="utf-8-sig") as handle:
        labels = {row["label"] for row in csv.DictReader(handle)}
    assert {"nghèo cũ", "nghèo mới", "tái nghèo"} <= labels
    # UTF-8 with a BOM, as every CSV the product writes: Excel then shows the Vietnamese text right.
    assert all(
        (walked / name).read_bytes().startswith(b"\xef\xbb\xbf") for name in ("plain.csv", "p1.members.csv")
    )


def test_the_change_log_hides_values_unless_asked(walked: Path) -> None:
    """`round log` shows who/what/why; values (maybe personal) only with --show-values."""
    code, out, _ = _run("round", "log", "2026", "--household", "HPH-0010")
    assert code == 0 and "cán bộ xã" in out and "departure" in out and "moved_out" not in out
    assert "moved_out" in _run("round", "log", "2026", "--household", "HPH-0010", "--show-values")[1]


def test_unknown_round_is_a_clear_usage_error(walked: Path) -> None:
    """A missing round exits 2 and lists the rounds there are."""
    code, _, err = _run("round", "classify", "2030")
    assert code == 2 and "2024, 2025, 2026" in err


def test_status_writes_the_movement_tables_to_a_workbook(walked: Path) -> None:
    """`round status --previous -o x.xlsx`: poor, near-poor, reasons, households sheets; totals as counted."""
    from openpyxl import load_workbook

    code, out, _ = _run("round", "status", "2026", "--previous", "2025", "-o", "bien-dong.xlsx")
    assert code == 0 and "bien-dong.xlsx" in out
    workbook = load_workbook(walked / "bien-dong.xlsx")
    assert len(workbook.sheetnames) == 4
    with Register.open(db=walked / "register.sqlite") as reg:
        expected = round_movements(reg, "2025", "2026").poor
    rows = [[c.value for c in row] for row in workbook[workbook.sheetnames[0]].iter_rows()]
    [total] = [row for row in rows if row[0] == "Tổng"]
    assert total[1:19] == [n for column in expected.columns for n in expected.rows[TOTAL][column]]


def test_the_round_commands_run_on_a_database_url(database_url: str, tmp_path: Path) -> None:
    """--db-url: the same steps on SQLite and PostgreSQL give the same movement tables."""
    db = ("--db-url", database_url)
    for year in ("2025", "2026"):
        assert _run("round", "new", year, "--year", year, "--reference-date", f"{year}-11-01", *db)[0] == 0
        assert _run("round", "import", year, str(ROUNDS / f"ho-{year}.json"), "--quiet", *db)[0] == 0
        assert _run("round", "classify", year, "--quiet", "--no-trace", *db)[0] == 0
    code, out, _ = _run("round", "status", "2026", "--previous", "2025", *db)
    assert code == 0
    poor_total = next(line for line in out.splitlines() if line.startswith("Tổng"))
    assert poor_total.split()[1] == "15/48"  # 2025: 15 poor households, 48 persons
    assert _run("round", "export", "2026", "-o", str(tmp_path / "x.csv"), "--pseudonymise", *db)[0] == 0
