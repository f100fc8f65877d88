"""What would change the outcome: smallest single changes, each checked by re-classifying."""
# ruff: noqa: E501 -- golden sentences are kept whole, so a reader can search the output for them.

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from classifier.api import classify, load_standard
from classifier.explain import render_what_would_change, what_would_change
from classifier.explain.whatif import COUNT, INCOME, INDICATOR, crossing_value
from classifier.model import CANNOT_CLASSIFY, Household

REF = dt.date(2025, 11, 1)
ALL_FINE = {
    "employment": False,
    "dependants": False,
    "nutrition": False,
    "health_insurance": False,
    "adult_education": False,
    "child_schooling": False,
    "housing_quality": False,
    "housing_area": False,
    "water_source": False,
    "sanitation": False,
    "telecom": False,
    "information_access": False,
}


@pytest.fixture(scope="module")
def rs():
    """The Decree 07/2021 rule set, loaded once."""
    return load_standard("nd-07-2021")


def flagged(
    hid: str, area: str, income: float, deprived: tuple[str, ...] = (), unknown: tuple[str, ...] = ()
) -> Household:
    """A flags-only household: the named indicators deprived, the ``unknown`` ones left out, the rest fine."""
    flags = {k: (k in deprived) for k in ALL_FINE if k not in unknown}
    return Household(
        id=hid, area=area, income_per_capita_month=income, flags=flags, member_count=4, reference_date=REF
    )


def outcome(h: Household, rs) -> str:
    """The class the engine gives ``h``."""
    return classify(h, rs).outcome


def of_kind(changes, kind):
    """The changes of one kind."""
    return [c for c in changes if c.kind == kind]


def test_crossing_value_flips_every_comparison_with_one_unit():
    """For each operator the crossing point is the nearest value (1 đồng / 1 indicator) giving the other answer."""
    for op, value, threshold in [
        ("lte", 10, 10),
        ("lte", 11, 10),
        ("lt", 9, 10),
        ("lt", 10, 10),
        ("gte", 10, 10),
        ("gte", 9, 10),
        ("gt", 11, 10),
        ("gt", 10, 10),
    ]:
        from classifier.rules.conditions import compare_values

        new = crossing_value(op, value, threshold)
        assert compare_values(op, new, threshold) != compare_values(op, value, threshold)
        assert abs(new - threshold) <= 1
    assert crossing_value("eq", 1, 1) is None


def test_middle_household_one_dong_above_the_line_drops_by_one_dong(rs):
    """Rural 1.500.001 đồng is middle; 1 đồng less (the line itself, 'từ … trở xuống') makes it near-poor."""
    h = flagged("W1", "rural", 1_500_001, deprived=("employment",))
    changes = what_would_change(h)
    down = [c for c in of_kind(changes, INCOME) if c.delta < 0]
    assert len(down) == 1
    c = down[0]
    assert (c.before, c.after, c.delta, c.outcome_after) == (1_500_001, 1_500_000, -1, "can_ngheo")
    assert c.param == "income_line_rural" and c.threshold == rs.parameters["income_line_rural"].value
    # Checked independently: the line is near-poor, one đồng above is not.
    assert outcome(attrs.evolve(h, income_per_capita_month=c.after), rs) == "can_ngheo"
    assert outcome(attrs.evolve(h, income_per_capita_month=c.after + 1), rs) == "muc_song_trung_binh"


def test_near_poor_at_the_line_rises_by_one_dong(rs):
    """A near-poor household exactly at the line becomes middle with 1 đồng more; the text says so in vi and en."""
    h = flagged("W2", "urban", 2_000_000)
    changes = what_would_change(h)
    up = of_kind(changes, INCOME)
    assert [(c.delta, c.after, c.outcome_after) for c in up] == [(1, 2_000_001, "muc_song_trung_binh")]
    vi = render_what_would_change(changes, "vi")
    assert "Nếu thu nhập tăng thêm 1 đồng → hộ có mức sống trung bình" in vi
    assert (
        "(thu nhập bình quân đầu người/tháng lên 2.000.001 đồng; chuẩn thu nhập khu vực thành thị là 2.000.000 đồng)"
        in vi
    )
    en = render_what_would_change(changes, "en")
    assert "If income rises by 1 VND → household with a middle living standard" in en


def test_middle_household_text_gives_the_one_dong_drop(rs):
    """The rendered what-if for 1.500.001 đồng reads 'thu nhập giảm thêm 1 đồng → hộ cận nghèo'."""
    vi = render_what_would_change(what_would_change(flagged("W3", "rural", 1_500_001)), "vi")
    assert vi.startswith(
        "Những thay đổi đơn lẻ nhỏ nhất làm thay đổi kết quả của hộ W3 (hiện là: hộ có mức sống trung bình):"
    )
    assert "Nếu thu nhập giảm thêm 1 đồng → hộ cận nghèo" in vi
    assert (
        "Nếu thu nhập tăng thêm 750.000 đồng → không thuộc hộ nghèo, hộ cận nghèo, hộ có mức sống trung bình"
        in vi
    )


