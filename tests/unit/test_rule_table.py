"""The table form of classification.yaml (one row per class × area, Nghị định 07/2021 Art. 3 cl. 2).

The real Decree 07/2021 and 351/2025 files state their income classification as a table; the text each
replaced (the ``rules:`` form, kept in tests/unit/data/rules_form/) must give the very same rules.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest

from classifier.errors import RuleFileError
from classifier.rules import default_rules_root, load_ruleset, load_ruleset_path
from classifier.rules.conditions import Compare, walk
from classifier.rules.ruleset import ClassRule, RuleSet
from tests.helpers import copy_rules

STANDARD = "nd-07-2021"
RULES_FORM = Path(__file__).resolve().parent / "data" / "rules_form"


def _without_lines(value: Any) -> Any:
    """A condition tree with every source line dropped (the two forms state them on different lines)."""
    if isinstance(value, tuple):
        return tuple(_without_lines(v) for v in value)
    if not attrs.has(type(value)):
        return value
    changes = {f.name: _without_lines(getattr(value, f.name)) for f in attrs.fields(type(value)) if f.init}
    if "line" in changes:
        changes["line"] = None
    return attrs.evolve(value, **changes)


def _comparable(rule: ClassRule) -> ClassRule:
    return attrs.evolve(rule, condition=_without_lines(rule.condition))


@pytest.mark.parametrize(("standard", "count"), [(STANDARD, 8), ("nd-351-2025", 6)])
def test_table_form_gives_the_same_rules_as_the_rules_form_it_replaced(
    standard: str, count: int, tmp_path: Path
) -> None:
    """Ids, order, classes, condition trees, parameters, citations, validity and wording are identical."""
    table = load_ruleset(standard)
    root = copy_rules(tmp_path, standard)
    shutil.copy2(RULES_FORM / f"{standard}-classification.yaml", root / standard / "classification.yaml")
    text = (root / standard / "classification.yaml").read_text(encoding="utf-8")
    assert "\nrules:\n" in text and "\ntable:\n" not in text
    previous = load_ruleset_path(root / standard, root)
    assert [r.id for r in table.rules] == [r.id for r in previous.rules]
    assert len(table.rules) == count
    for new, old in zip(table.rules, previous.rules, strict=True):
        assert _comparable(new) == _comparable(old), new.id
    # The comparison is not vacuous: the trees differ when a cell differs.
    assert _comparable(table.rules[0]) != _comparable(table.rules[2])


@pytest.mark.parametrize("standard", [STANDARD, "nd-351-2025"])
def test_real_file_uses_the_table_form(standard: str) -> None:
    """The income classification of Decrees 07/2021 and 351/2025 is written as the table."""
    text = (default_rules_root() / standard / "classification.yaml").read_text(encoding="utf-8")
    assert "\ntable:\n" in text and "\nrules:\n" not in text


def test_table_conditions_point_at_the_row_cells(tmp_path: Path) -> None:
    """A comparison expanded from a row carries the line of its cell (area, income or deprivations)."""
    ruleset = load_ruleset(STANDARD)
    lines = (default_rules_root() / STANDARD / "classification.yaml").read_text(encoding="utf-8").splitlines()
    cells = {"area": "area:", "income_per_capita_month": "income:", "deprivation_count": "deprivations:"}
    checked = 0
    for rule in ruleset.rules:
        for node in walk(rule.condition):
            if isinstance(node, Compare):
                text = lines[(node.line or 0) - 1].strip()
                assert text.startswith(cells[node.fact]), (rule.id, node.line, text)
                assert node.param is None or f"{node.op}: {node.param}" in text, (rule.id, text)
                checked += 1
    assert checked == 22  # 8 areas, 10 income bounds, 4 deprivation tests


def _loaded(tmp_path: Path, old: str, new: str) -> RuleSet:
    root = copy_rules(tmp_path)
    path = root / STANDARD / "classification.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_ruleset_path(root / STANDARD, root)


def test_a_row_may_override_the_tables_verification(tmp_path: Path) -> None:
    """``verified`` of a row wins over the table's (so one unconfirmed row can say so)."""
    ruleset = _loaded(
        tmp_path, "      point: a\n      source:", "      verified: false\n      point: a\n      source:"
    )
    flags = {r.id: r.verified for r in ruleset.rules}
    assert flags["ngheo_nong_thon"] is False
    assert flags["ngheo_thanh_thi"] is True


def test_a_rule_id_in_both_the_table_and_rules_is_refused(tmp_path: Path) -> None:
    """A rule stated twice (as a row and as a ``rules:`` entry) is one problem, at the rules entry."""
    extra = (
        "rules:\n  khac_thanh_thi:\n    class: khac\n"
        '    citation: {instrument: Nghị định 07/2021/NĐ-CP, article: "3", clause: "2"}\n'
        "    verified: true\n    valid_from: 2022-01-01\n    valid_to: 2026-12-31\n"
        "    when: {fact: income_per_capita_month, op: gt, param: middle_upper_urban}\n\n"
    )
    with pytest.raises(RuleFileError) as info:
        _loaded(tmp_path, "score_rules:\n", extra + "score_rules:\n")
    messages = [p.message for p in info.value.problems]
    assert "rule 'khac_thanh_thi' is both a table row and a rule" in messages


def test_a_file_with_neither_table_nor_rules_is_refused_with_the_two_forms_named(tmp_path: Path) -> None:
    """Without ``table`` and ``rules`` no household could be classified: one problem, naming both forms."""
    root = copy_rules(tmp_path)
    path = root / STANDARD / "classification.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[text.index("score_rules:\n") :], encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_ruleset_path(root / STANDARD, root)
    found = [p for p in info.value.problems if "missing required key 'rules'" in p.message]
    assert len(found) == 1
    assert found[0].line == 1
    assert found[0].hint is not None and "'table'" in found[0].hint
