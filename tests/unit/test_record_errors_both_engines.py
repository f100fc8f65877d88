"""One bad record is that record's error, the same on both engines (issue 8, families 2 and 3).

Each test writes a small file, classifies it with the streaming batch pipeline and with the
per-record durable path (classifier.runner.classify_file), and checks that both outputs are equal
in every column but ``engine``, that read = classified + errors, and what the error says.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifier.errors import RecordError
from classifier.rules import default_rules_root, load_ruleset
from classifier.runner import classify_file

REF = dt.date(2026, 11, 1)
RULESET = load_ruleset("nd-07-2021")
HH_HEADER = "id,area,income_per_capita_month,floor_area_m2,walls_durable,water_source"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "engine"} for row in csv.DictReader(handle)]


def _both(tmp_path: Path, households: Path, members: Path | None = None, **kw: Any) -> list[dict[str, str]]:
    """Classify with both engines; assert equal outputs and a complete count; return the rows."""
    outputs = []
    for engine in ("batch", "durable"):
        out = tmp_path / f"out-{engine}.csv"
        summary = classify_file(
            households,
            out,
            ruleset=kw.get("ruleset", RULESET),
            members_path=members,
            reference_date=REF,
            engine=engine,
            quiet=True,
            rules_root=kw.get("rules_root"),
        )
        assert summary.engine == ("batch" if engine == "batch" else "durable")
        assert summary.read == summary.classified + summary.errored
        outputs.append(_rows(out))
    assert outputs[0] == outputs[1]
    return outputs[0]


def _members_file(tmp_path: Path, birth_dates: list[str]) -> tuple[Path, Path]:
    households = tmp_path / "ho.csv"
    households.write_text(
        HH_HEADER + "\n" + "".join(f"H{i},rural,2000000,30,true,piped\n" for i in range(len(birth_dates))),
        encoding="utf-8",
    )
    members = tmp_path / "tv.csv"
    members.write_text(
        "household_id,id,birth_date\n" + "".join(f"H{i},m{i},{d}\n" for i, d in enumerate(birth_dates)),
        encoding="utf-8",
    )
    return households, members


def test_a_member_born_in_year_zero_is_a_record_error_on_both_engines(tmp_path: Path) -> None:
    """`0000-01-01` was typed by DuckDB (batch exit 0) and refused by Python (durable exit 1)."""
    rows = _both(tmp_path, *_members_file(tmp_path, ["0000-01-01", "1990-05-01"]))
    assert "members[1].birth_date" in rows[0]["error"] and "year 0" in rows[0]["error"]
    assert rows[0]["classification"] == ""
    assert rows[1]["error"] == "" and rows[1]["classification"]


def test_birth_dates_after_the_reference_date_or_beyond_the_age_cap_are_refused(tmp_path: Path) -> None:
    """A negative age or one above the stated-age cap (130) is the member's error; 130 exactly is not."""
    dates = ["2026-11-02", "1895-11-01", "1896-11-01", "2026-11-01", "26/11/1895"]
    rows = _both(tmp_path, *_members_file(tmp_path, dates))
    assert "not after the reference date 2026-11-01" in rows[0]["error"]
    assert "age of at most 130" in rows[1]["error"]
    assert rows[2]["error"] == "" and rows[3]["error"] == ""  # exactly 130; born on the reference day
    assert rows[4]["error"] == ""  # 130 years and 340 days: still 130 completed years


def test_a_repeated_json_key_is_a_record_error(tmp_path: Path) -> None:
    """The batch engine used to keep the first value, the durable engine the last."""
    base = {"id": "H1", "area": "rural", "income_per_capita_month": 2000000}
    first = json.dumps(base)
    lines = [
        first[:-1] + ', "area": "urban"}',
        json.dumps({**base, "id": "H2", "members": [{"id": "a", "age": 3}]})[:-3] + ', "age": 30}]}',
        json.dumps({**base, "id": "H3", "deprivations": {"employment": True}})[:-2]
        + ', "employment": false}}',
        json.dumps({**base, "id": "H4"}),
    ]
    path = tmp_path / "ho.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _both(tmp_path, path)
    assert [r["id"] for r in rows] == ["H1", "H2", "H3", "H4"]
    assert "field 'area' = 'urban'" in rows[0]["error"] and "repeated" in rows[0]["error"]
    assert "field 'age' = 30" in rows[1]["error"]
    assert "field 'employment' = False" in rows[2]["error"]
    assert rows[3]["error"] == ""


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_ids_differing_only_in_unicode_form_are_duplicates(tmp_path: Path, fmt: str) -> None:
    """`HĐ-Ộ` typed as NFC and as NFD looks the same to a person: the second is a repeated id."""
    nfc, nfd = "H-Ộ1", "H-O\u0323\u03021"
    if fmt == "csv":
        path = tmp_path / "ho.csv"
        path.write_text(
            f"{HH_HEADER}\n{nfc},rural,2000000,30,true,piped\n{nfd},rural,1,30,true,piped\n", encoding="utf-8"
        )
    else:
        path = tmp_path / "ho.jsonl"
        path.write_text(
            "".join(
                json.dumps({"id": i, "area": "rural", "income_per_capita_month": 5}) + "\n"
                for i in (nfc, nfd)
            ),
            encoding="utf-8",
        )
    rows = _both(tmp_path, path)
    assert rows[0]["error"] == ""
    assert "an id not used by an earlier record" in rows[1]["error"]


