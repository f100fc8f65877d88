"""Writing results: columns per standard, CSV with BOM, JSON Lines with trace, XLSX, atomic replace."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest

from classifier.api import classify, load_standard
from classifier.errors import RecordError
from classifier.io import ResultWriter, parse_records, read_records, result_columns
from classifier.io.writers import CANNOT_CLASSIFY_VI, format_income, record_place
from classifier.model import Classification, Household

RULESET = load_standard("nd-07-2021")
KEYS = frozenset(RULESET.indicator_ids)

# A household with every indicator pre-decided: deprived on employment only.
FLAGGED = Household(
    id="H1",
    area="rural",
    income_per_capita_month=1_400_000,
    flags={k: k == "employment" for k in RULESET.indicator_ids},
)
# No flags, no members: every indicator unknown, so the class cannot be decided.
UNKNOWN = Household(id="H2", area="urban", income_per_capita_month=1_900_000)
ERRORS = [
    RecordError("H3", "area", "city", "one of rural, urban", row=4, source="in.csv"),
    RecordError("H3", "income_per_capita_month", "-1", "a number of at least 0", row=4, source="in.csv"),
]


def result(household: Household, trace: bool = False) -> Classification:
    return classify(household, RULESET, trace=trace)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_columns_follow_the_rule_set_so_another_standard_gets_its_own() -> None:
    """Indicator columns are the rule set's indicator ids, between the fixed leading and trailing columns."""
    columns = result_columns(RULESET)
    assert columns[:10] == (
        "id",
        "row",
        "province",
        "commune",
        "village",
        "classification",
        "classification_vi",
        "income_per_capita_month",
        "deprivation_count",
        "unknown_count",
    )
    assert columns[10:22] == RULESET.indicator_ids and columns[-1] == "error"
    fewer = attrs.evolve(RULESET, indicators=RULESET.indicators[:3])
    assert result_columns(fewer)[10:13] == RULESET.indicator_ids[:3]
    assert "telecom" not in result_columns(fewer)


def test_csv_starts_with_a_bom_and_writes_one_zero_and_blank(tmp_path: Path) -> None:
    """CSV output has a BOM (Excel reads Vietnamese right) and indicators as 1 / 0 / blank for unknown."""
    target = tmp_path / "ket-qua.csv"
    with ResultWriter(target, RULESET) as out:
        out.write_result(result(FLAGGED), row=2)
        out.write_result(result(UNKNOWN), row=3)
        out.write_errors(ERRORS, record_id="H3", row=4)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    flagged, unknown, _ = read_csv(target)
    assert list(flagged) == list(result_columns(RULESET))
    assert (flagged["id"], flagged["row"]) == ("H1", "2")
    assert (flagged["employment"], flagged["nutrition"]) == ("1", "0")
    assert flagged["classification_vi"] == RULESET.classes[flagged["classification"]].label_vi
    assert flagged["deprivation_count"] == "1" and flagged["unknown_count"] == "0"
    assert len(flagged["rules_digest"]) == 12 and RULESET.digest.startswith(flagged["rules_digest"])
    assert flagged["standard"] == "nd-07-2021" and flagged["error"] == ""
    assert unknown["classification"] == "khong_du_du_lieu"
    assert unknown["classification_vi"] == CANNOT_CLASSIFY_VI
    assert unknown["employment"] == "" and unknown["unknown_count"] == "12"
    assert set(unknown["possible_outcomes"].split(";")) >= {"can_ngheo"}
    assert unknown["missing_fields"] != ""


def test_an_error_row_keeps_id_and_row_and_joins_every_message(tmp_path: Path) -> None:
    """A record that could not be classified gets a row: its id, row, empty class, all messages in 'error'."""
    target = tmp_path / "e.csv"
    with ResultWriter(target, RULESET) as out:
        out.write_errors(ERRORS, record_id="H3", row=4)
    (row,) = read_csv(target)
    assert (row["id"], row["row"], row["classification"], row["employment"]) == ("H3", "4", "", "")
    assert row["error"] == f"{ERRORS[0].message}; {ERRORS[1].message}"
    assert "'area' = 'city': expected one of rural, urban" in row["error"]


def test_jsonl_writes_true_false_null_and_the_trace_on_request(tmp_path: Path) -> None:
    """JSON Lines keep types (true/false/null, lists) and, with trace=True, each result's trace."""
    target = tmp_path / "r.jsonl"
    with ResultWriter(target, RULESET, trace=True) as out:
        out.write_result(result(FLAGGED, trace=True), row=1)
        out.write_result(result(UNKNOWN, trace=True), row=2)
        out.write_errors(ERRORS, record_id="H3", row=3)
    flagged, unknown, error = (json.loads(line) for line in target.read_text(encoding="utf-8").splitlines())
    assert flagged["employment"] is True and flagged["nutrition"] is False and unknown["employment"] is None
    assert flagged["provisional"] is False and isinstance(unknown["possible_outcomes"], list)
    assert flagged["trace"]["household_id"] == "H1" and flagged["trace"]["rules_digest"] == RULESET.digest
    assert error["classification"] is None and error["id"] == "H3"
    assert [e["field"] for e in error["errors"]] == ["area", "income_per_capita_month"]


def test_jsonl_has_no_trace_unless_asked(tmp_path: Path) -> None:
    """The trace is large; it is written only when asked for."""
    target = tmp_path / "r.jsonl"
    with ResultWriter(target, RULESET) as out:
        out.write_result(result(FLAGGED, trace=True))
    assert "trace" not in json.loads(target.read_text(encoding="utf-8"))


