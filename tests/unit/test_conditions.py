"""Three-valued (Kleene) evaluation of condition trees: an unknown answer is ignored if it cannot matter."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from classifier.engine.batch import BatchEngine
from classifier.engine.durable import DurableEngine, to_durable_json
from classifier.model import Household
from classifier.rules import load_ruleset, load_ruleset_path
from classifier.rules.conditions import (
    AllOf,
    AnyMember,
    AnyOf,
    AtLeast,
    Compare,
    Not,
    ShareOfMembers,
    Verdict,
    compare_values,
    evaluate,
)
from tests.helpers import copy_rules

T, F, U = True, False, None  # U: the answer is unknown


def _leaf(name: str) -> Compare:
    """A comparison that is True, False or unknown as the household's answer to ``name`` is."""
    return Compare(name, "eq", True)


def _eval(
    cond: Any,
    household: dict[str, Any],
    members: list[tuple[str, dict[str, Any]]] | None = None,
) -> tuple[bool | None, Verdict]:
    verdict = evaluate(cond, household, members or [])
    return verdict.value, verdict


# (a, b, a AND b, a OR b), written out rather than computed, as in Kleene's strong logic.
KLEENE = [
    (T, T, T, T),
    (T, F, F, T),
    (T, U, U, T),
    (F, T, F, T),
    (F, F, F, F),
    (F, U, F, U),
    (U, T, U, T),
    (U, F, F, U),
    (U, U, U, U),
]


@pytest.mark.parametrize(("a", "b", "both", "_either"), KLEENE)
def test_all_is_false_once_any_child_is_false_and_unknown_otherwise_if_any_is_unknown(
    a: bool | None,
    b: bool | None,
    both: bool | None,
    _either: bool | None,
) -> None:
    """`all` follows Kleene AND: one False decides False even beside an unknown answer."""
    result, _ = _eval(AllOf((_leaf("a"), _leaf("b"))), {"a": a, "b": b})
    assert result is both


@pytest.mark.parametrize(("a", "b", "_both", "either"), KLEENE)
def test_any_is_true_once_any_child_is_true_and_unknown_otherwise_if_any_is_unknown(
    a: bool | None,
    b: bool | None,
    _both: bool | None,
    either: bool | None,
) -> None:
    """`any` follows Kleene OR: one True decides True even beside an unknown answer."""
    result, _ = _eval(AnyOf((_leaf("a"), _leaf("b"))), {"a": a, "b": b})
    assert result is either


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
def test_not_swaps_true_and_false_and_keeps_unknown(a: bool | None, expected: bool | None) -> None:
    """`not` of an unknown answer stays unknown: a missing answer is never read as False."""
    result, _ = _eval(Not(_leaf("a")), {"a": a})
    assert result is expected


def test_an_absent_fact_is_unknown_and_recorded_as_missing() -> None:
    """A fact absent from the record is unknown (not False) and its name is listed as missing."""
    result, ctx = _eval(Compare("has_tv", "eq", False), {})
    assert result is None
    assert ctx.missing == ("has_tv",)


def _members(*answers: bool | None) -> list[tuple[str, dict[str, Any]]]:
    """Members labelled m1, m2, ... whose answer to ``x`` is given (None: not answered)."""
    return [(f"m{i}", {} if a is None else {"x": a}) for i, a in enumerate(answers, start=1)]


@pytest.mark.parametrize(
    ("answers", "expected", "triggered"),
    [
        ((F, F, F), F, []),
        ((F, U, F), U, []),  # the unknown member might satisfy it
        ((F, U, T), T, ["m3"]),  # someone satisfies it: the unknown cannot matter
        ((U, U), U, []),
        ((T, T), T, ["m1", "m2"]),
    ],
)
def test_any_member_is_decided_by_a_known_yes_and_unknown_while_an_unknown_member_could_say_yes(
    answers: tuple[bool | None, ...],
    expected: bool | None,
    triggered: list[str],
) -> None:
    """`any_member` is True when one member qualifies, unknown when only unknown members could."""
    result, ctx = _eval(AnyMember(_leaf("x")), {}, _members(*answers))
    assert result is expected
    assert list(ctx.triggered) == triggered