def test_hostile_json_lines_are_each_that_records_error(tmp_path: Path) -> None:
    """null, a 400-digit income, a 10**30 member_count, a 140,000-character cell and JSON nested
    1,000 deep: each one record's error (they used to stop the file with exit 4, or write a row with
    neither class nor error); read = classified + errors on both engines."""
    base = {"id": "H0", "area": "rural", "income_per_capita_month": 2000000}
    lines = [
        json.dumps(base),
        "null",
        json.dumps({**base, "id": "H2", "income_per_capita_month": int("9" * 400)}),
        json.dumps({**base, "id": "H3", "member_count": 10**30}),
        json.dumps({**base, "id": "H4", "water_source": "x" * 140_000}),
        '{"id": "H5", "area": ' + "[" * 1000 + "]" * 1000 + "}",
        json.dumps({**base, "id": "H6", "income_per_capita_month": 1e300}),
        "[1, 2]",
    ]
    path = tmp_path / "ho.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _both(tmp_path, path)
    assert len(rows) == len(lines)
    assert rows[0]["error"] == "" and rows[0]["classification"]
    for row in rows[1:]:
        assert row["error"].startswith("record ") and row["classification"] == ""
        assert len(row["error"]) < 1000  # a huge cell is cut in the message
    assert "one JSON object per line (a household record)" in rows[1]["error"]
    assert "of at most 9,007,199,254,740,992 in size" in rows[2]["error"]
    assert "of at most 9,223,372,036,854,775,807 in size" in rows[3]["error"]
    assert "(140,000 characters)" in rows[4]["error"]
    assert "nested less deeply" in rows[5]["error"]
    assert "in size" in rows[6]["error"]


def test_a_csv_cell_over_131072_characters_is_that_records_error(tmp_path: Path) -> None:
    """Python's csv module refused such a cell for the whole file, after the batch output was in place."""
    path = tmp_path / "ho.csv"
    long_text = "y" * 200_000
    path.write_text(
        f"{HH_HEADER},notes\nH1,rural,2000000,30,true,piped,{long_text}\n"
        f"H2,rural,2000000,30,true,piped,short\nH3,rural,2000000,30,true,{long_text},\n",
        encoding="utf-8",
    )
    rows = _both(tmp_path, path)
    assert "text of at most 131,072 characters" in rows[0]["error"]
    assert rows[1]["error"] == ""
    assert "water_source" in rows[2]["error"]


def test_rules_dir_gives_the_batch_path_its_column_aliases_and_indicator_keys(tmp_path: Path) -> None:
    """A rules folder with one standard and an extra header alias: the batch path used the default
    folder's, so it refused the alias and accepted another standard's flag that durable refused."""
    root = tmp_path / "rules"
    shutil.copytree(default_rules_root() / "nd-07-2021", root / "nd-07-2021")
    facts = (default_rules_root() / "facts.yaml").read_text(encoding="utf-8")
    assert "aliases: [dien_tich_nha]" in facts
    (root / "facts.yaml").write_text(
        facts.replace("aliases: [dien_tich_nha]", "aliases: [dien_tich_nha, dtn_xa]"), encoding="utf-8"
    )
    ruleset = load_ruleset("nd-07-2021", root)
    aliased, flagged = tmp_path / "a", tmp_path / "f"
    for folder, header in ((aliased, "dtn_xa"), (flagged, "deprivations.waste_handling")):
        folder.mkdir()
        (folder / "ho.csv").write_text(
            f"id,area,income_per_capita_month,{header}\nH1,rural,2000000,1\n", encoding="utf-8"
        )
    rows = _both(aliased, aliased / "ho.csv", ruleset=ruleset, rules_root=root)
    assert rows[0]["error"] == "" and rows[0]["classification"]
    rows = _both(flagged, flagged / "ho.csv", ruleset=ruleset, rules_root=root)
    assert "deprivations.waste_handling" in rows[0]["error"]


