"""Uploaded survey files: kept under DATA_DIR/uploads until imported, with the column-mapping step.

The mapping step shows every header of the households table with the field it will fill (as the
command line would read it) and lets the officer pick another field or ignore the column; the file is
then rewritten with the chosen canonical headers and imported by the register, so the web and the
command line read a file the same way.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

import attrs

from classifier.errors import InputError
from classifier.io.admin import admin_catalogue
from classifier.io.columns import FLAG_PREFIX, STRUCTURAL_HOUSEHOLD
from classifier.io.readers import HOUSEHOLD_SHEETS, csv_delimiter, find_sheet
from classifier.io.survey import survey_columns
from classifier.rules.ruleset import RuleSet

__all__ = ["IGNORE", "MAX_BYTES", "Upload", "choices", "read_headers", "rewrite", "save_upload"]

IGNORE = "-"
MAX_BYTES = 50 * 1024 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SUFFIXES = (".xlsx", ".csv", ".json", ".jsonl")


@attrs.frozen
class Upload:
    """One uploaded file (and its members file) waiting for the mapping step."""

    token: str
    folder: Path
    households: Path
    members: Path | None

    @property
    def mappable(self) -> bool:
        return self.households.suffix.lower() in (".xlsx", ".csv")


def _safe_name(name: str, default: str) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"{name or 'the file'}: expected an Excel (.xlsx), CSV, JSON or JSON Lines file")
    return default + suffix


def save_upload(data_dir: Path, households: tuple[str, bytes], members: tuple[str, bytes] | None) -> Upload:
    """Keep the uploaded bytes under a random token (the person's file names are not kept)."""
    token = secrets.token_urlsafe(18)
    folder = data_dir / "uploads" / token
    folder.mkdir(parents=True, mode=0o700)
    paths: list[Path | None] = []
    for item, base in ((households, "households"), (members, "members")):
        if item is None or not item[1]:
            paths.append(None)
            continue
        name, content = item
        if len(content) > MAX_BYTES:
            raise InputError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB")
        path = folder / _safe_name(name, base)
        path.write_bytes(content)
        paths.append(path)
    if paths[0] is None:
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError("no households file was sent")
    return Upload(token, folder, paths[0], paths[1])


def find_upload(data_dir: Path, token: str) -> Upload:
    """The upload ``token`` (InputError when unknown or already imported)."""
    folder = data_dir / "uploads" / token
    if not _TOKEN.match(token) or not folder.is_dir():
        raise InputError("this upload is unknown or was already imported: send the file again")
    households = next((p for p in folder.iterdir() if p.stem == "households"), None)
    if households is None:
        raise InputError("this upload is unknown or was already imported: send the file again")
    members = next((p for p in folder.iterdir() if p.stem == "members"), None)
    return Upload(token, folder, households, members)


def read_headers(upload: Upload) -> list[str]:
    """The header row of the households table."""
    path = upload.households
    if path.suffix.lower() == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        return next(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text.split("\n", 1)[0])), [])
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = find_sheet(workbook, HOUSEHOLD_SHEETS) or workbook.worksheets[0]
        first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        return ["" if cell is None else str(cell) for cell in first]
    finally:
        workbook.close()


def choices(ruleset: RuleSet, rules_root: Path | None = None) -> list[tuple[str, str]]:
    """(canonical header, label) of every field a households column may fill (flags: of every standard
    under ``rules_root``, the folder ``ruleset`` comes from)."""
    out: list[tuple[str, str]] = [(name, name) for name in STRUCTURAL_HOUSEHOLD]
    out += [(n, f"{n} — {s.label_vi or ''}") for n, s in ruleset.facts.household.items() if not s.derived]
    out += [(n, f"{n} — {s.label_vi or ''}") for n, s in admin_catalogue().household.items()]
    out += [("area", "area — khu vực (rural/urban)")] if "area" not in dict(out) else []
    out += [(FLAG_PREFIX + k, FLAG_PREFIX + k) for k in sorted(survey_columns(rules_root)[1])]
    first: dict[str, str] = {}  # each field once, with its first label
    for value, label in out:
        first.setdefault(value, label)
    return list(first.items())


def default_target(header: str, rules_root: Path | None = None) -> str | None:
    """The canonical header the command line would read ``header`` as under ``rules_root`` (None: not a
    known field)."""
    target = survey_columns(rules_root)[0].household_target(header)
    if target is None:
        return None
    return FLAG_PREFIX + target.name if target.kind == "flag" else target.name


def rewrite(upload: Upload, mapping: Sequence[str]) -> Path:
    """A copy of the households table with the chosen headers; ignored columns removed."""
    keep = [i for i, m in enumerate(mapping) if m != IGNORE]
    headers = [mapping[i] for i in keep]
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise InputError(
            f"two columns are mapped to {', '.join(duplicates)}: map one of them to another "
            "field or ignore it"
        )
    source = upload.households
    target = upload.folder / f"mapped{source.suffix.lower()}"
    if source.suffix.lower() == ".csv":
        text = source.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text.split("\n", 1)[0])))
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows[1:]:
                writer.writerow([row[i] if i < len(row) else "" for i in keep])
        return target
    from openpyxl import Workbook, load_workbook

    workbook = load_workbook(source, read_only=True, data_only=True)
    out = Workbook(write_only=True)
    try:
        households = find_sheet(workbook, HOUSEHOLD_SHEETS) or workbook.worksheets[0]
        for sheet in workbook.worksheets:
            copy = out.create_sheet(sheet.title)
            for index, row in enumerate(sheet.iter_rows(values_only=True)):
                if sheet is households:
                    copy.append(headers if index == 0 else [row[i] if i < len(row) else None for i in keep])
                else:
                    copy.append(list(row))
    finally:
        workbook.close()
    out.save(target)
    return target


def discard(upload: Upload) -> None:
    """Remove an imported upload (the register keeps the answers, not the file)."""
    shutil.rmtree(upload.folder, ignore_errors=True)
