"""The seeded synthetic population generator and the bundled sample commune."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from classifier.api import classify, load_standard
from classifier.data import SAMPLE_DIR, sample_path
from classifier.indicators.evaluate import age_at
from classifier.io import known_indicator_keys, parse_records, read_records
from classifier.model import CANNOT_CLASSIFY, Household, Member
from classifier.rules import list_standards
from classifier.rules.conditions import AnyMember, Compare, Not, ShareOfMembers
from tools import population
from tools.population import (
    GENERATED_HOUSEHOLD_FACTS,
    GENERATED_MEMBER_FACTS,
    generate_records,
    households_csv_header,
    members_csv_header,
    write_csv,
    write_json,
    write_jsonl,
)

RULESET = load_standard("nd-07-2021")
CATALOGUE = RULESET.facts
STANDARDS = {standard: load_standard(standard) for standard in list_standards()}
# Every indicator of every standard, in the order flags-only records give them (Decree 07's first).
ALL_INDICATORS = tuple(dict.fromkeys(k for rs in (RULESET, *STANDARDS.values()) for k in rs.indicator_ids))
# Facts the engine derives from an answer the generator gives (age from the birth date, floor area per
# person from the floor area and the members listed).
ANSWERED_THROUGH = {"age": "birth_date", "floor_area_per_person": "floor_area_m2"}
REFERENCE = dt.date(2026, 11, 1)
# Keys of a record that are not survey answers (place, income, bookkeeping).
RECORD_KEYS = {
    "id",
    "area",
    "province",
    "commune",
    "village",
    "income_per_capita_month",
    "income_total_month",
    "reference_date",
    "members",
    "deprivations",
    "member_count",
}
SAMPLE_FILES = ("commune.json", "commune.jsonl", "households.csv", "members.csv")


def _to_household(record: Mapping[str, Any]) -> Household:
    """Raw contract-v1 dict -> Household, just enough for these tests (the io layer does this for real)."""
    members = [
        Member(
            facts={
                k: dt.date.fromisoformat(v) if k == "birth_date" else v for k, v in m.items() if k != "id"
            },
            member_id=m["id"],
        )
        for m in record.get("members") or ()
    ]
    count = len(members) or record.get("member_count")
    income = record.get("income_per_capita_month")
    if income is None and "income_total_month" in record:
        income = record["income_total_month"] / count
    return Household(
        id=record["id"],
        area=record.get("area"),
        income_per_capita_month=income,
        members=members,
        facts={k: v for k, v in record.items() if k not in RECORD_KEYS},
        flags=dict(record.get("deprivations") or {}),
        member_count=record.get("member_count"),
        reference_date=dt.date.fromisoformat(record["reference_date"]),
        place={k: record[k] for k in ("province", "commune", "village")},
    )


def _income(record: Mapping[str, Any]) -> float:
    if "income_per_capita_month" in record:
        return record["income_per_capita_month"]
    return record["income_total_month"] / (len(record.get("members") or ()) or record["member_count"])


def _size(record: Mapping[str, Any]) -> int:
    return len(record["members"]) if "members" in record else record["member_count"]


# The demo-data generator (tools/) is not the product: its checks run in .ci/run, not the fast suite.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def population_20k() -> list[dict[str, Any]]:
    """20,000 households with the default shares (generated once for the module)."""
    return list(generate_records(20_000, seed=20_001))


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    """The bundled sample commune as shipped."""
    return json.loads(sample_path("commune.json").read_text(encoding="utf-8"))


# ---- determinism --------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_records() -> None:
    """A seed reproduces the population exactly (benchmarks and the sample depend on it)."""
    assert list(generate_records(300, seed=7)) == list(generate_records(300, seed=7))


def test_different_seeds_give_different_records() -> None:
    """Another seed gives another population, not a relabelled copy."""
    first = list(generate_records(300, seed=7))
    second = list(generate_records(300, seed=8))
    assert [_income(r) for r in first] != [_income(r) for r in second]
    assert first != second


def test_generator_leaves_the_global_random_state_alone() -> None:
    """Only random.Random(seed) is used: the module-level random stream is not consumed or reseeded."""
    import random

    random.seed(123)
    expected = random.random()
    random.seed(123)
    list(generate_records(50, seed=1))
    assert random.random() == expected


# ---- the contract -------------------------------------------------------------------------------------


def test_every_record_has_the_contract_keys(population_20k: list[dict[str, Any]]) -> None:
    """Each record has id, area, place, one income form and a reference date, plus members or flags."""
    seen: set[str] = set()
    for record in population_20k:
        assert record["id"] not in seen
        seen.add(record["id"])
        assert record["area"] in ("rural", "urban")
        assert record["province"] and record["commune"] and record["village"]
        assert ("income_per_capita_month" in record) != ("income_total_month" in record)
        assert dt.date.fromisoformat(record["reference_date"]) == REFERENCE
        if "members" in record:
            assert "deprivations" not in record and "member_count" not in record
            assert 1 <= len(record["members"]) <= 9
            for member in record["members"]:
                assert set(member) <= GENERATED_MEMBER_FACTS | {"id"}
            assert [m["id"] for m in record["members"]] == [
                f"{record['id']}-{k}" for k in range(1, len(record["members"]) + 1)
            ]
        else:
            assert set(record["deprivations"]) <= set(ALL_INDICATORS)
            assert 1 <= record["member_count"] <= 9
        assert set(record) <= RECORD_KEYS | GENERATED_HOUSEHOLD_FACTS


def test_answers_are_valid_against_the_catalogue(population_20k: list[dict[str, Any]]) -> None:
    """Every answer uses a fact name and, for enums, a value of rules/facts.yaml, with the fact's type."""

    def check(spec_table: Mapping[str, Any], facts: Mapping[str, Any]) -> None:
        for name, value in facts.items():
            spec = spec_table[name]
            if spec.type == "enum":
                assert value in spec.values, (name, value)
            elif spec.type == "bool":
                assert isinstance(value, bool), (name, value)
            elif spec.type == "number":
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert value >= spec.minimum, (name, value)
            elif spec.type == "date":
                dt.date.fromisoformat(value)
            else:
                pytest.fail(f"generator answers {name} of unexpected type {spec.type}")

    for record in population_20k:
        check(CATALOGUE.household, {k: v for k, v in record.items() if k not in RECORD_KEYS})
        for member in record.get("members", ()):
            check(CATALOGUE.member, {k: v for k, v in member.items() if k != "id"})
        for flag in (record.get("deprivations") or {}).values():
            assert isinstance(flag, bool)


