"""Hypothesis strategies for households and members, driven by the rule data.

One module that grows with each feature (in the manner of attrs' ``tests/strategies.py``): every
strategy reads what it needs from a loaded standard — the fact catalogue for answer types and enum
values, the classification rules for the income thresholds, the indicator conditions for the age
and floor-area boundaries — so no legal number or legal list is written here. A new standard, or a
corrected list in ``rules/``, changes what is generated without touching this file.

Values are concentrated where the law draws its lines: incomes exactly at each threshold and one
đồng either side, per-capita incomes from totals that do not divide evenly, ages one year either
side of each age limit, birthdays exactly on the reference date, floor areas at the per-person
minimum. Unknown (absent) answers are generated on request, because a missing answer is never
false and the engine must say when it cannot decide.

>>> from hypothesis import given
>>> from classifier.testing import households
>>> @given(households(area="rural"))
... def test_something(household): ...

``score_households`` draws records for the score method of Thông tư 07/2021/TT-BLĐTBXH (điểm A and
điểm B), whose điểm B always agrees with the deprivations the record's flags or answers decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from classifier.engine.common import candidate_counts
from classifier.engine.score import POINTS_PARAM
from classifier.indicators.evaluate import evaluate_indicators
from classifier.model import Household, Member
from classifier.rules import load_ruleset
from classifier.rules.conditions import compare_values, comparisons
from classifier.rules.plan import plan_for
from classifier.rules.ruleset import FactSpec, RuleSet

__all__ = [
    "LEANS",
    "age_boundaries",
    "ages",
    "areas",
    "completions",
    "deprivation_cutoffs",
    "flag_sets",
    "floor_area_boundaries",
    "households",
    "income_thresholds",
    "incomes",
    "members",
    "reference_dates",
    "score_a_cutoffs",
    "score_b_range",
    "score_households",
    "scores_a",
]

#: Member answers that are not drawn as ordinary facts: age is drawn near the legal limits and given
#: either as ``age`` or as ``birth_date`` relative to the reference date.
_AGE_FACTS = ("age", "birth_date")

#: Household answers drawn specially (area is a field of Household, not an answer; the floor area is
#: drawn near the per-person minimum times the member count).
_SPECIAL_HOUSEHOLD_FACTS = ("area", "floor_area_m2", *("score_a", "score_b"))
#: The score method's điểm A / điểm B (Thông tư 07/2021/TT-BLĐTBXH) are not drawn as answers by
#: ``households`` (a random điểm B would disagree with the random deprivations, which is an input error,
#: not a household): ``score_households`` adds them, điểm B consistent with the deprivations.
_SCORE_FACTS = ("score_a", "score_b")

#: Offsets around a threshold: exactly at it and one unit (one đồng, one year) either side.
_NEAR = (-1, 0, 1)

#: Upper bound for drawn ages when neither the caller nor the fact catalogue gives one.
_DEFAULT_MAX_AGE = 100

#: Years of reference dates drawn when a standard has no end of validity.
_OPEN_ENDED_YEARS = 5

#: How many members a per-capita income may be divided among when drawn from a total.
_MAX_DIVISOR = 8


T = TypeVar("T")


def _load(standard: str | RuleSet) -> RuleSet:
    return standard if isinstance(standard, RuleSet) else load_ruleset(standard)


def _kept(rs: RuleSet, key: str, build: Callable[[], T]) -> T:
    """The strategy ``build`` makes, built once per rule set (kept on its compiled plan, rules/plan.py).

    The composite strategies below run their body on every draw; hypothesis validates a strategy on its
    first draw, so building the answer dictionaries (and the income, age and flag strategies) anew per
    draw spent most of the drawing time validating them. A kept strategy draws exactly the same values.
    """
    return plan_for(rs).part(f"testing.strategies:{key}", build)


def _compared_values(conditions: Iterable[Any], fact: str) -> tuple[Any, ...]:
    """Every numeric value ``fact`` is compared with (<, ≤, >, ≥) in the given condition trees."""
    found: set[Any] = set()
    for cond in conditions:
        for node in comparisons(cond):
            if (
                node.fact == fact
                and node.op in ("lt", "lte", "gt", "gte")
                and isinstance(node.value, int | float)
                and not isinstance(node.value, bool)
            ):
                found.add(node.value)
    return tuple(sorted(found))


def _yearly_thresholds(rs: RuleSet) -> tuple[int | float, ...]:
    return _compared_values((rule.condition for rule in rs.rules), "income_per_capita_year")


def income_thresholds(ruleset: str | RuleSet) -> tuple[int | float, ...]:
    """The per-capita monthly incomes the standard's classification rules compare against, ascending.

    For Nghị định 07/2021 these are the two income lines and the two tops of the middle-living band,
    read from ``classification.yaml`` (not from parameter names, so an overlay that moves a line is
    followed automatically). A rule on the yearly income (a provincial standard may state its lines
    per year) contributes its monthly equivalent, as the engine derives the yearly income.
    """
    rs = _load(ruleset)
    monthly = _compared_values((rule.condition for rule in rs.rules), "income_per_capita_month")
    per_year = _months_per_year(rs)
    yearly = tuple(_monthly(v, per_year) for v in _yearly_thresholds(rs))
    return tuple(sorted(set(monthly) | set(yearly)))


def _months_per_year(rs: RuleSet) -> int:
    """The factor rules/facts.yaml scales the monthly income by to get the yearly one."""
    formula = rs.facts.classification["income_per_capita_year"].formula
    return int(formula.by)


def _monthly(yearly: int | float, per_year: int) -> int | float:
    """A yearly amount as the monthly income the engine multiplies back (exact when it divides)."""
    if isinstance(yearly, int) and yearly % per_year == 0:
        return yearly // per_year
    return yearly / per_year


def _income_points(rs: RuleSet, low: int | float, high: int | float) -> list[int | float]:
    """Incomes exactly at each threshold and one đồng either side (per month, and per year for rules
    stated on the yearly income)."""
    monthly = _compared_values((rule.condition for rule in rs.rules), "income_per_capita_month")
    points = _near(monthly, low, high)
    per_year = _months_per_year(rs)
    for yearly in _yearly_thresholds(rs):
        points += _near((_monthly(yearly, per_year),), low, high)
        near = (_monthly(yearly - 1, per_year), _monthly(yearly + 1, per_year))
        points += [v for v in near if low <= v <= high]
    return sorted(set(points))


def age_boundaries(ruleset: str | RuleSet) -> tuple[int, ...]:
    """Every age (in completed years) an indicator compares a member's age with, ascending."""
    rs = _load(ruleset)
    return tuple(int(v) for v in _compared_values((ind.condition for ind in rs.indicators), "age"))


