"""The report set over small hand-checked populations: counts, movements, identities, lists, outputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
import yaml

from classifier.api import load_standard
from classifier.errors import InputError
from classifier.model import Household, Member
from classifier.report.frame import build_frame
from classifier.report.reportset import classify_round, compute_report_set
from classifier.report.templates import ReportCheckError, compute_table, load_templates, parse_template

REF = dt.date(2026, 11, 1)
RULES = load_standard("nd-07-2021")
ALL = dict.fromkeys(RULES.indicator_ids, True)
NONE = dict.fromkeys(RULES.indicator_ids, False)


def hh(hid: str, kind: str, village: str = "Thôn A", persons: int = 2, area: str = "rural") -> Household:
    """poor: no income, every indicator deprived; near: no income, none deprived; above: rich."""
    income = 100_000_000 if kind == "above" else 1
    flags = ALL if kind == "poor" else NONE
    return Household(
        id=hid,
        area=area,
        income_per_capita_month=income,
        flags=flags,
        member_count=persons,
        reference_date=REF,
        place={"province": "Tỉnh T", "commune": "Xã X", "village": village},
    )


def with_members(h: Household, births: list[dt.date]) -> Household:
    import attrs

    members = [
        Member(facts={"birth_date": b, "has_health_insurance": i != 0}, member_id=f"{h.id}-{i}")
        for i, b in enumerate(births)
    ]
    return attrs.evolve(h, members=members, member_count=None)


def tables(current: list[Household], previous: list[Household] | None = None) -> dict[str, object]:
    cur = classify_round(current, RULES, None)
    prev = classify_round(previous, RULES, None) if previous is not None else None
    report = compute_report_set(cur, prev)
    return {t.template.id: t for t in report.tables}


def row(table: object, label: str) -> dict[str, object]:
    return next(dict(r.values) for r in table.rows if r.label == label)  # type: ignore[attr-defined]


def test_overall_counts_and_rates_by_village() -> None:
    """3 poor, 1 near-poor, 4 above in two villages: counts, persons and rates as counted by hand."""
    pop = [
        hh("1", "poor"),
        hh("2", "poor", persons=5),
        hh("3", "near"),
        hh("4", "above"),
        hh("5", "poor", "Thôn B", 3),
        hh("6", "above", "Thôn B"),
        hh("7", "above", "Thôn B"),
        hh("8", "above", "Thôn B"),
    ]
    overall = tables(pop)["overall"]
    total = row(overall, "Tổng cộng")
    assert (total["1"], total["2"], total["3"], total["5"]) == (8, 20, 3, 1)
    assert total["4"] == pytest.approx(37.5)
    assert total["9"] == 10 and total["10"] == pytest.approx(50.0)
    a, b = row(overall, "Thôn A"), row(overall, "Thôn B")
    assert (a["1"], a["3"], a["5"], b["1"], b["3"]) == (4, 2, 1, 4, 1)
    assert b["4"] == pytest.approx(25.0)


def test_movements_every_category_by_household_and_person() -> None:
    """Previous → current: each movement column counted once, end = start − decreases + increases."""
    before = [
        hh("p-stay", "poor"),
        hh("p-near", "poor"),
        hh("p-up", "poor", persons=4),
        hh("p-gone", "poor"),
        hh("n-poor", "near", persons=3),
        hh("n-up", "near"),
        hh("a-poor", "above"),
        hh("a-near", "above"),
    ]
    after = [
        hh("p-stay", "poor", persons=5),
        hh("p-near", "near"),
        hh("p-up", "above", persons=4),
        hh("n-poor", "poor", persons=3),
        hh("n-up", "above"),
        hh("a-poor", "poor"),
        hh("a-near", "near"),
        hh("new-in", "poor", persons=6),
        attrs.evolve(hh("moved", "poor", persons=1), admin={"movement": "moved_in"}),
    ]
    got = tables(after, before)
    poor = row(got["movements-poor"], "Tổng cộng")
    assert [poor[str(c)] for c in range(1, 10)] == [4, 1, 1, 1, 1, 0, 2, 1, 5]
    # persons: start counts the earlier round, end the current; p-stay's 3 new members are "other increase"
    assert [poor[str(c)] for c in range(10, 19)] == [10, 2, 4, 2, 3, 0, 8, 4, 17]
    near = row(got["movements-near-poor"], "Tổng cộng")
    assert [near[str(c)] for c in range(1, 10)] == [2, 1, 1, 0, 1, 0, 1, 0, 2]
    labels = {r.values["3"]: r.values["10"] for r in got["list-poor"].rows if r.kind == "line"}
    assert labels == {
        "p-stay": "nghèo cũ",
        "n-poor": "nghèo mới",
        "a-poor": "nghèo mới",
        "new-in": "nghèo mới",
        "moved": "nghèo mới",
    }


def test_re_poor_needs_the_register_history() -> None:
    """A household poor two rounds ago, above last round, poor now is re-poor only when history says so."""
    before, after = [hh("r", "above")], [hh("r", "poor")]
    cur, prev = classify_round(after, RULES, None), classify_round(before, RULES, None)
    plain = compute_report_set(cur, prev)
    hist = compute_report_set(cur, prev, earlier=[classify_round([hh("r", "poor")], RULES, None)])
    mv = {t.template.id: t for t in plain.tables}["movements-poor"]
    mv_hist = {t.template.id: t for t in hist.tables}["movements-poor"]
    assert (row(mv, "Tổng cộng")["6"], row(mv, "Tổng cộng")["7"]) == (0, 1)
    assert (row(mv_hist, "Tổng cộng")["6"], row(mv_hist, "Tổng cộng")["7"]) == (1, 0)
    assert any("tái nghèo" in n for n in mv.notes)


def test_unknown_indicators_are_counted_apart() -> None:
    """A poor household with an unknown indicator: not counted as deprived, and the note says so."""
    flags = dict(ALL)
    del flags["employment"]
    h = Household(
        id="u",
        area="rural",
        income_per_capita_month=1,
        flags=flags,
        member_count=2,
        reference_date=REF,
        place={"commune": "Xã X", "village": "Thôn A"},
    )
    counts = tables([h, hh("2", "poor")])["deprivation-counts-poor"]
    total = row(counts, "Tổng cộng")
    assert (total["1"], total["3"], total["4"]) == (2, 1, 2)
    assert any("cột [3] 1 hộ" in n for n in counts.notes)
    rates = row(tables([h, hh("2", "poor")])["deprivation-rates-poor"], "Tổng cộng")
    assert rates["2"] == 100.0  # 1 deprived of 1 known


def test_poor_household_that_cannot_be_classified_now_is_an_other_decrease() -> None:
    """Poor before and unclassifiable now: counted in "giảm khác" (the register's rule), tables balance."""
    unknown = Household(
        id="u",
        area="rural",
        income_per_capita_month=1,
        reference_date=REF,
        place={"commune": "Xã X", "village": "Thôn A"},
        member_count=2,
    )
    poor = row(tables([unknown], [hh("u", "poor")])["movements-poor"], "Tổng cộng")
    assert [poor[str(c)] for c in range(1, 10)] == [1, 0, 0, 1, 0, 0, 0, 0, 0]


def test_identity_check_fails_loudly() -> None:
    """A template whose own identity does not hold is refused, naming table, row and values."""
    bad = parse_template(
        {
            "id": "bad",
            "title": "T",
            "rows": {"by": ["village"]},
            "columns": [
                {"code": "1", "label": "a", "sum": "household"},
                {"code": "2", "label": "b", "sum": "poor"},
            ],
            "checks": [{"rule": "[1] == [2]"}],
        },
        "bad.yaml",
    )
    cur = classify_round([hh("1", "poor"), hh("2", "above")], RULES, None)
    frame = build_frame(cur.pairs(), RULES.indicator_ids)
    with pytest.raises(ReportCheckError, match=r"table bad, row 'Tổng cộng': check '\[1\] == \[2\]'"):
        compute_table(bad, frame)


def test_template_errors_name_the_file_and_column(tmp_path: Path) -> None:
    """Unknown variables and circular or missing column references are reported with the template."""
    cur = classify_round([hh("1", "poor")], RULES, None)
    frame = build_frame(cur.pairs(), RULES.indicator_ids)
    t = parse_template({"title": "T", "columns": [{"code": "1", "label": "a", "sum": "pooor"}]}, "x.yaml")
    with pytest.raises(InputError, match=r"x.yaml: unknown variable\(s\) \['pooor'\]"):
        compute_table(t, frame)
    with pytest.raises(InputError, match=r"column \[2\] refers to unknown column\(s\) \['9'\]"):
        parse_template({"title": "T", "columns": [{"code": "2", "label": "a", "formula": "[9]"}]}, "y.yaml")


def test_children_table_counts_members_under_16() -> None:
    """Children of poor households by age at the reference date; one of two lacks health insurance."""
    h = with_members(hh("c", "poor"), [dt.date(1980, 1, 1), dt.date(2015, 1, 1), dt.date(2010, 11, 2)])
    children = tables([h])["children"]
    total = row(children, "Tổng cộng")
    assert (total["1"], total["2"]) == (2, 0)  # member 0 (the adult) is the uninsured one


def test_lists_keep_households_without_member_lists() -> None:
    """A flags-only poor household has one line in the detailed list; none is dropped."""
    h = with_members(hh("m", "poor"), [dt.date(1980, 1, 1), dt.date(2015, 1, 1)])
    lst = tables([h, hh("f", "poor")])["list-poor"]
    lines = [r for r in lst.rows if r.kind == "line"]
    assert len(lines) == 3
    assert [r.values["3"] for r in lines] == ["m", "", "f"]


def test_templates_folder_override(tmp_path: Path) -> None:
    """--templates DIR replaces the bundled set: a province edits YAML, not Python."""
    (tmp_path / "a.yaml").write_text(
        yaml.safe_dump(
            {"title": "Chỉ hộ nghèo", "columns": [{"code": "1", "label": "Hộ nghèo", "sum": "poor"}]}
        ),
        encoding="utf-8",
    )
    templates = load_templates(tmp_path)
    report = compute_report_set(
        classify_round([hh("1", "poor"), hh("2", "near")], RULES, None), None, templates
    )
    assert [t.template.id for t in report.tables] == ["a"]
    assert row(report.tables[0], "Tổng cộng")["1"] == 1


def test_bundled_templates_all_load() -> None:
    """Every shipped template parses, has a title and an unconfirmed form mapping."""
    templates = load_templates()
    assert len(templates) >= 13
    for t in templates:
        assert t.title and "chưa đối chiếu" in (t.form or "")


def test_target_groups_ethnicity_and_causes_from_admin_fields() -> None:
    """Each poor household counted once in the first group that fits; ethnic rows; several causes."""
    import attrs

    pop = [
        attrs.evolve(
            hh("1", "poor"),
            admin={
                "ethnicity": "tay",
                "no_working_capacity": True,
                "poverty_causes": ("lack_land", "illness_accident"),
            },
        ),
        attrs.evolve(
            hh("2", "poor"),
            admin={
                "ethnicity": "kinh",
                "no_working_capacity": True,
                "meritorious_service": True,
                "poverty_causes": ("lack_land",),
            },
        ),
        attrs.evolve(
            hh("3", "poor"),
            admin={
                "ethnicity": "kinh",
                "no_working_capacity": False,
                "meritorious_service": True,
                "poverty_causes": ("other",),
            },
        ),
        attrs.evolve(
            hh("4", "near"),
            admin={
                "ethnicity": "kinh",
                "no_working_capacity": False,
                "meritorious_service": False,
                "poverty_causes": (),
            },
        ),
    ]
    got = tables(pop)
    groups = row(got["target-groups"], "Tổng cộng")
    assert [groups[str(c)] for c in range(1, 11)] == [3, 1, 1, 1, 0, 1, 0, 0, 0, 1]
    ethnic = got["ethnicity"]
    assert {r.label for r in ethnic.rows} == {"Tổng cộng", "Kinh", "Tày"}
    assert (row(ethnic, "Tày")["2"], row(ethnic, "Kinh")["2"], row(ethnic, "Kinh")["4"]) == (1, 2, 1)
    assert row(ethnic, "Tổng cộng")["9"] == 1
    by_group = row(got["results-by-group"], "Tổng cộng")
    columns = ("1", "2", "3", "6", "7", "8", "9", "10", "14")
    assert [by_group[c] for c in columns] == [4, 3, 1, 3, 2, 1, 2, 2, 1]
    assert by_group["11"] is None and by_group["19"] == 100.0  # no head's gender given: empty, not 0
    causes = row(got["causes"], "Tổng cộng")
    assert (causes["1"], causes["2"], causes["8"], causes["9"]) == (4, 2, 1, 1)


def test_movement_templates_equal_the_register_counting_on_the_three_round_sample() -> None:
    """The templates' movement totals equal classifier.register.movements over the bundled rounds."""
    from classifier.data import sample_path
    from classifier.register.movements import count_movements, presences_from
    from classifier.report.reportset import load_round

    folder = sample_path("commune.json").parent / "rounds"
    rounds = [load_round(folder / f"ho-{y}.json", None, RULES, None) for y in (2024, 2025, 2026)]
    report = compute_report_set(rounds[2], rounds[1], earlier=[rounds[0]])
    per_round = [
        {
            (h.admin.get("household_code") or h.id): {
                "outcome": r.outcome,
                "persons": h.effective_member_count,
                "place": h.place,
                "movement": h.admin.get("movement"),
            }
            for h, r in rnd.pairs()
        }
        for rnd in rounds
    ]
    register = count_movements(presences_from(per_round, by=None, departures={}))
    got = {t.template.id: row(t, "Tổng cộng") for t in report.tables if t.template.kind == "summary"}
    for tid, table in (("movements-poor", register.poor), ("movements-near-poor", register.near_poor)):
        expected = [table.value("total", c) for c in table.columns]
        expected += [table.value("total", c, "persons") for c in table.columns]
        assert [got[tid][str(i)] for i in range(1, 19)] == expected, tid
    assert got["movements-poor"]["6"] >= 1  # the sample has re-poor households