def test_birth_dates_give_plausible_ages_at_the_reference_date(population_20k: list[dict[str, Any]]) -> None:
    """Ages cover every band the indicators read (under 6, 3-15, 16-17, 18-30, 60+) and stay under 106."""
    ages = Counter()
    for record in population_20k:
        for member in record.get("members", ()):
            if "birth_date" in member:
                ages[age_at(dt.date.fromisoformat(member["birth_date"]), REFERENCE)] += 1
    assert min(ages) >= 0 and max(ages) <= 105
    bands = {
        "under 6": range(6),
        "3-15": range(3, 16),
        "16-17": range(16, 18),
        "18-30": range(18, 31),
        "60+": range(60, 106),
    }
    for band, years in bands.items():
        assert sum(ages[a] for a in years) > 200, band


def test_households_have_about_three_and_a_half_members(population_20k: list[dict[str, Any]]) -> None:
    """The mean household size of 20,000 households lies in [3.2, 3.8], sizes 1 to 9, all occurring."""
    sizes = [_size(r) for r in population_20k]
    assert 3.2 <= statistics.fmean(sizes) <= 3.8
    assert set(sizes) == set(range(1, 10))


def test_both_areas_and_both_record_forms_occur(population_20k: list[dict[str, Any]]) -> None:
    """Rural and urban households, flags-only records (~10 %) and total-income records all occur."""
    areas = Counter(r["area"] for r in population_20k)
    assert areas["rural"] > 5_000 and areas["urban"] > 3_000
    flags_only = sum("deprivations" in r for r in population_20k)
    assert 1_500 <= flags_only <= 2_500
    assert sum("income_total_month" in r for r in population_20k) > 500


