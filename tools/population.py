"""Seeded synthetic populations: realistic raw household records in data contract v1 form.

``generate_records`` yields plain dicts exactly as a commune would hand them in (JSON form of
``rules/facts.yaml``; dates as ISO strings), for benchmarks, demos and the bundled sample commune.
The records are *synthetic*: no real person, household or survey is behind them.

What makes them realistic enough to exercise every rule:

* households of 1 to 9 members (about 3.5 on average) with plausible compositions (single elderly,
  young couples, parents with children, three generations), so every age band of the indicators
  (under 6, 3 to 15, 16 and 17, 18 to 30, elderly) occurs;
* both areas: a *xã* is rural, a *phường* urban (the reviewers' default mapping in facts.yaml);
* income per person per month drawn per area from a log-normal distribution around survey-like levels,
  with a deliberate share placed exactly on (and one đồng either side of) the standard's income
  thresholds, which are read from the loaded rule set, never written here;
* deprivations correlated with income: poorer households more often lack health insurance, live in
  non-durable housing, use unsafe water, and so on. Which water sources or latrines count as
  deprived is also read from the rule set's indicator conditions;
* the answers every standard under rules/ reads, not only the primary one's: sickness left without
  care (QĐ 59/2015), internet access, digital services, waste handling and monthly social allowances
  (Decree 351/2025), social insurance (the HCMC 2024 overlay). So the same population can be
  classified under each standard without unknowns that only mean "the generator never asked";
* some flags-only records (every indicator of every standard answered directly in ``deprivations``,
  plus ``member_count``) and a few records with answers left out (unknown), because real files have both.

Only ``random.Random(seed)`` is used, so a seed gives the same records on every run and machine.
The statistical levels below (medians, shares, probabilities) describe a plausible population; they
are not legal numbers and no rule depends on them.

Command line (regenerates the bundled sample)::

    python -m tools.population --households 400 --seed 2026 --unknown-share 0.04 \
        --out classifier/data/sample
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from classifier.indicators.evaluate import age_at
from classifier.rules import list_standards, load_ruleset
from classifier.rules.conditions import Compare, comparisons
from classifier.rules.ruleset import RuleSet

__all__ = [
    "DEFAULT_PROVINCE",
    "DEFAULT_REFERENCE_DATE",
    "GENERATED_HOUSEHOLD_FACTS",
    "GENERATED_MEMBER_FACTS",
    "generate_records",
    "households_csv_header",
    "main",
    "members_csv_header",
    "write_csv",
    "write_json",
    "write_jsonl",
]

#: A real province name; the communes and villages are made up.
DEFAULT_PROVINCE = "Tỉnh Phú Thọ"
#: The usual review date: the annual review runs in the last months of the year.
DEFAULT_REFERENCE_DATE = dt.date(2026, 11, 1)

#: The household and member facts (rules/facts.yaml names) the generator answers.
GENERATED_HOUSEHOLD_FACTS = frozenset(
    {
        "area",
        "floor_area_m2",
        "walls_durable",
        "frame_durable",
        "roof_durable",
        "water_source",
        "latrine_type",
        "uses_phone",
        "uses_internet",
        "has_tv",
        "has_radio",
        "has_computer",
        "has_smartphone",
        "hears_loudspeaker",
        "uses_digital_services",
        "has_internet_access",
        "domestic_waste_handled",
    }
)
GENERATED_MEMBER_FACTS = frozenset(
    {
        "birth_date",
        "has_health_insurance",
        "in_school",
        "education",
        "employment_status",
        "wage_worker",
        "has_labour_contract",
        "is_dependant",
        "stunted",
        "underweight",
        "sick_without_care",
        "social_insurance",
        "elderly_or_disabled_on_allowance",
        "onsite_training_certified",
    }
)

# ---- statistical levels (not law) -----------------------------------------------------------------
# Median income per person per month (VND) and log-normal spread, per area. Chosen so that, under
# Decree 07/2021, a few per cent fall under each income line and most households sit above the
# middle-living band: a plausible shape for tests and benchmarks, not a calibration to statistics.
_INCOME_MEDIAN = {"rural": 4_000_000, "urban": 6_500_000}
_INCOME_SIGMA = {"rural": 0.60, "urban": 0.60}
# Share of households whose income is put on a threshold (70 %) or one đồng either side (15 % each).
_BOUNDARY_SHARE = 0.03
# Share of records that give the total household income instead of income per person.
_TOTAL_INCOME_SHARE = 0.05
# Household size distribution 1..9 (mean about 3.5).
_SIZE_WEIGHTS = (0.10, 0.19, 0.21, 0.26, 0.13, 0.07, 0.025, 0.01, 0.005)
# Relative draw weights of water sources and latrines within the "fine" and "deprived" pools. The
# split into pools comes from the rule set; these only say which fine source is more common.
_WATER_WEIGHTS = {
    "rural": {
        "piped": 40,
        "drilled_well": 30,
        "protected_dug_well": 10,
        "protected_spring": 4,
        "rainwater": 8,
        "bottled": 6,
        "unprotected_dug_well": 30,
        "unprotected_spring": 15,
        "surface_water": 35,
        "tanker": 5,
        "other": 5,
    },
    "urban": {
        "piped": 85,
        "drilled_well": 8,
        "protected_dug_well": 1,
        "protected_spring": 1,
        "rainwater": 1,
        "bottled": 8,
        "unprotected_dug_well": 20,
        "unprotected_spring": 5,
        "surface_water": 10,
        "tanker": 30,
        "other": 15,
    },
}
_LATRINE_WEIGHTS = {
    "rural": {
        "septic": 45,
        "semi_septic": 15,
        "pour_flush": 12,
        "double_vault": 6,
        "ventilated_pit": 4,
        "simple_pit": 45,
        "open": 25,
        "none": 20,
        "other": 5,
    },
    "urban": {
        "septic": 90,
        "semi_septic": 8,
        "pour_flush": 2,
        "double_vault": 1,
        "ventilated_pit": 1,
        "simple_pit": 40,
        "open": 20,
        "none": 20,
        "other": 20,
    },
}
# Flags-only records (forms B1/B2): chance that each indicator is answered "deprived", as
# base + slope * risk (risk in [0, 1], higher for poorer households).
_FLAG_PROB: Mapping[str, tuple[float, float]] = {
    "employment": (0.08, 0.45),
    "dependants": (0.03, 0.20),
    "nutrition": (0.01, 0.12),
    "health_insurance": (0.03, 0.40),
    "adult_education": (0.05, 0.35),
    "child_schooling": (0.01, 0.12),
    "housing_quality": (0.02, 0.45),
    "housing_area": (0.02, 0.25),
    "water_source": (0.03, 0.35),
    "sanitation": (0.04, 0.50),
    "telecom": (0.005, 0.12),
    "information_access": (0.01, 0.15),
    # Indicators of the other standards (QĐ 59, Decree 351, the HCMC overlay), at about the rates the
    # member-level answers below give.
    "health_care_access": (0.02, 0.05),
    "waste_handling": (0.12, 0.35),
    "internet_access": (0.06, 0.30),
    "digital_services": (0.25, 0.45),
    "social_insurance": (0.60, 0.25),
}
_FLAG_PROB_DEFAULT = (0.03, 0.30)

# ---- made-up Vietnamese place names ----------------------------------------------------------------
_NAME_FIRST = (
    "Tân",
    "Hòa",
    "Minh",
    "Yên",
    "Phúc",
    "An",
    "Vĩnh",
    "Xuân",
    "Thanh",
    "Hưng",
    "Quang",
    "Đồng",
    "Trung",
    "Bình",
    "Phú",
    "Long",
    "Thịnh",
    "Gia",
    "Hợp",
    "Kim",
    "Đại",
    "Sơn",
    "Thuận",
    "Hồng",
)
_NAME_SECOND = (
    "Lập",
    "Bình",
    "Đức",
    "Sơn",
    "Phú",
    "Thịnh",
    "Minh",
    "Hòa",
    "Lộc",
    "Tiến",
    "Hưng",
    "Thành",
    "Phong",
    "Tâm",
    "An",
    "Lợi",
    "Khánh",
    "Thuận",
    "Trung",
    "Long",
    "Xuân",
    "Mỹ",
    "Quang",
    "Phát",
)
_WARD_NAMES = (
    "Quang Trung",
    "Lê Lợi",
    "Trần Phú",
    "Hùng Vương",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Bạch Đằng",
    "Trần Hưng Đạo",
    "Phan Đình Phùng",
    "Võ Thị Sáu",
    "Ngô Quyền",
    "Lê Hồng Phong",
    "Hoàng Văn Thụ",
    "Điện Biên",
    "Bà Triệu",
)
_VILLAGE_NAMES = (
    "Đồng Tâm",
    "Tân Tiến",
    "Hòa Bình",
    "Thống Nhất",
    "Quyết Tiến",
    "Bình Minh",
    "Tiền Phong",
    "Liên Hợp",
    "Đoàn Kết",
    "Trung Tâm",
    "Làng Mới",
    "Gò Cao",
    "Cầu Trắng",
    "Đồng Xuân",
    "Khe Mát",
    "Chùa",
    "Đình",
    "Thượng",
    "Hạ",
    "Đông",
    "Đoài",
    "Phú Mỹ",
    "Núi Đỏ",
    "Bãi Sậy",
    "Xóm Mới",
    "Đồng Bằng",
    "Tân Hợp",
    "Suối Cát",
    "Đồi Chè",
    "Ao Sen",
)


# ---- what the rule set says (read, never restated) -------------------------------------------------


class _RuleFacts:
    """The numbers and lists of the rule sets that the generator aims at, read from their conditions.

    The primary rule set decides where unknown answers are concentrated and which water sources,
    latrines and floor areas count as deprived; the income lines of every rule set are hit exactly, and
    flags-only records answer the indicators of every rule set.
    """

    def __init__(self, ruleset: RuleSet, others: Sequence[RuleSet] = ()) -> None:
        missing = sorted(GENERATED_HOUSEHOLD_FACTS - set(ruleset.facts.household)) + sorted(
            GENERATED_MEMBER_FACTS - set(ruleset.facts.member)
        )
        if missing:  # the generator must only write names of the data contract
            raise ValueError(f"facts not in the catalogue of {ruleset.id}: {', '.join(missing)}")
        self.indicator_ids: tuple[str, ...] = _flag_keys(ruleset, others)
        self.thresholds: dict[str, tuple[int, ...]] = _income_thresholds(ruleset)
        # Lines to hit exactly: half of the draws go to the primary's lines, half to the other lines,
        # so that adding standards does not thin out the primary's boundary cases.
        extra: dict[str, set[int]] = {}
        for other in others:
            for area, values in _income_thresholds(other).items():
                extra.setdefault(area, set()).update(values)
        self.boundary_targets: dict[str, tuple[int, ...]] = {}
        for area in sorted(set(self.thresholds) | set(extra)):
            own = self.thresholds.get(area, ())
            more = tuple(sorted(extra.get(area, set()) - set(own)))
            self.boundary_targets[area] = (own * len(more) + more * len(own)) if own and more else own or more
        deprived = _deprived_enum_values(ruleset)
        facts = ruleset.facts.household
        self.bad_water = deprived.get("water_source", frozenset())
        self.bad_latrine = deprived.get("latrine_type", frozenset())
        self.water_values = tuple(facts["water_source"].values) if "water_source" in facts else ()
        self.latrine_values = tuple(facts["latrine_type"].values) if "latrine_type" in facts else ()
        self.min_area_per_person = _floor_area_limit(ruleset)


def _other_rulesets(
    primary: RuleSet,
    others: Sequence[str | RuleSet] | None,
) -> tuple[RuleSet, ...]:
    """The rule sets besides ``primary`` to serve: those named, or (None) every standard under rules/."""
    if others is None:
        others = list_standards()
    loaded = [o if isinstance(o, RuleSet) else load_ruleset(o) for o in others]
    return tuple(o for o in loaded if o.id != primary.id)


def _flag_keys(primary: RuleSet, others: Sequence[RuleSet]) -> tuple[str, ...]:
    """Indicator keys a flags-only record answers: the primary's in order, then the others' new ones."""
    keys = dict.fromkeys(primary.indicator_ids)
    for other in others:
        keys.update(dict.fromkeys(other.indicator_ids))
    return tuple(keys)


def _income_thresholds(ruleset: RuleSet) -> dict[str, tuple[int, ...]]:
    """Per area, every income per person per month a classification rule compares against."""
    found: dict[str, set[int]] = {"rural": set(), "urban": set()}
    for rule in ruleset.rules:
        nodes = comparisons(rule.condition)
        areas = [n.value for n in nodes if n.fact == "area" and n.op == "eq"]
        for node in nodes:
            if isinstance(node.value, bool):
                continue
            if node.fact == "income_per_capita_month" and isinstance(node.value, int | float):
                value = node.value
            elif node.fact == "income_per_capita_year" and isinstance(node.value, int | float):
                value = node.value / 12
            else:
                continue
            if value != int(value):
                continue  # a yearly line not divisible by 12 cannot be hit exactly in whole đồng
            for area in areas or list(found):
                found.setdefault(str(area), set()).add(int(value))
    return {area: tuple(sorted(values)) for area, values in found.items()}


def _deprived_enum_values(ruleset: RuleSet) -> dict[str, frozenset[str]]:
    """For enum facts tested directly by an indicator (``water_source not_in [...]``): deprived values."""
    out: dict[str, frozenset[str]] = {}
    for indicator in ruleset.indicators:
        cond = indicator.condition
        if not isinstance(cond, Compare):
            continue
        spec = ruleset.facts.household.get(cond.fact)
        if spec is None or spec.type != "enum":
            continue
        values = set(spec.values)
        listed = set(cond.value) if isinstance(cond.value, list | tuple | set | frozenset) else {cond.value}
        if cond.op in ("not_in", "ne"):
            out[cond.fact] = frozenset(values - listed)
        elif cond.op in ("in", "eq"):
            out[cond.fact] = frozenset(values & listed)
    return out


def _floor_area_limit(ruleset: RuleSet) -> float | None:
    """The floor area per person the housing-area indicator compares against, if any."""
    for indicator in ruleset.indicators:
        for node in comparisons(indicator.condition):
            if node.fact == "floor_area_per_person":
                return float(node.value)
    return None


# ---- small fast helpers -----------------------------------------------------------------------------


# Categorical draws use a lookup table of _RESOLUTION slots: one random() and one index per draw,
# several times faster than a cumulative search (shares are kept to 0.1 %).
_RESOLUTION = 1000


def _table(values: Sequence[Any], weights: Sequence[float]) -> tuple[Any, ...]:
    """A tuple of _RESOLUTION slots holding each value in proportion to its weight."""
    total = float(sum(weights))
    slots: list[Any] = []
    acc = 0.0
    for value, weight in zip(values, weights, strict=True):
        acc += weight
        slots.extend([value] * (round(_RESOLUTION * acc / total) - len(slots)))
    return tuple(slots)


class _Pool:
    """Two weighted tables of one enum: values the rule set counts as deprived, and the rest."""

    def __init__(self, values: Sequence[str], bad: frozenset[str], weights: Mapping[str, float]) -> None:
        good = [v for v in values if v not in bad] or list(values)
        worse = [v for v in values if v in bad] or list(values)
        self.good = _table(good, [weights.get(v, 1) for v in good])
        self.bad = _table(worse, [weights.get(v, 1) for v in worse])


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def _birth_date_table(reference_date: dt.date, max_age: int = 105) -> list[tuple[str, ...]]:
    """For each age, every ISO birth date giving exactly that completed age at the reference date."""
    table: list[tuple[str, ...]] = []
    one_day = dt.timedelta(days=1)
    for age in range(max_age + 1):
        start = _years_before(reference_date, age + 1) - one_day * 2
        end = _years_before(reference_date, age) + one_day * 2
        days = []
        day = start
        while day <= end:
            if age_at(day, reference_date) == age:
                days.append(day.isoformat())
            day += one_day
        table.append(tuple(days))
    return table


def _logistic(x: float) -> float:
    if x > 40:
        return 1.0
    if x < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


# ---- places -----------------------------------------------------------------------------------------


def _places(
    rng: random.Random,
    n_households: int,
    communes: int | Sequence[str] | None,
    villages_per_commune: int | None,
) -> list[tuple[str, str, str, int]]:
    """(commune, village, area, households) per village, in list order, covering all households."""
    if communes is None:
        communes = max(2, round(n_households / 1500))
    if isinstance(communes, int):
        if communes < 1:
            raise ValueError("communes must be at least 1")
        names = _commune_names(rng, communes)
    else:
        names = [str(c) for c in communes]
        if not names:
            raise ValueError("communes must name at least one commune")
    if villages_per_commune is None:
        villages_per_commune = min(12, max(4, n_households // max(1, len(names)) // 200))
    if villages_per_commune < 1:
        raise ValueError("villages_per_commune must be at least 1")

    villages: list[tuple[str, str, str, float]] = []
    for name in names:
        area = "rural" if name.startswith("Xã") else "urban"
        if area == "rural":
            picked = (
                rng.sample(_VILLAGE_NAMES, villages_per_commune)
                if villages_per_commune <= len(_VILLAGE_NAMES)
                else [str(j) for j in range(1, villages_per_commune + 1)]
            )
            village_names = [f"Thôn {v}" for v in picked]
        else:
            village_names = [f"Tổ dân phố {j}" for j in range(1, villages_per_commune + 1)]
        for village in village_names:
            villages.append((name, village, area, 0.6 + 0.8 * rng.random()))

    total = sum(v[3] for v in villages)
    out: list[tuple[str, str, str, int]] = []
    acc = 0.0
    given = 0
    for commune, village, area, weight in villages:
        acc += weight
        upto = round(n_households * acc / total)
        out.append((commune, village, area, upto - given))
        given = upto
    return out


def _commune_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct made-up names: the first a xã, the second a phường, then about 2 xã : 1 phường."""
    combos = [f"{a} {b}" for a in _NAME_FIRST for b in _NAME_SECOND if a != b]
    rng.shuffle(combos)
    wards = list(_WARD_NAMES)
    rng.shuffle(wards)
    used: set[str] = set()
    names: list[str] = []
    combo_iter = iter(combos)
    for index in range(count):
        urban = index == 1 or (index > 1 and rng.random() < 0.35)
        base = wards.pop() if urban and wards else next(combo_iter, None) or f"Tân Lập {index + 1}"
        prefix = "Phường" if urban else "Xã"
        name = f"{prefix} {base}"
        suffix = 2
        while name in used:  # past the pools in very large runs: number the repeats
            name = f"{prefix} {base} {suffix}"
            suffix += 1
        used.add(name)
        names.append(name)
    return names


