"""Meaning checks that need the whole rule set: classification rules must leave no gap and no overlap.

The classification facts are few (area, income, deprivation count), so we check totality and
exclusivity *exhaustively* on a grid that contains every threshold the rules mention, and the
points just above and below it: between two consecutive thresholds no comparison can change its
answer, so the grid stands for every real income.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Any

from classifier.errors import RuleProblem
from classifier.rules.conditions import EvalContext, Scope, comparisons
from classifier.rules.derived import DerivedEnv, Scale
from classifier.rules.ruleset import RuleSet
from classifier.rules.yamlload import display_path, line_of

__all__ = ["MAX_REPORTED_PER_KIND", "check_ruleset", "classification_grid"]

MAX_REPORTED_PER_KIND = 5
INCOME = "income_per_capita_month"


def _income_points(ruleset: RuleSet) -> list[float]:
    # A threshold on a fact scaled from the monthly income (the yearly income) is a monthly one divided back.
    factor = {INCOME: 1.0}
    factor.update(
        (name, float(formula.by))
        for name, formula in ruleset.facts.formulas("classification")
        if isinstance(formula, Scale) and formula.of == INCOME
    )
    thresholds: set[float] = set()
    for rule in ruleset.rules:
        for node in comparisons(rule.condition):
            value = node.value
            if isinstance(value, int | float) and not isinstance(value, bool) and node.fact in factor:
                thresholds.add(float(value) / factor[node.fact])
    points: set[float] = {0.0}
    for t in thresholds:
        points.update({t - 0.5, t, t + 0.5})
    # The points beside each threshold read well in messages, but two thresholds less than 0.5 apart
    # (e.g. a yearly line divided by 12) would leave the interval between them unvisited: the midpoint
    # of every pair of neighbours makes the grid cover every interval, as the module docstring promises.
    ordered = sorted(thresholds)
    points.update((a + b) / 2 for a, b in pairwise(ordered))
    points.add((max(thresholds) if thresholds else 0.0) * 2 + 1)
    return sorted(p for p in points if p >= 0)


def classification_grid(ruleset: RuleSet) -> Iterator[dict[str, Any]]:
    """Every combination of area × income point × deprivation count that the checks visit."""
    areas = ruleset.facts.classification["area"].values
    for area in areas:
        for income in _income_points(ruleset):
            for count in range(len(ruleset.indicators) + 1):
                point = {"area": area, INCOME: income, "deprivation_count": count}
                yield ruleset.facts.derive("classification", point, DerivedEnv())


def _fmt(point: Mapping[str, Any]) -> str:
    income = point["income_per_capita_month"]
    # Two decimals at most, so that a point just above a threshold never prints as the threshold itself.
    shown = f"{income:,.2f}".rstrip("0") if income != int(income) else f"{int(income):,}"
    count = point["deprivation_count"]
    return f"area={point['area']}, income_per_capita_month={shown}, deprivation_count={count}"


def _rule_sections(root: Any) -> list[Mapping[str, Any]]:
    """The mappings of classification.yaml naming rules: the table's rows and the ``rules`` section."""
    if not isinstance(root, Mapping):
        return []
    table = root.get("table")
    found = [table.get("rows")] if isinstance(table, Mapping) else []
    found.append(root.get("rules"))
    return [s for s in found if isinstance(s, Mapping)]


def check_ruleset(ruleset: RuleSet, raw: Mapping[str, Any]) -> list[RuleProblem]:
    """Gaps and overlaps between classification rules, as problems pointing at classification.yaml."""
    problems: list[RuleProblem] = []
    file = display_path(ruleset.source_dir / "classification.yaml")
    root = raw.get("classification.yaml")
    line = (line_of(root, "table") or line_of(root, "rules")) if root is not None else None
    compiled = [(rule, rule.condition.compile(Scope("classification")).verdict) for rule in ruleset.rules]
    gaps: list[str] = []
    overlaps: dict[tuple[str, ...], list[str]] = {}
    for point in classification_grid(ruleset):
        ctx = EvalContext(household=point)
        matching = tuple(rule.id for rule, fn in compiled if fn(ctx, None, "") is True)
        if not matching:
            gaps.append(_fmt(point))
        elif len(matching) > 1:
            # Even two rules giving the same class overlap: durable_rules hands an event to one rule
            # only, so which rule "fired" (and is cited in the trace) would depend on rule order.
            overlaps.setdefault(matching, []).append(_fmt(point))
    for example in gaps[:MAX_REPORTED_PER_KIND]:
        problems.append(
            RuleProblem(
                file,
                line,
                f"gap: no classification rule applies to {example}",
                hint="every household must get exactly one class",
            )
        )
    if len(gaps) > MAX_REPORTED_PER_KIND:
        problems.append(
            RuleProblem(file, line, f"gap: {len(gaps) - MAX_REPORTED_PER_KIND} more uncovered points")
        )
    for rule_ids, examples in overlaps.items():
        rule_line = None
        for section in _rule_sections(root):
            if rule_ids[1] in section:
                rule_line = line_of(section, rule_ids[1])
        problems.append(
            RuleProblem(
                file,
                rule_line or line,
                f"overlap: rules {', '.join(rule_ids)} all apply to {examples[0]}"
                + (f" (and {len(examples) - 1} more points)" if len(examples) > 1 else ""),
                rule_id=rule_ids[1],
                hint="classification rules must exclude each other",
            )
        )
    problems.extend(_check_score_rules(ruleset, file, root))
    return problems


def _score_points(ruleset: RuleSet, fact: str) -> list[float]:
    values = {0.0}
    for rule in ruleset.score_rules:
        for node in comparisons(rule.condition):
            if node.fact == fact and isinstance(node.value, int | float) and not isinstance(node.value, bool):
                v = float(node.value)
                values.update({v - 1, v - 0.5, v, v + 0.5, v + 1})
    values.add(max(values) * 2 + 1)
    return sorted(v for v in values if v >= 0)


def _check_score_rules(ruleset: RuleSet, file: str, root: Any) -> list[RuleProblem]:
    """Score rules, like income rules, must give every area × điểm A × điểm B exactly one rule."""
    if not ruleset.score_rules:
        return []
    line = line_of(root, "score_rules") if root is not None else None
    scope = Scope("classification")
    compiled = [(rule, rule.condition.compile(scope).verdict) for rule in ruleset.score_rules]
    problems: list[RuleProblem] = []
    for area in ruleset.facts.classification["area"].values:
        for a in _score_points(ruleset, "score_a"):
            for b in _score_points(ruleset, "score_b"):
                ctx = EvalContext(household={"area": area, "score_a": a, "score_b": b})
                matching = [rule.id for rule, fn in compiled if fn(ctx, None, "") is True]
                if len(matching) != 1:
                    what = "no score rule" if not matching else f"score rules {', '.join(matching)} all"
                    problems.append(
                        RuleProblem(
                            file,
                            line,
                            f"{what} apply to area={area}, score_a={a:g}, score_b={b:g}",
                            hint="every area, điểm A and điểm B must get exactly one score rule",
                        )
                    )
                    if len(problems) >= MAX_REPORTED_PER_KIND:
                        return problems
    return problems