def test_incomes_hit_every_threshold_read_from_the_rules(population_20k: list[dict[str, Any]]) -> None:
    """Each income line and middle-band top of Decree 07 (read from parameters.yaml) is hit exactly,
    and one đồng either side of it, in its own area."""
    params = RULESET.parameters
    expected = {
        "rural": {params["income_line_rural"].value, params["middle_upper_rural"].value},
        "urban": {params["income_line_urban"].value, params["middle_upper_urban"].value},
    }
    incomes: dict[str, Counter[float]] = {"rural": Counter(), "urban": Counter()}
    for record in population_20k:
        incomes[record["area"]][_income(record)] += 1
    for area, lines in expected.items():
        for line in lines:
            assert incomes[area][line] >= 20, (area, line)
            assert incomes[area][line - 1] >= 3 and incomes[area][line + 1] >= 3, (area, line)


def test_no_answer_is_left_out_when_unknown_share_is_zero() -> None:
    """With unknown_share=0 every household answers every generated fact and every member the questions
    asked of everyone; flags-only records answer every indicator of every standard under rules/."""
    for record in generate_records(2_000, seed=3, unknown_share=0.0):
        if "members" in record:
            assert set(record) >= GENERATED_HOUSEHOLD_FACTS
            for member in record["members"]:
                assert {
                    "birth_date",
                    "has_health_insurance",
                    "in_school",
                    "education",
                    "employment_status",
                    "wage_worker",
                    "is_dependant",
                    "sick_without_care",
                    "elderly_or_disabled_on_allowance",
                } <= set(member)
                # Skip logic: the contract question goes to wage workers, social insurance to people in work.
                assert ("has_labour_contract" in member) == member["wage_worker"]
                assert ("social_insurance" in member) == (member["employment_status"] == "employed")
        else:
            assert tuple(record["deprivations"]) == ALL_INDICATORS


def _facts_read(cond: Any, member: bool = False) -> set[tuple[str, str]]:
    """(level, fact) of every answer a condition tree reads; member level inside a member quantifier."""
    if isinstance(cond, Compare):
        return {("member" if member else "household", cond.fact)}
    if isinstance(cond, AnyMember | ShareOfMembers):
        return _facts_read(cond.where, member=True)
    children = (cond.child,) if isinstance(cond, Not) else cond.children
    return set().union(*(_facts_read(child, member) for child in children))


@pytest.mark.parametrize("standard", sorted(STANDARDS))
def test_every_fact_a_standard_reads_is_generated(standard: str) -> None:
    """Each answer an indicator of each standard reads (QĐ 59's sick_without_care, Decree 351's internet,
    digital, waste and allowance answers, HCMC's social_insurance included) is given by the generator."""
    records = list(generate_records(1_500, seed=11, unknown_share=0.0))
    household_keys = set().union(*(r.keys() for r in records if "members" in r))
    member_keys = set().union(*(m.keys() for r in records for m in r.get("members", ())))
    read = set().union(*(_facts_read(ind.condition) for ind in STANDARDS[standard].indicators))
    assert read, standard
    for level, fact in sorted(read):
        given = ANSWERED_THROUGH.get(fact, fact)
        if level == "member":
            assert given in GENERATED_MEMBER_FACTS and given in member_keys, (standard, fact)
        else:
            assert given in GENERATED_HOUSEHOLD_FACTS and given in household_keys, (standard, fact)


def test_nothing_is_unknown_under_any_standard_when_nothing_is_left_out() -> None:
    """With unknown_share=0 every indicator of every standard is decided for every household: no
    household is khong_du_du_lieu merely because the generator never asked a question."""
    records = list(generate_records(500, seed=12, unknown_share=0.0))
    for standard, ruleset in STANDARDS.items():
        for record in records:
            result = classify(_to_household(record), ruleset, trace=False)
            assert result.unknown_count == 0, (standard, record["id"], result.missing_fields)
            assert result.outcome != CANNOT_CLASSIFY


