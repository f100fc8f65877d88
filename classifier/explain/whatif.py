"""What would change the outcome: the smallest single changes that move a household to another class.

Nothing here knows Decree 07. The candidates come from the result's own trace — each threshold
of a rule that mattered (its margin says how far the household is from it) — and from the
standard's indicators (flip one at a time). Every candidate is then *checked by re-running the
classification* on a modified copy of the household, so the reported class is what the engine
really gives, not a guess. Money moves in steps of 1 đồng and counts in steps of 1: the smallest
change that crosses ``income <= line`` is ``line + 1 - income``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from classifier.explain._format import check_lang, format_money, lower_first
from classifier.model import Classification, Household
from classifier.rules.conditions import compare_values
from classifier.rules.ruleset import RuleSet
from classifier.trace import Margin, Trace

__all__ = ["Change", "render_what_would_change", "what_would_change"]

#: The resolution of a change: 1 đồng for money, 1 for a count.
STEP = 1

INCOME = "income"
COUNT = "deprivation_count"
INDICATOR = "indicator"


@attrs.frozen
class Change:
    """One single change and the class the household would then get (re-classified, not guessed).

    ``kind`` is ``income`` (``target`` is the income fact), ``deprivation_count`` or ``indicator``
    (``target`` is the indicator id; ``before``/``after`` are its verdicts True/False/None).
    ``delta`` is ``after - before`` for numbers. ``rule_id``/``param``/``threshold`` name the
    threshold that is crossed (None for a single indicator flip).
    """

    household_id: str
    kind: str
    target: str
    before: Any
    after: Any
    delta: float | int | None
    outcome_before: str
    outcome_after: str
    outcome_label_vi: str
    outcome_label_en: str
    outcome_before_label_vi: str
    outcome_before_label_en: str
    label_vi: str
    label_en: str
    rule_id: str | None = None
    param: str | None = None
    threshold: Any = None
    threshold_label_vi: str | None = None
    threshold_label_en: str | None = None


def crossing_value(op: str, value: float, threshold: float) -> float | None:
    """The nearest value (on a grid of STEP) where ``value op threshold`` gives the other answer."""
    holds = compare_values(op, value, threshold)
    table = {
        ("lte", True): threshold + STEP,
        ("lte", False): threshold,
        ("lt", True): threshold,
        ("lt", False): threshold - STEP,
        ("gte", True): threshold - STEP,
        ("gte", False): threshold,
        ("gt", True): threshold,
        ("gt", False): threshold + STEP,
    }
    return table.get((op, holds))


def what_would_change(
    household: Household,
    classification: Classification | None = None,
    *,
    standard: str | RuleSet | None = None,
    reference_date: dt.date | None = None,
    engine: str | None = None,
) -> tuple[Change, ...]:
    """The smallest single changes that give ``household`` another outcome.

    ``classification`` is the household's current result (classified here when not given). The
    standard, reference date and engine default to the ones that result records, so every
    re-classification is comparable with it. Returned in this order: income changes (smallest
    first), deprivation-count changes, then single-indicator flips in the standard's order.
    """
    from classifier.api import classify, load_standard  # deferred: keeps `import classifier.explain` light

    ruleset = load_standard(
        standard
        if standard is not None
        else (classification.standard if classification is not None else "nd-07-2021")
    )
    if classification is not None and classification.trace is None:
        classification = None  # the margins live in the trace
    if classification is None:
        classification = classify(
            household, ruleset, reference_date=reference_date, engine=engine or "durable"
        )
    ref = reference_date or classification.reference_date
    eng = engine or classification.engine
    trace: Trace = classification.trace
    before = classification.outcome

    def rerun(changed: Household) -> str:
        return classify(changed, ruleset, reference_date=ref, engine=eng, trace=False).outcome

    def make(
        kind: str,
        target: str,
        old: Any,
        new: Any,
        outcome: str,
        label_vi: str,
        label_en: str,
        margin: Margin | None = None,
    ) -> Change:
        delta = new - old if kind != INDICATOR else None
        param = ruleset.parameters.get(margin.param) if margin and margin.param else None
        return Change(
            household_id=household.id,
            kind=kind,
            target=target,
            before=old,
            after=new,
            delta=delta,
            outcome_before=before,
            outcome_after=outcome,
            outcome_label_vi=ruleset.class_label(outcome, "vi"),
            outcome_label_en=ruleset.class_label(outcome, "en"),
            outcome_before_label_vi=ruleset.class_label(before, "vi"),
            outcome_before_label_en=ruleset.class_label(before, "en"),
            label_vi=label_vi,
            label_en=label_en,
            rule_id=margin.rule_id if margin else None,
            param=margin.param if margin else None,
            threshold=margin.threshold if margin else None,
            threshold_label_vi=(param.label_vi if param else None),
            threshold_label_en=(param.label_en if param else None),
        )

    changes: list[Change] = []
    seen: set[tuple[str, Any]] = set()
    for margin in trace.margins:
        if margin.value is None or not isinstance(margin.threshold, int | float):
            continue
        target_value = crossing_value(margin.op, margin.value, margin.threshold)
        if target_value is None or (margin.fact, target_value) in seen:
            continue
        seen.add((margin.fact, target_value))
        if margin.fact == COUNT:
            changed = _with_count(household, classification, int(target_value))
            kind = COUNT
        else:
            changed = _with_income(household, margin.fact, target_value)
            kind = INCOME
        if changed is None:
            continue
        outcome = rerun(changed)
        if outcome != before:
            spec = ruleset.facts.spec("classification", margin.fact)
            changes.append(
                make(
                    kind,
                    margin.fact,
                    margin.value,
                    target_value,
                    outcome,
                    (spec.label_vi if spec and spec.label_vi else margin.fact),
                    (spec.label_en if spec and spec.label_en else margin.fact),
                    margin,
                )
            )

    # Only the deprivation count links indicators to the class; without a count threshold in play
    # no single indicator can matter, so skip the re-runs.
    if any(m.fact == COUNT for m in trace.margins):
        for step in trace.indicators:
            for new in (True, False) if step.deprived is None else (not step.deprived,):
                outcome = rerun(attrs.evolve(household, flags={**household.flags, step.id: new}))
                if outcome != before:
                    changes.append(
                        make(INDICATOR, step.id, step.deprived, new, outcome, step.label_vi, step.label_en)
                    )

    order = {INCOME: 0, COUNT: 1, INDICATOR: 2}
    return tuple(sorted(changes, key=lambda c: (order[c.kind], abs(c.delta) if c.delta is not None else 0)))


def _with_income(household: Household, fact: str, value: float) -> Household | None:
    """A copy with the income fact set so that ``fact`` equals ``value`` (None if impossible)."""
    if value < 0:
        return None
    if fact == "income_per_capita_month":
        return attrs.evolve(household, income_per_capita_month=value)
    if fact == "income_per_capita_year":
        # The engine derives the yearly figure from the monthly one (classifier.engine.common).
        return attrs.evolve(household, income_per_capita_month=value / 12)
    return None


def _with_count(household: Household, classification: Classification, count: int) -> Household | None:
    """A copy whose known deprivation count is ``count``: flip indicators through the form's flags."""
    current = classification.deprivation_count
    flags = dict(household.flags)
    if count > current:
        # Prefer indicators known to be fine, then unknown ones: each flip adds exactly one.
        pool = [r.id for r in classification.indicators if r.deprived is False]
        pool += [r.id for r in classification.indicators if r.deprived is None]
        new = True
    else:
        pool = [r.id for r in classification.indicators if r.deprived is True]
        new = False
    need = abs(count - current)
    if need == 0 or need > len(pool):
        return None
    for indicator_id in pool[:need]:
        flags[indicator_id] = new
    return attrs.evolve(household, flags=flags)


