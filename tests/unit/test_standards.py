"""Several standards side by side: QĐ 59/2015, Nghị định 07/2021, Nghị định 351/2025 and the HCMC overlay.

These tests pin what differs between the rule sets (shape, indicator sets, lines, status) and that one
record carrying the indicator keys of every standard is read by each standard through its own keys only.
The expected classes are legal facts worked out by hand from the rule files, not read back from them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from classifier.api import classify, load_standard
from classifier.model import Household, Member
from classifier.rules.conditions import Compare, walk
from tests.helpers import DECREE_07_INDICATORS

REFERENCE_DATE = dt.date(2026, 11, 1)

QD59 = (
    "health_care_access",
    "health_insurance",
    "adult_education",
    "child_schooling",
    "housing_quality",
    "housing_area",
    "water_source",
    "sanitation",
    "telecom",
    "information_access",
)
ND351 = (
    "employment",
    "dependants",
    "nutrition",
    "health_insurance",
    "adult_education",
    "child_schooling",
    "housing_quality",
    "housing_area",
    "water_source",
    "sanitation",
    "waste_handling",
    "telecom",
)
HCM = (*DECREE_07_INDICATORS, "social_insurance")
EVERY_KEY = tuple(dict.fromkeys((*DECREE_07_INDICATORS, *QD59, *ND351, *HCM)))
INDICATORS = {"qd-59-2015": QD59, "nd-07-2021": DECREE_07_INDICATORS, "nd-351-2025": ND351, "hcm-2024": HCM}
STANDARDS = tuple(INDICATORS)


def record(area: str, income: float, deprived: tuple[str, ...] = (), **extra_flags: bool) -> Household:
    """A flags-only record carrying every standard's indicator keys; ``deprived`` ones are True."""
    flags = {key: key in deprived for key in EVERY_KEY}
    flags.update(extra_flags)
    return Household(id="H", area=area, income_per_capita_month=income, flags=flags, member_count=4)


@pytest.mark.parametrize(
    ("standard", "provisional", "parent"),
    [
        ("qd-59-2015", False, None),
        ("nd-07-2021", False, None),
        ("nd-351-2025", True, None),
        ("hcm-2024", True, "nd-07-2021"),
    ],
)
def test_each_standard_loads_with_its_declared_status(
    standard: str,
    provisional: bool,
    parent: str | None,
) -> None:
    """Each standard loads; Decree 351 and the HCMC overlay are provisional and say so in a warning."""
    ruleset = load_standard(standard)
    assert ruleset.provisional is provisional
    assert ruleset.inherits == parent
    assert bool(ruleset.warnings) is provisional


@pytest.mark.parametrize("standard", STANDARDS)
def test_each_standard_has_its_own_indicator_set(standard: str) -> None:
    """QĐ 59 has 10 indicators (with health_care_access); Decree 351 has the draft's 12 (information_access
    dropped, waste_handling added; internet access and digital services are not separate indicators)."""
    assert set(load_standard(standard).indicator_ids) == set(INDICATORS[standard])


def test_list_years_of_the_national_standards_follow_each_other() -> None:
    """List years: QĐ 59 2016 to 2021, Decree 07 2022 to 2026, Decree 351's new lines 2027 to 2030."""
    national = ("qd-59-2015", "nd-07-2021", "nd-351-2025")
    spans = [(load_standard(s).valid_from, load_standard(s).valid_to) for s in national]
    assert spans == [
        (dt.date(2016, 1, 1), dt.date(2021, 12, 31)),
        (dt.date(2022, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), dt.date(2030, 12, 31)),
    ]