def test_other_standards_can_be_left_out() -> None:
    """other_standards=() serves the primary standard only: its 12 flags and CSV columns, no others'."""
    records = list(generate_records(300, seed=13, other_standards=(), unknown_share=0.0))
    flags = [r["deprivations"] for r in records if "deprivations" in r]
    assert flags and all(tuple(f) == RULESET.indicator_ids for f in flags)
    header = households_csv_header(RULESET, other_standards=())
    assert [c for c in header if c.startswith("deprivations.")] == [
        f"deprivations.{k}" for k in RULESET.indicator_ids
    ]
    assert "deprivations.social_insurance" in households_csv_header(RULESET)


def test_the_new_answers_are_plausible(population_20k: list[dict[str, Any]]) -> None:
    """Monthly allowances go mostly to the very old and rarely to adults under 60; social insurance is
    answered for people in work only; seriously ill without care is rare and commoner under the line."""
    lines = {
        "rural": RULESET.parameters["income_line_rural"].value,
        "urban": RULESET.parameters["income_line_urban"].value,
    }
    allowance: dict[str, list[bool]] = {"16-59": [], "80+": []}
    sick: dict[bool, list[bool]] = {True: [], False: []}
    for record in population_20k:
        poor = _income(record) <= lines[record["area"]]
        for member in record.get("members", ()):
            if "social_insurance" in member:
                assert member.get("employment_status", "employed") == "employed"
            if "sick_without_care" in member:
                sick[poor].append(member["sick_without_care"])
            if "birth_date" not in member or "elderly_or_disabled_on_allowance" not in member:
                continue
            age = age_at(dt.date.fromisoformat(member["birth_date"]), REFERENCE)
            band = "80+" if age >= 80 else "16-59" if 16 <= age < 60 else None
            if band:
                allowance[band].append(member["elderly_or_disabled_on_allowance"])
    assert statistics.fmean(allowance["16-59"]) < 0.03
    assert statistics.fmean(allowance["80+"]) > 0.6
    assert statistics.fmean(sick[False]) < 0.02
    assert statistics.fmean(sick[True]) > 1.5 * statistics.fmean(sick[False])


def test_area_and_income_are_never_left_out() -> None:
    """Even with many answers left out, area and income stay: without them a record is an input error."""
    for record in generate_records(2_000, seed=4, unknown_share=0.5):
        assert "area" in record
        assert "income_per_capita_month" in record or "income_total_month" in record


def test_place_names_follow_the_area_and_carry_diacritics() -> None:
    """A xã holds rural thôn, a phường urban tổ dân phố; names are NFC Vietnamese with diacritics."""
    records = list(generate_records(3_000, seed=5, communes=4, villages_per_commune=5))
    communes = {r["commune"] for r in records}
    assert len(communes) == 4
    villages = Counter((r["commune"], r["village"]) for r in records)
    assert len(villages) == 20
    for record in records:
        assert unicodedata.is_normalized("NFC", record["commune"] + record["village"])
        if record["commune"].startswith("Xã "):
            assert record["area"] == "rural" and record["village"].startswith("Thôn ")
        else:
            assert record["commune"].startswith("Phường ")
            assert record["area"] == "urban" and record["village"].startswith("Tổ dân phố ")
    assert any(c.startswith("Xã ") for c in communes) and any(c.startswith("Phường ") for c in communes)


