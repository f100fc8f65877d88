"""Loading the real Decree 07/2021 folder: what it holds, its content digest, and where each item was read."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.errors import UnknownStandardError
from classifier.rules import _CACHE, default_rules_root, list_standards, load_ruleset, load_ruleset_path
from classifier.rules.conditions import Compare, ShareOfMembers, walk
from classifier.rules.ruleset import RuleSet
from classifier.rules.yamlload import LocatedDict, load_yaml_file
from tests.helpers import DECREE_07_INDICATORS, copy_rules

STANDARD = "nd-07-2021"
CLASSES = ("ngheo", "can_ngheo", "muc_song_trung_binh", "khac")


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in ``path``; fails if the real file no longer contains it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    """The real Decree 07/2021 rule set, loaded once for this module."""
    return load_ruleset(STANDARD)


def test_decree_07_loads_with_its_four_classes_twelve_indicators_and_eight_rules(ruleset: RuleSet) -> None:
    """Decree 07/2021 Art. 3: four outcomes, the 12 Appendix indicators numbered 1-12, two rules per class."""
    assert ruleset.id == STANDARD
    assert ruleset.status == "in_force"
    assert tuple(ruleset.classes) == CLASSES
    assert ruleset.indicator_ids == DECREE_07_INDICATORS
    assert [i.number for i in ruleset.indicators] == list(range(1, 13))
    assert len(ruleset.rules) == 8
    for cls in CLASSES:
        assert {r.id for r in ruleset.rules if r.outcome == cls} == {f"{cls}_nong_thon", f"{cls}_thanh_thi"}
    assert STANDARD in list_standards()


def test_every_parameter_indicator_and_rule_is_cited_dated_and_flagged(ruleset: RuleSet) -> None:
    """Each item names instrument and article or appendix, covers the standard's years, says `verified`."""
    items = [*ruleset.parameters.values(), *ruleset.indicators, *ruleset.rules, *ruleset.score_rules]
    assert len(items) == len(ruleset.parameters) + 12 + 8 + 6
    for item in items:
        # The score method's cut-offs and rules cite the circular that sets them (Thông tư 07/2021); the
        # low-income worker's figures the amending decree (Nghị định 30/2025), dated from it.
        amendment = item.id.startswith("low_income_worker_")
        instrument = (
            "Thông tư 07/2021/TT-BLĐTBXH"
            if item.id.startswith(("score_", "diem_"))
            else ("Nghị định 30/2025/NĐ-CP" if amendment else "Nghị định 07/2021/NĐ-CP")
        )
        assert item.citation.instrument.startswith(instrument), item.id
        assert item.citation.article or item.citation.appendix, item.id
        assert amendment or item.valid_from <= ruleset.valid_from, item.id
        if item.valid_to is not None:
            assert ruleset.valid_to is not None and item.valid_to >= ruleset.valid_to, item.id
        assert isinstance(item.verified, bool), item.id


def test_every_parameter_a_condition_reads_exists_and_is_recorded(ruleset: RuleSet) -> None:
    """A condition's `param` is resolved to the parameter's value at load time and listed on its item."""
    for item in (*ruleset.indicators, *ruleset.rules):
        read = {n.param for n in walk(item.condition) if isinstance(n, Compare | ShareOfMembers) and n.param}
        assert set(item.params) == read, item.id
        for node in walk(item.condition):
            if isinstance(node, Compare | ShareOfMembers) and node.param:
                assert node.value == ruleset.parameters[node.param].value, (item.id, node.param)


def test_digest_is_the_same_for_two_fresh_loads_of_the_same_content(tmp_path: Path, ruleset: RuleSet) -> None:
    """The digest depends on content only: two copies in other folders, loaded afresh, agree."""
    first = load_ruleset_path(copy_rules(tmp_path / "a") / STANDARD)
    _CACHE.clear()
    second = load_ruleset_path(copy_rules(tmp_path / "b") / STANDARD)
    assert first is not second
    assert first.digest == second.digest == ruleset.digest
    assert len(first.digest) == 64


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("nd-07-2021/standard.yaml", "\ntitle_en: ", "\ntitle_en: (edited) "),
        ("nd-07-2021/parameters.yaml", "unit: VND/person/month", "unit: VND per person per month"),
        ("nd-07-2021/indicators.yaml", "    verified: false\n", "    verified: true\n"),
        ("nd-07-2021/classification.yaml", "    note: ", "    note: (edited) "),
        ("facts.yaml", "    label_en: ", "    label_en: (edited) "),
    ],
)
def test_digest_changes_when_any_file_changes(
    tmp_path: Path,
    ruleset: RuleSet,
    file: str,
    old: str,
    new: str,
) -> None:
    """Any change of content in any rule file (or the fact catalogue) gives a different digest."""
    root = copy_rules(tmp_path)
    before = load_ruleset_path(root / STANDARD, root).digest
    assert before == ruleset.digest
    edit(root / file, old, new)
    assert load_ruleset_path(root / STANDARD, root).digest != before