@pytest.mark.parametrize(
    ("area", "income", "deprived", "expected"),
    [
        # Rural, 1,600,000, 1 deprivation: above QĐ 59's middle band (1.5 M), in Decree 07's middle band
        # (1.5 to 2.25 M), under Decree 351's line (2.2 M) with < 3, under HCMC's 46 M/year (19.2 M) with < 3.
        (
            "rural",
            1_600_000,
            ("housing_area",),
            {
                "qd-59-2015": "khac",
                "nd-07-2021": "muc_song_trung_binh",
                "nd-351-2025": "can_ngheo",
                "hcm-2024": "can_ngheo",
            },
        ),
        # Urban, 900,000, no deprivation: QĐ 59's income-only tier makes it poor; elsewhere near-poor.
        (
            "urban",
            900_000,
            (),
            {
                "qd-59-2015": "ngheo",
                "nd-07-2021": "can_ngheo",
                "nd-351-2025": "can_ngheo",
                "hcm-2024": "can_ngheo",
            },
        ),
        # Rural, 2,000,000, 3 deprivations every standard shares: above QĐ 59's middle band (1.5 M), in
        # Decree 07's middle band, poor under Decree 351 (≤ 2.2 M) and under HCMC (24 M/year ≤ 46 M).
        (
            "rural",
            2_000_000,
            ("housing_area", "water_source", "sanitation"),
            {
                "qd-59-2015": "khac",
                "nd-07-2021": "muc_song_trung_binh",
                "nd-351-2025": "ngheo",
                "hcm-2024": "ngheo",
            },
        ),
        # Urban, 3,500,000 (42 M/year), 3 deprivations: above every national line, poor under HCMC's line.
        (
            "urban",
            3_500_000,
            ("housing_area", "water_source", "sanitation"),
            {"qd-59-2015": "khac", "nd-07-2021": "khac", "nd-351-2025": "tren_chuan", "hcm-2024": "ngheo"},
        ),
        # Rural, 1,000,000, 2 deprivations: QĐ 59 near-poor (between its two lines), near-poor elsewhere too.
        (
            "rural",
            1_000_000,
            ("housing_area", "water_source"),
            {
                "qd-59-2015": "can_ngheo",
                "nd-07-2021": "can_ngheo",
                "nd-351-2025": "can_ngheo",
                "hcm-2024": "can_ngheo",
            },
        ),
    ],
)
def test_the_same_household_moves_between_standards_as_the_rules_say(
    area: str,
    income: int,
    deprived: tuple[str, ...],
    expected: dict[str, str],
) -> None:
    """One record classified under every standard gets the class each standard's own rules give it."""
    household = record(area, income, deprived)
    got = {s: classify(household, s, reference_date=REFERENCE_DATE).outcome for s in STANDARDS}
    assert got == expected


def test_a_deprivation_only_another_standard_knows_changes_nothing() -> None:
    """Flags of other standards' indicators are ignored: only QĐ 59 counts health_care_access, etc."""
    own_only = ("housing_area", "water_source")  # 2 deprivations every standard shares
    foreign = {
        "health_care_access": True,
        "digital_services": True,
        "social_insurance": True,
        "information_access": True,
        "employment": True,
    }
    household = record("rural", 1_000_000, own_only, **foreign)
    counts = {s: classify(household, s, reference_date=REFERENCE_DATE).deprivation_count for s in STANDARDS}
    # QĐ 59: +health_care_access +information_access; Decree 07: +information_access +employment;
    # Decree 351: +employment only (digital_services is no indicator of any standard);
    # HCMC: +social_insurance +information_access +employment.
    assert counts == {"qd-59-2015": 4, "nd-07-2021": 4, "nd-351-2025": 3, "hcm-2024": 5}


@pytest.mark.parametrize("standard", STANDARDS)
def test_each_standard_names_the_keys_it_ignored(standard: str) -> None:
    """Classification.ignored_flags lists exactly the other standards' keys, and the trace repeats them."""
    result = classify(record("rural", 1_000_000), standard, reference_date=REFERENCE_DATE)
    expected = tuple(sorted(set(EVERY_KEY) - set(INDICATORS[standard])))
    assert result.ignored_flags == expected
    assert result.trace.ignored_flags == expected
    assert {r.source for r in result.indicators} == {"flag"}
    assert result.unknown_count == 0


def test_ignored_keys_of_decree_351_are_the_dropped_and_foreign_indicators() -> None:
    """Decree 351 reads neither information_access (reported dropped) nor QĐ 59's or HCMC's own keys."""
    result = classify(record("urban", 2_000_000), "nd-351-2025", reference_date=REFERENCE_DATE)
    assert result.ignored_flags == ("health_care_access", "information_access", "social_insurance")


