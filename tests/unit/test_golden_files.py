"""The golden cases through files (issue 7 item 7): every case of a standard written as one file in
each input form (CSV households + members, JSON Lines, XLSX with two sheets), classified by both
engines through classifier.runner.classify_file, must give each case's expected class, counts and
indicator verdicts, and the same output file (every column but ``engine``) from both engines and
all three forms. The cases themselves (cases/) run on typed households; this runs them through
reading, typing and writing as a user's file is.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from classifier.rules import load_ruleset
from classifier.rules.yamlload import load_yaml_file
from classifier.runner import classify_file

CASES = Path(__file__).resolve().parents[2] / "cases"
STANDARDS = sorted(p.name for p in CASES.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _cases(standard: str) -> list[dict[str, Any]]:
    """Every case of the standard's folder; its household made self-contained: a fresh unique id and
    the case's reference date as the record's own (unless the record already has one, which wins)."""
    found: list[dict[str, Any]] = []
    for path in sorted((CASES / standard).glob("*.yaml")):
        data, problems = load_yaml_file(path)
        assert not problems, problems
        for raw in _plain(data):
            if raw.get("standard", standard) != standard:
                continue
            household = dict(raw["household"])
            household["id"] = f"C{len(found) + 1:04d}"
            household.setdefault("reference_date", str(raw["reference_date"]))
            found.append(
                {
                    "name": raw["name"],
                    "household": household,
                    "expect": raw["expect"],
                    "method": raw.get("method", "auto"),
                }
            )
    return found


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _tables(households: list[dict[str, Any]]) -> tuple[list[list[str]], list[list[str]]]:
    """(households table, members table) with a header row each, flags as deprivations.<id> columns."""
    hh_cols: dict[str, None] = {}
    mem_cols: dict[str, None] = {"household_id": None}
    for h in households:
        for key, value in h.items():
            if key == "deprivations":
                hh_cols.update({f"deprivations.{k}": None for k in value})
            elif key != "members":
                hh_cols[key] = None
        for member in h.get("members", []):
            mem_cols.update(dict.fromkeys(member))
    hh_rows = [list(hh_cols)]
    mem_rows = [list(mem_cols)]
    for h in households:
        flat = {**h, **{f"deprivations.{k}": v for k, v in h.get("deprivations", {}).items()}}
        hh_rows.append([_cell(flat[c]) if c in flat else "" for c in hh_cols])
        for member in h.get("members", []):
            row = {"household_id": h["id"], **member}
            mem_rows.append([_cell(row[c]) if c in row else "" for c in mem_cols])
    return hh_rows, mem_rows


def _write(tmp_path: Path, form: str, households: list[dict[str, Any]]) -> tuple[Path, Path | None]:
    hh_rows, mem_rows = _tables(households)
    if form == "jsonl":
        path = tmp_path / "cases.jsonl"
        path.write_text(
            "".join(json.dumps(h, ensure_ascii=False, default=str) + "\n" for h in households),
            encoding="utf-8",
        )
        return path, None
    if form == "csv":
        paths = tmp_path / "ho.csv", tmp_path / "thanh-vien.csv"
        for path, rows in zip(paths, (hh_rows, mem_rows), strict=True):
            with path.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows(rows)
        return paths
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "households"
    members = book.create_sheet("members")
    for target, rows in ((sheet, hh_rows), (members, mem_rows)):
        for row in rows:
            target.append(row)
    path = tmp_path / "cases.xlsx"
    book.save(path)
    return path, None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "engine"} for row in csv.DictReader(handle)]


def _check_expected(case: dict[str, Any], row: dict[str, str]) -> None:
    expect = case["expect"]
    where = f"{case['name']} ({row['id']})"
    assert row["error"] == "", f"{where}: {row['error']}"
    assert row["classification"] == expect["classification"], where
    for key in ("deprivation_count", "unknown_count"):
        if key in expect:
            assert row[key] == str(expect[key]), f"{where}: {key}"
    for indicator, verdict in (expect.get("indicators") or {}).items():
        shown = "" if verdict is None else ("1" if verdict else "0")
        assert row[indicator] == shown, f"{where}: {indicator}"
    if "possible_outcomes" in expect:
        got = {x for x in row["possible_outcomes"].split(";") if x}
        assert got == set(expect["possible_outcomes"]), f"{where}: possible_outcomes"


@pytest.mark.slow  # six files per standard through both engines: runs in .ci/run, not the fast suite
@pytest.mark.parametrize("standard", STANDARDS)
def test_golden_cases_hold_through_every_file_form_on_both_engines(standard: str, tmp_path: Path) -> None:
    """Each case's expectation holds in the output file of CSV+members, JSON Lines and XLSX input, on
    the batch and durable engines, and all six output files are equal but for the engine column."""
    every = _cases(standard)
    assert every, f"no golden cases for {standard}"
    ruleset = load_ruleset(standard)
    for method in sorted({c["method"] for c in every}):  # a case's run option (--method)
        cases = [c for c in every if c["method"] == method]
        outputs: dict[tuple[str, str], list[dict[str, str]]] = {}
        for form in ("csv", "jsonl", "xlsx"):
            folder = tmp_path / method / form
            folder.mkdir(parents=True)
            source, members = _write(folder, form, [c["household"] for c in cases])
            for engine in ("batch", "durable"):
                out = folder / f"out-{engine}.csv"
                summary = classify_file(
                    source,
                    out,
                    ruleset=ruleset,
                    members_path=members,
                    reference_date=dt.date(2000, 1, 1),
                    engine=engine,
                    quiet=True,
                    method=method,
                )
                assert summary.read == len(cases) == summary.classified
                outputs[form, engine] = _rows(out)
        first = outputs["csv", "batch"]
        for key, rows in outputs.items():
            assert [{k: v for k, v in r.items() if k != "row"} for r in rows] == [
                {k: v for k, v in r.items() if k != "row"} for r in first
            ], (method, key)
        for case, row in zip(cases, first, strict=True):
            _check_expected(case, row)
