"""Data files shipped with the package (package data): the synthetic sample commune.

>>> sample_path("commune.json").name
'commune.json'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE_DIR", "sample_path"]

#: Folder of the bundled sample commune (see sample/README.md).
SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def sample_path(name: str) -> Path:
    """Path of one file of the sample commune, e.g. ``sample_path("households.csv")``.

    Raises FileNotFoundError for a name that is not part of the sample, listing the files that are.
    """
    path = SAMPLE_DIR / name
    if not path.is_file() or path.parent != SAMPLE_DIR:
        known = sorted(p.name for p in SAMPLE_DIR.iterdir() if p.is_file() and p.name != "README.md")
        raise FileNotFoundError(f"no sample file {name!r}; the sample has: {', '.join(known)}")
    return path