# --- rendering -------------------------------------------------------------------------------------

_P: dict[str, dict[str, str]] = {
    "vi": {
        "head": "Những thay đổi đơn lẻ nhỏ nhất làm thay đổi kết quả của hộ {id} (hiện là: {label}):",
        "none": "Không có thay đổi đơn lẻ nào (thu nhập hoặc một chỉ số) làm thay đổi kết quả.",
        "up": "Nếu thu nhập tăng thêm {amount} → {label} ({fact} lên {after}; {thr_label} là {threshold}).",
        "down": "Nếu thu nhập giảm thêm {amount} → {label} ({fact} còn {after}; {thr_label} là {threshold}).",
        "more": "Nếu thêm {n} chỉ số thiếu hụt → {label}.",
        "fewer": "Nếu bớt {n} chỉ số thiếu hụt → {label}.",
        "to_true": "Nếu chỉ số “{items}” trở thành thiếu hụt → {label}.",
        "to_true_many": "Nếu một trong các chỉ số sau trở thành thiếu hụt → {label}: {items}.",
        "to_false": "Nếu chỉ số “{items}” không còn thiếu hụt → {label}.",
        "to_false_many": "Nếu một trong các chỉ số sau không còn thiếu hụt → {label}: {items}.",
        "known_true": "Nếu xác định được chỉ số “{items}” là thiếu hụt → {label}.",
        "known_true_many": "Nếu xác định được một trong các chỉ số sau là thiếu hụt → {label}: {items}.",
        "known_false": "Nếu xác định được chỉ số “{items}” là không thiếu hụt → {label}.",
        "known_false_many": (
            "Nếu xác định được một trong các chỉ số sau là không thiếu hụt → {label}: {items}."
        ),
        "threshold": "ngưỡng",
    },
    "en": {
        "head": "Smallest single changes that would change the outcome of household {id} (now: {label}):",
        "none": "No single change (income or one indicator) would change the outcome.",
        "up": "If income rises by {amount} → {label} ({fact}: {after}; {thr_label}: {threshold}).",
        "down": "If income falls by {amount} → {label} ({fact}: {after}; {thr_label}: {threshold}).",
        "more": "If {n} more indicator(s) were deprived → {label}.",
        "fewer": "If {n} fewer indicator(s) were deprived → {label}.",
        "to_true": "If the indicator “{items}” became deprived → {label}.",
        "to_true_many": "If any one of these indicators became deprived → {label}: {items}.",
        "to_false": "If the indicator “{items}” were no longer deprived → {label}.",
        "to_false_many": "If any one of these indicators were no longer deprived → {label}: {items}.",
        "known_true": "If the indicator “{items}” turned out to be deprived → {label}.",
        "known_true_many": "If any one of these indicators turned out to be deprived → {label}: {items}.",
        "known_false": "If the indicator “{items}” turned out not to be deprived → {label}.",
        "known_false_many": (
            "If any one of these indicators turned out not to be deprived → {label}: {items}."
        ),
        "threshold": "the threshold",
    },
}


