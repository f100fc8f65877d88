"""Typing one raw record into a Household: accepted spellings, and a gallery of broken records.

The gallery lives in tests/unit/data/io/bad-records/, one file per defect: the record, and the
field and expectation its error must name.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from classifier.api import classify, load_standard
from classifier.errors import RecordError
from classifier.io import RawRecord, known_indicator_keys, parse_record, parse_records
from classifier.model import Household

GALLERY = Path(__file__).parent / "data" / "io" / "bad-records"
RULESET = load_standard("nd-07-2021")
CATALOGUE = RULESET.facts
# nd-07-2021's ids plus one id of another standard, as known_indicator_keys() would pass in.
KEYS = frozenset({*RULESET.indicator_ids, "health_care_access"})


def parse(raw: Any, **kwargs: Any) -> Household | list[RecordError]:
    return parse_record(
        raw,
        row=kwargs.pop("row", 7),
        source="test.json",
        catalogue=CATALOGUE,
        indicator_keys=kwargs.pop("keys", KEYS),
        **kwargs,
    )


def ok(raw: dict[str, Any]) -> Household:
    result = parse(raw)
    assert isinstance(result, Household), [str(e) for e in result]
    return result


def base(**extra: Any) -> dict[str, Any]:
    return {"id": "H1", "area": "rural", "income_per_capita_month": 1_400_000, **extra}


# -- the gallery ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(GALLERY.glob("*.json")), ids=lambda p: p.stem)
def test_each_broken_record_is_reported_naming_record_field_and_expectation(case: Path) -> None:
    """A record with one defect yields exactly that error, naming record id, row, field and what is wanted."""
    doc = json.loads(case.read_text(encoding="utf-8"))
    result = parse(doc["record"])
    assert isinstance(result, list), f"{case.name}: accepted a broken record"
    want = doc["error"]
    assert [e.field for e in result] == [want["field"]], [str(e) for e in result]
    error = result[0]
    assert error.record_id == want["record_id"]
    assert error.row == 7
    assert want["expected"] in error.expected
    assert want["field"] in error.message and want["expected"] in error.message
    assert (want["record_id"] or "record ?") in error.message


def test_the_gallery_covers_many_defects() -> None:
    """The gallery is not accidentally empty (the parametrized test would then pass vacuously)."""
    assert len(list(GALLERY.glob("*.json"))) >= 25


def test_every_problem_in_a_record_is_reported_not_just_the_first() -> None:
    """Three defects in one record give three errors, household and member fields alike."""
    result = parse(
        {
            "id": "H9",
            "area": "city",
            "income_per_capita_month": "-1",
            "members": [{"birth_date": "2020-01-01"}, {"birth_date": "yesterday"}],
        }
    )
    assert isinstance(result, list)
    assert sorted(e.field for e in result) == ["area", "income_per_capita_month", "members[2].birth_date"]
    assert all(e.record_id == "H9" for e in result)


def test_a_non_object_record_is_an_error_not_a_crash() -> None:
    """A JSON line holding a list instead of an object is reported as a bad record."""
    result = parse(["H1", "rural"])
    assert isinstance(result, list) and result[0].field == "<record>"


# -- booleans ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("No", False),
        ("có", True),
        ("Không", False),
        ("co", True),
        ("khong", False),
        (" có ", True),
    ],
)
def test_yes_no_answers_accept_english_vietnamese_and_digits(cell: Any, value: bool) -> None:
    """Booleans accept true/false, 1/0, yes/no and có/không, case- and diacritics-insensitively."""
    assert ok(base(walls_durable=cell)).facts["walls_durable"] is value


@pytest.mark.parametrize("cell", ["", "   ", None])
def test_an_empty_cell_is_unknown_never_false(cell: Any) -> None:
    """An empty yes/no cell leaves the answer absent (unknown), so no indicator reads it as 'no'."""
    household = ok(base(walls_durable=cell, members=[{"has_health_insurance": cell}]))
    assert "walls_durable" not in household.facts
    assert "has_health_insurance" not in household.members[0].facts


# -- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1500000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000", 1_500_000),
        (1_500_000, 1_500_000),
        (1_500_000.0, 1_500_000),
        ("1.500.000,5", 1_500_000.5),
        ("1,500,000.5", 1_500_000.5),
        ("0", 0),
        ("1500000.25", 1_500_000.25),
    ],
)
def test_money_accepts_plain_vietnamese_and_english_grouping(cell: Any, value: float) -> None:
    """Income in 1500000, 1.500.000 (Vietnamese) or 1,500,000 (English) notation is the same figure."""
    assert ok(base(income_per_capita_month=cell)).income_per_capita_month == value


@pytest.mark.parametrize(("cell", "value"), [("25,5", 25.5), ("25.5", 25.5), ("0,500", 0.5), ("30", 30)])
def test_decimals_with_other_than_three_digits_are_not_ambiguous(cell: str, value: float) -> None:
    """'25,5' and '25.5' can only be decimals (thousands groups have three digits)."""
    assert ok(base(floor_area_m2=cell)).facts["floor_area_m2"] == value


@pytest.mark.parametrize("cell", ["1.500", "1,500", "25.000"])
def test_one_separator_before_three_digits_is_refused_as_ambiguous(cell: str) -> None:
    """'1.500' is 1500 to a Vietnamese reader and 1.5 to an English one: refuse rather than guess."""
    result = parse(base(floor_area_m2=cell))
    assert isinstance(result, list) and "unambiguous" in result[0].expected


# -- enums and dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["piped", "PIPED", "nước máy", "Nước Máy", "nuoc may", "  nước   máy "])
def test_enums_accept_the_code_or_its_vietnamese_label(cell: str) -> None:
    """An enum answer is its code or its Vietnamese label, case-insensitively, diacritics optional."""
    assert ok(base(water_source=cell)).facts["water_source"] == "piped"


def test_an_enum_label_typed_without_diacritics_still_resolves() -> None:
    """'tu hoai' typed on a keyboard without Vietnamese input is the latrine type 'tự hoại'."""
    assert ok(base(latrine_type="Tu hoai")).facts["latrine_type"] == "septic"


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1980-05-02", dt.date(1980, 5, 2)),
        ("02/05/1980", dt.date(1980, 5, 2)),
        ("2/5/1980", dt.date(1980, 5, 2)),
        (dt.datetime(1980, 5, 2), dt.date(1980, 5, 2)),
        (dt.date(1980, 5, 2), dt.date(1980, 5, 2)),
    ],
)
def test_dates_accept_iso_and_day_month_year(cell: Any, value: dt.date) -> None:
    """Birth dates are YYYY-MM-DD or DD/MM/YYYY (day first, as written in Vietnam) or a spreadsheet date."""
    assert ok(base(members=[{"birth_date": cell}])).members[0].facts["birth_date"] == value


# -- income, members and flags ----------------------------------------------------------------------


def test_total_income_is_divided_by_the_members_listed_without_rounding() -> None:
    """4,500,001 VND for 3 people is 1,500,000.33 per person: above 1,500,000, not rounded down onto it."""
    household = ok({"id": "H1", "area": "rural", "income_total_month": "4.500.001", "members": [{}, {}, {}]})
    assert household.income_per_capita_month > 1_500_000
    assert household.income_per_capita_month * 3 == pytest.approx(4_500_001)


def test_total_income_divides_exactly_to_an_integer_when_it_can() -> None:
    """4,500,000 for 3 people is exactly 1,500,000 (an int, so comparisons at the line are exact)."""
    household = ok({"id": "H1", "area": "rural", "income_total_month": 4_500_000, "member_count": "3"})
    assert household.income_per_capita_month == 1_500_000
    assert isinstance(household.income_per_capita_month, int)
    assert household.member_count == 3


def test_a_total_income_just_above_the_line_classifies_above_the_line() -> None:
    """The exact quotient reaches the engine: a total a hair over 3 x 1,500,000 is not 1,500,000 each."""
    at_line = ok({"id": "A", "area": "rural", "income_total_month": 4_500_000, "member_count": 3})
    above = ok({"id": "B", "area": "rural", "income_total_month": 4_500_001, "member_count": 3})
    assert above.income_per_capita_month > at_line.income_per_capita_month
    assert classify(above, RULESET, trace=False).outcome != "ngheo"


def test_both_incomes_given_and_agreeing_are_accepted() -> None:
    """A record may give both incomes when per capita x members equals the total exactly."""
    household = ok(base(income_per_capita_month="1.500.000", income_total_month="4.500.000", member_count=3))
    assert household.income_per_capita_month == 1_500_000


def test_flags_of_another_standard_are_kept_for_that_standard() -> None:
    """A record may carry flags of several standards (issue 4): all known keys land in Household.flags."""
    household = ok(base(deprivations={"employment": "1", "health_care_access": "không", "nutrition": ""}))
    assert household.flags == {"employment": True, "health_care_access": False}


def test_a_flag_key_outside_the_keys_passed_in_is_an_error() -> None:
    """Only the indicator ids passed in are accepted, so a standard's reader can be strict."""
    result = parse(base(deprivations={"health_care_access": True}), keys=frozenset(RULESET.indicator_ids))
    assert isinstance(result, list) and result[0].field == "deprivations.health_care_access"


