"""File formats from file names: one rule for every reader, writer and report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from classifier.errors import InputError

__all__ = ["format_from_name"]


def format_from_name(path: Path, fmt: str | None, formats: Mapping[str, str], what: str) -> str:
    """``fmt`` if given (checked against ``formats``' values), else the format of ``path``'s extension.

    ``formats`` maps extensions (".csv") to format names ("csv"); ``what`` names the file's role
    in messages ("input", "output", "report").
    """
    names = list(dict.fromkeys(formats.values()))
    if fmt is not None:
        if fmt not in names:
            raise InputError(f"unknown {what} format {fmt!r}: use one of {', '.join(names)}")
        return fmt
    found = formats.get(path.suffix.lower())
    if found is None:
        shown = list(formats)
        extensions = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
        raise InputError(
            f"cannot tell the {what} format of {path.name}: name it {extensions}, "
            "or give the format explicitly"
        )
    return found
