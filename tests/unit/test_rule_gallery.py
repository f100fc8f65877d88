"""The gallery of broken rule folders: each defect is refused with its file, line, rule id and hint.

Each ``rule_gallery/<defect>.yaml`` says how to break a fresh copy of ``rules/nd-07-2021`` and which
problems :class:`RuleFileError` must list (see ``rule_gallery/README.md`` for the format). By default a
case also fixes the total number of problems, so that one mistake yields one message, not a cascade.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from classifier.errors import RuleFileError, RuleProblem
from classifier.rules import load_ruleset_path
from tests.helpers import copy_rules

STANDARD = "nd-07-2021"
GALLERY = Path(__file__).resolve().parent / "rule_gallery"
CASES = {p.stem: p for p in sorted(GALLERY.glob("*.yaml"))}

CASE_KEYS = {"why", "edits", "expect", "count"}
EDIT_KEYS = {"file", "after", "replace", "with", "delete_block", "write", "delete"}
EXPECT_KEYS = {"file", "line", "line_of", "line_after", "rule_id", "message", "hint"}


def read_case(name: str) -> dict[str, Any]:
    """One gallery file, checked against the gallery's own format so that a typo there cannot pass."""
    case = yaml.safe_load(CASES[name].read_text(encoding="utf-8"))
    assert set(case) <= CASE_KEYS, f"{name}: unknown keys {set(case) - CASE_KEYS}"
    assert case["why"] and case["edits"] and case["expect"], name
    for edit in case["edits"]:
        assert set(edit) <= EDIT_KEYS, f"{name}: unknown edit keys {set(edit) - EDIT_KEYS}"
    for exp in case["expect"]:
        assert set(exp) <= EXPECT_KEYS, f"{name}: unknown expect keys {set(exp) - EXPECT_KEYS}"
        assert ("line" in exp) != ("line_of" in exp), f"{name}: give exactly one of line / line_of"
    return case


def _unique_index(text: str, needle: str, what: str) -> int:
    assert text.count(needle) == 1, f"{what} {needle!r} occurs {text.count(needle)} times (expected once)"
    return text.index(needle)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def apply_edit(folder: Path, edit: Mapping[str, Any], marker: Path) -> None:
    """Apply one gallery edit to the copied folder; text that is not found fails the test loudly."""
    path = folder / edit["file"]
    if edit.get("delete"):
        path.unlink()
        return
    if "write" in edit:
        path.write_text(edit["write"], encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    if "delete_block" in edit:
        lines = text.splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == edit["delete_block"]]
        assert len(starts) == 1, f"block {edit['delete_block']!r} found {len(starts)} times"
        first = starts[0]
        indent = _indent(lines[first])
        end = first + 1
        # The block is the line itself and every following line indented deeper (blank lines included).
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
            end += 1
        path.write_text("".join(lines[:first] + lines[end:]), encoding="utf-8")
        return
    old, new = edit["replace"], edit["with"].replace("@MARKER@", str(marker))
    if "after" in edit:
        start = _unique_index(text, edit["after"], "anchor")
        pos = text.find(old, start)
        assert pos >= 0, f"{old!r} not found after {edit['after']!r}"
    else:
        pos = _unique_index(text, old, "text")
    path.write_text(text[:pos] + new + text[pos + len(old) :], encoding="utf-8")


def expected_line(folder: Path, exp: Mapping[str, Any]) -> int | None:
    """The line an expected problem must carry, found in the PATCHED file (so line numbers never go stale)."""
    if "line" in exp:
        return exp["line"]
    lines = (folder / exp["file"]).read_text(encoding="utf-8").splitlines()
    start = 0
    if "line_after" in exp:
        anchors = [i for i, line in enumerate(lines) if exp["line_after"] in line]
        assert len(anchors) == 1, f"line_after {exp['line_after']!r} found {len(anchors)} times"
        start = anchors[0]
    hits = [i + 1 for i, line in enumerate(lines) if i >= start and exp["line_of"] in line]
    assert hits, f"line_of {exp['line_of']!r} not in {exp['file']}"
    exact = [n for n in hits if lines[n - 1].strip() == exp["line_of"]]
    if len(hits) > 1 and len(exact) == 1:
        return exact[0]  # `rules:` is the line that is exactly that, not `score_rules:`
    if "line_after" not in exp:
        assert len(hits) == 1, f"line_of {exp['line_of']!r} found on lines {hits}: make it unique"
    return hits[0]


def matches(problem: RuleProblem, exp: Mapping[str, Any], folder: Path, line: int | None) -> bool:
    """True when ``problem`` has the expected file, line and rule id, and message and hint hold the text."""
    return (
        Path(problem.file).resolve() == (folder / exp["file"]).resolve()
        and problem.line == line
        and problem.rule_id == exp.get("rule_id")
        and exp["message"] in problem.message
        and ("hint" not in exp or (problem.hint is not None and exp["hint"] in problem.hint))
    )