def test_any_member_without_members_is_unknown_not_false() -> None:
    """A record listing no members cannot show that nobody qualifies: the answer is unknown."""
    result, ctx = _eval(AnyMember(_leaf("x")), {}, [])
    assert result is None
    assert "members" in ctx.missing


def test_member_conditions_may_read_household_facts() -> None:
    """Inside `any_member`, a fact the member lacks is read from the household (e.g. area)."""
    cond = AnyMember(AllOf((_leaf("x"), Compare("area", "eq", "rural"))))
    assert _eval(cond, {"area": "rural"}, _members(True))[0] is True
    assert _eval(cond, {"area": "urban"}, _members(True))[0] is False


HALF_GT = ShareOfMembers(_leaf("x"), "gt", 0.5)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ((T, T, F, F), F),  # exactly one half is not MORE than half
        ((T, T, T, F), T),
        ((T, F), F),
        ((T, T, F), T),  # two thirds
        ((F, F, F, F), F),
    ],
)
def test_share_of_members_gt_half_is_false_at_exactly_half(answers: tuple[bool, ...], expected: bool) -> None:
    """ "More than 50%" (trên 50%) excludes a share of exactly one half."""
    result, _ = _eval(HALF_GT, {}, _members(*answers))
    assert result is expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ((T, U, F, F), F),  # 1/4 .. 2/4: neither end is above one half -> decided False
        ((T, T, U, F), U),  # 2/4 .. 3/4: the ends disagree -> unknown
        ((T, T, T, U), T),  # 3/4 .. 4/4: both ends above one half -> decided True
        ((U, U, U, U), U),  # 0 .. 1
        ((F, F, U, U), F),  # 0 .. 2/4
    ],
)
def test_share_with_unknown_members_is_decided_when_both_ends_agree(
    answers: tuple[bool | None, ...],
    expected: bool | None,
) -> None:
    """Unknown members count as both "no" and "yes"; the share is decided when both ends give one answer."""
    result, ctx = _eval(HALF_GT, {}, _members(*answers))
    assert result is expected
    # Every unknown answer is named, so that a reviewer knows which answer would decide the case.
    if result is None:
        assert list(ctx.missing) == [f"m{i}.x" for i, a in enumerate(answers, start=1) if a is None]


def test_share_without_members_is_unknown() -> None:
    """A record without members gives no share at all: unknown, never 0%."""
    result, ctx = _eval(HALF_GT, {}, [])
    assert result is None
    assert "members" in ctx.missing


def test_decree_07_dependants_indicator_is_not_deprived_at_exactly_half() -> None:
    """Decree 07 dependants: deprived only when dependants are MORE than half of the members."""
    indicator = load_ruleset("nd-07-2021").indicator("dependants")
    assert isinstance(indicator.condition, ShareOfMembers) and indicator.condition.op == "gt"

    def deprived(flags: tuple[bool, ...]) -> bool | None:
        members = [(f"m{i}", {"is_dependant": f}) for i, f in enumerate(flags)]
        return evaluate(indicator.condition, {}, members).value

    assert deprived((True, True, False, False)) is False
    assert deprived((True, True, True, False)) is True
    assert deprived((True, False)) is False


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("eq", "rural", "rural", True),
        ("eq", "rural", "urban", False),
        ("ne", 3, 4, True),
        ("ne", 3, 3, False),
        ("lt", 2, 3, True),
        ("lt", 3, 3, False),
        ("lte", 3, 3, True),
        ("lte", 4, 3, False),
        ("gt", 4, 3, True),
        ("gt", 3, 3, False),
        ("gte", 3, 3, True),
        ("gte", 2, 3, False),
        ("in", "piped", ("piped", "bottled"), True),
        ("in", "tanker", ("piped", "bottled"), False),
        ("not_in", "tanker", ("piped", "bottled"), True),
        ("not_in", "piped", ("piped", "bottled"), False),
        ("eq", False, False, True),
        ("eq", True, False, False),
    ],
)
def test_compare_values_applies_each_operator(op: str, left: Any, right: Any, expected: bool) -> None:
    """Each operator of the condition language compares two known values as its name says."""
    assert compare_values(op, left, right) is expected