@pytest.mark.parametrize("standard", ["nd-07-2021", "qd-59-2015", "nd-351-2025", "hcm-2024"])
def test_poorer_households_are_more_deprived(standard: str) -> None:
    """Deprivations are correlated with income under every standard's indicators: under Decree 07's
    rural/urban line the mean count is far higher than above its middle band."""
    by_band: dict[str, list[int]] = {"under the line": [], "above the band": []}
    lines = {
        "rural": RULESET.parameters["income_line_rural"].value,
        "urban": RULESET.parameters["income_line_urban"].value,
    }
    tops = {
        "rural": RULESET.parameters["middle_upper_rural"].value,
        "urban": RULESET.parameters["middle_upper_urban"].value,
    }
    ruleset = STANDARDS[standard]
    for record in generate_records(4_000, seed=6, unknown_share=0.0):
        income = _income(record)
        band = (
            "under the line"
            if income <= lines[record["area"]]
            else "above the band"
            if income > tops[record["area"]]
            else None
        )
        if band == "above the band" and len(by_band[band]) >= 600:
            continue  # enough for a mean; keeps the test short
        if band:
            by_band[band].append(classify(_to_household(record), ruleset, trace=False).deprivation_count)
    assert len(by_band["under the line"]) > 50
    # 1.8, not more: social insurance (HCMC) and digital services (Decree 351) are lacking in many
    # well-off households too, which lifts the count above the band.
    assert statistics.fmean(by_band["under the line"]) > 1.8 * statistics.fmean(by_band["above the band"])