def test_near_poor_with_two_deprivations_one_more_makes_it_poor(rs):
    """Near-poor with 2 deprivations: one more deprivation (any of the 10 fine ones) makes it poor."""
    h = flagged("W4", "rural", 1_450_000, deprived=("employment", "sanitation"))
    changes = what_would_change(h)
    counts = of_kind(changes, COUNT)
    assert [(c.before, c.after, c.delta, c.outcome_after) for c in counts] == [(2, 3, 1, "ngheo")]
    flips = of_kind(changes, INDICATOR)
    assert {c.target for c in flips} == set(ALL_FINE) - {"employment", "sanitation"}
    assert all(c.before is False and c.after is True and c.outcome_after == "ngheo" for c in flips)
    income = of_kind(changes, INCOME)
    assert [(c.delta, c.outcome_after) for c in income] == [(50_001, "muc_song_trung_binh")]
    vi = render_what_would_change(changes, "vi")
    assert "Nếu thêm 1 chỉ số thiếu hụt → hộ nghèo." in vi
    assert (
        "Nếu một trong các chỉ số sau trở thành thiếu hụt → hộ nghèo: Người phụ thuộc trong hộ gia đình,"
        in vi
    )
    assert "If 1 more indicator(s) were deprived → poor household." in render_what_would_change(changes, "en")


def test_poor_household_losing_one_deprivation_becomes_near_poor(rs):
    """Poor with exactly the cut-off (3): dropping any one of them gives near-poor; more than 3 would not."""
    h = flagged("W5", "rural", 1_000_000, deprived=("employment", "sanitation", "telecom"))
    changes = what_would_change(h)
    assert [(c.delta, c.outcome_after) for c in of_kind(changes, COUNT)] == [(-1, "can_ngheo")]
    assert {c.target for c in of_kind(changes, INDICATOR)} == {"employment", "sanitation", "telecom"}
    text = render_what_would_change(changes, "vi")
    assert "Nếu bớt 1 chỉ số thiếu hụt → hộ cận nghèo." in text
    assert (
        "Nếu một trong các chỉ số sau không còn thiếu hụt → hộ cận nghèo: Việc làm, Nhà tiêu hợp vệ sinh, Sử dụng dịch vụ viễn thông."
        in text
    )
    h4 = flagged("W6", "rural", 1_000_000, deprived=("employment", "sanitation", "telecom", "nutrition"))
    assert [c.delta for c in of_kind(what_would_change(h4), COUNT)] == [-2]
    assert of_kind(what_would_change(h4), INDICATOR) == []


def test_khac_household_only_income_matters(rs):
    """Above the middle top, only income can change the class: down to exactly the top gives middle."""
    h = flagged("W7", "urban", 3_200_000, deprived=("employment", "sanitation", "telecom"))
    changes = what_would_change(h)
    assert [(c.kind, c.after, c.outcome_after) for c in changes] == [
        (INCOME, 3_000_000, "muc_song_trung_binh")
    ]
    assert (
        "If income falls by 200,000 VND → household with a middle living standard"
        in render_what_would_change(changes, "en")
    )


def test_undecided_household_lists_which_unknown_would_decide(rs):
    """With one unknown indicator between poor and near-poor, learning it either way decides the class."""
    h = flagged("W8", "rural", 1_200_000, deprived=("employment", "sanitation"), unknown=("water_source",))
    c0 = classify(h, rs)
    assert c0.outcome == CANNOT_CLASSIFY
    changes = what_would_change(h, c0)
    known = {(c.target, c.after): c.outcome_after for c in of_kind(changes, INDICATOR) if c.before is None}
    assert known == {("water_source", True): "ngheo", ("water_source", False): "can_ngheo"}
    vi = render_what_would_change(changes, "vi")
    assert "(hiện là: không đủ dữ liệu để phân loại)" in vi
    assert "Nếu xác định được chỉ số “Nguồn nước sinh hoạt” là thiếu hụt → hộ nghèo." in vi
    assert "Nếu xác định được chỉ số “Nguồn nước sinh hoạt” là không thiếu hụt → hộ cận nghèo." in vi


def test_every_reported_change_is_what_the_engine_gives(rs):
    """Each change's new class equals a fresh classification of the changed household (no guessing)."""
    for h in (
        flagged("W9", "rural", 1_450_000, deprived=("employment",)),
        flagged("W10", "urban", 2_999_999, deprived=("employment", "telecom", "sanitation")),
    ):
        for c in what_would_change(h):
            if c.kind == INCOME:
                changed = attrs.evolve(h, income_per_capita_month=c.after)
            elif c.kind == INDICATOR:
                changed = attrs.evolve(h, flags={**h.flags, c.target: c.after})
            else:
                continue
            assert outcome(changed, rs) == c.outcome_after != c.outcome_before


def test_income_change_is_minimal(rs):
    """One đồng less of each income change leaves the class unchanged: the reported amount is the smallest."""
    h = flagged("W11", "rural", 1_234_567, deprived=("employment",))
    for c in of_kind(what_would_change(h), INCOME):
        step_back = c.after - (1 if c.delta > 0 else -1)
        assert outcome(attrs.evolve(h, income_per_capita_month=step_back), rs) == c.outcome_before


def test_uses_the_given_classification_and_reference_date(rs):
    """Re-runs use the result's reference date, so an age-dependent answer is judged on the same day."""
    h = attrs.evolve(flagged("W12", "rural", 1_500_001), reference_date=None)
    c0 = classify(h, rs, reference_date=REF)
    changes = what_would_change(h, c0)
    assert changes and all(c.outcome_before == c0.outcome for c in changes)


def test_no_change_found_renders_a_plain_sentence():
    """When nothing single changes the class the renderer says so instead of printing an empty list."""
    assert "Không có thay đổi đơn lẻ nào" in render_what_would_change(
        [], "vi", household_id="X1", current_label="hộ nghèo"
    )
    assert "No single change" in render_what_would_change([], "en")