def test_known_indicator_keys_include_every_key_of_the_default_standard() -> None:
    """The keys gathered from rules/ include the 12 indicators of Decree 07/2021."""
    assert set(RULESET.indicator_ids) <= known_indicator_keys()


def test_place_codes_and_notes_are_accepted_and_kept_apart_from_facts() -> None:
    """province/commune/village are kept as text in Household.place; notes are accepted and not a fact."""
    household = ok(base(province="01", commune=27280.0, village="Thôn 3", notes="đã xác minh"))
    assert household.place == {"province": "01", "commune": "27280", "village": "Thôn 3"}
    assert "notes" not in household.facts


def test_members_keep_their_ids_and_typed_answers() -> None:
    """Member answers are typed from the catalogue and the member id is carried for the trace."""
    household = ok(
        base(
            members=[
                {
                    "id": 7,
                    "age": "45",
                    "education": "Trung học cơ sở",
                    "employment_status": "thất nghiệp",
                    "wage_worker": "0",
                }
            ]
        )
    )
    member = household.members[0]
    assert member.member_id == "7"
    assert member.facts == {
        "age": 45,
        "education": "lower_secondary",
        "employment_status": "unemployed",
        "wage_worker": False,
    }


def test_member_errors_point_at_the_members_table_row() -> None:
    """When members came from a separate table, a member's error names that table and its row."""
    result = parse(
        base(members=[{"age": "1"}, {"age": "old"}]),
        member_locations=(("members.csv", 4), ("members.csv", 9)),
    )
    assert isinstance(result, list)
    assert (result[0].field, result[0].source, result[0].row) == ("members[2].age", "members.csv", 9)


def test_a_repeated_id_is_an_error_on_the_later_record_only() -> None:
    """Ids are unique within a file: the first record stands, the later one is reported with the first row."""
    records = [
        RawRecord(base(), 2, "f.csv"),
        RawRecord(base(), 5, "f.csv"),
        RawRecord(base(id="H2"), 6, "f.csv"),
    ]
    results = [r for _, r in parse_records(records, catalogue=CATALOGUE, indicator_keys=KEYS)]
    assert isinstance(results[0], Household) and isinstance(results[2], Household)
    assert isinstance(results[1], list)
    assert results[1][0].field == "id" and "first used at row 2" in results[1][0].expected


def test_reader_errors_travel_with_their_record() -> None:
    """A record the reader could not read (raw None) yields exactly the reader's errors."""
    error = RecordError(None, "<line>", "{oops", "one JSON object per line", row=3, source="f.jsonl")
    results = list(
        parse_records(
            [RawRecord(None, 3, "f.jsonl", errors=(error,))], catalogue=CATALOGUE, indicator_keys=KEYS
        )
    )
    assert results[0][1] == [error]
