"""The rule-change impact report: who moves between two standards, and the decisive difference."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifier.io import RawRecord, known_indicator_keys, parse_records
from classifier.model import CANNOT_CLASSIFY, Household
from classifier.report.diff import compare_households, impact_report, render_impact
from classifier.rules import default_rules_root, load_ruleset, load_ruleset_path
from classifier.rules.ruleset import RuleSet

BASE = load_ruleset("nd-07-2021")
LINE = BASE.parameters["income_line_rural"].value
TOP = BASE.parameters["middle_upper_rural"].value
TOP_URBAN = BASE.parameters["middle_upper_urban"].value
# A test line strictly between the real line and the top of the middle band keeps the grid gap-free.
NEW_LINE = (LINE + TOP) // 2
BETWEEN = (LINE + NEW_LINE) // 2  # above the real line, at or under the test line

ADDED_INDICATOR = """
  computer_access:
    number: 13
    service_vi: Thông tin
    service_en: Information
    label_vi: Máy tính (chỉ số thử)
    label_en: Computer (test indicator)
    citation: {instrument: Chuẩn thử nghiệm, appendix: Phụ lục, item: "13"}
    verified: false
    valid_from: 2022-01-01
    valid_to: 2026-12-31
    deprived_when: {fact: has_computer, op: eq, value: false}