def test_a_long_value_is_cut_in_the_message() -> None:
    """An error message quotes at most 200 characters of the value and says how long it was."""
    message = RecordError("H1", "notes", "z" * 5000, "text").message
    assert len(message) < 300 and "(5,000 characters)" in message


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_income_is_compared_as_written_or_refused(tmp_path: Path, fmt: str) -> None:
    """`1500000.0000000001` used to become the double 1500000.0 and sit on the 1,500,000 rural line
    (poor); it is now refused (more digits than a double compares exactly), while `1500000.5` is above
    the line, and a JSON number is read from its text, not from the double."""
    incomes = ["1500000.0000000001", "1500000.5", "1500000"]
    if fmt == "csv":
        path = tmp_path / "ho.csv"
        path.write_text(
            "id,area,income_per_capita_month,member_count,deprivations.employment,"
            "deprivations.nutrition,deprivations.telecom\n"
            + "".join(f"H{i},rural,{v},2,1,1,1\n" for i, v in enumerate(incomes)),
            encoding="utf-8",
        )
    else:
        path = tmp_path / "ho.jsonl"
        path.write_text(
            "".join(
                f'{{"id": "H{i}", "area": "rural", "income_per_capita_month": {v}, "member_count": 2, '
                '"deprivations": {"employment": true, "nutrition": true, "telecom": true}}\n'
                for i, v in enumerate(incomes)
            ),
            encoding="utf-8",
        )
    rows = _both(tmp_path, path)
    assert "at most 15 significant digits" in rows[0]["error"]
    assert rows[1]["error"] == "" and rows[1]["classification"] != "ngheo"
    assert rows[2]["classification"] == "ngheo"


def test_json_lines_of_every_shape_give_the_same_rows_on_both_engines(tmp_path: Path) -> None:
    """JSON Lines go through the same typed tables as CSV on the batch path (issue 7 item 8): JSON
    numbers, booleans and nulls as answers, a byte-order mark, blank and space-only lines between
    records, a numeric id, a repeated id, members that are not objects or not a list, an unknown key
    and a line that is not JSON all give the per-record path's rows and row numbers."""
    flags = {k: False for k in ("employment", "dependants", "nutrition", "health_insurance")}
    base: dict[str, Any] = {"id": "J1", "area": "rural", "income_per_capita_month": 1400000}
    member = {"id": "m1", "age": 40, "has_health_insurance": True, "in_school": None}
    lines = [
        "\ufeff" + json.dumps({**base, "member_count": 1, "members": [member]}),
        "",
        json.dumps(
            {**base, "id": "J2", "members": [member, {**member, "id": "m2", "birth_date": "2010-05-01"}]}
        ),
        "   ",
        json.dumps({**base, "id": "J3", "deprivations": {**flags, "water_source": 1, "sanitation": 0}}),
        json.dumps({**base, "id": 4, "member_count": 2}),
        json.dumps({**base, "id": "J2", "member_count": 2}),  # repeats J2
        json.dumps({**base, "id": "J6", "members": [1, "two"]}),
        json.dumps({**base, "id": "J7", "members": {"id": "m1"}}),
        json.dumps({**base, "id": "J8", "favourite_colour": "blue", "member_count": 1}),
        '{"id": "J9", "area": "rural",',
        json.dumps(
            {
                **base,
                "id": "J10",
                "income_total_month": 3000000,
                "income_per_capita_month": None,
                "members": [member, {**member, "id": "m2", "age": True}],
            }
        ),
        json.dumps({**base, "id": "J11", "member_count": 3, "deprivations": {**flags, "telecom": "có"}}),
    ]
    path = tmp_path / "ho.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _both(tmp_path, path)
    records = [line for line in lines if line.strip()]
    assert len(rows) == len(records)
    # Row numbers are line numbers: blank lines count, as on the per-record path.
    assert [r["row"] for r in rows] == [str(i) for i, line in enumerate(lines, 1) if line.strip()]
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[1]["error"] == "" and by_row[1]["classification"]  # the BOM line is read
    assert by_row[3]["error"] == ""
    assert by_row[5]["error"] == "" and by_row[5]["water_source"] == "1"
    assert by_row[6]["error"] == "" and by_row[6]["id"] == "4"  # a JSON number id is read as text
    assert "first used at row 3" in by_row[7]["error"]  # the repeated id
    assert all(by_row[n]["error"] != "" for n in (8, 9, 10, 11, 12))
    assert "column 30" in by_row[11]["error"]  # the column inside the line, not past its end
    assert by_row[13]["error"] == "" and by_row[13]["telecom"] == "1"  # "có" is yes