# ---- households -------------------------------------------------------------------------------------

_SIZE_TABLE = _table(range(1, len(_SIZE_WEIGHTS) + 1), _SIZE_WEIGHTS)
_LOW_EDUCATION = _table(("none", "primary", "lower_secondary"), (0.15, 0.35, 0.50))
_HIGH_EDUCATION_LEVELS = (
    "upper_secondary",
    "vocational_elementary",
    "vocational_intermediate",
    "college",
    "university",
)
_HIGH_EDUCATION = {
    "rural": _table(_HIGH_EDUCATION_LEVELS, (0.55, 0.12, 0.13, 0.08, 0.12)),
    "urban": _table(_HIGH_EDUCATION_LEVELS, (0.35, 0.07, 0.12, 0.11, 0.35)),
}


def _ages(size: int, r: Any) -> list[int]:
    """Member ages for a household of ``size``: a plausible composition, head first."""
    if size == 1:
        return [65 + int(r() * 26)] if r() < 0.5 else [20 + int(r() * 40)]
    if size == 2:
        u = r()
        if u < 0.40:
            a = 60 + int(r() * 26)
            return [a, max(55, a - 4 + int(r() * 8))]
        if u < 0.75:
            a = 22 + int(r() * 16)
            return [a, max(18, a - 3 + int(r() * 6))]
        a = 25 + int(r() * 30)
        return [a, max(0, min(a - 18, int(r() * 20)))]
    three_generations = r() < (0.25 if size <= 4 else 0.60)
    ages: list[int] = []
    if three_generations:
        g = 58 + int(r() * 28)
        ages.append(g)
        if size >= 5 and r() < 0.7:
            ages.append(max(55, g - 5 + int(r() * 10)))
        parent = max(22, g - 22 - int(r() * 12))
    else:
        parent = 24 + int(r() * 31)
    ages.append(parent)
    if len(ages) < size:
        ages.append(max(18, parent - 4 + int(r() * 8)))
    # Children: born when the parents were 18..40, the oldest may be an adult still at home.
    oldest = max(0, min(parent - 18, 30))
    while len(ages) < size:
        ages.append(int(r() * (oldest + 1)))
    return ages