def test_xlsx_round_trip_keeps_values_and_text_that_looks_like_a_formula(tmp_path: Path) -> None:
    """An XLSX result reads back with the same header and values; an id starting with '=' stays text."""
    target = tmp_path / "ket-qua.xlsx"
    formula_like = attrs.evolve(FLAGGED, id="=1+1")
    with ResultWriter(target, RULESET) as out:
        out.write_result(result(formula_like), row=2)
        out.write_errors(ERRORS, record_id="H3", row=3)
    workbook = openpyxl.load_workbook(target)
    rows = list(workbook["results"].iter_rows(values_only=True))
    workbook.close()
    header, flagged, error = rows
    assert header == result_columns(RULESET)
    got = dict(zip(header, flagged, strict=True))
    assert got["id"] == "=1+1" and got["row"] == 2 and got["employment"] == 1 and got["nutrition"] == 0
    assert got["classification_vi"] == RULESET.classes[got["classification"]].label_vi
    failed = dict(zip(header, error, strict=True))
    assert failed["classification"] is None and "expected one of rural, urban" in failed["error"]


def test_an_interrupted_write_leaves_no_target_and_no_temporary_file(tmp_path: Path) -> None:
    """An exception before close() removes the temporary file; the target never appears half-written."""
    for name in ("r.csv", "r.jsonl", "r.xlsx"):
        target = tmp_path / name
        with pytest.raises(RuntimeError), ResultWriter(target, RULESET) as out:
            out.write_result(result(FLAGGED), row=1)
            raise RuntimeError("interrupted")
        assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_rewrite_leaves_the_previous_result_intact(tmp_path: Path) -> None:
    """Re-running over an existing result and failing keeps the old, complete file untouched."""
    target = tmp_path / "r.csv"
    target.write_text("previous complete result\n", encoding="utf-8")
    writer = ResultWriter(target, RULESET)
    writer.write_result(result(FLAGGED), row=1)
    assert target.read_text(encoding="utf-8") == "previous complete result\n"
    writer.abort()
    assert target.read_text(encoding="utf-8") == "previous complete result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_every_input_record_appears_exactly_once_in_the_output(tmp_path: Path) -> None:
    """Read, type, classify, write: each input record gives one output row, classified or with its errors."""
    households = (
        "id,area,income_per_capita_month,deprivations.employment\n"
        "A,rural,1400000,1\n"  # classified
        "B,city,1400000,\n"  # bad area
        "A,rural,1400000,\n"  # duplicate id
        "C,urban,2.500.000,0\n"  # classified
        ",rural,1,\n"
    )  # no id
    members = "household_id,age\nA,40\nZ,30\n"  # Z has no household
    (tmp_path / "ho.csv").write_text(households, encoding="utf-8")
    (tmp_path / "tv.csv").write_text(members, encoding="utf-8")
    target = tmp_path / "out.csv"
    records = read_records(tmp_path / "ho.csv", members_path=tmp_path / "tv.csv")
    with ResultWriter(target, RULESET) as out:
        for record, typed in parse_records(records, catalogue=RULESET.facts, indicator_keys=KEYS):
            out.write(record, typed if isinstance(typed, list) else classify(typed, RULESET, trace=False))
    rows = read_csv(target)
    summary: list[tuple[Any, ...]] = [
        (r["id"], r["row"], r["classification"] != "", r["error"] != "") for r in rows
    ]
    assert summary == [
        ("A", "2", True, False),
        ("B", "3", False, True),
        ("A", "4", False, True),
        ("C", "5", True, False),
        ("", "6", False, True),
        ("Z", "3", False, True),
    ]
    assert "first used at row 2" in rows[2]["error"] and "household in ho.csv" in rows[5]["error"]


def test_income_text_is_digits_when_whole_and_an_exact_repr_otherwise() -> None:
    """The per-capita income is written exactly (no rounding: the law compares the exact figure), and
    the text of a non-whole figure reads back as the very same double."""
    assert format_income(1_450_000) == "1450000" and format_income(1_450_000.0) == "1450000"
    assert format_income(4_000_000 / 3) == "1333333.3333333333"
    assert float(format_income(4_000_000 / 3) or "") == 4_000_000 / 3
    assert format_income(None) is None
    with pytest.raises(TypeError):
        format_income(True)


def test_place_and_income_are_written_and_error_rows_keep_a_readable_place(tmp_path: Path) -> None:
    """Reports by village need every row's place: a classified row carries Household.place and the
    income compared with the line (a total divided by the members), an error row the place it had."""
    households = (
        "id,area,province,commune,village,income_total_month,member_count,deprivations.employment\n"
        'A,rural, Tỉnh A ,"Xã B, C",Thôn 1,4000000,3,1\n'
        "B,city,Tỉnh A,,Thôn 2,100,1,\n"
    )
    (tmp_path / "ho.csv").write_text(households, encoding="utf-8")
    target = tmp_path / "out.csv"
    with ResultWriter(target, RULESET) as out:
        for record, typed in parse_records(
            read_records(tmp_path / "ho.csv"), catalogue=RULESET.facts, indicator_keys=KEYS
        ):
            out.write(record, typed if isinstance(typed, list) else classify(typed, RULESET, trace=False))
    classified, failed = read_csv(target)
    place = (classified["province"], classified["commune"], classified["village"])
    assert place == ("Tỉnh A", "Xã B, C", "Thôn 1")
    assert classified["income_per_capita_month"] == "1333333.3333333333"
    assert (failed["province"], failed["commune"], failed["village"]) == ("Tỉnh A", "", "Thôn 2")
    assert failed["income_per_capita_month"] == "" and failed["error"] != ""


def test_record_place_keeps_only_readable_place_codes() -> None:
    """A place code given as a whole number is its digits (as in Household.place); a list is unreadable
    and left out rather than guessed."""
    assert record_place({"province": 79, "commune": ["x"], "village": "  "}) == {"province": "79"}
    assert record_place(None) == {}