def deprivation_cutoffs(ruleset: str | RuleSet) -> tuple[int, ...]:
    """Every deprivation count the standard's classification rules compare with, ascending."""
    rs = _load(ruleset)
    return tuple(int(v) for v in _compared_values((rule.condition for rule in rs.rules), "deprivation_count"))


def floor_area_boundaries(ruleset: str | RuleSet) -> tuple[float, ...]:
    """Every per-person floor area (m²) an indicator compares with, ascending."""
    rs = _load(ruleset)
    return _compared_values((ind.condition for ind in rs.indicators), "floor_area_per_person")


def _near(values: Sequence[Any], low: Any, high: Any | None, offsets: Sequence[Any] = _NEAR) -> list[Any]:
    """Each value shifted by each offset, kept within [low, high], without duplicates."""
    out: dict[Any, None] = {}
    for value in values:
        for offset in offsets:
            v = value + offset
            if v >= low and (high is None or v <= high):
                out.setdefault(v, None)
    return list(out)


def areas(standard: str | RuleSet = "nd-07-2021") -> st.SearchStrategy[str]:
    """An area code the standard's classification rules accept (e.g. rural / urban)."""
    rs = _load(standard)
    return st.sampled_from(rs.facts.classification["area"].values)


def incomes(
    standard: str | RuleSet = "nd-07-2021",
    *,
    min_income: int = 0,
    max_income: int | None = None,
) -> st.SearchStrategy[int | float]:
    """A per-capita monthly income in VND, within ``[min_income, max_income]``.

    A quarter of draws sit exactly at a threshold of the standard or one đồng either side (per
    month, or per year for a rule on the yearly income); a quarter are a total that does not divide
    evenly by the member count (``(t·n ± 1) / n``, the case a rounding adapter would get wrong); a
    quarter are under the lowest threshold (where the deprivations decide); the rest are uniform.
    ``max_income`` defaults to twice the highest threshold.
    """
    rs = _load(standard)
    thresholds = income_thresholds(rs)
    if max_income is None:
        max_income = int(2 * max(thresholds)) if thresholds else 10_000_000
    if max_income < min_income:
        raise ValueError(f"max_income ({max_income}) is below min_income ({min_income})")

    def in_range(v: int | float) -> bool:
        return min_income <= v <= max_income

    strategies: list[st.SearchStrategy[int | float]] = [st.integers(min_income, max_income)]
    near = _income_points(rs, min_income, max_income)
    if near:
        strategies.append(st.sampled_from(sorted(near)))
    if thresholds and min_income < min(thresholds):
        # Under the lowest line is where the deprivations decide the class: draw there more often.
        strategies.append(st.integers(min_income, min(int(min(thresholds)), max_income)))
    if thresholds:
        uneven = st.builds(
            lambda t, n, k: (t * n + k) / n,
            st.sampled_from(thresholds),
            st.integers(2, _MAX_DIVISOR),
            st.sampled_from((-1, 1)),
        ).filter(in_range)
        strategies.append(uneven)
    return st.one_of(strategies)


