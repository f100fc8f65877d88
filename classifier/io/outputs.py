"""How a run's output files come into being: checked, locked, written aside, committed together.

One run writes a results file and an errors file. :class:`OutputFiles` guards them for both paths
(per-record and batch):

1. **Checks before anything is written.** An output that is an input (the households or the members
   file, also through a symlink or a hard link), an errors file that is the results file, a folder
   given as an output, a missing or read-only output folder: each is refused with an InputError
   (exit 2) that says what to do.
2. **A lock per target.** Each target ``results.csv`` has a sidecar ``.results.csv.lock`` in its folder,
   held with ``flock`` for the whole run. A second run writing the same file fails at once (exit 2)
   instead of waiting or overwriting: two runs must never leave a mixture. The kernel drops the lock
   when a process dies, even by SIGKILL, so a stale lock file never blocks anyone.
3. **Unique temporary files** ``.results.csv.<random>.part`` beside each target, so that no two runs
   share one. Once the lock is held, leftovers of an earlier, killed run on the same target are
   removed and said (see :attr:`OutputFiles.notices`).
4. **Commit together.** Only when every temporary file is complete are they given the mode a new
   file gets under the umask, flushed to disk and renamed over their targets: errors file first,
   results last, so a results file never stands beside another run's errors. On any failure or
   interrupt the temporary files are removed and the targets are left as they were.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from classifier.errors import InputError

__all__ = [
    "OutputFiles",
    "WorkFolder",
    "check_input_file",
    "check_members_file",
    "new_file_mode",
    "same_file",
    "write_file",
]

#: How many times the lock is retried when its file was replaced between open and lock.
_LOCK_TRIES = 5


def new_file_mode() -> int:
    """The mode ``open()`` would give a new file under the current umask (0o644 under umask 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name one file: same path after resolving links, or same inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_input_file(path: Path, what: str = "input file", regular: bool = False) -> None:
    """Refuse an input that does not exist or is a folder, with a message that says what to do; with
    ``regular``, also one that is not a regular file (a named pipe can be read only once)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be opened: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{what} {path} is a folder, not a file: name the file inside it")
    if regular and not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{what} {path} is not a regular file (a named pipe?): the batch pipeline reads its input more "
            "than once; save it to a file first, or use the per-record path (--engine durable)"
        )


def check_members_file(households: Path, members: Path | None) -> None:
    """Refuse a members file that is the households file (same path, symlink or hard link): read as
    members, a households table fails only later and obscurely ("no household_id column")."""
    if members is not None and same_file(Path(households), Path(members)):
        raise InputError(
            f"--members {members} is the households file {households}: give the members file "
            "(one row per person, with household_id) as --members, or leave --members out"
        )


class OutputFiles:
    """Guard for the output files of one run; use as a context manager.

    ``targets`` are the files to write, results first (``None`` entries are skipped); ``inputs`` the
    files read (households, members), which no target may be. Inside the ``with`` block ask
    :meth:`temp` for each target's temporary path, write it, then call :meth:`commit`.
    """

    def __init__(self, targets: Sequence[Path | None], inputs: Sequence[Path | None] = ()) -> None:
        self.targets = [Path(t) for t in targets if t is not None]
        self.inputs = [Path(i) for i in inputs if i is not None]
        self.notices: list[str] = []
        self._temps: dict[Path, Path] = {}
        self._dropped: list[Path] = []
        self._locks: list[tuple[Path, int]] = []

    # -- checks ------------------------------------------------------------------------------------

    def check(self) -> None:
        """Every refusal that can be decided before writing (see the module docstring)."""
        for target in self.targets:
            for source in self.inputs:
                if same_file(target, source):
                    raise InputError(
                        f"{target} is the input file {source}: writing it would destroy the data; "
                        "choose another output name"
                    )
            if target.is_dir():
                raise InputError(f"output {target} is a folder: name a file, e.g. {target / 'ket-qua.csv'}")
            if target.exists():
                mode = target.stat().st_mode
                if not stat.S_ISREG(mode):
                    # The finished file is renamed over the target: a device or a pipe would be replaced,
                    # not written to.
                    raise InputError(
                        f"output {target} exists and is not a regular file (a device, a pipe...): "
                        "name a file in a folder"
                    )
                if not os.access(target, os.W_OK):
                    raise InputError(
                        f"output {target} is read-only: make it writable, or choose another output name"
                    )
            folder = target.parent
            if not folder.is_dir():
                raise InputError(f"output folder does not exist: {folder} (create it first)")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise InputError(
                    f"output folder {folder} is not writable for this user: choose another folder "
                    "or ask for write permission"
                )
        for i, a in enumerate(self.targets):
            for b in self.targets[i + 1 :]:
                if same_file(a, b):
                    raise InputError(
                        f"the errors file and the results file are both {a}: give --errors another name"
                    )

    # -- lock and temporary files ------------------------------------------------------------------

    def __enter__(self) -> OutputFiles:
        self.check()
        try:
            for target in sorted(self.targets, key=lambda t: os.path.realpath(t)):
                self._lock(target)
                self._remove_leftovers(target)
        except BaseException:
            self._release()
            raise
        return self

    def _lock_path(self, target: Path) -> Path:
        real = Path(os.path.realpath(target))
        return real.with_name(f".{real.name}.lock")

    def _lock(self, target: Path) -> None:
        path = self._lock_path(target)
        for _ in range(_LOCK_TRIES):
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise InputError(
                        f"another chuan-ngheo run is writing {target} right now: wait for it to finish, "
                        "or give this run another output name (-o)"
                    ) from None
                raise
            # The holder before us may have removed the lock file after we opened it: then our lock
            # is on a file nobody else will ever look at. Lock the current one instead.
            try:
                current = os.stat(path)
            except FileNotFoundError:
                os.close(fd)
                continue
            mine = os.fstat(fd)
            if (current.st_dev, current.st_ino) != (mine.st_dev, mine.st_ino):
                os.close(fd)
                continue
            self._locks.append((path, fd))
            return
        raise InputError(f"could not lock {target}: another run keeps replacing its lock file")

    def _remove_leftovers(self, target: Path) -> None:
        """Temporary files of ``target`` left by a killed run (nobody else can own them: we hold the lock)."""
        folder = target.parent
        # mkstemp's 8 random characters, or no infix at all (the fixed names of earlier versions).
        pattern = re.compile(rf"\.{re.escape(target.name)}(\.[a-z0-9_]{{8}})?\.part(\.body)?")
        prefix = f".{target.name}."
        found = [
            folder / name
            for name in os.listdir(folder)
            if name.startswith(prefix) and pattern.fullmatch(name) and (folder / name).is_file()
        ]
        removed = 0
        for leftover in found:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed += 1
        if removed:
            self.notices.append(
                f"removed {removed} temporary file(s) of {target.name} left by an interrupted earlier run"
            )

    def temp(self, target: Path) -> Path:
        """A new, empty, uniquely named temporary file beside ``target`` (created now, mode 0600)."""
        target = Path(target)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
        if target in self._temps:  # asked twice: the earlier one is dropped at the end
            self._dropped.append(self._temps[target])
        self._temps[target] = Path(name)
        return Path(name)

    # -- commit ------------------------------------------------------------------------------------

    def commit(self) -> None:
        """Move every temporary file over its target: errors first, results last (``targets[0]``)."""
        mode = new_file_mode()
        order = [t for t in self.targets[1:] if t in self._temps]
        if self.targets and self.targets[0] in self._temps:
            order.append(self.targets[0])
        for target in order:
            tmp = self._temps[target]
            os.chmod(tmp, mode)
            _fsync_file(tmp)
        for target in order:
            os.replace(self._temps.pop(target), target)
        for folder in {t.parent for t in order}:
            _fsync_dir(folder)

    def abort(self) -> None:
        """Remove the temporary files; the targets stay as they were."""
        for tmp in [*self._temps.values(), *self._dropped]:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._temps.clear()
        self._dropped.clear()

    def _release(self) -> None:
        for path, fd in reversed(self._locks):
            # Remove the lock file while still holding it (see _lock for the race this closes).
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            os.close(fd)
        self._locks.clear()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.abort()
        finally:
            self._release()


def write_file(path: Path, write: Callable[[Path], object], inputs: Sequence[Path | None] = ()) -> None:
    """Write one output file with :class:`OutputFiles`' guarantees: ``path`` may not be one of
    ``inputs``, it is locked for the write, ``write`` fills a uniquely named temporary file beside it,
    which gets the umask's mode and is renamed over ``path`` only when complete (removed on any failure
    or interrupt). Used by the report and papers writers."""
    with OutputFiles([Path(path)], inputs) as files:
        write(files.temp(Path(path)))
        files.commit()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        _fsync_file(folder)


# -- work folders of the batch engine ----------------------------------------------------------------

WORK_PREFIX = "chuan-ngheo-batch-"


class WorkFolder:
    """A private work folder (``chuan-ngheo-batch-*`` in ``parent``, default the system temp folder),
    held with a lock for as long as the run lives; removed on exit, interrupted or not.

    A run killed outright (SIGKILL, power cut) cannot remove its folder, but the kernel releases its
    lock: the next run removes every such folder whose lock it can take, and says so in
    :attr:`notices`. A folder is locked before it gets its ``chuan-ngheo-batch-`` name (it is made
    under another name and renamed), so a folder that is just being set up is never taken for stale.
    """

    def __init__(self, parent: str | Path | None = None) -> None:
        self.parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        self.notices: list[str] = []
        self.path = Path()
        self._fd = -1

    def __enter__(self) -> Path:
        self._sweep()
        fresh = Path(tempfile.mkdtemp(prefix="chuan-ngheo-new-", dir=self.parent))
        self._fd = os.open(fresh / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new and private: cannot be held
        self.path = fresh.with_name(WORK_PREFIX + fresh.name[len("chuan-ngheo-new-") :])
        os.rename(fresh, self.path)
        return self.path

    def _sweep(self) -> None:
        removed = 0
        try:
            candidates = [p for p in self.parent.iterdir() if p.name.startswith(WORK_PREFIX)]
        except OSError:
            return
        for folder in candidates:
            try:
                fd = os.open(folder / "lock", os.O_RDWR | os.O_CLOEXEC)
            except OSError:
                continue  # no lock file: not ours to judge (an older version's folder, or not a folder)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # a live run holds it
            try:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
            finally:
                os.close(fd)
        if removed:
            self.notices.append(
                f"removed {removed} work folder(s) in {self.parent} left by interrupted earlier runs"
            )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            shutil.rmtree(self.path, ignore_errors=True)
        finally:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