def test_qd59_income_only_tier_decides_without_any_deprivation_answer() -> None:
    """At or under QĐ 59's poverty line the household is poor even when every indicator is unknown."""
    household = Household(id="H", area="rural", income_per_capita_month=700_000, member_count=3)
    result = classify(household, "qd-59-2015", reference_date=dt.date(2019, 11, 1))
    assert result.outcome == "ngheo"
    assert (result.unknown_count, result.fired_rules) == (10, ("ngheo_thu_nhap_nong_thon",))
    # Under Decree 07 the same unknowns leave poor and near-poor open.
    national = classify(household, "nd-07-2021", reference_date=REFERENCE_DATE)
    assert national.outcome == "khong_du_du_lieu"
    assert set(national.possible_outcomes) == {"ngheo", "can_ngheo"}


def test_decree_351_has_no_middle_living_band_and_says_so() -> None:
    """No 2027-2030 middle band was found: the class above the line is tren_chuan, declared not modelled."""
    ruleset = load_standard("nd-351-2025")
    assert set(ruleset.classes) == {"ngheo", "can_ngheo", "tren_chuan"}
    assert any("mức sống trung bình" in item.provision for item in ruleset.not_modelled)


def test_decree_351_known_parts_are_verified_and_indicators_provisional() -> None:
    """Lines, cut-off and poor/near-poor rules are confirmed; every indicator is provisional, unverified."""
    ruleset = load_standard("nd-351-2025")
    names = ("income_line_rural", "income_line_urban", "deprivation_cutoff")
    lines = {p: ruleset.parameters[p] for p in names}
    assert {p: v.value for p, v in lines.items()} == {
        "income_line_rural": 2_200_000,
        "income_line_urban": 2_800_000,
        "deprivation_cutoff": 3,
    }
    assert all(p.verified and not p.provisional for p in lines.values())
    assert all(r.verified for r in ruleset.rules if r.outcome in ("ngheo", "can_ngheo"))
    assert all(i.provisional and not i.verified for i in ruleset.indicators)


def test_qd59_indicators_are_all_unverified_and_its_lines_confirmed() -> None:
    """QĐ 59's 10 thresholds were not found (verified false); its four income lines are confirmed."""
    ruleset = load_standard("qd-59-2015")
    assert not any(i.verified for i in ruleset.indicators)
    lines = ("poverty_line_rural", "poverty_line_urban", "near_poverty_line_rural", "near_poverty_line_urban")
    assert [ruleset.parameters[p].value for p in lines] == [700_000, 900_000, 1_000_000, 1_300_000]
    assert all(ruleset.parameters[p].verified for p in lines)
    assert not ruleset.parameters["middle_upper_rural"].verified


def test_hcm_overlay_replaces_every_national_rule_with_one_yearly_city_line() -> None:
    """The overlay's rules read the yearly income and never the area; no national rule survives."""
    ruleset = load_standard("hcm-2024")
    national = {r.id for r in load_standard("nd-07-2021").rules}
    assert national.isdisjoint(r.id for r in ruleset.rules)
    facts = {node.fact for r in ruleset.rules for node in walk(r.condition) if isinstance(node, Compare)}
    assert facts == {"income_per_capita_year", "deprivation_count"}
    assert not any(r.verified for r in ruleset.rules)


@pytest.mark.parametrize(
    ("income_total_month", "deprived", "expected"),
    [
        (46_000_000, 3, "ngheo"),  # 12 members: exactly 46,000,000 per person per year
        (46_000_000, 2, "can_ngheo"),
        (46_000_001, 3, "can_ngheo"),  # one đồng a year above the line: the 46–54 M near-poor band
        (54_000_000, 0, "can_ngheo"),
        (54_000_001, 0, "muc_song_trung_binh"),
        (69_000_000, 0, "muc_song_trung_binh"),
        (69_000_001, 0, "khac"),
    ],
)
def test_hcm_city_line_applies_alike_in_rural_and_urban_areas(
    income_total_month: int,
    deprived: int,
    expected: str,
) -> None:
    """At and one đồng above 46 M, 54 M and 69 M per person per year, rural and urban get the same class."""
    keys = ("housing_area", "water_source", "sanitation")[:deprived]
    for area in ("rural", "urban"):
        household = record(area, income_total_month / 12, keys)
        result = classify(household, "hcm-2024", reference_date=dt.date(2025, 11, 1))
        assert result.outcome == expected, area


