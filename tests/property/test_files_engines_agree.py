"""Both engines agree on messy files (issue 7 item 7), not only on typed households.

Hypothesis writes small survey files the way they arrive from communes: households and members
CSV (or the same records as JSON Lines) with the contract's spellings and their near misses, blank
cells, ragged rows, repeated and NFD-spelled ids, impossible and out-of-range dates, members of
unknown households. The streaming batch pipeline and the per-record durable path must write the
same output file, every column but ``engine``, and count read = classified + errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.rules import load_ruleset
from classifier.runner import classify_file

RULESET = load_ruleset("nd-07-2021")
REF = dt.date(2026, 11, 1)
_ANY = st.text(alphabet=["0", "1", "5", ".", ",", " ", "-", "/", "a", "đ", "x"], max_size=6)

HH_CELLS: dict[str, st.SearchStrategy[str]] = {
    "id": st.sampled_from(["H1", "H2", "H3", "H4", " H1", "HĐ1", "HĐ1".replace("Đ", "D\u0304"), ""]),
    "area": st.sampled_from(["rural", "urban", "Nông thôn", "nong thon", "THÀNH THỊ", "", "x"]),
    "income_per_capita_month": st.sampled_from(
        [
            "1500000",
            "1.500.000",
            "1,500,000",
            "1500000,5",
            "1.500",
            "2000000",
            "",
            "-5",
            "1e6",
            "1500000.0000000001",
            "1 500 000",
            "9" * 30,
        ]
    ),
    "income_total_month": st.sampled_from(["", "", "", "6000000", "6.000.001", "abc"]),
    "member_count": st.sampled_from(["", "", "3", "0", "2.0", "99999999999999999999"]),
    "floor_area_m2": st.sampled_from(["", "30", "7,5", "25.5", "8", "-1"]) | _ANY,
    "walls_durable": st.sampled_from(["true", "false", "Có", "không", "khong", "1", "0", "x", "", " TRUE "]),
    "water_source": st.sampled_from(
        [
            "piped",
            "nước máy",
            "nuoc may",
            "nu\u031bo\u031b\u0301c ma\u0301y",
            "Nước Mưa",
            "rainwater",
            "",
            "well",
        ]
    ),
    "reference_date": st.sampled_from(["", "", "2026-11-01", "01/11/2026", "31/02/2026", "2026-13-01"]),
    "deprivations.employment": st.sampled_from(["", "", "true", "0", "có", "maybe"]),
}
MEM_CELLS: dict[str, st.SearchStrategy[str]] = {
    "household_id": st.sampled_from(["H1", "H2", "H3", "H4", "H9", ""]),
    "id": st.sampled_from(["a", "b", "a", ""]),
    "birth_date": st.sampled_from(
        [
            "",
            "1990-05-01",
            "01/05/2015",
            "0000-01-01",
            "2026-11-02",
            "1890-01-01",
            "1896-11-01",
            "29/02/2023",
            "2020-02-29",
        ]
    ),
    "age": st.sampled_from(["", "", "40", "131", "-1", "7"]),
    "has_health_insurance": st.sampled_from(["", "true", "false", "không", "x"]),
    "in_school": st.sampled_from(["", "true", "false"]),
}


@st.composite
def _table(draw: Callable[..., Any], cells: dict[str, st.SearchStrategy[str]], rows: int) -> list[list[str]]:
    """A header and ``rows`` rows; now and then a row one cell short or one cell long."""
    header = list(cells)
    out = [header]
    for _ in range(rows):
        row = [draw(strategy) for strategy in cells.values()]
        ragged = draw(st.integers(0, 9))
        if ragged == 0:
            row = row[:-1]
        elif ragged == 1:
            row = [*row, draw(_ANY)]
        out.append(row)
    return out


@st.composite
def _files(draw: Callable[..., Any]) -> tuple[str, list[list[str]], list[list[str]]]:
    households = draw(_table(HH_CELLS, draw(st.integers(1, 6))))
    members = draw(_table(MEM_CELLS, draw(st.integers(0, 8))))
    return draw(st.sampled_from(["csv", "jsonl"])), households, members


def _write(
    folder: Path, form: str, households: list[list[str]], members: list[list[str]]
) -> tuple[Path, Path | None]:
    if form == "csv":
        paths = folder / "ho.csv", folder / "tv.csv"
        for path, rows in zip(paths, (households, members), strict=True):
            with path.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows(rows)
        return paths
    # JSON Lines: the same rows as objects of text, members nested by household id, flags nested.
    header, member_header = households[0], members[0]
    lines = []
    for row in households[1:]:
        record: dict[str, Any] = {}
        for key, value in zip(header, row, strict=False):
            if key.startswith("deprivations."):
                record.setdefault("deprivations", {})[key.split(".", 1)[1]] = value
            elif value:
                record[key] = value
        nested = [
            {k: v for k, v in zip(member_header[1:], m[1:], strict=False) if v}
            for m in members[1:]
            if m and m[0] == record.get("id")
        ]
        if nested:
            record["members"] = nested
        lines.append(json.dumps(record, ensure_ascii=False))
    path = folder / "ho.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "engine"} for row in csv.DictReader(handle)]


@pytest.mark.slow  # a real process or a large file: runs in .ci/run, not the fast suite
@settings(max_examples=max(15, settings().max_examples // 12))
@given(_files())
def test_messy_files_give_the_same_output_on_both_engines(
    files: tuple[str, list[list[str]], list[list[str]]],
) -> None:
    """15 messy files in the ci profile (400 in the long one); outputs equal but for ``engine``."""
    import tempfile

    form, households, members = files
    with tempfile.TemporaryDirectory() as folder:
        source, member_file = _write(Path(folder), form, households, members)
        outputs = []
        for engine in ("batch", "durable"):
            out = Path(folder) / f"out-{engine}.csv"
            summary = classify_file(
                source,
                out,
                ruleset=RULESET,
                members_path=member_file,
                reference_date=REF,
                engine=engine,
                quiet=True,
            )
            assert summary.read == summary.classified + summary.errored
            outputs.append(_rows(out))
        assert outputs[0] == outputs[1]