"""


def make_standard(
    root: Path,
    std_id: str,
    *,
    line: int | None = None,
    add_indicator: bool = False,
    provisional: bool = False,
) -> RuleSet:
    """A copy of nd-07-2021 under ``root`` with a changed rural line and/or an added indicator."""
    folder = root / std_id
    shutil.copytree(default_rules_root() / "nd-07-2021", folder)
    if not (root / "facts.yaml").exists():
        shutil.copy(default_rules_root() / "facts.yaml", root / "facts.yaml")
    std = (folder / "standard.yaml").read_text(encoding="utf-8").replace("id: nd-07-2021", f"id: {std_id}", 1)
    if provisional:
        std = std.replace("status: in_force", "status: provisional", 1)
    (folder / "standard.yaml").write_text(std, encoding="utf-8")
    if line is not None:
        params = (folder / "parameters.yaml").read_text(encoding="utf-8")
        params, n = re.subn(r"(income_line_rural:\n\s+value: )\d+", rf"\g<1>{line}", params, count=1)
        assert n == 1
        (folder / "parameters.yaml").write_text(params, encoding="utf-8")
    if add_indicator:
        with (folder / "indicators.yaml").open("a", encoding="utf-8") as handle:
            handle.write(ADDED_INDICATOR)
    return load_ruleset_path(folder, root)


def flags(*deprived: str) -> dict[str, bool]:
    """All 12 indicators of nd-07-2021 answered: the named ones deprived, the rest not."""
    return {i: i in deprived for i in BASE.indicator_ids}


def record(hid: str, income: float, *deprived: str, area: str = "rural", **extra: Any) -> dict[str, Any]:
    """A flags-only household record of data contract v1."""
    return {
        "id": hid,
        "area": area,
        "income_per_capita_month": income,
        "member_count": 3,
        "reference_date": "2026-11-01",
        "deprivations": flags(*deprived),
        **extra,
    }


def parsed(*records: Any) -> list[tuple[RawRecord, Household | list[Any]]]:
    """Records typed as the CLI types them (every standard's indicator keys accepted)."""
    raws = [RawRecord(r, i, "test.jsonl") for i, r in enumerate(records, start=1)]
    return list(parse_records(raws, catalogue=BASE.facts, indicator_keys=known_indicator_keys()))


@pytest.fixture(scope="module")
def higher_line(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """nd-07-2021 with a higher rural income line."""
    return make_standard(tmp_path_factory.mktemp("rules"), "test-line", line=NEW_LINE)


@pytest.fixture(scope="module")
def more_indicators(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """nd-07-2021 plus a 13th indicator (no computer), provisional."""
    return make_standard(tmp_path_factory.mktemp("rules"), "test-added", add_indicator=True, provisional=True)


def test_household_moves_because_of_the_income_line(higher_line: RuleSet) -> None:
    """A household between the old and the new line moves from middle-living to near-poor, and the
    decisive difference names the line in each standard and the household's income."""
    impact = compare_households(parsed(record("H1", BETWEEN), record("H2", TOP + 1)), BASE, higher_line)
    assert [c.household_id for c in impact.changed] == ["H1"]
    change = impact.changed[0]
    assert (change.from_outcome, change.to_outcome) == ("muc_song_trung_binh", "can_ngheo")
    crossed = [t for t in change.thresholds if t.crossed]
    assert [(t.param, t.from_value, t.to_value, t.household_value) for t in crossed] == [
        ("income_line_rural", LINE, NEW_LINE, BETWEEN)
    ]
    assert change.indicators == ()
    text = change.decisive("en")
    assert f"income_line_rural {LINE:,} → {NEW_LINE:,}; household {BETWEEN:,}/month" in text
    assert "deprivations 0 → 0 (cut-off 3)" in text


def test_household_moves_because_of_an_added_indicator(more_indicators: RuleSet) -> None:
    """Two deprivations plus a new indicator that is deprived make a near-poor household poor; the
    difference names the indicator as added and no threshold."""
    impact = compare_households(
        parsed(record("H1", LINE, "nutrition", "telecom", has_computer=False)), BASE, more_indicators
    )
    (change,) = impact.changed
    assert (change.from_outcome, change.to_outcome) == ("can_ngheo", "ngheo")
    assert (change.from_count, change.to_count) == (2, 3)
    assert change.thresholds == ()
    assert [(i.id, i.kind, i.from_state, i.to_state) for i in change.indicators] == [
        ("computer_access", "added", "absent", "deprived")
    ]
    assert "computer_access: không có trong chuẩn → thiếu hụt (chỉ số mới)" in change.decisive("vi")
    assert "thiếu hụt 2 → 3 (ngưỡng 3)" in change.decisive("vi")


def test_matrix_totals_equal_the_number_of_records(higher_line: RuleSet) -> None:
    """Every compared record is in exactly one matrix cell: the grand total is the record count and
    each row total is the number of households of that class under the old standard."""
    records = [
        record("H1", BETWEEN),
        record("H2", BETWEEN, "nutrition", "telecom", "sanitation"),
        record("H3", LINE),
        record("H4", TOP + 1),
        record("H5", TOP_URBAN + 1, area="urban"),
    ]
    impact = compare_households(parsed(*records), BASE, higher_line)
    table = impact_report(impact).table("matrix")
    total_row = table.rows[-1]
    assert total_row[0] == "total" and total_row[-1] == len(records) == impact.read == impact.compared
    by_class = dict(zip(table.column("from_class"), table.column("total"), strict=True))
    assert by_class["muc_song_trung_binh"] == 2 and by_class["can_ngheo"] == 1 and by_class["khac"] == 2
    assert table.column("ngheo")[table.column("from_class").index("muc_song_trung_binh")] == 1


def test_decidable_and_undecidable_counts(more_indicators: RuleSet) -> None:
    """A household whose new indicator is unanswered and could tip it becomes undecidable; compared
    the other way round it becomes decidable."""
    rows = parsed(record("H1", LINE, "nutrition", "telecom"), record("H2", LINE, "nutrition"))
    forward = compare_households(rows, BASE, more_indicators)
    assert forward.matrix[("can_ngheo", CANNOT_CLASSIFY)] == 1
    assert (forward.became_undecidable, forward.became_decidable) == (1, 0)
    (change,) = forward.changed
    assert [(i.id, i.to_state) for i in change.indicators] == [("computer_access", "unknown")]
    backward = compare_households(rows, more_indicators, BASE)
    assert (backward.became_undecidable, backward.became_decidable) == (0, 1)
    summary = dict(
        zip(
            impact_report(forward).table("summary").column("item"),
            impact_report(forward).table("summary").column("value"),
            strict=False,
        )
    )
    assert summary["became_undecidable"] == 1


def test_unreadable_records_are_listed_with_their_errors(higher_line: RuleSet) -> None:
    """A record with a bad value is counted and listed with its field and row, never dropped."""
    impact = compare_households(
        parsed(record("H1", BETWEEN), record("H2", "lots"), record("H3", LINE)), BASE, higher_line
    )
    assert (impact.read, impact.compared, impact.errored) == (3, 2, 1)
    errors = impact_report(impact).table("errors")
    assert errors.column("id") == ["H2"]
    assert errors.column("row") == [2]
    assert errors.column("field") == ["income_per_capita_month"]
    assert sum(impact.matrix.values()) + impact.errored == impact.read


def test_counts_per_area_unit(higher_line: RuleSet) -> None:
    """With by=commune the per-unit cells add up to each commune's households."""
    place_a = {"province": "P", "commune": "A"}
    place_b = {"province": "P", "commune": "B"}
    impact = compare_households(
        parsed(
            record("H1", BETWEEN, **place_a),
            record("H2", TOP + 1, **place_a),
            record("H3", BETWEEN, **place_b),
        ),
        BASE,
        higher_line,
        by="commune",
    )
    table = impact_report(impact).table("by_area")
    cells = {
        (c, f, t): n
        for c, f, t, n in zip(
            table.column("commune"),
            table.column("from_class"),
            table.column("to_class"),
            table.column("households"),
            strict=True,
        )
    }
    assert cells == {
        ("A", "muc_song_trung_binh", "can_ngheo"): 1,
        ("A", "khac", "khac"): 1,
        ("B", "muc_song_trung_binh", "can_ngheo"): 1,
    }


def test_provisional_standard_puts_its_warning_in_the_report(more_indicators: RuleSet) -> None:
    """Comparing with a provisional standard carries the warning in the printed text and the report."""
    impact = compare_households(parsed(record("H1", LINE)), BASE, more_indicators)
    assert impact.provisional
    report = impact_report(impact)
    assert any("tạm thời" in w for w in report.warnings)
    assert "warning" in report.table("summary").column("item")
    assert "tạm thời" in render_impact(impact, "vi")


def test_a_relabel_declared_in_the_rule_data_is_not_a_move_and_comes_after_the_moves() -> None:
    """nd-351-2025 declares its `tren_chuan` the same class as nd-07-2021's `khac` (same_as): a household
    above both bands is only relabelled; a middle-living one that becomes `tren_chuan` is a real move, and
    the changed table lists moves first."""
    to = load_ruleset("nd-351-2025")
    top_urban_351 = to.parameters["income_line_urban"].value
    impact = compare_households(
        parsed(
            record("ABOVE", TOP + 1), record("MIDDLE", LINE + 1), record("NEAR", top_urban_351, area="urban")
        ),
        BASE,
        to,
    )
    assert [c.household_id for c in impact.relabelled] == ["ABOVE"]
    assert {c.household_id for c in impact.changed} == {"MIDDLE", "NEAR"}
    assert impact.relabelled[0].decisive("en").startswith("relabel only")
    table = next(t for t in impact_report(impact, "en").tables if t.key == "changed")
    relabel_column = [c.id for c in table.columns].index("relabel")
    assert [row[relabel_column] for row in table.rows] == [False, False, True]
    assert "relabel only: 1" in render_impact(impact, "en")


def test_every_declared_same_class_names_a_real_standard_and_class() -> None:
    """A `same_as` entry must point at an existing standard and one of its classes (no dangling relabel)."""
    from classifier.rules import list_standards

    for standard in list_standards():
        for cls in load_ruleset(standard).classes.values():
            for other_id, other_class in cls.same_as.items():
                assert other_class in load_ruleset(other_id).classes, (standard, cls.id, other_id)
