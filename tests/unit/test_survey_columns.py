"""Every command that reads a survey file reads its headers with the column map of the rules folder it
classifies with (``--rules-dir``), not the bundled one (issue 7, "one meaning, one place";
classifier/io/survey.py)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import SAMPLE_DIR
from classifier.io.survey import survey_columns
from classifier.rules import default_rules_root, list_standards
from classifier.web.uploads import default_target
from tests.helpers import copy_rules

ALIAS = "dt_nha_o"  # declared only in the test's facts.yaml, as an alias of floor_area_m2
HOUSEHOLDS = 24


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rules root whose facts.yaml adds the alias, and the first households of the bundled sample with
    the floor area under that alias (and their members)."""
    base = tmp_path_factory.mktemp("alias")
    for standard in list_standards(default_rules_root()):  # the sample carries flags of every standard
        root = copy_rules(base, standard)
    facts = root / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    assert text.count("aliases: [dien_tich_nha]") == 1
    facts.write_text(text.replace("aliases: [dien_tich_nha]", f"aliases: [dien_tich_nha, {ALIAS}]"), "utf-8")
    rows = list(csv.reader(io.StringIO((SAMPLE_DIR / "households.csv").read_text(encoding="utf-8-sig"))))
    header = [ALIAS if h == "floor_area_m2" else h for h in rows[0]]
    assert ALIAS in header
    with (base / "ho.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows[1 : HOUSEHOLDS + 1]])
    ids = {r[0] for r in rows[1 : HOUSEHOLDS + 1]}
    members = list(csv.reader(io.StringIO((SAMPLE_DIR / "members.csv").read_text(encoding="utf-8-sig"))))
    with (base / "tv.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([members[0], *(m for m in members[1:] if m[0] in ids)])
    return base


READ = ["ho.csv", "--members", "tv.csv"]
DATE = ["--reference-date", "2026-11-01"]
COMMANDS = {
    "classify batch": ["classify", *READ, "-o", "kq.csv", "--engine", "batch", *DATE],
    "classify durable": ["classify", *READ, "-o", "kq.csv", "--engine", "durable", *DATE],
    "explain": ["explain", *READ, "--household", "H000003", *DATE],
    "groups": ["groups", *READ, "-o", "nhom.csv", *DATE],
    "diff": ["diff", *READ, "--from", "nd-07-2021", "--to", "nd-351-2025", "-o", "diff.csv", *DATE],
    "report tables": ["report", "tables", *READ, "--commune", "Xã Hợp Hưng", "-o", "bc.xlsx"],
    "papers posting": [
        "papers",
        "posting",
        *READ,
        "--commune",
        "Xã Hợp Hưng",
        "--format",
        "docx",
        "-o",
        "p.docx",
    ],
    "report measures --input": ["report", "measures", "kq.csv", "--input", *READ, "--weight", "persons"],
    "round import": ["round", "import", "r", *READ, "--db", "so.sqlite"],
}


def _record_problems(cwd: Path) -> list[str]:
    """Record rows of the errors file `diff` writes (it reports unreadable records there and exits 0)."""
    path = cwd / "diff.errors.csv"
    if not path.is_file():
        return []
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]
    return lines[1:]  # below the header row


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_reading_a_survey_file_knows_the_rules_folders_column_alias(
    name: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the fix `report`, `papers`, `report measures --input` and `round import` read the file with
    the bundled column map: every record failed on the unknown header `dt_nha_o` (and measures then said
    the households had no member count)."""
    for item in ("ho.csv", "tv.csv"):
        (tmp_path / item).write_bytes((folder / item).read_bytes())
    monkeypatch.chdir(tmp_path)
    rules = ["--rules-dir", str(folder / "rules")]
    quiet = io.StringIO()
    if name == "report measures --input":
        assert main([*COMMANDS["classify durable"], *rules], quiet, quiet) == 0, quiet.getvalue()
    if name == "round import":
        assert (
            main(["round", "new", "r", "--year", "2026", *DATE, "--db", "so.sqlite", *rules], quiet, quiet)
            == 0
        )
    out, err = io.StringIO(), io.StringIO()
    code = main([*COMMANDS[name], *rules], out, err)
    assert code == 0, err.getvalue()[-2000:]
    assert ALIAS not in err.getvalue() + out.getvalue()
    assert _record_problems(tmp_path) == []


def test_the_web_mapping_step_proposes_the_rules_folders_alias(folder: Path) -> None:
    """The upload's column-mapping step proposes the field the command line would read with that root."""
    root = folder / "rules"
    assert default_target(ALIAS, root) == "floor_area_m2"
    assert default_target(ALIAS, None) is None
    assert survey_columns(root)[0].household_target(ALIAS) is not None


def test_a_report_on_a_round_rereads_its_records_with_the_rules_folders_indicators(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report --round` types the kept records again: with the bundled indicator keys a flag of an
    indicator only the `--rules-dir` standards have (here the Ho Chi Minh City overlay's 13th indicator
    under another id) made every kept record "no longer read"."""
    root = tmp_path / "rules"
    shutil.copytree(folder / "rules", root)
    shutil.copytree(root / "hcm-2024", root / "my-city")
    for name, old, new in (
        ("standard.yaml", "\nid: hcm-2024\n", "\nid: my-city\n"),
        ("indicators.yaml", "\n  social_insurance:\n", "\n  bao_hiem_xh:\n"),
    ):
        text = (root / "my-city" / name).read_text(encoding="utf-8")
        assert text.count(old) == 1
        (root / "my-city" / name).write_text(text.replace(old, new), encoding="utf-8")
    lines = (folder / "ho.csv").read_text(encoding="utf-8").splitlines()
    flagged = [lines[0] + ",deprivations.bao_hiem_xh", *(line + ",false" for line in lines[1:])]
    (tmp_path / "ho.csv").write_text("\n".join(flagged) + "\n", encoding="utf-8")
    (tmp_path / "tv.csv").write_bytes((folder / "tv.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    rules, db = ["--rules-dir", str(root)], ["--db", "so.sqlite"]
    quiet = io.StringIO()
    assert (
        main(
            ["round", "new", "r", "--year", "2026", *DATE, "--standard", "my-city", *db, *rules], quiet, quiet
        )
        == 0
    )
    assert main(["round", "import", "r", *READ, "--quiet", *db, *rules], quiet, quiet) == 0, quiet.getvalue()
    assert main(["round", "classify", "r", "--quiet", *db, *rules], quiet, quiet) == 0, quiet.getvalue()
    err = io.StringIO()
    report = [
        "report",
        "html",
        "--round",
        "r",
        "--standard",
        "my-city",
        "--commune",
        "Xã Hợp Hưng",
        "-o",
        "bc.html",
    ]
    assert main([*report, *db, *rules], io.StringIO(), err) == 0, err.getvalue()