def generate_records(
    n_households: int,
    *,
    seed: int,
    province: str = DEFAULT_PROVINCE,
    communes: int | Sequence[str] | None = None,
    villages_per_commune: int | None = None,
    reference_date: dt.date = DEFAULT_REFERENCE_DATE,
    flags_share: float = 0.1,
    unknown_share: float = 0.02,
    standard: str | RuleSet = "nd-07-2021",
    other_standards: Sequence[str | RuleSet] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``n_households`` synthetic raw records (data contract v1, JSON form), reproducibly.

    ``communes`` is a number of made-up communes (the first a xã, the second a phường; default
    about one per 1,500 households, at least 2) or their names ("Xã …" is rural, anything else
    urban); ``villages_per_commune`` defaults to about one village per 200 households (4 to 12).
    ``flags_share`` of the records are flags-only (``deprivations`` + ``member_count``). About
    ``unknown_share`` of the records leave answers out, far more often those at or under an income
    line, where a missing answer can change the class; area and income are never left out. Income
    thresholds, deprived water sources and latrines and the floor-area limit come from ``standard``
    (an id or a loaded RuleSet). ``other_standards`` (default: every standard under rules/) add their
    income lines to those hit exactly and their indicators to the flags-only records; every record
    answers the facts any standard reads, whichever are named. Ages are exact at ``reference_date``,
    which every record carries.
    """
    if n_households < 0:
        raise ValueError("n_households must not be negative")
    ruleset = standard if isinstance(standard, RuleSet) else load_ruleset(standard)
    rf = _RuleFacts(ruleset, _other_rulesets(ruleset, other_standards))
    rng = random.Random(seed)
    villages = _places(rng, n_households, communes, villages_per_commune)
    return _generate(rng, n_households, province, villages, reference_date, flags_share, unknown_share, rf)


def _generate(
    rng: random.Random,
    n: int,
    province: str,
    villages: list[tuple[str, str, str, int]],
    reference_date: dt.date,
    flags_share: float,
    unknown_share: float,
    rf: _RuleFacts,
) -> Iterator[dict[str, Any]]:
    r = rng.random
    gauss = rng.gauss
    exp = math.exp
    log = math.log
    birth = _birth_date_table(reference_date)
    birth_len = [len(x) for x in birth]
    ref_iso = reference_date.isoformat()
    width = max(6, len(str(n)))
    water = {a: _Pool(rf.water_values, rf.bad_water, _WATER_WEIGHTS[a]) for a in ("rural", "urban")}
    latrine = {a: _Pool(rf.latrine_values, rf.bad_latrine, _LATRINE_WEIGHTS[a]) for a in ("rural", "urban")}
    mu = {a: log(_INCOME_MEDIAN[a]) for a in ("rural", "urban")}
    thresholds = rf.thresholds
    targets = rf.boundary_targets
    min_area = rf.min_area_per_person
    indicator_flags = [(key, *_FLAG_PROB.get(key, _FLAG_PROB_DEFAULT)) for key in rf.indicator_ids]

    index = 0
    for commune, village, area, count in villages:
        urban = area == "urban"
        water_pool, latrine_pool = water[area], latrine[area]
        area_thresholds = thresholds.get(area, ())
        area_targets = targets.get(area, ())
        area_mu, area_sigma = mu[area], _INCOME_SIGMA[area]
        for _ in range(count):
            index += 1
            hid = f"H{index:0{width}d}"

            # Income: log-normal, or deliberately on a threshold / one đồng either side of it.
            if area_targets and r() < _BOUNDARY_SHARE:
                income = area_targets[int(r() * len(area_targets))]
                u = r()
                if u < 0.15:
                    income -= 1
                elif u < 0.30:
                    income += 1
            else:
                income = int(round(exp(area_mu + area_sigma * gauss()), -3))
                income = max(income, 100_000)
            # risk in (0, 1): high for poor households; drives every deprivation below.
            z = (log(income) - area_mu) / area_sigma
            risk = _logistic(-(1.5 * z + 2.5 + 0.9 * gauss()))

            size = _SIZE_TABLE[int(r() * _RESOLUTION)]
            record: dict[str, Any] = {
                "id": hid,
                "area": area,
                "province": province,
                "commune": commune,
                "village": village,
            }
            if r() < _TOTAL_INCOME_SHARE:
                record["income_total_month"] = income * size
            else:
                record["income_per_capita_month"] = income
            record["reference_date"] = ref_iso

            if r() < flags_share:
                record["member_count"] = size
                record["deprivations"] = {
                    key: r() < base + slope * risk for key, base, slope in indicator_flags
                }
            else:
                _household_answers(
                    record,
                    hid,
                    size,
                    risk,
                    urban,
                    r,
                    gauss,
                    exp,
                    birth,
                    birth_len,
                    water_pool,
                    latrine_pool,
                    min_area,
                    _HIGH_EDUCATION[area],
                )
            if area_thresholds and income <= area_thresholds[0]:
                weight = _UNKNOWN_WEIGHT[0]
            elif area_thresholds and income <= area_thresholds[-1]:
                weight = _UNKNOWN_WEIGHT[1]
            else:
                weight = _UNKNOWN_WEIGHT[2]
            if r() < unknown_share * weight:
                _leave_out(record, r)
            yield record


def _household_answers(
    record: dict[str, Any],
    hid: str,
    size: int,
    risk: float,
    urban: bool,
    r: Any,
    gauss: Any,
    exp: Any,
    birth: list[tuple[str, ...]],
    birth_len: list[int],
    water_pool: _Pool,
    latrine_pool: _Pool,
    min_area: float | None,
    high_education: Sequence[str],
) -> None:
    """Household answers and members, with deprivations more likely as ``risk`` grows.

    The helpers draw in a fixed order (dwelling, services, then each member): a seed gives the same
    population, and the bundled sample depends on it.
    """
    _dwelling(record, size, risk, urban, r, gauss, exp, water_pool, latrine_pool, min_area)
    _services(record, risk, urban, r)
    insured_p = 0.985 - 0.20 * risk
    members = []
    for k, age in enumerate(_ages(size, r), start=1):
        dates = birth[age]
        m: dict[str, Any] = {
            "id": f"{hid}-{k}",
            "birth_date": dates[int(r() * birth_len[age])],
            "has_health_insurance": age < 6 or r() < insured_p,
        }
        _member_answers(m, age, risk, urban, r, high_education)
        members.append(m)
    record["members"] = members


def _dwelling(
    record: dict[str, Any],
    size: int,
    risk: float,
    urban: bool,
    r: Any,
    gauss: Any,
    exp: Any,
    water_pool: _Pool,
    latrine_pool: _Pool,
    min_area: float | None,
) -> None:
    """Floor area, the three structures, water and latrine."""
    # Floor area: about 22 m² per person, less for poorer households; now and then exactly the limit.
    if min_area is not None and r() < 0.01:
        floor = min_area * size - (1 if r() < 0.3 else 0)
        floor = int(floor) if floor == int(floor) else floor
    else:
        per_person = exp(3.1 + 0.45 * gauss() - 1.1 * risk)
        floor = max(6, int(per_person * size + 0.5))
    record["floor_area_m2"] = floor

    # Housing: non-durable (2 or 3 of 3 structures) for some poor households; one weak part is common.
    walls = frame = roof = True
    u = r()
    if u < 0.005 + 0.40 * risk:
        walls, frame, roof = (
            (False, False, True),
            (False, True, False),
            (True, False, False),
            (False, False, False),
        )[int(r() * 4)]
    elif u < 0.06 + 0.40 * risk:
        walls, frame, roof = ((False, True, True), (True, False, True), (True, True, False))[int(r() * 3)]
    record["walls_durable"] = walls
    record["frame_durable"] = frame
    record["roof_durable"] = roof
    pool = water_pool.bad if r() < (0.005 if urban else 0.03) + 0.35 * risk else water_pool.good
    record["water_source"] = pool[int(r() * _RESOLUTION)]
    pool = latrine_pool.bad if r() < (0.005 if urban else 0.04) + 0.50 * risk else latrine_pool.good
    record["latrine_type"] = pool[int(r() * _RESOLUTION)]


def _services(record: dict[str, Any], risk: float, urban: bool, r: Any) -> None:
    """Telecom, information means and Decree 351's reported new answers."""
    internet = r() < (0.9 if urban else 0.78) - 0.55 * risk
    record["uses_phone"] = r() < 0.98 - 0.25 * risk
    record["uses_internet"] = internet
    record["has_tv"] = r() < 0.93 - 0.35 * risk
    record["has_radio"] = r() < 0.07
    record["has_computer"] = r() < (0.40 if urban else 0.18) - 0.17 * risk
    record["has_smartphone"] = r() < (0.92 if internet else 0.15)
    record["hears_loudspeaker"] = r() < (0.55 if urban else 0.75)
    # Decree 351's reported new answers. A household using the internet can reach it; one that does not
    # often still could (mobile coverage), less so in poor and remote places. Digital services (online
    # payment, public services) go with internet use. Waste collection is near universal in wards.
    record["uses_digital_services"] = r() < (0.93 - 0.35 * risk if internet else 0.04)
    record["has_internet_access"] = internet or r() < (0.85 if urban else 0.72) - 0.50 * risk
    record["domestic_waste_handled"] = r() < (0.97 if urban else 0.85) - 0.45 * risk


def _schooling(age: int, risk: float, urban: bool, r: Any) -> bool:
    """School attendance by age, lower for poorer households."""
    if age < 3 or age > 30:
        return False
    if age < 6:
        return bool(r() < 0.95 - 0.25 * risk)
    if age < 15:
        return bool(r() < 0.995 - 0.12 * risk)
    if age < 18:
        return bool(r() < 0.92 - 0.40 * risk)
    if age < 23:
        return bool(r() < (0.50 if urban else 0.32) - 0.25 * risk)
    return bool(r() < 0.04)


def _education(age: int, school: bool, risk: float, r: Any, high_education: Sequence[str]) -> str:
    """Highest qualification held."""
    if age < 11:
        return "none"
    if age < 15:
        return "primary"
    if age < 18:
        return "lower_secondary" if (school or r() < 0.65 - 0.35 * risk) else "primary"
    low_p = 0.12 + 0.55 * risk + (0.25 if age > 45 else 0.0)
    if r() < low_p:
        return str(_LOW_EDUCATION[int(r() * _RESOLUTION)])
    return high_education[int(r() * _RESOLUTION)]


def _work(age: int, school: bool, risk: float, r: Any) -> str:
    """Employment status: unemployed means able and wanting to work but without a job."""
    if age < 15:
        return "inactive"
    if age >= 60:
        return "employed" if r() < (0.40 if age < 75 else 0.06) else "inactive"
    u = r()
    if school:
        return "employed" if u < 0.15 else "inactive"
    if u < 0.02 + 0.08 * risk:
        return "unemployed"
    return "employed" if u < 0.88 else "inactive"


def _dependant(age: int, status: str, school: bool, risk: float, r: Any) -> bool:
    if age < 16 or age >= 80:
        return True
    if age >= 60:
        return status != "employed" and r() < 0.35 + 0.30 * risk
    return status == "inactive" and not school and r() < 0.15


def _allowance_p(age: int, dependant: bool, risk: float) -> float:
    """A monthly social allowance: most of the very old, some elderly people (poor or living as
    dependants), a few disabled people of other ages. Asked of everyone, so that the share of
    dependants is never unknown only because a child or a working adult was not asked."""
    if age >= 80:
        return 0.80
    if age >= 60:
        return (0.15 + 0.60 * risk) if dependant else (0.02 + 0.20 * risk)
    if age >= 16:
        return (0.12 + 0.20 * risk) if dependant else 0.002
    return 0.005


def _member_answers(
    m: dict[str, Any],
    age: int,
    risk: float,
    urban: bool,
    r: Any,
    high_education: Sequence[str],
) -> None:
    """One member's answers after id, birth date and health insurance."""
    school = _schooling(age, risk, urban, r)
    m["in_school"] = school
    m["education"] = _education(age, school, risk, r, high_education)
    if 16 <= age <= 30 and not school:
        # The adult-education exception (trained on the job and certified by an enterprise) is asked
        # of the people it can concern. Answered "no" without drawing randomness, so that adding the
        # question left every other answer of a seeded population unchanged.
        m["onsite_training_certified"] = False
    status = _work(age, school, risk, r)
    m["employment_status"] = status
    wage = status == "employed" and r() < (0.60 if urban else 0.38)
    m["wage_worker"] = wage
    contract = False
    if wage:  # the contract question is only asked of wage workers (survey skip logic)
        contract = r() < 0.78 - 0.45 * risk
        m["has_labour_contract"] = contract
    dependant = _dependant(age, status, school, risk, r)
    m["is_dependant"] = dependant
    if age < 16:  # anthropometry is measured for children only
        m["stunted"] = r() < 0.02 + 0.10 * risk
        m["underweight"] = r() < 0.015 + 0.06 * risk
    # Seriously ill without seeking care: rare, more often among the old and in poor households.
    m["sick_without_care"] = r() < 0.002 + 0.02 * risk + (0.01 if age >= 60 else 0.0)
    if status == "employed":  # social insurance is asked of people in work (survey skip logic)
        # Wage workers: usually insured with a labour contract, rarely without one. Own-account work
        # and farming: voluntary insurance, uncommon and rare in poor households.
        social_p = (0.88 if contract else 0.08) if wage else 0.04 + 0.40 * (1.0 - risk) ** 2
        m["social_insurance"] = r() < social_p
    m["elderly_or_disabled_on_allowance"] = r() < _allowance_p(age, dependant, risk)


# What goes missing when a record leaves answers out (relative weights): one household answer, one
# member answer, a whole section of the questionnaire, or a member listed but not interviewed.
# Area and income are never left out: the engine needs both (a record without them is an input error,
# not an unknown answer).
_LEAVE_OUT = _table(("household", "member", "section", "member_all"), (0.30, 0.30, 0.25, 0.15))
_SECTIONS = (
    ("floor_area_m2", "walls_durable", "frame_durable", "roof_durable"),
    ("water_source", "latrine_type", "domestic_waste_handled"),
    (
        "uses_phone",
        "uses_internet",
        "has_tv",
        "has_radio",
        "has_computer",
        "has_smartphone",
        "hears_loudspeaker",
        "uses_digital_services",
        "has_internet_access",
    ),
)
_NOT_ANSWERS = frozenset(
    {
        "id",
        "province",
        "commune",
        "village",
        "reference_date",
        "members",
        "deprivations",
        "member_count",
        "area",
        "income_per_capita_month",
        "income_total_month",
    }
)
# Weight of the chance of leaving answers out, by income band (at or under the lowest line, up to the
# highest line, above it). Unknowns matter only where deprivations can change the class, so they are
# concentrated there; the weights keep the overall share close to ``unknown_share``.
_UNKNOWN_WEIGHT = (15.0, 2.0, 0.1)


def _leave_out(record: dict[str, Any], r: Any) -> None:
    """Remove one to three batches of answers; they become unknown."""
    u = r()
    for _ in range(1 if u < 0.6 else 2 if u < 0.9 else 3):
        if "deprivations" in record:
            flags = record["deprivations"]
            if flags:
                del flags[list(flags)[int(r() * len(flags))]]
            continue
        kind = _LEAVE_OUT[int(r() * _RESOLUTION)]
        if kind == "household":
            keys = [k for k in record if k not in _NOT_ANSWERS]
            if keys:
                del record[keys[int(r() * len(keys))]]
        elif kind == "section":
            for key in _SECTIONS[int(r() * len(_SECTIONS))]:
                record.pop(key, None)
        else:
            members = record["members"]
            member = members[int(r() * len(members))]
            keys = [k for k in member if k != "id"]
            if kind == "member_all":  # listed in the roster, birth date known, nothing else asked
                keys = [k for k in keys if k != "birth_date"]
                for key in keys:
                    del member[key]
            elif keys:
                del member[keys[int(r() * len(keys))]]


# ---- writers ----------------------------------------------------------------------------------------

_PLACE = ("province", "commune", "village")
_INCOME = ("income_per_capita_month", "income_total_month")


def _fact_columns(specs: Mapping[str, Any], generated: frozenset[str], all_facts: bool) -> list[str]:
    # Catalogue order; derived facts are computed by the engine and never read from input.
    return [
        name
        for name, spec in specs.items()
        if not spec.derived and name != "area" and (all_facts or name in generated)
    ]


def households_csv_header(
    ruleset: RuleSet | None = None,
    *,
    all_facts: bool = False,
    other_standards: Sequence[str | RuleSet] | None = None,
) -> list[str]:
    """Columns of the households CSV: id, place, area, income (per person or total), reference date,
    member count, the household facts of rules/facts.yaml in catalogue order (those this module
    generates, or every one with ``all_facts``), then ``deprivations.<indicator>`` per indicator of
    ``ruleset`` and of ``other_standards`` (default: every standard, as ``generate_records``)."""
    rs = ruleset or load_ruleset("nd-07-2021")
    facts = _fact_columns(rs.facts.household, GENERATED_HOUSEHOLD_FACTS, all_facts)
    flags = [f"deprivations.{key}" for key in _flag_keys(rs, _other_rulesets(rs, other_standards))]
    return ["id", *_PLACE, "area", *_INCOME, "reference_date", "member_count", *facts, *flags]


def members_csv_header(ruleset: RuleSet | None = None, *, all_facts: bool = False) -> list[str]:
    """Columns of the members CSV: household_id, the member id, then the member facts of
    rules/facts.yaml in catalogue order (those this module generates, or every one)."""
    rs = ruleset or load_ruleset("nd-07-2021")
    return ["household_id", "id", *_fact_columns(rs.facts.member, GENERATED_MEMBER_FACTS, all_facts)]


def _cell(value: Any, table: Mapping[Any, str]) -> Any:
    # bool and None are translated; 1 == True, so numbers are checked by type first.
    if value is None or value.__class__ is bool:
        return table[value]
    return value


def write_csv(
    records: Iterable[Mapping[str, Any]],
    households_path: str | Path,
    members_path: str | Path,
    *,
    ruleset: RuleSet | None = None,
    all_facts: bool = False,
    other_standards: Sequence[str | RuleSet] | None = None,
) -> int:
    """Stream records to the two-file CSV form (UTF-8, header row); returns the households written.

    Columns are those of ``households_csv_header`` / ``members_csv_header``; a record key with no
    column raises ValueError (pass ``all_facts=True`` for records carrying other catalogue facts):
    nothing is dropped silently. Booleans are written ``true``/``false``; an absent answer is an
    empty cell.
    """
    h_header = households_csv_header(ruleset, all_facts=all_facts, other_standards=other_standards)
    m_header = members_csv_header(ruleset, all_facts=all_facts)
    h_columns = set(h_header) | {"members", "deprivations"}
    m_columns = set(m_header) - {"household_id"}
    m_fields = m_header[1:]
    flag_keys = [c[len("deprivations.") :] for c in h_header if c.startswith("deprivations.")]
    plain = h_header[: len(h_header) - len(flag_keys)]  # the flag columns come last
    no_flags = [""] * len(flag_keys)
    # Cells by value: True/False/None are the only values that need translating (faster than a call).
    cell = {True: "true", False: "false", None: ""}
    count = 0
    with (
        open(households_path, "w", encoding="utf-8", newline="") as hf,
        open(members_path, "w", encoding="utf-8", newline="") as mf,
    ):
        h_writer = csv.writer(hf)
        m_writer = csv.writer(mf)
        h_writer.writerow(h_header)
        m_writer.writerow(m_header)
        for record in records:
            if not h_columns.issuperset(record):
                raise ValueError(
                    f"record {record.get('id')!r}: no households column for {sorted(set(record) - h_columns)}"
                )
            flags = record.get("deprivations") or {}
            if flags and not set(flag_keys).issuperset(flags):
                raise ValueError(
                    f"record {record.get('id')!r}: no households column for deprivations "
                    f"{sorted(set(flags) - set(flag_keys))}"
                )
            h_writer.writerow(
                [
                    *[_cell(record.get(c), cell) for c in plain],
                    *([_cell(flags.get(k), cell) for k in flag_keys] if flags else no_flags),
                ]
            )
            hid = record.get("id")
            for member in record.get("members") or ():
                if not m_columns.issuperset(member):
                    raise ValueError(
                        f"record {hid!r}: no members column for {sorted(set(member) - m_columns)}"
                    )
                m_writer.writerow([hid, *[_cell(member.get(c), cell) for c in m_fields]])
            count += 1
    return count


def _dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(records: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Stream records as JSON Lines (one record per line, UTF-8); returns the number written."""
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(_dumps(record))
            f.write("\n")
            count += 1
    return count


def write_json(records: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Stream records as one JSON array, one record per line for readable diffs; returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        for record in records:
            f.write("\n" if count == 0 else ",\n")
            f.write(_dumps(record))
            count += 1
        f.write("\n]\n")
    return count


# ---- command line -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Write a synthetic population as commune.json, commune.jsonl, households.csv and members.csv."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.population",
        description="Write a seeded synthetic population (data contract v1).",
    )
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--province", default=DEFAULT_PROVINCE)
    parser.add_argument("--communes", type=int, default=None)
    parser.add_argument("--villages-per-commune", type=int, default=None)
    parser.add_argument("--reference-date", type=dt.date.fromisoformat, default=DEFAULT_REFERENCE_DATE)
    parser.add_argument("--flags-share", type=float, default=0.1)
    parser.add_argument("--unknown-share", type=float, default=0.02)
    parser.add_argument("--standard", default="nd-07-2021")
    parser.add_argument(
        "--other-standards",
        default=None,
        help="comma-separated ids of further standards served (default: all under rules/)",
    )
    parser.add_argument("--formats", default="json,jsonl,csv", help="comma-separated: json, jsonl, csv")
    args = parser.parse_args(argv)
    others = (
        None
        if args.other_standards is None
        else [s.strip() for s in args.other_standards.split(",") if s.strip()]
    )

    def records() -> Iterator[dict[str, Any]]:
        return generate_records(
            args.households,
            seed=args.seed,
            province=args.province,
            communes=args.communes,
            villages_per_commune=args.villages_per_commune,
            reference_date=args.reference_date,
            flags_share=args.flags_share,
            unknown_share=args.unknown_share,
            standard=args.standard,
            other_standards=others,
        )

    args.out.mkdir(parents=True, exist_ok=True)
    formats = {f.strip() for f in args.formats.split(",") if f.strip()}
    unknown = formats - {"json", "jsonl", "csv"}
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    # Each writer regenerates from the seed: identical records, constant memory.
    if "json" in formats:
        write_json(records(), args.out / "commune.json")
    if "jsonl" in formats:
        write_jsonl(records(), args.out / "commune.jsonl")
    if "csv" in formats:
        write_csv(
            records(),
            args.out / "households.csv",
            args.out / "members.csv",
            ruleset=load_ruleset(args.standard),
            other_standards=others,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