def test_compare_values_refuses_an_unknown_operator() -> None:
    """An operator outside the language is an error, never silently False."""
    with pytest.raises(ValueError, match="lessthan"):
        compare_values("lessthan", 1, 2)


TWO_OF_THREE = AtLeast(2, (_leaf("a"), _leaf("b"), _leaf("c")))


@pytest.mark.parametrize("answers", list(itertools.product((T, F, U), repeat=3)))
def test_at_least_is_decided_once_enough_hold_or_too_few_can(answers: tuple[bool | None, ...]) -> None:
    """`at_least 2 of 3`: True with two known yes, False when yes + unknown < 2, otherwise unknown."""
    yes = answers.count(True)
    possible = yes + answers.count(None)
    expected = True if yes >= 2 else False if possible < 2 else None
    result, ctx = _eval(TWO_OF_THREE, dict(zip("abc", answers, strict=True)))
    assert result is expected
    if result is None:
        assert list(ctx.missing) == [name for name, a in zip("abc", answers, strict=True) if a is None]


def _durable_holds(node: Any, facts: dict[str, Any]) -> bool:
    """A tiny reader of the durable_rules JSON operators used by to_durable_json (known facts only)."""
    ((key, arg),) = node.items()
    if key == "$and":
        return all(_durable_holds(n, facts) for n in arg)
    if key == "$or":
        return any(_durable_holds(n, facts) for n in arg)
    if key == "$neq":
        ((fact, value),) = arg.items()
        return bool(facts[fact] != value)
    return bool(facts[key] == arg)


@pytest.mark.parametrize("answers", list(itertools.product((T, F), repeat=3)))
def test_at_least_maps_onto_durable_json_with_and_without_not(answers: tuple[bool, ...]) -> None:
    """durable_rules has no counting operator: its JSON for at_least (and for not at_least) says the same."""
    facts = dict(zip("abc", answers, strict=True))
    expected = sum(answers) >= 2
    assert _durable_holds(to_durable_json(TWO_OF_THREE), facts) is expected
    assert _durable_holds(to_durable_json(Not(TWO_OF_THREE)), facts) is (not expected)


HOUSING_ANY = """    deprived_when:
      any:
        - all:
            - {fact: walls_durable, op: eq, value: false}
            - {fact: frame_durable, op: eq, value: false}
        - all:
            - {fact: walls_durable, op: eq, value: false}
            - {fact: roof_durable, op: eq, value: false}
        - all:
            - {fact: frame_durable, op: eq, value: false}
            - {fact: roof_durable, op: eq, value: false}
"""
HOUSING_AT_LEAST = """    deprived_when:
      at_least: 2
      of:
        - {fact: walls_durable, op: eq, value: false}
        - {fact: frame_durable, op: eq, value: false}
        - {fact: roof_durable, op: eq, value: false}
"""


def test_housing_quality_with_at_least_gives_the_same_verdicts_in_both_engines(tmp_path: Path) -> None:
    """Decree 07 item 7 as shipped (`at_least 2 of 3`) decides like the three pairs it replaced, in both
    engines (the pairs form is rebuilt in a copy of the rule folder as the reference)."""
    root = copy_rules(tmp_path)
    path = root / "nd-07-2021" / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(HOUSING_AT_LEAST) == 1
    path.write_text(text.replace(HOUSING_AT_LEAST, HOUSING_ANY), encoding="utf-8")
    rewritten = load_ruleset("nd-07-2021")
    assert isinstance(rewritten.indicator("housing_quality").condition, AtLeast)
    original = load_ruleset_path(root / "nd-07-2021", root)
    assert not isinstance(original.indicator("housing_quality").condition, AtLeast)
    names = ("walls_durable", "frame_durable", "roof_durable")
    households = [
        Household(f"H{i}", "rural", 5e6, facts={n: a for n, a in zip(names, c, strict=True) if a is not None})
        for i, c in enumerate(itertools.product((T, F, U), repeat=3))
    ]
    day = dt.date(2024, 1, 1)
    durable = DurableEngine(rewritten)
    batch = BatchEngine(rewritten).classify_many(households, day, with_trace=True)
    reference = BatchEngine(original).classify_many(households, day)

    def housing(result: Any) -> Any:
        return next(r for r in result.indicators if r.id == "housing_quality")

    for household, by_batch, by_old in zip(households, batch, reference, strict=True):
        by_durable = housing(durable.classify(household, day))
        assert by_durable.deprived is housing(by_batch).deprived is housing(by_old).deprived, household
        assert by_durable.missing == housing(by_batch).missing, household


