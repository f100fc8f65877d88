"""Output files are never lost or mixed: same-path refusals, locks, unique temporary files, file modes,
and the user's environment (missing folder, no permission, full disk, signals) reported as exit 2 / 130."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import fcntl
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.cli import main
from classifier.data import sample_path
from classifier.errors import InputError
from classifier.io.outputs import OutputFiles, WorkFolder

HOUSEHOLDS = sample_path("households.csv")
MEMBERS = sample_path("members.csv")
COMMUNE = sample_path("commune.json")
ENGINES = ("durable", "batch")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the sample households and members files in a private folder."""
    households = tmp_path / "ho.csv"
    members = tmp_path / "thanh-vien.csv"
    shutil.copy(HOUSEHOLDS, households)
    shutil.copy(MEMBERS, members)
    return households, members


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The system temporary folder (where batch work folders go) redirected to a private folder."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".body", ".lock")))


# -- family 1: data loss ------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("clash", ["output", "errors", "members-output", "errors-is-output"])
def test_an_output_naming_an_input_is_refused_before_anything_is_written(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str, clash: str
) -> None:
    """-o or --errors naming the households or members file, or --errors naming -o: exit 2, files intact."""
    households, members = inputs
    before = {p: p.read_bytes() for p in (households, members)}
    out = tmp_path / "ket-qua.csv"
    argv = ["classify", str(households), "--members", str(members), "--engine", engine, "--quiet"]
    if clash == "output":
        argv += ["-o", str(households)]
    elif clash == "errors":
        argv += ["-o", str(out), "--errors", str(households)]
    elif clash == "members-output":
        argv += ["-o", str(members)]
    else:
        out.write_text("old results\n", encoding="utf-8")
        before[out] = out.read_bytes()
        argv += ["-o", str(out), "--errors", str(out)]
    code, _, err = run(*argv)
    assert code == 2, err
    assert "choose another output name" in err or "give --errors another name" in err
    assert {p: p.read_bytes() for p in before} == before
    assert _parts(tmp_path) == []


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
@pytest.mark.parametrize("engine", ENGINES)
def test_an_output_reaching_the_input_through_a_link_is_refused(
    inputs: tuple[Path, Path], tmp_path: Path, link: str, engine: str
) -> None:
    """An output name that is a symbolic or hard link to the input is the input: refused, data intact."""
    households, members = inputs
    alias = tmp_path / "ket-qua.csv"
    if link == "symlink":
        alias.symlink_to(households)
    else:
        os.link(households, alias)
    before = households.read_bytes()
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(alias), "--engine", engine
    )
    assert code == 2, err
    assert "is the input file" in err
    assert households.read_bytes() == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_second_run_on_a_locked_output_fails_clearly(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str
) -> None:
    """While one run holds the output, another run to the same path exits 2 and touches nothing."""
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    out.write_text("results of the running run\n", encoding="utf-8")
    with OutputFiles([out]):
        code, _, err = run(
            "classify", str(households), "--members", str(members), "-o", str(out), "--engine", engine
        )
    assert code == 2, err
    assert "another chuan-ngheo run is writing" in err
    assert out.read_text(encoding="utf-8") == "results of the running run\n"
    # The lock is gone with its holder: the next run succeeds and leaves no lock or part files.
    code, _, err = run("classify", str(households), "--members", str(members), "-o", str(out), "--quiet")
    assert code == 0, err
    assert len(read_csv(out)) == 400
    assert _parts(tmp_path) == []


def _numbered_copy(source: Path, target: Path, prefix: str, copies: int) -> None:
    """``copies`` copies of the sample households with ids prefixed, so two runs' rows can be told apart."""
    rows = source.read_text(encoding="utf-8").splitlines()
    lines = [rows[0]]
    for n in range(copies):
        lines += [f"{prefix}{n}-{row}" for row in rows[1:]]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow  # a real process or a large file: runs in .ci/run, not the fast suite
