"""The loaded, checked form of a rule folder: what the engines compile and the trace cites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from classifier.model import CANNOT_CLASSIFY, CANNOT_CLASSIFY_LABELS
from classifier.rules.conditions import Condition

__all__ = [
    "Citation",
    "ClassRule",
    "FactCatalogue",
    "FactSpec",
    "Group",
    "Indicator",
    "NotModelled",
    "OutcomeClass",
    "Parameter",
    "RuleSet",
]


@attrs.frozen
class Citation:
    """Where a rule comes from: instrument, article/clause/point or appendix item, and a source."""

    instrument: str
    article: str | None = None
    clause: str | None = None
    point: str | None = None
    appendix: str | None = None
    item: str | None = None
    wording_vi: str | None = None
    source: str | None = None

    def short(self, lang: str = "vi") -> str:
        """``Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2, điểm a`` (or the English form)."""
        vi = lang == "vi"
        parts = [self.instrument]
        if self.article:
            parts.append(f"{'Điều' if vi else 'Art.'} {self.article}")
        if self.clause:
            parts.append(f"{'khoản' if vi else 'cl.'} {self.clause}")
        if self.point:
            parts.append(f"{'điểm' if vi else 'pt.'} {self.point}")
        if self.appendix:
            parts.append(self.appendix if vi else f"Appendix ({self.appendix})")
        if self.item:
            parts.append(f"{'mục' if vi else 'item'} {self.item}")
        return ", ".join(parts)


@attrs.frozen
class Parameter:
    """A legal number or list (an income line, an age, the safe water sources...)."""

    id: str
    value: Any
    unit: str | None
    citation: Citation
    verified: bool
    valid_from: dt.date
    valid_to: dt.date | None
    label_vi: str | None = None
    label_en: str | None = None
    note: str | None = None
    provisional: bool = False


@attrs.frozen
class Indicator:
    """One deprivation indicator: deprived when ``condition`` holds."""

    id: str
    number: int
    service_vi: str
    service_en: str
    label_vi: str
    label_en: str
    citation: Citation
    verified: bool
    valid_from: dt.date
    valid_to: dt.date | None
    condition: Condition
    wording_vi: str | None = None
    note: str | None = None
    provisional: bool = False
    # Parameters this indicator reads, for the trace and for `rules show`.
    params: tuple[str, ...] = ()


@attrs.frozen
class OutcomeClass:
    """A household class the standard defines. ``rank`` orders classes from poorest (0) upwards."""

    id: str
    label_vi: str
    label_en: str
    rank: int
    citation: Citation | None = None
    # Classes of other standards that mean the same (standard id -> class id): a change between them is a
    # relabel, not a move (``chuan-ngheo diff``).
    same_as: Mapping[str, str] = attrs.field(factory=dict)
    note: str | None = None


@attrs.frozen
class ClassRule:
    """A classification rule: the household gets ``outcome`` when ``condition`` holds."""

    id: str
    outcome: str
    citation: Citation
    verified: bool
    valid_from: dt.date
    valid_to: dt.date | None
    condition: Condition
    wording_vi: str | None = None
    note: str | None = None
    provisional: bool = False
    params: tuple[str, ...] = ()
    # A score rule that leaves the class open (outcome khong_du_du_lieu): the classes still possible.
    possible: tuple[str, ...] = ()


@attrs.frozen
class Group:
    """A group reported beside the class (not a class): e.g. Decree 30/2025's low-income worker.

    ``level`` member (every listed member of a matching household) or household; the household's class
    must be one of ``classes``, ``condition`` (area / income) must hold and, when given, the household's
    yes/no ``answer`` must be yes. The engine says who is eligible, never who applied."""

    id: str
    level: str
    label_vi: str
    label_en: str
    classes: tuple[str, ...]
    condition: Condition
    citation: Citation
    verified: bool
    valid_from: dt.date
    valid_to: dt.date | None
    answer: str | None = None
    wording_vi: str | None = None
    note: str | None = None
    params: tuple[str, ...] = ()
    provisional: bool = False


@attrs.frozen
class NotModelled:
    """A provision deliberately left out, with the reason (shown by `rules show` and `rules audit`)."""

    provision: str
    reason: str
    citation: Citation | None = None


@attrs.frozen
class FactSpec:
    """One fact of the data contract (rules/facts.yaml)."""

    name: str
    level: str  # household | member | classification
    type: str
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    label_vi: str | None = None
    label_en: str | None = None
    aliases: tuple[str, ...] = ()
    value_labels_vi: Mapping[str, str] = attrs.field(factory=dict)
    derived: bool = False
    # For a derived fact: the facts it is computed from (named as missing when it cannot be computed).
    inputs: tuple[str, ...] = ()
    # How a derived fact is computed (classifier.rules.derived), in Python and in SQL alike.
    formula: Any = None


@attrs.frozen
class FactCatalogue:
    """The data contract: every fact a rule may read, by level."""

    household: Mapping[str, FactSpec]
    member: Mapping[str, FactSpec]
    classification: Mapping[str, FactSpec]
    digest: str
    # (name, formula) per level, in declaration order; computed once (read for every household).
    _formulas: Mapping[str, tuple[tuple[str, Any], ...]] = attrs.field(init=False, eq=False, repr=False)

    @_formulas.default
    def _collect_formulas(self) -> Mapping[str, tuple[tuple[str, Any], ...]]:
        tables = {"household": self.household, "member": self.member, "classification": self.classification}
        return {
            level: tuple((name, spec.formula) for name, spec in table.items() if spec.formula is not None)
            for level, table in tables.items()
        }

    def formulas(self, level: str) -> tuple[tuple[str, Any], ...]:
        """(name, formula) of the derived facts of ``level``, in declaration order."""
        return self._formulas[level]

    def derive(self, level: str, facts: dict[str, Any], env: Any) -> dict[str, Any]:
        """``facts`` with the derived facts of ``level`` added (unknown ones left out), in place."""
        for name, formula in self.formulas(level):
            value = formula.python(facts, env)
            if value is not None:
                facts[name] = value
        return facts

    def spec(self, level: str, name: str) -> FactSpec | None:
        table = {"household": self.household, "member": self.member, "classification": self.classification}
        return table[level].get(name)


@attrs.frozen
class RuleSet:
    """One standard (or a local overlay), loaded and checked.

    ``digest`` is the SHA-256 of the canonical content of every file that shaped it (including the
    parent standard of an overlay and the fact catalogue), so a result can be reproduced exactly.
    """

    id: str
    title_vi: str
    title_en: str
    status: str  # in_force | provisional
    valid_from: dt.date
    valid_to: dt.date | None
    classes: Mapping[str, OutcomeClass]
    parameters: Mapping[str, Parameter]
    indicators: tuple[Indicator, ...]
    rules: tuple[ClassRule, ...]
    not_modelled: tuple[NotModelled, ...]
    facts: FactCatalogue
    digest: str
    source_dir: Path
    inherits: str | None = None
    instrument: Mapping[str, Any] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()
    # The score method (Thông tư 07/2021/TT-BLĐTBXH, điểm A / điểm B): empty when no source gives the
    # standard score cut-offs.
    score_rules: tuple[ClassRule, ...] = ()
    # Groups reported beside the class (classification.yaml ``groups``).
    groups: tuple[Group, ...] = ()
    # The compiled form (classifier.rules.plan.plan_for), built on first use; not part of the content.
    compiled_plan: Any = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def provisional(self) -> bool:
        """True when the standard itself is provisional (some of its content is not confirmed law)."""
        return self.status == "provisional"

    @property
    def short_digest(self) -> str:
        return self.digest[:12]

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def class_label(self, outcome: str, lang: str = "vi") -> str:
        """The name of ``outcome`` in ``lang``: a class's label, the undecidable outcome's, else the id."""
        if outcome == CANNOT_CLASSIFY:
            return CANNOT_CLASSIFY_LABELS[lang]
        cls = self.classes.get(outcome)
        if cls is None:
            return outcome
        return cls.label_vi if lang == "vi" else cls.label_en

    def same_class(self, outcome: str, other: RuleSet, other_outcome: str) -> bool:
        """Whether ``outcome`` here and ``other_outcome`` of ``other`` are declared the same class (in
        either standard's data), so that a change between them is a relabel, not a move."""
        mine, theirs = self.classes.get(outcome), other.classes.get(other_outcome)
        return bool(
            (mine is not None and mine.same_as.get(other.id) == other_outcome)
            or (theirs is not None and theirs.same_as.get(self.id) == outcome)
        )

    def rule(self, rule_id: str) -> ClassRule:
        for rule in (*self.rules, *self.score_rules):
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