def test_missing_answers_come_only_from_undecided_branches() -> None:
    """An unknown answer under a branch already decided False is not asked for: it cannot matter."""
    cond = AnyOf((AllOf((_leaf("a"), _leaf("b"))), _leaf("c")))
    verdict = evaluate(cond, {"b": False})  # a and c unknown; `a and b` is False whatever a is
    assert verdict.value is None
    assert verdict.missing == ("c",)


def test_missing_member_answers_come_only_from_undecided_members() -> None:
    """A member whose condition is already False is not asked for its other unknown answers."""
    cond = AnyMember(AllOf((_leaf("x"), _leaf("y"))))
    members = [("m1", {"y": False}), ("m2", {"y": True})]  # x unknown for both
    verdict = evaluate(cond, {}, members)
    assert verdict.value is None
    assert verdict.missing == ("m2.x",)


def test_triggering_members_come_from_every_true_branch() -> None:
    """`any` that holds names the members of each true branch, not only of the first one evaluated."""
    cond = AnyOf((AnyMember(_leaf("x")), AnyMember(_leaf("y"))))
    verdict = evaluate(cond, {}, [("m1", {"x": True, "y": False}), ("m2", {"x": False, "y": True})])
    assert verdict.value is True
    assert verdict.triggered == ("m1", "m2")


_INLINE_CASES = [
    # (level, facts of the one member, household facts): present, None, absent, household fallback.
    ("member", {"x": 5}, {}),
    ("member", {"x": None}, {"x": 5}),
    ("member", {}, {"x": 5}),
    ("member", {}, {"x": None}),
    ("member", {}, {}),
    ("member", {"x": 7, "y": "a"}, {"y": "b"}),
    ("household", {}, {"x": 5}),
    ("household", {}, {"x": None}),
    ("household", {"x": 5}, {}),
    ("household", {}, {"x": 9, "y": "a"}),
]


@pytest.mark.parametrize(("level", "member", "household"), _INLINE_CASES)
@pytest.mark.parametrize("kind", [AllOf, AnyOf])
def test_all_and_any_evaluate_comparisons_inline_exactly_as_the_comparison_itself(
    kind: type[AllOf] | type[AnyOf], level: str, member: dict[str, Any], household: dict[str, Any]
) -> None:
    """all/any read a comparison child inline (no call per leaf, the hot path): for every operator, the
    verdict and the values recorded in facts_read (keys and order) equal those of calling the child."""
    from classifier.rules.conditions import EvalContext, Scope

    scope = Scope(level)
    values: dict[str, Any] = {
        "eq": 5,
        "ne": 5,
        "lt": 6,
        "lte": 5,
        "gt": 4,
        "gte": 6,
        "in": (5, 7),
        "not_in": (5,),
    }
    for op, value in values.items():
        leaves = (Compare("x", op, value), Compare("y", "eq", "a"))
        for children in (leaves, leaves[::-1], leaves[:1]):
            inline_ctx = EvalContext(household, [("member 1", member)])
            called_ctx = EvalContext(household, [("member 1", member)])
            arg = member if level == "member" else None
            inline = kind(children).compile(scope).verdict(inline_ctx, arg, "member 1")
            compiled = [c.compile(scope).verdict for c in children]
            # The reference: the children's own verdicts, combined by Kleene AND / OR.
            answers = []
            for verdict in compiled:
                answers.append(verdict(called_ctx, arg, "member 1"))
                if answers[-1] is (kind is AnyOf):
                    break
            if kind is AllOf:
                expected = False if False in answers else (None if None in answers else True)
            else:
                expected = True if True in answers else (None if None in answers else False)
            assert inline is expected, (op, children)
            assert list(inline_ctx.read.items()) == list(called_ctx.read.items()), (op, children)
