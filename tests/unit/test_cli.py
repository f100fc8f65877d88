"""The command line, driven in-process through ``classifier.cli.main`` (and once as a real process)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import sample_path
from classifier.rules import default_rules_root

SAMPLE = sample_path("commune.json")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` exits 0 and shows a runnable example, as a reviewer's first contact with the tool."""
    code = main(["classify", "--help"])
    assert code == 0
    assert (
        "chuan-ngheo classify classifier/data/sample/commune.json -o results.csv" in capsys.readouterr().out
    )


def test_classify_sample_writes_one_row_per_household(tmp_path: Path) -> None:
    """The bundled commune classifies completely: 400 rows, each with a class, the standard and digest."""
    target = tmp_path / "results.csv"
    code, _, err = run("classify", str(SAMPLE), "-o", str(target), "--quiet")
    assert code == 0, err
    rows = read_csv(target)
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert {r["standard"] for r in rows} == {"nd-07-2021"}
    assert all(r["classification"] for r in rows)
    assert {"ngheo", "can_ngheo", "muc_song_trung_binh", "khac"} <= {r["classification"] for r in rows}
    assert "read 400 = classified 400 + errors 0" in err
    assert "standard: nd-07-2021 (default" in err


def test_bad_record_is_reported_and_others_still_classified(tmp_path: Path) -> None:
    """One bad income: exit 1, the record stays in the output with its error, the rest are classified."""
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))[:5]
    records[2]["income_per_capita_month"] = "nhiều"
    records[2].pop("income_total_month", None)
    source = tmp_path / "ho.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "out.csv"
    code, _, err = run("classify", str(source), "-o", str(target), "--quiet")
    assert code == 1
    rows = read_csv(target)
    assert len(rows) == 5
    bad = rows[2]
    assert bad["classification"] == ""
    assert records[2]["id"] in bad["error"] and "income_per_capita_month" in bad["error"]
    assert all(r["classification"] for i, r in enumerate(rows) if i != 2)
    assert "errors 1" in err


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    """A missing input gives exit code 2 and names the file; no output is created."""
    code, _, err = run("classify", str(tmp_path / "none.json"), "-o", str(tmp_path / "o.csv"))
    assert code == 2
    assert "none.json" in err
    assert not (tmp_path / "o.csv").exists()


def test_explain_in_vietnamese_and_english() -> None:
    """explain renders the decisive clause in Vietnamese by default and in English with --lang en."""
    household = json.loads(SAMPLE.read_text(encoding="utf-8"))[0]["id"]
    code, out, _ = run("explain", str(SAMPLE), "--household", household)
    assert code == 0
    assert f"Hộ {household}" in out and "Nghị định 07/2021/NĐ-CP" in out
    code, out, _ = run("explain", str(SAMPLE), "--household", household, "--lang", "en")
    assert code == 0
    assert "Decree" in out or "Nghị định 07/2021/NĐ-CP" in out
    assert "Art." in out


def test_explain_json_and_unknown_household() -> None:
    """--format json gives the trace as JSON; an unknown id is a clear error with exit code 2."""
    household = json.loads(SAMPLE.read_text(encoding="utf-8"))[0]["id"]
    code, out, _ = run("explain", str(SAMPLE), "--household", household, "--format", "json", "--what-if")
    assert code == 0
    payload = json.loads(out)
    assert payload["trace"]["standard"] == "nd-07-2021"
    assert isinstance(payload["what_would_change"], list)
    code, _, err = run("explain", str(SAMPLE), "--household", "KHONG-CO")
    assert code == 2 and "KHONG-CO" in err


def test_rules_check_lists_problems_with_file_and_line(tmp_path: Path) -> None:
    """rules check: ok for the real folder; for a broken copy, exit 3 and file:line of each problem."""
    code, out, _ = run("rules", "check", str(default_rules_root() / "nd-07-2021"))
    assert code == 0 and "ok" in out
    root = tmp_path / "rules"
    shutil.copytree(default_rules_root(), root)
    path = root / "nd-07-2021" / "parameters.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("value: 1500000", "valeu: 1500000", 1), encoding="utf-8")
    code, _, err = run("rules", "check", str(root / "nd-07-2021"))
    assert code == 3
    assert "parameters.yaml:" in err and "valeu" in err and "did you mean 'value'" in err


def test_rules_show_and_audit() -> None:
    """rules show prints citations and status; rules audit lists what is still unverified."""
    code, out, _ = run("rules", "show", "nd-07-2021")
    assert code == 0
    assert "income_line_rural" in out and "Điều 3" in out and "CHƯA xác minh" in out
    code, out, _ = run("rules", "audit", "nd-07-2021")
    assert code == 0
    assert "safe_water_sources" in out and "hygienic_latrines" in out
    assert "income_line_rural" not in out  # confirmed by several sources, so not in the audit


def test_rules_new_then_verify(tmp_path: Path) -> None:
    """rules new creates a loadable overlay; rules verify passes on it and refuses to overwrite it."""
    root = tmp_path / "rules"
    shutil.copytree(default_rules_root(), root)
    code, out, _ = run("rules", "new", "tinh-thu", "--from", "nd-07-2021", "--rules-dir", str(root))
    assert code == 0, out
    assert (root / "tinh-thu" / "standard.yaml").is_file()
    code, out, _ = run("rules", "verify", "tinh-thu", "--rules-dir", str(root), "--examples", "40")
    assert code == 0, out
    assert out.count("ok ") == 5
    code, _, err = run("rules", "new", "tinh-thu", "--from", "nd-07-2021", "--rules-dir", str(root))
    assert code == 2 and "already exists" in err