def render_what_would_change(
    changes: Sequence[Change],
    lang: str = "vi",
    *,
    household_id: str | None = None,
    current_label: str | None = None,
) -> str:
    """The changes as plain text, one line each; indicator flips with the same effect share a line.

    With no changes the heading needs ``household_id``/``current_label`` to name the household;
    otherwise they are read from the changes.
    """
    check_lang(lang)
    p = _P[lang]
    lines: list[str] = []
    if changes:
        first = changes[0]
        hid = household_id or first.household_id
        before = first.outcome_before_label_vi if lang == "vi" else first.outcome_before_label_en
        label = current_label or before
        lines.append(p["head"].format(id=hid, label=label))
    elif household_id:
        lines.append(p["head"].format(id=household_id, label=current_label or "?"))
    if not changes:
        lines.append("  • " + p["none"])
        return "\n".join(lines) + "\n"

    groups: dict[tuple[Any, Any, str], list[Change]] = {}
    for change in changes:
        label = change.outcome_label_vi if lang == "vi" else change.outcome_label_en
        if change.kind == INCOME:
            thr = change.threshold_label_vi if lang == "vi" else change.threshold_label_en
            thr_label = thr or p["threshold"]
            fact = lower_first(change.label_vi if lang == "vi" else change.label_en)
            fact = fact.replace(" (đồng)", "").replace(" (VND)", "")
            key = "up" if (change.delta or 0) > 0 else "down"
            lines.append(
                "  • "
                + p[key].format(
                    amount=format_money(abs(change.delta or 0), lang),
                    label=label,
                    fact=fact,
                    after=format_money(change.after, lang),
                    thr_label=lower_first(thr_label),
                    threshold=format_money(change.threshold, lang),
                )
            )
        elif change.kind == COUNT:
            key = "more" if (change.delta or 0) > 0 else "fewer"
            lines.append("  • " + p[key].format(n=abs(change.delta or 0), label=label))
        else:
            groups.setdefault((change.before, change.after, label), []).append(change)
    for (old, new, label), group in groups.items():
        base = ("known_true" if new else "known_false") if old is None else ("to_true" if new else "to_false")
        names = [c.label_vi if lang == "vi" else c.label_en for c in group]
        key = base if len(names) == 1 else base + "_many"
        lines.append("  • " + p[key].format(items=", ".join(names), label=label))
    return "\n".join(lines) + "\n"
