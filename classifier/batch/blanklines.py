"""Empty lines in a CSV: DuckDB skips them, the per-record reader counts them as (spacer) rows.

Both paths must report the same row number for a record, so a CSV that contains a truly empty line
is first copied, with each empty line written as a row of empty cells: DuckDB then counts it like
the reader does and the blank-row filter drops it. Files without empty lines (the usual case) are
only scanned, in large blocks, never copied.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from classifier.batch.sources import _csv_header

__all__ = ["has_empty_lines", "without_empty_lines"]

_EMPTY_LINE = re.compile(rb"\n\r?\n")
_BLOCK = 16 * 1024 * 1024


def has_empty_lines(path: Path) -> bool:
    """True if the file has a line with nothing on it (a false alarm inside quotes is harmless).

    One regular-expression pass per 16 MB block read into one reused buffer (about twice as fast as
    searching each pattern in turn over copied windows). Not a memory map: its pages would count as
    the process's resident memory, gigabytes for a large file."""
    tail = b""
    with path.open("rb", buffering=0) as handle:
        # No larger than the file: zeroing 16 MB for a small file costs more than reading it.
        buffer = bytearray(max(1, min(_BLOCK, os.fstat(handle.fileno()).st_size)))
        view = memoryview(buffer)
        while size := handle.readinto(buffer):
            block = view[:size]
            if _EMPTY_LINE.search(block) or _EMPTY_LINE.search(tail + bytes(block[:2])):
                return True
            tail = (tail + bytes(block[max(0, size - 2) : size]))[-2:]  # the stream's last two bytes
    return False


def without_empty_lines(path: Path, workdir: Path) -> Path:
    """``path`` itself when it has no empty line, else a copy (same file name, so messages name the
    user's file) in ``workdir`` where each empty line is a row of empty cells."""
    if path.suffix.lower() != ".csv" or not has_empty_lines(path):
        return path
    header, delimiter = _csv_header(path)
    target_dir = workdir / f"normalised-{len(list(workdir.glob('normalised-*')))}"
    target_dir.mkdir(parents=True)
    target = target_dir / path.name
    with (
        path.open(encoding="utf-8-sig", newline="") as source,
        target.open("w", encoding="utf-8", newline="") as copy,
    ):
        writer = csv.writer(copy, delimiter=delimiter, lineterminator="\n")
        for row in csv.reader(source, delimiter=delimiter):
            writer.writerow(row if row else [""] * len(header))
    return target