def test_two_real_processes_writing_one_output_never_leave_a_mixture(tmp_path: Path) -> None:
    """Two chuan-ngheo processes started together on one output: each succeeds or exits 2 (locked), and
    the output and errors file are wholly one run's, never a mixture."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _numbered_copy(HOUSEHOLDS, a, "A", 10)
    _numbered_copy(HOUSEHOLDS, b, "B", 10)
    out = tmp_path / "ket-qua.csv"
    command = [
        sys.executable,
        "-m",
        "classifier",
        "classify",
        "-o",
        str(out),
        "--quiet",
        "--engine",
        "durable",
    ]
    procs = [
        subprocess.Popen([*command, str(src)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for src in (a, b)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    # No members file: every run has record errors (exit 1), which also fills the errors file.
    codes = sorted(code for code, _ in results)
    assert codes in ([1, 1], [1, 2]), results
    for code, err in results:
        if code == 2:
            assert "another chuan-ngheo run is writing" in err
    rows = read_csv(out)
    assert len(rows) == 4000
    prefixes = {r["id"][0] for r in rows}
    assert len(prefixes) == 1  # one run's rows only
    errors = read_csv(tmp_path / "ket-qua.errors.csv")
    assert errors and {e["record_id"][0] for e in errors} == prefixes  # and that same run's errors
    assert _parts(tmp_path) == []


def test_a_lock_held_by_another_process_is_respected_and_released_with_it(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    """The lock works across processes: a holder in another process blocks the run; once it exits (even
    without cleaning up) the next run proceeds."""
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from classifier.io.outputs import OutputFiles\n"
            f"f = OutputFiles([Path({str(out)!r})]); f.__enter__(); print('held', flush=True); "
            "sys.stdin.read(); import os; os._exit(0)",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, _, err = run("classify", str(households), "--members", str(members), "-o", str(out))
        assert code == 2 and "another chuan-ngheo run" in err
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    code, _, err = run("classify", str(households), "--members", str(members), "-o", str(out), "--quiet")
    assert code == 0, err


def test_temporary_names_are_unique_and_leftovers_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    """Two temporary files for one target never share a name; part files a SIGKILLed run left behind
    (today's random names and the fixed names of earlier versions) are removed and said; another
    target's part files are left alone."""
    out = tmp_path / "ket-qua.csv"
    for name in (".ket-qua.csv.part", ".ket-qua.csv.ab12cd_9.part", ".ket-qua.csv.ab12cd_9.part.body"):
        (tmp_path / name).write_text("stale", encoding="utf-8")
    other = tmp_path / ".ket-qua.csv.bak.ab12cd_9.part"
    other.write_text("another target's", encoding="utf-8")
    with OutputFiles([out]) as files:
        assert files.notices == [
            "removed 3 temporary file(s) of ket-qua.csv left by an interrupted earlier run"
        ]
        first, second = files.temp(out), files.temp(out)
        assert first != second
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_output_files_get_the_mode_a_new_file_gets_under_the_umask(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str, umask: int
) -> None:
    """Results and errors files are 0644 under umask 022 and 0600 under 077, on both paths alike."""
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    old = os.umask(umask)
    try:
        code, _, err = run(
            "classify",
            str(households),
            "--members",
            str(members),
            "-o",
            str(out),
            "--engine",
            engine,
            "--quiet",
        )
    finally:
        os.umask(old)
    assert code == 0, err
    for path in (out, tmp_path / "ket-qua.errors.csv"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


# -- family 5: the user's environment -----------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_output_folder_is_a_usage_error(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str
) -> None:
    """-o in a folder that does not exist: exit 2 naming the folder, on both paths."""
    households, members = inputs
    code, _, err = run(
        "classify",
        str(households),
        "--members",
        str(members),
        "-o",
        str(tmp_path / "nope" / "kq.csv"),
        "--engine",
        engine,
    )
    assert code == 2, err
    assert "output folder does not exist" in err and "nope" in err


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unwritable_output_folder_is_a_usage_error(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output folder without write permission: exit 2 saying so, not an internal error. (As root,
    which may write anywhere, the permission test is made to answer as for an ordinary user.)"""
    households, members = inputs
    locked = tmp_path / "chi-doc"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:
        real_access = os.access

        def access(path: object, mode: int, **kwargs: object) -> bool:
            return False if Path(str(path)) == locked and mode & os.W_OK else real_access(path, mode)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "access", access)
    try:
        code, _, err = run(
            "classify",
            str(households),
            "--members",
            str(members),
            "-o",
            str(locked / "kq.csv"),
            "--engine",
            engine,
        )
    finally:
        locked.chmod(0o700)
    assert code == 2, err
    assert "not writable" in err


@pytest.mark.parametrize(
    "number", [errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR, errno.EIO]
)
def test_operating_system_errors_during_a_run_are_the_machines_not_a_bug(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    """An OSError the machine raises while the results are written (disk full, quota, permission
    withdrawn, read-only file system, I/O error...) is exit 2 with advice, never exit 4."""
    import classifier.io.outputs as outputs

    def fail(path: Path) -> None:
        raise OSError(number, os.strerror(number), str(path))

    monkeypatch.setattr(outputs, "_fsync_file", fail)
    households, members = inputs
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(tmp_path / "kq.csv"), "--quiet"
    )
    assert code == 2, err
    assert "internal error" not in err and "No output was presented as complete" in err


@pytest.mark.parametrize("engine", ENGINES)
def test_folders_given_as_input_or_output_are_usage_errors(tmp_path: Path, engine: str) -> None:
    """A folder as the households file or as -o: exit 2 with a message naming it."""
    folder = tmp_path / "thu-muc"
    folder.mkdir()
    code, _, err = run("classify", str(folder), "-o", str(tmp_path / "kq.csv"), "--engine", engine)
    assert code == 2 and "is a folder" in err, err
    code, _, err = run("classify", str(HOUSEHOLDS), "-o", str(folder), "--engine", engine, "--format", "csv")
    assert code == 2 and "is a folder" in err, err


@pytest.mark.parametrize("engine", ENGINES)
def test_a_full_disk_is_a_usage_error_and_leaves_nothing_behind(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    """ENOSPC while the results are flushed: exit 2 telling to free space; no output, no part file."""
    import classifier.io.outputs as outputs

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(outputs, "_fsync_file", full)
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(out), "--engine", engine, "--quiet"
    )
    assert code == 2, err
    assert "disk is full" in err
    assert not out.exists()
    assert _parts(tmp_path) == []
    assert list(private_tmp.iterdir()) == []


def test_a_full_disk_inside_the_batch_engine_is_a_usage_error(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's own 'No space left on device' (its spill or COPY) is the machine's problem: exit 2."""
    import duckdb

    from classifier.batch import output

    def full(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException('IO Error: Could not write file "x": No space left on device')

    monkeypatch.setattr(output, "write_results", full)
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    code, _, err = run("classify", str(households), "--members", str(members), "-o", str(out), "--quiet")
    assert code == 2, err
    assert "disk is full" in err
    assert _parts(tmp_path) == []


def test_ctrl_c_inside_duckdb_is_exit_130_and_leaves_nothing(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    """Ctrl-C while DuckDB runs a query surfaces as duckdb.InterruptException: exit 130, not 'a bug',
    no output, no temporary file, no work folder."""
    import duckdb

    from classifier.batch import output

    def interrupted(*args: object, **kwargs: object) -> None:
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    monkeypatch.setattr(output, "write_results", interrupted)
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    code, _, err = run("classify", str(households), "--members", str(members), "-o", str(out), "--quiet")
    assert code == 130, err
    assert not out.exists()
    assert _parts(tmp_path) == []
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_sigterm_during_a_run_cleans_up_and_exits_143(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    """SIGTERM (a stopped service, a killed job) unwinds like Ctrl-C: exit 143, nothing left behind."""
    from classifier import progress

    def terminate(self: object, done: int) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(progress.Progress, "update", terminate)
    households, members = inputs
    out = tmp_path / "ket-qua.csv"
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(out), "--engine", engine, "--quiet"
    )
    assert code == 143, err
    assert "stopped by signal" in err
    assert not out.exists()
    assert _parts(tmp_path) == []
    assert list(private_tmp.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_work_folders_of_killed_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    """A work folder whose lock nobody holds (its run was SIGKILLed) is removed by the next run, with a
    notice; one whose lock is held (a live run) is kept."""
    stale = tmp_path / "chuan-ngheo-batch-dead"
    stale.mkdir()
    (stale / "lock").write_text("", encoding="utf-8")
    (stale / "work.duckdb").write_bytes(b"x" * 100)
    live = tmp_path / "chuan-ngheo-batch-live"
    live.mkdir()
    fd = os.open(live / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        work = WorkFolder(tmp_path)
        with work as path:
            assert path.is_dir() and path.name.startswith("chuan-ngheo-batch-")
            assert work.notices == [
                f"removed 1 work folder(s) in {tmp_path} left by interrupted earlier runs"
            ]
        assert not path.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["chuan-ngheo-batch-live"]
    finally:
        os.close(fd)


def test_a_named_pipe_as_input_is_read_once(tmp_path: Path) -> None:
    """A FIFO holding CSV households is read in one pass by the per-record reader (auto, durable, and
    batch, whose engine then classifies records read one by one), instead of hanging on a second read or
    being called 'not found'; the streaming pipeline itself refuses a pipe, saying why."""
    fifo = tmp_path / "ho.csv"
    os.mkfifo(fifo)
    payload = HOUSEHOLDS.read_bytes()

    done = threading.Event()

    def feed() -> None:
        with open(fifo, "wb") as handle:
            handle.write(payload)
        # Unblock a reader that would open the pipe a second time (the old behaviour), so the test
        # fails instead of hanging.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not done.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.2)
                continue
            os.close(fd)
            return

    for engine in ("auto", "durable", "batch"):
        done.clear()
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = tmp_path / f"kq-{engine}.csv"
        code, _, err = run(
            "classify", str(fifo), "--members", str(MEMBERS), "-o", str(out), "--engine", engine, "--quiet"
        )
        done.set()
        writer.join(timeout=30)
        assert code == 0, err
        assert len(read_csv(out)) == 400
    from classifier.batch import run_batch
    from classifier.rules import load_ruleset

    with pytest.raises(InputError, match="not a regular file"):
        run_batch(
            fifo, tmp_path / "kq.csv", ruleset=load_ruleset("nd-07-2021"), reference_date=dt.date.today()
        )


@pytest.mark.slow  # a real process killed mid-run (~30 s on a loaded machine); logic unit-tested above
def test_leftovers_of_a_sigkilled_batch_run_are_removed_by_the_next_run(
    inputs: tuple[Path, Path], tmp_path: Path, private_tmp: Path
) -> None:
    """A real batch run killed with SIGKILL (no cleanup possible) leaves its part files and work folder;
    the next run on the same output removes both and says so."""
    households, members = inputs
    big = tmp_path / "lon.csv"
    _numbered_copy(HOUSEHOLDS, big, "K", 20)
    out = tmp_path / "ket-qua.csv"
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "classifier",
            "classify",
            str(big),
            "-o",
            str(out),
            "--engine",
            "batch",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            any(p.name.endswith(".part") for p in tmp_path.iterdir())
            and any(p.name.startswith("chuan-ngheo-batch-") for p in private_tmp.iterdir())
        ):
            time.sleep(0.05)
        proc.kill()
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert any(p.name.endswith(".part") for p in tmp_path.iterdir())
    assert any(p.name.startswith("chuan-ngheo-batch-") for p in private_tmp.iterdir())
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(out), "--engine", "batch"
    )
    assert code == 0, err
    assert "left by an interrupted earlier run" in err and "work folder(s)" in err
    assert _parts(tmp_path) == []
    assert list(private_tmp.iterdir()) == []


def test_report_outputs_are_guarded_like_classify(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    """diff and transitions: -o naming an input is refused before the run (exit 2, input intact); a
    locked report file is refused; a report CSV neutralises formula text."""
    households, members = inputs
    before = households.read_bytes()
    code, _, err = run(
        "diff",
        str(households),
        "--members",
        str(members),
        "--from",
        "nd-07-2021",
        "--to",
        "nd-351-2025",
        "-o",
        str(households),
    )
    assert code == 2 and "is the input file" in err, err
    assert households.read_bytes() == before
    results = [tmp_path / "r1.csv", tmp_path / "r2.csv"]
    for result in results:
        code, _, err = run(
            "classify", str(households), "--members", str(members), "-o", str(result), "--quiet"
        )
        assert code == 0, err
    saved = results[1].read_bytes()
    code, _, err = run("transitions", str(results[0]), str(results[1]), "-o", str(results[1]))
    assert code == 2 and "is the input file" in err, err
    assert results[1].read_bytes() == saved
    report = tmp_path / "bien-dong.csv"
    with OutputFiles([report]):
        code, _, err = run("transitions", str(results[0]), str(results[1]), "-o", str(report))
    assert code == 2 and "another chuan-ngheo run" in err, err
    # A household id Excel would evaluate, in both rounds: the report's CSV neutralises it.
    for result in results:
        text = result.read_text(encoding="utf-8-sig")
        assert "\nH000001," in text
        result.write_text(text.replace("\nH000001,", '\n"=HYPERLINK(""x"")",', 1), encoding="utf-8-sig")
    code, _, err = run("transitions", str(results[0]), str(results[1]), "-o", str(report))
    assert code in (0, 1), err
    ids = [r.get("id") or r.get("household_id") for r in read_csv(report)]
    assert '\'=HYPERLINK("x")' in ids, ids[:3]


def test_ctrl_c_while_the_program_starts_is_exit_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C before a command's own handling (while the libraries load) ends with 130 and one line."""
    from classifier import cli

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(SystemExit) as stopped:
        cli.run()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "interrupted: nothing was written\n"


@pytest.mark.slow  # a real process or a large file: runs in .ci/run, not the fast suite
@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_size_limit_hit_mid_write_is_a_usage_error_in_a_real_process(
    tmp_path: Path, engine: str
) -> None:
    """A real write failure, injected without root: the child runs under a 20 kB file size limit
    (RLIMIT_FSIZE, SIGXFSZ ignored), so writing the results (durable) or DuckDB's work database
    (batch) fails with EFBIG part-way. Exit 2 with advice, not 'a bug'; nothing left behind."""
    import resource

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    work = tmp_path / "tmp"
    work.mkdir()
    out = tmp_path / "ket-qua.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "classifier",
            "classify",
            str(HOUSEHOLDS),
            "--members",
            str(MEMBERS),
            "-o",
            str(out),
            "--engine",
            engine,
            "--quiet",
        ],
        preexec_fn=limited,  # only resource limits and a signal disposition, before exec
        env={**os.environ, "TMPDIR": str(work)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "file grew beyond the size allowed" in done.stderr and "internal error" not in done.stderr
    assert not out.exists() and _parts(tmp_path) == []
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_an_output_that_is_a_pipe_or_read_only_is_refused(
    inputs: tuple[Path, Path], tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result is renamed over -o: a named pipe (or a device) there would be replaced, and a file
    made read-only on purpose overwritten. Both are refused before the run (exit 2), left as they were."""
    households, members = inputs
    fifo = tmp_path / "ong.csv"
    os.mkfifo(fifo)
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(fifo), "--engine", engine
    )
    assert code == 2 and "not a regular file" in err, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    kept = tmp_path / "giu.csv"
    kept.write_text("kept\n", encoding="utf-8")
    kept.chmod(0o444)
    if os.geteuid() == 0:  # root may write anything: make the permission test answer as for a user
        real_access = os.access
        monkeypatch.setattr(
            os,
            "access",
            lambda p, m, **k: False if Path(str(p)) == kept and m & os.W_OK else real_access(p, m),
        )
    code, _, err = run(
        "classify", str(households), "--members", str(members), "-o", str(kept), "--engine", engine
    )
    assert code == 2 and "is read-only" in err, err
    assert kept.read_text(encoding="utf-8") == "kept\n"