# ---- writers ------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_household_and_member(tmp_path) -> None:
    """households.csv has a row per record, members.csv one per member, with catalogue column names."""
    records = list(generate_records(200, seed=9))
    written = write_csv(records, tmp_path / "h.csv", tmp_path / "m.csv")
    assert written == 200
    with open(tmp_path / "h.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(tmp_path / "m.csv", encoding="utf-8", newline="") as f:
        members = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert len(members) == sum(len(r.get("members", ())) for r in records)
    header = households_csv_header(RULESET)
    assert list(rows[0]) == header
    assert {c for c in header if not c.startswith("deprivations.")} - RECORD_KEYS <= set(CATALOGUE.household)
    assert set(members_csv_header(RULESET)[2:]) <= set(CATALOGUE.member)
    flags_only = next(r for r in records if "deprivations" in r)
    row = next(r for r in rows if r["id"] == flags_only["id"])
    for key in ALL_INDICATORS:
        assert (
            row[f"deprivations.{key}"]
            == {True: "true", False: "false", None: ""}[flags_only["deprivations"].get(key)]
        )
    assert row["floor_area_m2"] == ""


def test_csv_refuses_a_key_it_has_no_column_for(tmp_path) -> None:
    """A record key without a column raises instead of being dropped silently."""
    record = next(iter(generate_records(1, seed=1, flags_share=0.0)))
    record["members"][0]["age"] = 40  # a catalogue fact the generator never writes (it gives birth dates)
    with pytest.raises(ValueError, match="'age'"):
        write_csv([record], tmp_path / "h.csv", tmp_path / "m.csv")
    assert write_csv([record], tmp_path / "h.csv", tmp_path / "m.csv", all_facts=True) == 1


def test_json_and_jsonl_round_trip(tmp_path) -> None:
    """write_json and write_jsonl give back exactly the records, with Vietnamese text unescaped."""
    records = list(generate_records(100, seed=10))
    assert write_json(records, tmp_path / "a.json") == 100
    assert write_jsonl(records, tmp_path / "a.jsonl") == 100
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == records
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records
    assert records[0]["province"] in lines[0]
    assert write_json([], tmp_path / "empty.json") == 0
    assert json.loads((tmp_path / "empty.json").read_text(encoding="utf-8")) == []


# ---- the bundled sample -------------------------------------------------------------------------------


def test_sample_files_are_shipped() -> None:
    """sample_path finds each file of the sample, and names an unknown file with the known ones."""
    for name in SAMPLE_FILES:
        assert sample_path(name).is_file()
    with pytest.raises(FileNotFoundError, match=r"commune\.json"):
        sample_path("nope.csv")


def test_sample_gives_every_outcome(sample: list[dict[str, Any]]) -> None:
    """Under Decree 07 the sample has poor, near-poor, middle, other and a few unclassifiable households."""
    outcomes = Counter(classify(_to_household(r), RULESET, trace=False).outcome for r in sample)
    assert len(sample) == 400
    assert set(outcomes) == {*RULESET.classes, CANNOT_CLASSIFY}
    assert outcomes[CANNOT_CLASSIFY] >= 3
    assert outcomes["khac"] > len(sample) / 2


def test_sample_spans_a_rural_and_an_urban_commune(sample: list[dict[str, Any]]) -> None:
    """One xã (rural) and one phường (urban), 6 to 8 villages in all."""
    assert {(r["commune"].split()[0], r["area"]) for r in sample} == {("Xã", "rural"), ("Phường", "urban")}
    assert 6 <= len({(r["commune"], r["village"]) for r in sample}) <= 8


def test_sample_is_what_the_documented_command_writes(tmp_path) -> None:
    """The files in classifier/data/sample are byte for byte the output of the command in its README."""
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "--households 400 --seed 2026 --unknown-share 0.04" in readme
    assert (
        population.main(
            ["--households", "400", "--seed", "2026", "--unknown-share", "0.04", "--out", str(tmp_path)]
        )
        == 0
    )
    for name in SAMPLE_FILES:
        assert (tmp_path / name).read_bytes() == sample_path(name).read_bytes(), (
            f"{name} is stale: rerun the command in classifier/data/sample/README.md"
        )


def _sample_outcomes(standard: str) -> Counter[str]:
    """Outcome counts of the shipped sample under ``standard``, read through the io layer."""
    ruleset = STANDARDS[standard]
    outcomes: Counter[str] = Counter()
    for _, household in parse_records(
        read_records(sample_path("commune.json")),
        catalogue=ruleset.facts,
        indicator_keys=known_indicator_keys(),
    ):
        assert isinstance(household, Household), household
        outcomes[classify(household, ruleset, trace=False).outcome] += 1
    return outcomes


@pytest.mark.parametrize("standard", sorted(STANDARDS))
def test_sample_has_a_few_unclassifiable_households_under_every_standard(standard: str) -> None:
    """Under each standard only a handful of sample households are khong_du_du_lieu (answers left out on
    purpose), never dozens for want of a question the generator did not ask."""
    outcomes = _sample_outcomes(standard)
    assert sum(outcomes.values()) == 400
    assert outcomes[CANNOT_CLASSIFY] <= 10, outcomes
    if standard != "qd-59-2015":
        # QĐ 59's 2015 lines lie so far below the sample's incomes that an unknown answer seldom matters
        # there (none does in the shipped sample); every later standard must show a few.
        assert outcomes[CANNOT_CLASSIFY] >= 1, outcomes
    if standard == "nd-351-2025":
        assert outcomes["ngheo"] > 0 and outcomes["can_ngheo"] > 0, outcomes


def _readme_tables(text: str) -> dict[str, dict[str, int]]:
    """The outcome tables of the sample README: standard -> outcome -> households (— cells skipped)."""
    lines = text.splitlines()
    tables: dict[str, dict[str, int]] = {}
    for index, line in enumerate(lines):
        if not line.startswith("| Outcome |"):
            continue
        heads = [cell.strip() for cell in line.strip("|").split("|")][1:]
        standards = ["nd-07-2021"] if heads == ["Households"] else heads
        for row in lines[index + 2 :]:
            if not row.startswith("|"):
                break
            cells = [cell.strip() for cell in row.strip("|").split("|")]
            outcome = cells[0].split(" ")[0]
            for standard, cell in zip(standards, cells[1:], strict=True):
                if cell != "—":
                    tables.setdefault(standard, {})[outcome] = int(cell)
    return tables


def test_sample_readme_counts_match_the_sample() -> None:
    """The README's outcome tables (Decree 07, and QĐ 59, Decree 351, HCMC 2024) state what the shipped
    sample gives, and its household and member totals are right."""
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    tables = _readme_tables(readme)
    assert set(tables) == set(STANDARDS)
    for standard, table in tables.items():
        assert {k: v for k, v in table.items() if v} == dict(_sample_outcomes(standard)), standard
    records = json.loads(sample_path("commune.json").read_text(encoding="utf-8"))
    members = sum(len(r.get("members", ())) for r in records)
    assert re.search(rf"{len(records)} households, {members:,} members", readme)
