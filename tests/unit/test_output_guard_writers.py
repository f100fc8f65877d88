"""Issue 8, the remaining gaps: a members file that is the households file, the report and papers writers
guarded like classify's outputs (same-path refusal, lock, umask mode, cleanup), and a real Ctrl-C
delivered to a running batch process."""

from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import SAMPLE_DIR, sample_path
from classifier.errors import InputError
from classifier.io.outputs import OutputFiles, write_file

HOUSEHOLDS = sample_path("households.csv")
MEMBERS = sample_path("members.csv")
COMMUNE = sample_path("commune.json")
ENGINES = ("durable", "batch")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def leftovers(folder: Path) -> list[str]:
    """Temporary, body and lock files of a writer in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".body", ".lock", ".tmp")))


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask for the test, restored afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# -- 1. --members naming the households file ----------------------------------------------------------


@pytest.mark.parametrize("alias", ["same", "symlink", "hardlink"])
@pytest.mark.parametrize("engine", ENGINES)
def test_members_naming_the_households_file_is_refused_before_anything_is_written(
    tmp_path: Path, engine: str, alias: str
) -> None:
    """--members that is the households file (same name, a symbolic or a hard link): exit 2 with a
    message saying so, not a late "no household_id column"; no output, no temporary file."""
    households = tmp_path / "ho.csv"
    shutil.copy(HOUSEHOLDS, households)
    members = households
    if alias == "symlink":
        members = tmp_path / "thanh-vien.csv"
        members.symlink_to(households)
    elif alias == "hardlink":
        members = tmp_path / "thanh-vien.csv"
        os.link(households, members)
    out = tmp_path / "ket-qua.csv"
    before = households.read_bytes()
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(out), "--engine", engine, "--quiet"
    )
    assert code == 2, err
    assert "is the households file" in err, err
    assert "household_id column" not in err
    assert not out.exists()
    assert leftovers(tmp_path) == []
    assert households.read_bytes() == before


# -- 2. report and papers writers -------------------------------------------------------------------

WRITERS = {
    "report-html": ("report", "html", "bao-cao.html"),
    "report-xlsx": ("report", "tables", "bao-cao.xlsx"),
    "report-pdf": ("report", "tables", "bao-cao.pdf"),
    "papers-pdf": ("papers", "decision", "quyet-dinh.pdf"),
    "papers-docx": ("papers", "decision", "quyet-dinh.docx"),
}


def writer_argv(kind: str, source: Path, out: Path) -> list[str]:
    command, sub, _ = WRITERS[kind]
    return [command, sub, str(source), "--commune", "Xã Hợp Hưng", "-o", str(out)]


@pytest.mark.slow  # renders every report and paper format: runs in .ci/run, not the fast suite
@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_report_and_papers_files_get_the_umask_mode_and_leave_nothing_behind(
    tmp_path: Path, kind: str, umask_022: None
) -> None:
    """Under umask 022 a report or paper is 0644, like classify's outputs (it was 0600), and no
    temporary or lock file stays beside it."""
    out = tmp_path / WRITERS[kind][2]
    code, _, err = run(*writer_argv(kind, COMMUNE, out))
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_report_and_papers_outputs_reaching_an_input_through_a_link_are_refused(
    tmp_path: Path, kind: str
) -> None:
    """An -o that is a hard link to the households file is that file: exit 2, the data untouched."""
    source = tmp_path / "xa.json"
    shutil.copy(COMMUNE, source)
    out = tmp_path / WRITERS[kind][2]
    os.link(source, out)
    before = source.read_bytes()
    code, _, err = run(*writer_argv(kind, source, out))
    assert code == 2, err
    assert "is the input file" in err, err
    assert source.read_bytes() == before and out.read_bytes() == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["report-html", "papers-pdf"])
def test_an_output_naming_an_input_is_refused_before_the_round_is_read(tmp_path: Path, kind: str) -> None:
    """The refusal comes first: an input that could not even be read (not JSON) is not reached."""
    source = tmp_path / "xa.json"
    source.write_text("not JSON at all", encoding="utf-8")
    out = tmp_path / WRITERS[kind][2]
    os.link(source, out)
    code, _, err = run(*writer_argv(kind, source, out))
    assert code == 2, err
    assert "is the input file" in err and "not valid JSON" not in err, err
    assert source.read_text(encoding="utf-8") == "not JSON at all"


# Every writer goes through write_file (the mode test above shows it); the lock is checked on one
# writer of each command.
@pytest.mark.parametrize("kind", ["report-html", "papers-docx"])
def test_report_and_papers_outputs_locked_by_another_run_are_refused(tmp_path: Path, kind: str) -> None:
    """A report or paper another run is writing right now is refused (exit 2), not overwritten."""
    out = tmp_path / WRITERS[kind][2]
    out.write_bytes(b"the other run's file")
    with OutputFiles([out]):
        code, _, err = run(*writer_argv(kind, COMMUNE, out))
    assert code == 2, err
    assert "another chuan-ngheo run" in err, err
    assert out.read_bytes() == b"the other run's file"


def test_an_interrupted_write_leaves_the_target_as_it_was_and_no_temporary_file(tmp_path: Path) -> None:
    """Ctrl-C in the middle of writing a file: the temporary file is removed, the old file stays."""
    out = tmp_path / "bao-cao.html"
    out.write_text("old report", encoding="utf-8")

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half a rep", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file(out, interrupted)
    assert out.read_text(encoding="utf-8") == "old report"
    assert leftovers(tmp_path) == []
    with pytest.raises(InputError, match="is the input file"):
        write_file(out, interrupted, [out])


@pytest.mark.parametrize("clash", ["households", "members"])
def test_groups_output_naming_an_input_is_refused_and_the_input_kept(tmp_path: Path, clash: str) -> None:
    """`groups -o` naming the households file (or its .members.csv companion being the members file) is
    refused with exit 2; it used to open the input for writing and truncate the survey data."""
    households, members = tmp_path / "ho.csv", tmp_path / "ho.members.csv"
    shutil.copy(HOUSEHOLDS, households)
    shutil.copy(MEMBERS, members)
    before = {p: p.read_bytes() for p in (households, members)}
    out = households if clash == "households" else tmp_path / "ho.csv"
    code, _, err = run("groups", str(households), "--members", str(members), "-o", str(out))
    assert code == 2, err
    assert "is the input file" in err, err
    assert {p: p.read_bytes() for p in before} == before
    assert leftovers(tmp_path) == []


def test_groups_outputs_get_the_umask_mode_and_appear_together(tmp_path: Path, umask_022: None) -> None:
    """`groups` writes its two files through OutputFiles: 0644 under umask 022, no temporary files."""
    out = tmp_path / "nhom.csv"
    code, _, err = run("groups", str(HOUSEHOLDS), "--members", str(MEMBERS), "-o", str(out))
    assert code in (0, 1), err
    for path in (out, tmp_path / "nhom.members.csv"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_register_import_errors_and_export_are_guarded(tmp_path: Path, umask_022: None) -> None:
    """`round import --errors` naming the imported file is refused before the import (the errors were
    written over the survey data); `round export -o` naming the register file is refused; exports get
    the umask's mode and leave no temporary file."""
    source = tmp_path / "ho-2026.json"
    shutil.copy(SAMPLE_DIR / "rounds" / "ho-2026.json", source)
    db = ("--db", str(tmp_path / "so.sqlite"))
    assert run("round", "new", "2026", "--year", "2026", "--reference-date", "2026-11-01", *db)[0] == 0
    before = source.read_bytes()
    code, _, err = run("round", "import", "2026", str(source), "--errors", str(source), "--quiet", *db)
    assert code == 2 and "is the input file" in err, err
    assert source.read_bytes() == before
    code, _, err = run("round", "export", "2026", "-o", str(tmp_path / "so.csv"), *db)
    assert code == 0, err
    for name in ("so.csv", "so.members.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    database = tmp_path / "so.sqlite"
    alias = tmp_path / "so-moi.csv"
    os.link(database, alias)
    saved = database.read_bytes()
    code, _, err = run("round", "export", "2026", "-o", str(alias), *db)
    assert code == 2 and "is the input file" in err, err
    assert database.read_bytes() == saved
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", [["template"], ["rules", "doc", "nd-07-2021"]])
def test_template_and_rules_doc_respect_another_runs_lock(tmp_path: Path, command: list[str]) -> None:
    """`template -o` and `rules doc -o` write through OutputFiles: a file another run is writing is
    refused (exit 2) instead of being overwritten; otherwise written with nothing left beside it."""
    out = tmp_path / ("mau.xlsx" if command[0] == "template" else "luat.md")
    out.write_bytes(b"the other run's file")
    with OutputFiles([out]):
        code, _, err = run(*command, "-o", str(out))
    assert code == 2 and "another chuan-ngheo run" in err, err
    assert out.read_bytes() == b"the other run's file"
    code, _, err = run(*command, "-o", str(out))
    assert code == 0, err
    assert out.read_bytes() != b"the other run's file"
    assert leftovers(tmp_path) == []


# -- 3. a real SIGINT to a running batch process ------------------------------------------------------


def big_households(target: Path, copies: int) -> None:
    """``copies`` copies of the sample households with distinct ids (400 rows each)."""
    rows = HOUSEHOLDS.read_text(encoding="utf-8").splitlines()
    lines = [rows[0]]
    for n in range(copies):
        lines += [f"S{n}-{row}" for row in rows[1:]]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow  # starts a real interpreter and DuckDB (~5-15 s on a loaded machine)
def test_a_real_ctrl_c_to_a_running_batch_process_is_exit_130_and_leaves_nothing(tmp_path: Path) -> None:
    """SIGINT delivered to a `classify --engine batch` process mid-run: exit 130, no output file, no
    temporary, lock or work files in the output folder or the temporary folder."""
    work_tmp = tmp_path / "systmp"
    work_tmp.mkdir()
    source = tmp_path / "lon.csv"
    big_households(source, 500)  # 200,000 households: seconds of work even on a fast machine
    out_dir = tmp_path / "ra"
    out_dir.mkdir()
    out = out_dir / "ket-qua.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "classifier", "classify", str(source), "-o", str(out), "--engine", "batch"],
        env={**os.environ, "TMPDIR": str(work_tmp), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            started = any(p.name.endswith(".part") for p in out_dir.iterdir()) and any(
                p.name.startswith("chuan-ngheo-batch-") for p in work_tmp.iterdir()
            )
            if started:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the pipeline
        assert proc.poll() is None, "the run ended before it could be interrupted: give it more rows"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr.decode("utf-8", "replace")[-2000:]
    assert b"Traceback" not in stderr
    assert not out.exists()
    assert os.listdir(out_dir) == []
    assert os.listdir(work_tmp) == []


# -- 4. browser screenshots stay out of the checkout --------------------------------------------------


def test_browser_screenshots_go_to_docs_only_when_asked(tmp_path: Path) -> None:
    """The browser tests write into docs/screenshots/ only with CHUAN_NGHEO_UPDATE_SCREENSHOTS=1;
    otherwise into a temporary folder, so a test run leaves the checkout unmodified."""
    pytest.importorskip("uvicorn")
    from tests.browser.conftest import DOCS_SCREENSHOTS, screenshot_folder

    assert DOCS_SCREENSHOTS.parts[-2:] == ("docs", "screenshots")
    assert screenshot_folder({}, tmp_path) == tmp_path
    assert screenshot_folder({"CHUAN_NGHEO_UPDATE_SCREENSHOTS": "0"}, tmp_path) == tmp_path
    assert screenshot_folder({"CHUAN_NGHEO_UPDATE_SCREENSHOTS": "1"}, tmp_path) == DOCS_SCREENSHOTS


# -- 5. exports of a round: survey text that looks like a formula stays text ---------------------------


def test_round_exports_keep_formula_like_survey_text_as_text(tmp_path: Path) -> None:
    """A record id, village and member name starting with "=", "+" or "@" (OWASP's CSV injection) reach
    `round export`'s CSV with the leading "'" every other CSV output gets, and its XLSX as text cells,
    never as formulas Excel would run."""
    import json

    from openpyxl import load_workbook

    record = json.loads((SAMPLE_DIR / "rounds" / "ho-2026.json").read_text(encoding="utf-8"))[0]
    record |= {"id": '=HYPERLINK("http://x.example","xem")', "village": "+1+cmd", "household_code": "=2+3"}
    record["members"][0]["name"] = "@SUM(1+1)"
    source = tmp_path / "ho.json"
    source.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    db = ("--db", str(tmp_path / "so.sqlite"))
    assert run("round", "new", "2026", "--year", "2026", "--reference-date", "2026-11-01", *db)[0] == 0
    code, _, err = run("round", "import", "2026", str(source), "--quiet", *db)
    assert code == 0, err
    for name in ("so.csv", "so.xlsx"):
        code, _, err = run("round", "export", "2026", "-o", str(tmp_path / name), *db)
        assert code == 0, err
    households = (tmp_path / "so.csv").read_text(encoding="utf-8")
    members = (tmp_path / "so.members.csv").read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""http://x.example"",""xem"")"' in households and ",'+1+cmd," in households
    assert "'@SUM(1+1)" in members and "\n'=2+3,1," in members
    workbook = load_workbook(tmp_path / "so.xlsx")
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    texts = {c.value: c.data_type for c in cells if isinstance(c.value, str) and c.value[:1] in "=+@"}
    assert texts == {
        '=HYPERLINK("http://x.example","xem")': "s",
        "+1+cmd": "s",
        "=2+3": "s",
        "@SUM(1+1)": "s",
    }


def test_round_import_writes_the_same_errors_file_as_classify(tmp_path: Path) -> None:
    """`round import --errors` and `classify --errors` write one errors file, byte for byte: UTF-8
    with a BOM and CRLF lines, so that Excel shows Vietnamese values right (round import wrote plain
    UTF-8 with LF lines, which Excel opens as mojibake)."""
    source = tmp_path / "ho.csv"
    source.write_text(
        "id,area,income_per_capita_month,member_count,village\n"
        "H1,nông thôn,1400000,3,Bản Lầy\nH2,thành thị,nhiều,2,Bản Lầy\n",
        encoding="utf-8",
    )
    db = ("--db", str(tmp_path / "so.sqlite"))
    assert run("round", "new", "2026", "--year", "2026", "--reference-date", "2026-11-01", *db)[0] == 0
    imported, classified = tmp_path / "import-errors.csv", tmp_path / "classify-errors.csv"
    assert run("round", "import", "2026", str(source), "--errors", str(imported), "--quiet", *db)[0] == 1
    code, _, err = run("classify", str(source), "-o", str(tmp_path / "kq.csv"), "--errors", str(classified))
    assert code == 1, err
    assert imported.read_bytes() == classified.read_bytes()
    assert imported.read_bytes().startswith(b"\xef\xbb\xbfrecord_id,row,source,field,value,expected\r\n")
    assert "nhiều".encode() in imported.read_bytes()