def test_hcm_social_insurance_reads_employed_members_only() -> None:
    """An employed member outside social insurance is deprived; one outside the labour force is not."""

    def household(status: str) -> Household:
        member = Member({"employment_status": status, "social_insurance": False}, member_id="M1")
        return Household(id="H", area="urban", income_per_capita_month=3_000_000, members=(member,))

    employed = classify(household("employed"), "hcm-2024", reference_date=dt.date(2025, 11, 1))
    inactive = classify(household("inactive"), "hcm-2024", reference_date=dt.date(2025, 11, 1))
    assert employed.indicator("social_insurance").deprived is True
    assert employed.indicator("social_insurance").triggered_by == ("member M1",)
    assert inactive.indicator("social_insurance").deprived is False


@pytest.mark.parametrize(
    ("members", "deprived"),
    [
        # 2 children under 16 and 1 elderly person on a monthly allowance out of 4: 75% > 50%.
        ((("2015-01-01", False), ("2018-01-01", False), ("1950-01-01", True), ("1985-01-01", False)), True),
        # 1 child and 1 elderly person on an allowance out of 4: exactly 50%, not more than half.
        ((("2015-01-01", False), ("1950-01-01", True), ("1985-01-01", False), ("1987-01-01", False)), False),
        # Turned 16 the day before the reference date: no longer a child dependant; 1 of 4 is 25%.
        ((("2010-10-31", False), ("2016-01-01", False), ("1985-01-01", False), ("1987-01-01", False)), False),
    ],
)
def test_decree_351_dependants_are_children_under_16_and_elderly_or_disabled_on_allowance(
    members: tuple[tuple[str, bool], ...],
    deprived: bool,
) -> None:
    """The draft definition of dependants, with the > 50% share, decides the Decree 351 indicator."""
    people = tuple(
        Member({"birth_date": dt.date.fromisoformat(born), "elderly_or_disabled_on_allowance": allowance})
        for born, allowance in members
    )
    household = Household(id="H", area="rural", income_per_capita_month=2_000_000, members=people)
    result = classify(household, "nd-351-2025", reference_date=REFERENCE_DATE)
    assert result.indicator("dependants").deprived is deprived


def test_decree_351_counts_at_most_two_for_missing_internet_digital_services_and_waste() -> None:
    """Lacking internet access, digital services and waste handling (phone used) is 1 deprivation, not 3."""
    facts = {
        "has_internet_access": False,
        "uses_digital_services": False,
        "domestic_waste_handled": False,
        "uses_phone": True,
        "uses_internet": False,
    }
    household = Household(
        id="H", area="rural", income_per_capita_month=2_000_000, member_count=2, facts=facts
    )
    result = classify(household, "nd-351-2025", reference_date=REFERENCE_DATE)
    assert [r.id for r in result.indicators if r.deprived] == ["waste_handling"]
    worst = Household(
        id="H",
        area="rural",
        income_per_capita_month=2_000_000,
        member_count=2,
        facts={**facts, "uses_phone": False},
    )
    deprived = [
        r.id for r in classify(worst, "nd-351-2025", reference_date=REFERENCE_DATE).indicators if r.deprived
    ]
    assert deprived == ["telecom", "waste_handling"]


@pytest.mark.parametrize(("fact", "indicator"), [("domestic_waste_handled", "waste_handling")])
def test_decree_351_new_indicators_read_their_own_survey_answer(fact: str, indicator: str) -> None:
    """The reported new waste indicator is deprived when its own answer is false, and unknown without it."""

    def result_for(facts: dict[str, bool]) -> bool | None:
        household = Household(
            id="H", area="rural", income_per_capita_month=2_000_000, member_count=2, facts=facts
        )
        return classify(household, "nd-351-2025", reference_date=REFERENCE_DATE).indicator(indicator).deprived

    assert result_for({fact: False}) is True
    assert result_for({fact: True}) is False
    assert result_for({}) is None