def test_same_size_edit_right_after_a_load_is_not_served_from_the_cache(tmp_path: Path) -> None:
    """An edit that keeps the file size, made at once after a load, is seen by the next load."""
    root = copy_rules(tmp_path)
    params = root / STANDARD / "parameters.yaml"
    first = load_ruleset_path(root / STANDARD, root)
    value = first.parameters["income_line_rural"].value
    size = params.stat().st_size
    bumped = str(value)[:-1] + str((value + 1) % 10)  # same number of digits, different value
    edit(params, f"value: {value}\n", f"value: {bumped}\n")
    assert params.stat().st_size == size
    second = load_ruleset_path(root / STANDARD, root)
    assert second.parameters["income_line_rural"].value == int(bumped)
    assert second.digest != first.digest


def test_comments_do_not_change_the_digest(tmp_path: Path, ruleset: RuleSet) -> None:
    """The digest covers the canonical content, so a comment-only edit keeps it (results stay comparable)."""
    root = copy_rules(tmp_path)
    path = root / STANDARD / "classification.yaml"
    path.write_text("# reviewed\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_ruleset_path(root / STANDARD, root).digest == ruleset.digest


def test_an_overlay_digest_follows_its_parent(tmp_path: Path) -> None:
    """An overlay's digest includes its parent's, so editing the parent changes (and reloads) the overlay."""
    root = copy_rules(tmp_path)
    overlay = root / "overlay-test"
    overlay.mkdir()
    (overlay / "standard.yaml").write_text(
        "id: overlay-test\ntitle_vi: Thử nghiệm\ntitle_en: Test overlay\nstatus: provisional\n"
        f"valid_from: 2022-01-01\ninherits: {STANDARD}\n",
        encoding="utf-8",
    )
    first = load_ruleset("overlay-test", root)
    assert first.inherits == STANDARD
    assert first.indicator_ids == DECREE_07_INDICATORS
    edit(root / STANDARD / "parameters.yaml", "unit: VND/person/month", "unit: VND per person per month")
    second = load_ruleset("overlay-test", root)
    assert second.digest != first.digest


def test_unknown_standard_id_suggests_the_closest_one() -> None:
    """Asking for a standard that does not exist names the known ones and the likely intended one."""
    with pytest.raises(UnknownStandardError) as info:
        load_ruleset("nd-07-2012")
    assert info.value.suggestion == STANDARD
    assert STANDARD in info.value.known


def test_a_folder_without_standard_yaml_is_not_a_standard(tmp_path: Path) -> None:
    """By id, a folder lacking standard.yaml is an unknown standard (by path: RuleFileError, see gallery)."""
    root = copy_rules(tmp_path)
    (root / STANDARD / "standard.yaml").unlink()
    with pytest.raises(UnknownStandardError):
        load_ruleset(STANDARD, root)


def _lines(name: str) -> list[str]:
    return (default_rules_root() / STANDARD / name).read_text(encoding="utf-8").splitlines()


def test_condition_lines_point_at_the_comparison_they_came_from(ruleset: RuleSet) -> None:
    """Every comparison remembers the line that states it, so the trace can cite file and line."""
    checked = 0
    # The income classification is a table (its cells' lines: test_rule_table.py); score rules are trees.
    for items, name in (
        (ruleset.indicators, "indicators.yaml"),
        (ruleset.score_rules, "classification.yaml"),
    ):
        lines = _lines(name)
        for item in items:
            for node in walk(item.condition):
                if isinstance(node, Compare):
                    text = lines[node.line - 1]
                    assert f"fact: {node.fact}" in text, (item.id, node.line, text)
                    assert f"op: {node.op}" in text, (item.id, node.line, text)
                    checked += 1
                elif isinstance(node, ShareOfMembers):
                    assert "share_of_members:" in lines[node.line - 1], (item.id, node.line)
    assert checked > 40


def test_key_and_item_lines_point_at_the_right_lines() -> None:
    """Loaded YAML knows the line of each key and list item (1-based), which every problem message uses."""
    for name in ("parameters.yaml", "indicators.yaml", "classification.yaml"):
        data, problems = load_yaml_file(default_rules_root() / STANDARD / name)
        assert problems == []
        lines = _lines(name)
        for section_name in data:  # classification.yaml also has score_rules, groups and the table
            section = data[section_name]
            assert lines[data.key_lines[section_name] - 1] == f"{section_name}:"
            indent = "  "
            if section_name == "table":  # one row per class × area, under `rows:`
                assert lines[section.key_lines["rows"] - 1] == "  rows:"
                section, indent = section["rows"], "    "
            for entry_id, entry in section.items():
                assert lines[section.key_lines[entry_id] - 1] == f"{indent}{entry_id}:", (name, entry_id)
                assert isinstance(entry, LocatedDict)
                for key, line in entry.key_lines.items():
                    assert lines[line - 1].lstrip().startswith(f"{key}:"), (name, entry_id, key)
    params, _ = load_yaml_file(default_rules_root() / STANDARD / "parameters.yaml")
    water = params["parameters"]["safe_water_sources"]["value"]
    param_lines = _lines("parameters.yaml")
    for code, line in zip(water, water.item_lines, strict=True):
        assert code in param_lines[line - 1]