@pytest.mark.slow  # a real process or a large file: runs in .ci/run, not the fast suite
def test_rules_verify_prints_a_minimal_counterexample(tmp_path: Path) -> None:
    """An overlay that swaps the poor and near-poor deprivation tests fails monotonicity, with an example."""
    root = tmp_path / "rules"
    shutil.copytree(default_rules_root(), root)
    assert run("rules", "new", "dao-nguoc", "--from", "nd-07-2021", "--rules-dir", str(root))[0] == 0
    text = (root / "nd-07-2021" / "classification.yaml").read_text(encoding="utf-8")
    swapped = (
        text.replace("{gte: deprivation_cutoff}", "{TMP: deprivation_cutoff}")
        .replace("{lt: deprivation_cutoff}", "{gte: deprivation_cutoff}")
        .replace("{TMP: deprivation_cutoff}", "{lt: deprivation_cutoff}")
    )
    assert swapped != text  # the table's deprivation cells (Art. 3 cl. 2 points a, b) were swapped
    (root / "dao-nguoc" / "classification.yaml").write_text(swapped, encoding="utf-8")
    code, out, _ = run("rules", "verify", "dao-nguoc", "--rules-dir", str(root), "--examples", "200")
    assert code == 3
    assert "FAIL monotone_deprivations" in out
    assert "minimal counterexample: area=" in out


def test_list_year_picks_the_standard(tmp_path: Path) -> None:
    """--list-year 2027 picks Decree 351 (provisional, warned); 2024 picks Decree 07; 2031 has none."""
    target = tmp_path / "o.csv"
    code, _, err = run("classify", str(SAMPLE), "-o", str(target), "--list-year", "2027", "--quiet")
    assert code == 0
    assert "standard: nd-351-2025 (list year 2027)" in err and "PROVISIONAL" in err
    assert {r["standard"] for r in read_csv(target)} == {"nd-351-2025"}
    code, _, err = run("classify", str(SAMPLE), "-o", str(target), "--list-year", "2024", "--quiet")
    assert code == 0 and "standard: nd-07-2021 (list year 2024)" in err
    code, _, err = run("classify", str(SAMPLE), "-o", str(target), "--list-year", "2031", "--quiet")
    assert code == 2 and "no national standard covers list year 2031" in err


@pytest.mark.slow  # a real process or a large file: runs in .ci/run, not the fast suite
def test_module_entry_point_runs_as_a_process(tmp_path: Path) -> None:
    """`python -m classifier` works as a real process and exits with the documented code."""
    proc = subprocess.run(
        [sys.executable, "-m", "classifier", "rules", "list"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "nd-07-2021" in proc.stdout


def _rows_without_engine(path: Path) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k not in ("row", "engine")} for row in read_csv(path)]


def test_engines_give_the_same_rows_and_say_which_ran(tmp_path: Path) -> None:
    """auto streams CSV through the batch pipeline; durable gives the same rows; each row names its engine."""
    households, members = sample_path("households.csv"), sample_path("members.csv")
    outputs = {}
    for engine in ("auto", "durable", "batch"):
        target = tmp_path / f"{engine}.csv"
        code, _, err = run(
            "classify",
            str(households),
            "--members",
            str(members),
            "-o",
            str(target),
            "--engine",
            engine,
            "--quiet",
            "--reference-date",
            "2026-11-01",
        )
        assert code == 0, err
        outputs[engine] = target
    assert {r["engine"] for r in read_csv(outputs["auto"])} == {"batch"}
    assert {r["engine"] for r in read_csv(outputs["durable"])} == {"durable"}
    assert _rows_without_engine(outputs["auto"]) == _rows_without_engine(outputs["durable"])
    assert _rows_without_engine(outputs["batch"]) == _rows_without_engine(outputs["durable"])


def test_errors_file_lists_each_problem(tmp_path: Path) -> None:
    """Per-record problems also go to <output>.errors.csv: record, row, source, field, value, expected."""
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))[:3]
    records[1]["area"] = "biển"
    source = tmp_path / "ho.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    for engine in ("durable", "batch"):
        target = tmp_path / f"out-{engine}.csv"
        code, _, _ = run("classify", str(source), "-o", str(target), "--engine", engine, "--quiet")
        assert code == 1
        errors = read_csv(tmp_path / f"out-{engine}.errors.csv")
        assert [(e["record_id"], e["field"], e["value"]) for e in errors] == [
            (records[1]["id"], "area", "biển")
        ]
        assert "rural" in errors[0]["expected"]


def test_an_internal_error_is_reported_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A bug surfaces as 'internal error' with exit code 4 and a hint, not as a raw traceback."""
    import classifier.runner

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(classifier.runner, "classify_file", broken)
    code, _, err = run("classify", str(SAMPLE), "-o", str(tmp_path / "o.csv"))
    assert code == 4
    assert "internal error: RuntimeError: boom" in err and "CHUAN_NGHEO_DEBUG=1" in err
