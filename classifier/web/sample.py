"""The bundled sample commune, for `chuan-ngheo serve --sample` and the browser tests.

``sample_workbook`` writes the sample's two CSV tables as one Excel workbook (sheets ``households``
and ``members``), as a commune would keep them; ``open_sample_round`` opens round 2026 with it.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from classifier.data import sample_path
from classifier.register import Register

__all__ = ["SAMPLE_ROUND", "open_sample_round", "sample_workbook"]

SAMPLE_ROUND = "2026"
#: The sample's own reference date (every record carries it; see classifier/data/sample/README.md).
SAMPLE_REFERENCE_DATE = dt.date(2026, 11, 1)


def sample_workbook(path: Path) -> Path:
    """The bundled sample as an .xlsx workbook at ``path``."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet_name, file_name in (("households", "households.csv"), ("members", "members.csv")):
        sheet = workbook.create_sheet(sheet_name)
        with sample_path(file_name).open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def open_sample_round(register: Register, who: str = "sample") -> str | None:
    """Round 2026 with the sample commune, imported and classified, when the register has no round."""
    if register.rounds():
        return None
    register.new_round(SAMPLE_ROUND, year=2026, reference_date=SAMPLE_REFERENCE_DATE, who=who)
    summary = register.import_file(SAMPLE_ROUND, sample_path("commune.json"), who=who)
    classified = register.classify(SAMPLE_ROUND, who=who)
    return (
        f"opened round {SAMPLE_ROUND} with the bundled sample: {summary.added} households imported, "
        f"{classified.classified} classified"
    )