def load_broken(tmp_path: Path, cases: Sequence[dict[str, Any]]) -> tuple[Path, RuleFileError, Path]:
    """Copy the rules, apply every edit of ``cases``, load, and return (folder, error, marker)."""
    root = copy_rules(tmp_path)
    folder = root / STANDARD
    marker = tmp_path / "code-was-executed"
    for case in cases:
        for edit in case["edits"]:
            apply_edit(folder, edit, marker)
    with pytest.raises(RuleFileError) as info:
        load_ruleset_path(folder, root)
    return folder, info.value, marker


def assert_expected(
    folder: Path,
    error: RuleFileError,
    expectations: Sequence[Mapping[str, Any]],
    count: int,
) -> None:
    """Every expectation is met by some problem, and the error lists exactly ``count`` problems."""
    listing = "\n".join(f"  {p!r}" for p in error.problems)
    for exp in expectations:
        line = expected_line(folder, exp)
        assert any(matches(p, exp, folder, line) for p in error.problems), (
            f"expected {exp['file']}:{line} [{exp.get('rule_id')}] {exp['message']!r}"
            f" (hint {exp.get('hint')!r}); got:\n{listing}"
        )
    assert len(error.problems) == count, f"expected {count} problem(s), got:\n{listing}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_folder_is_refused_with_every_problem_located(name: str, tmp_path: Path) -> None:
    """Each gallery defect makes loading fail with the stated message, file, line, rule id and hint."""
    case = read_case(name)
    folder, error, marker = load_broken(tmp_path, [case])
    assert_expected(folder, error, case["expect"], case.get("count", len(case["expect"])))
    # No defect, however crafted, may run code while being read.
    assert not marker.exists()


def test_three_defects_in_three_files_are_reported_together(tmp_path: Path) -> None:
    """One load lists problems from parameters.yaml, indicators.yaml and classification.yaml at once."""
    cases = [read_case(n) for n in ("unknown_key_in_parameter", "unknown_fact", "enum_value_not_allowed")]
    assert len({c["edits"][0]["file"] for c in cases}) == 3
    folder, error, _ = load_broken(tmp_path, cases)
    expectations = [exp for case in cases for exp in case["expect"]]
    assert_expected(folder, error, expectations, 3)
    files = {Path(p.file).name for p in error.problems}
    assert files == {"parameters.yaml", "indicators.yaml", "classification.yaml"}


def test_error_text_lists_each_problem_with_file_line_rule_and_hint(tmp_path: Path) -> None:
    """The exception's text, as a reviewer reads it, gives file:line, [rule], message and hint per problem."""
    folder, error, _ = load_broken(tmp_path, [read_case("unknown_fact")])
    line = expected_line(folder, read_case("unknown_fact")["expect"][0])
    text = str(error)
    assert text.startswith("1 problem(s) in the rule files:")
    expected = f"indicators.yaml:{line}: [health_insurance] unknown fact 'has_helth_insurance' at member"
    assert expected in text
    assert "(did you mean 'has_health_insurance'?)" in text


def test_python_tag_payload_is_live_so_the_no_execution_check_can_fail(tmp_path: Path) -> None:
    """The gallery's os.system payload really runs under PyYAML's unsafe loader, but never under ours."""
    case = read_case("python_object_tag")
    root = copy_rules(tmp_path)
    marker = tmp_path / "code-was-executed"
    for edit in case["edits"]:
        apply_edit(root / STANDARD, edit, marker)
    text = (root / STANDARD / "parameters.yaml").read_text(encoding="utf-8")
    with pytest.raises(RuleFileError):
        load_ruleset_path(root / STANDARD, root)
    assert not marker.exists()
    yaml.load(text, Loader=yaml.UnsafeLoader)  # deliberately unsafe: proves the payload works
    assert marker.exists()


def test_gallery_covers_every_listed_defect() -> None:
    """The gallery keeps one case for each defect the loader is required to refuse."""
    required = {
        "yaml_syntax_error",
        "duplicate_key",
        "unknown_top_level_key",
        "unknown_key_in_parameter",
        "missing_citation",
        "citation_without_article",
        "missing_verified",
        "verified_not_bool",
        "valid_to_before_valid_from",
        "parameter_validity_shorter",
        "unknown_fact",
        "unknown_parameter",
        "unknown_operator",
        "order_operator_on_enum",
        "enum_value_not_allowed",
        "in_with_non_list",
        "two_kinds_in_condition",
        "any_member_in_classification",
        "unknown_class",
        "classification_gap",
        "classification_overlap",
        "duplicate_indicator_number",
        "python_object_tag",
        "merge_key",
        "empty_file",
        "missing_standard",
        "inherits_unknown",
        "status_not_allowed",
    }
    assert required <= set(CASES), sorted(required - set(CASES))