def reference_dates(standard: str | RuleSet = "nd-07-2021") -> st.SearchStrategy[dt.date]:
    """A reference date (the day ages are computed at) from the year before the standard's first list
    year (its review) to the end of its validity."""
    rs = _load(standard)
    start = rs.valid_from.replace(year=rs.valid_from.year - 1)
    end = rs.valid_to or rs.valid_from.replace(year=rs.valid_from.year + _OPEN_ENDED_YEARS)
    return st.dates(start, end)


def ages(
    standard: str | RuleSet = "nd-07-2021",
    *,
    min_age: int = 0,
    max_age: int | None = None,
) -> st.SearchStrategy[int]:
    """Completed years, half the time at an age limit of the standard or one year either side."""
    rs = _load(standard)
    if max_age is None:
        spec = rs.facts.member.get("age")
        max_age = int(spec.maximum) if spec is not None and spec.maximum is not None else _DEFAULT_MAX_AGE
        max_age = min(max_age, _DEFAULT_MAX_AGE)
    if max_age < min_age:
        raise ValueError(f"max_age ({max_age}) is below min_age ({min_age})")
    near = _near(age_boundaries(rs), min_age, max_age)
    uniform = st.integers(min_age, max_age)
    return st.one_of(st.sampled_from(sorted(near)), uniform) if near else uniform


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birth_dates(age: int, reference_date: dt.date) -> st.SearchStrategy[dt.date]:
    """A birth date giving ``age`` completed years at ``reference_date``: often the birthday falls
    exactly on the reference date, or the next birthday is the day after it."""
    latest = _years_before(reference_date, age)  # birthday exactly on the reference date
    earliest = _years_before(reference_date, age + 1) + dt.timedelta(days=1)  # turns age+1 tomorrow
    return st.one_of(st.just(latest), st.just(earliest), st.dates(earliest, latest))


def _value_strategy(spec: FactSpec) -> st.SearchStrategy[Any]:
    """Any valid answer for one fact of the catalogue, by its declared type."""
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "integer":
        low = int(spec.minimum) if spec.minimum is not None else 0
        high = int(spec.maximum) if spec.maximum is not None else low + 1000
        return st.integers(low, high)
    if spec.type == "number":
        bottom = float(spec.minimum) if spec.minimum is not None else 0.0
        top = float(spec.maximum) if spec.maximum is not None else bottom + 1000.0
        return st.floats(bottom, top, allow_nan=False, allow_infinity=False)
    if spec.type == "date":
        return st.dates()
    return st.text(max_size=20)


#: How answers lean: ``any`` draws every valid answer alike; ``not_deprived`` draws, for the facts
#: the indicators compare with a value, only values that satisfy none of those comparisons; ``mixed``
#: draws either way. Uniform answers make a household deprived on about half of the indicators, so
#: without a lean the near-poor class (fewer than 3 of 12) would hardly ever be generated.
LEANS = ("any", "mixed", "not_deprived")


def _domain(spec: FactSpec) -> tuple[Any, ...]:
    if spec.type == "bool":
        return (True, False)
    if spec.type == "enum":
        return spec.values
    return ()


def _quiet_values(rs: RuleSet, specs: Mapping[str, FactSpec]) -> dict[str, tuple[Any, ...]]:
    """For each yes/no or coded fact the indicators read: the values that satisfy no comparison on it.

    Read from the indicator conditions (a comparison inside ``not`` makes this only a lean, never a
    claim about the law: the strategies just need answers that often leave an indicator quiet).
    """
    satisfying: dict[str, set[Any]] = {}
    for indicator in rs.indicators:
        for node in comparisons(indicator.condition):
            if node.fact in specs:
                for value in _domain(specs[node.fact]):
                    if compare_values(node.op, value, node.value):
                        satisfying.setdefault(node.fact, set()).add(value)
    quiet: dict[str, tuple[Any, ...]] = {}
    for fact, hits in satisfying.items():
        values = tuple(v for v in _domain(specs[fact]) if v not in hits)
        if values:
            quiet[fact] = values
    return quiet


def _answers(
    specs: Mapping[str, FactSpec],
    skip: Iterable[str],
    with_unknowns: bool,
    rs: RuleSet | None = None,
    lean: str = "any",
) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of answers, one per (non-derived) fact; with unknowns, any answer may be absent."""
    if lean not in LEANS:
        raise ValueError(f"lean must be one of {', '.join(LEANS)}, got {lean!r}")
    skipped = set(skip)
    quiet = _quiet_values(rs, specs) if rs is not None and lean != "any" else {}
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for name, spec in specs.items():
        if spec.derived or name in skipped:
            continue
        strategy = _value_strategy(spec)
        if name in quiet:
            calm = st.sampled_from(quiet[name])
            strategy = calm if lean == "not_deprived" else st.one_of(calm, strategy)
        drawn[name] = strategy
    if with_unknowns:
        return st.fixed_dictionaries({}, optional=drawn)
    return st.fixed_dictionaries(drawn)


@st.composite
def members(
    draw: st.DrawFn,
    standard: str | RuleSet = "nd-07-2021",
    *,
    min_age: int = 0,
    max_age: int | None = None,
    reference_date: dt.date | None = None,
    with_unknowns: bool = False,
    member_id: str | None = None,
    lean: str = "any",
) -> Member:
    """One Member with an answer for every member-level fact of the catalogue.

    Age is drawn near the standard's age limits; with a ``reference_date`` it is given either as
    ``age`` or as a ``birth_date`` (often with the birthday exactly on the reference date). With
    ``with_unknowns`` any answer, the age included, may be absent. ``lean`` is one of LEANS.
    """
    rs = _load(standard)
    answers = _kept(
        rs,
        f"member answers {with_unknowns} {lean}",
        lambda: _answers(rs.facts.member, _AGE_FACTS, with_unknowns, rs, lean),
    )
    facts = draw(answers)
    age_known = not with_unknowns or draw(st.booleans())
    if age_known:
        age = draw(_kept(rs, f"ages {min_age} {max_age}", lambda: ages(rs, min_age=min_age, max_age=max_age)))
        if reference_date is not None and draw(st.booleans()):
            facts["birth_date"] = draw(_birth_dates(age, reference_date))
        else:
            facts["age"] = age
    return Member(facts=facts, member_id=member_id)


def _floor_areas(rs: RuleSet, member_count: int) -> st.SearchStrategy[float | int]:
    """A dwelling floor area: often exactly at a per-person boundary times the count, or just under."""
    per_person = floor_area_boundaries(rs)
    uniform = st.integers(0, 40 * member_count)
    if not per_person:
        return uniform
    at_boundary = st.sampled_from(per_person).map(lambda b: b * member_count)
    just_under = st.sampled_from(per_person).map(lambda b: b * member_count - 0.1)
    return st.one_of(at_boundary, just_under, uniform).filter(lambda a: a >= 0)


def _deprived_counts(rs: RuleSet) -> st.SearchStrategy[int]:
    """How many indicators are flagged deprived: half the time at a cut-off or one either side."""
    near = _near(deprivation_cutoffs(rs), 0, len(rs.indicator_ids))
    uniform = st.integers(0, len(rs.indicator_ids))
    return st.one_of(st.sampled_from(sorted(near)), uniform) if near else uniform


@st.composite
def flag_sets(
    draw: st.DrawFn,
    standard: str | RuleSet = "nd-07-2021",
    *,
    partial: bool = False,
) -> dict[str, bool]:
    """Pre-decided indicator flags (forms B1/B2): indicator id -> deprived?

    The number of deprived indicators is half the time at a deprivation cut-off of the standard or
    one either side (uniform flags would almost never give 2 or 3 of 12). With ``partial`` only a
    subset of the indicators is flagged.
    """
    rs = _load(standard)
    ids = rs.indicator_ids
    deprived = draw(_kept(rs, "deprived counts", lambda: _deprived_counts(rs)))
    order = draw(_kept(rs, "indicator orders", lambda: st.permutations(ids)))
    flags = {indicator_id: position < deprived for position, indicator_id in enumerate(order)}
    if partial:
        kept = draw(_kept(rs, "indicator subsets", lambda: st.sets(st.sampled_from(ids))))
        flags = {k: v for k, v in flags.items() if k in kept}
    return flags


@st.composite
def households(
    draw: st.DrawFn,
    min_members: int = 1,
    max_members: int = 8,
    min_income: int = 0,
    max_income: int | None = None,
    area: str | None = None,
    with_unknowns: bool = False,
    flags_only: bool = False,
    standard: str | RuleSet = "nd-07-2021",
    *,
    some_flags: bool = False,
    reference_date: dt.date | None = None,
) -> Household:
    """A valid Household for ``standard`` (area and income always present; answers per options).

    - ``flags_only``: no members, a ``member_count``, and a pre-decided flag per indicator (forms
      B1/B2); with ``with_unknowns`` some flags are absent.
    - otherwise: ``min_members``..``max_members`` members with member-level answers and every
      household-level answer; ``some_flags`` adds pre-decided flags for a subset of indicators.
    - ``with_unknowns``: any answer may be absent (unknown, never false).

    The reference date is always set on the record, so a result never depends on today's date.
    """
    if min_members < 1 or max_members < min_members:
        raise ValueError(f"need 1 <= min_members <= max_members, got {min_members}..{max_members}")
    rs = _load(standard)
    ref = reference_date or draw(_kept(rs, "reference dates", lambda: reference_dates(rs)))
    chosen_area = area if area is not None else draw(_kept(rs, "areas", lambda: areas(rs)))
    drawn_incomes = _kept(
        rs,
        f"incomes {min_income} {max_income}",
        lambda: incomes(rs, min_income=min_income, max_income=max_income),
    )
    income = draw(drawn_incomes)
    household_id = f"H{draw(st.integers(1, 99_999)):05d}"
    count = draw(st.integers(min_members, max_members))

    if flags_only:
        return Household(
            id=household_id,
            area=chosen_area,
            income_per_capita_month=income,
            flags=draw(flag_sets(rs, partial=with_unknowns)),
            member_count=count,
            reference_date=ref,
        )

    with_ids = draw(st.booleans())
    # One lean per household: answers within a household tend to go together (and see LEANS).
    lean = draw(st.sampled_from(LEANS))
    people = tuple(
        draw(
            members(
                rs,
                reference_date=ref,
                with_unknowns=with_unknowns,
                member_id=f"{household_id}-{i}" if with_ids else None,
                lean=lean,
            )
        )
        for i in range(1, count + 1)
    )
    answers = _kept(
        rs,
        f"household answers {with_unknowns} {lean}",
        lambda: _answers(rs.facts.household, _SPECIAL_HOUSEHOLD_FACTS, with_unknowns, rs, lean),
    )
    facts = draw(answers)
    if "floor_area_m2" in rs.facts.household and (not with_unknowns or draw(st.booleans())):
        facts["floor_area_m2"] = draw(_kept(rs, f"floor areas {count}", lambda: _floor_areas(rs, count)))
    flags = draw(flag_sets(rs, partial=True)) if some_flags else {}
    return Household(
        id=household_id,
        area=chosen_area,
        income_per_capita_month=income,
        members=people,
        facts=facts,
        flags=flags,
        reference_date=ref,
    )


@st.composite
def completions(draw: st.DrawFn, household: Household, standard: str | RuleSet = "nd-07-2021") -> Household:
    """``household`` with every absent answer filled in, and every given answer kept.

    Members keep their answers and get the missing ones (an age when neither age nor birth date was
    given); the household gets its missing answers; a record without members gets a flag for every
    indicator it had none for, since without members only a flag can decide a member-based indicator.
    The result has no unknown left, so it must be classified, and into one of the outcomes the
    incomplete record was told it could still get.
    """
    rs = _load(standard)
    people = []
    for member in household.members:
        every = _kept(rs, "all member answers", lambda: _answers(rs.facts.member, _AGE_FACTS, False))
        facts = dict(draw(every))
        facts.update(member.facts)
        if "age" not in facts and "birth_date" not in facts:
            facts["age"] = draw(_kept(rs, "ages 0 None", lambda: ages(rs)))
        people.append(attrs.evolve(member, facts=facts))
    every_household = _kept(
        rs, "all household answers", lambda: _answers(rs.facts.household, ("area", *_SCORE_FACTS), False)
    )
    facts = dict(draw(every_household))
    facts.update(household.facts)
    flags = dict(household.flags)
    if not household.members:
        for indicator_id in rs.indicator_ids:
            if indicator_id not in flags:
                flags[indicator_id] = draw(st.booleans())
    return attrs.evolve(household, members=tuple(people), facts=facts, flags=flags)


# --------------------------------------------------------------------------------------------------
# The score method (Thông tư 07/2021/TT-BLĐTBXH: điểm A from form B1, điểm B from form B2)

#: Record shapes drawn by ``score_households``.
_SCORE_SHAPES = ("scores_only", "flags", "partial_flags", "answers", "answers_with_unknowns")


def _score_ruleset(standard: str | RuleSet) -> RuleSet:
    rs = _load(standard)
    if not rs.score_rules:
        raise ValueError(f"{rs.id} has no score cut-offs (score_rules): the score method does not apply")
    return rs


def score_a_cutoffs(standard: str | RuleSet = "nd-07-2021") -> dict[str, int | float]:
    """Per area, the highest điểm A at which a score rule can still decide poor or near-poor.

    Read from the score rules (a rule with an outcome, not one that leaves classes open, comparing
    ``score_a`` with ≤ or <, on an ``area`` compared with ``eq``), so no cut-off is written here.
    """
    rs = _score_ruleset(standard)
    found: dict[str, int | float] = {}
    for rule in rs.score_rules:
        if rule.possible:
            continue
        nodes = comparisons(rule.condition)
        areas_ = [n.value for n in nodes if n.fact == "area" and n.op == "eq"]
        limits = [n.value for n in nodes if n.fact == "score_a" and n.op in ("lte", "lt")]
        for area in areas_:
            for limit in limits:
                found[area] = max(found.get(area, limit), limit)
    return found


def scores_a(standard: str | RuleSet = "nd-07-2021") -> st.SearchStrategy[int]:
    """A điểm A (points of form B1, 0 or more): half the time exactly at a cut-off of the standard's
    score rules or one point either side, else uniform up to twice the highest cut-off."""
    rs = _score_ruleset(standard)
    cutoffs = _compared_values((rule.condition for rule in rs.score_rules), "score_a")
    top = int(2 * max(cutoffs)) if cutoffs else 400
    near = _near(cutoffs, 0, top)
    uniform = st.integers(0, top)
    return st.one_of(st.sampled_from(sorted(near)), uniform) if near else uniform


def score_b_range(household: Household, standard: str | RuleSet = "nd-07-2021") -> tuple[int, int, int]:
    """(lowest, highest, step) of the điểm B values that agree with the record's flags and answers.

    ``step`` is the points per deprived indicator (rule data); the range is step × the known
    deprivations to step × (known + unknown) — one value when every indicator is known, every
    indicator's worth (0 to step × 12) when the record carries no flag or answer at all. The record
    must carry its reference date (ages are computed at it).
    """
    rs = _score_ruleset(standard)
    if household.reference_date is None:
        raise ValueError("score_b_range needs a household with its reference_date")
    step = int(rs.parameters[POINTS_PARAM].value)
    known, unknown = candidate_counts(evaluate_indicators(household, rs, household.reference_date))
    return step * known, step * (known + unknown), step


@st.composite
def score_households(
    draw: st.DrawFn,
    standard: str | RuleSet = "nd-07-2021",
    *,
    area: str | None = None,
    with_income: bool | None = None,
    shape: str | None = None,
    reference_date: dt.date | None = None,
) -> Household:
    """A record for the score method: ``score_a`` and a ``score_b`` that agrees with its deprivations.

    ``shape`` (drawn when None) is one of ``scores_only`` (area, member count and the two scores, as a
    provincial review export), ``flags`` / ``partial_flags`` (pre-decided flags, all or some),
    ``answers`` / ``answers_with_unknowns`` (members and household answers). điểm A is drawn by
    ``scores_a``; điểm B is a multiple of the points per indicator within ``score_b_range`` (exactly
    points × the count when every indicator is known), often at the score-B cut-off or one indicator
    either side. ``with_income`` (drawn when None): whether the record also carries an income, which
    decides the middle band when điểm A is above the cut-off. Raises ValueError for a standard without
    score rules.
    """
    rs = _score_ruleset(standard)
    chosen = shape if shape is not None else draw(st.sampled_from(_SCORE_SHAPES))
    if chosen not in _SCORE_SHAPES:
        raise ValueError(f"shape must be one of {', '.join(_SCORE_SHAPES)}, got {chosen!r}")
    common: dict[str, Any] = {"standard": rs, "area": area, "reference_date": reference_date}
    if chosen == "scores_only":
        base = draw(households(flags_only=True, **common))
        base = attrs.evolve(base, flags={})
    elif chosen in ("flags", "partial_flags"):
        base = draw(households(flags_only=True, with_unknowns=chosen == "partial_flags", **common))
    else:
        unknowns = chosen == "answers_with_unknowns"
        base = draw(households(max_members=4, with_unknowns=unknowns, **common))
    if not (with_income if with_income is not None else draw(st.booleans())):
        base = attrs.evolve(base, income_per_capita_month=None)
    low, high, step = score_b_range(base, rs)
    counts = st.integers(low // step, high // step)
    b_cutoffs = _compared_values((rule.condition for rule in rs.score_rules), "score_b")
    near = _near([int(b) // step for b in b_cutoffs], low // step, high // step)
    count = draw(st.one_of(st.sampled_from(near), counts) if near else counts)
    facts = {
        **base.facts,
        "score_a": draw(_kept(rs, "scores a", lambda: scores_a(rs))),
        "score_b": step * count,
    }
    return attrs.evolve(base, facts=facts)
