"""Golden snippets of the household-facing text explanation, Vietnamese and English."""
# ruff: noqa: E501 -- golden sentences are kept whole, so a reader can search the output for them.

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from classifier.api import classify, load_standard
from classifier.explain import render_text
from classifier.model import Household, Member

REF = dt.date(2025, 11, 1)

# Answers under which no indicator of Decree 07 is deprived; each test spoils some of them.
GOOD_HOUSE: dict[str, Any] = {
    "floor_area_m2": 40,
    "walls_durable": True,
    "frame_durable": True,
    "roof_durable": True,
    "water_source": "piped",
    "latrine_type": "septic",
    "uses_phone": True,
    "uses_internet": True,
    "has_tv": True,
    "has_radio": False,
    "has_computer": False,
    "hears_loudspeaker": True,
}
GOOD_ADULT: dict[str, Any] = {
    "age": 40,
    "has_health_insurance": True,
    "in_school": False,
    "education": "upper_secondary",
    "employment_status": "employed",
    "wage_worker": False,
    "has_labour_contract": False,
    "is_dependant": False,
}
GOOD_CHILD: dict[str, Any] = {
    "age": 10,
    "has_health_insurance": True,
    "in_school": True,
    "education": "primary",
    "employment_status": "inactive",
    "wage_worker": False,
    "has_labour_contract": False,
    "is_dependant": True,
    "stunted": False,
    "underweight": False,
}


def household(
    hid: str,
    area: str,
    income: float,
    *,
    house: Mapping[str, Any] | None = None,
    adult: Mapping[str, Any] | None = None,
    flags: Mapping[str, bool] | None = None,
) -> Household:
    """A two-member household: GOOD_* answers overridden by ``house``/``adult``."""
    return Household(
        id=hid,
        area=area,
        income_per_capita_month=income,
        members=(Member({**GOOD_ADULT, **(adult or {})}, f"{hid}-1"), Member(GOOD_CHILD, f"{hid}-2")),
        facts={**GOOD_HOUSE, **(house or {})},
        flags=flags or {},
        reference_date=REF,
    )


@pytest.fixture(scope="module")
def rs():
    """The Decree 07/2021 rule set, loaded once."""
    return load_standard("nd-07-2021")


def text(h: Household, rs, lang: str = "vi") -> str:
    """Classify ``h`` and render its explanation."""
    return render_text(classify(h, rs), rs, lang)


def poor(rid: str = "H001") -> Household:
    """Rural, 1.200.000 đồng, 3 deprivations (health insurance, latrine, employment flag)."""
    return household(
        rid,
        "rural",
        1_200_000,
        house={"latrine_type": "open"},
        adult={"has_health_insurance": False},
        flags={"employment": True},
    )


def near_poor(rid: str = "H017", income: float = 1_450_000) -> Household:
    """Rural, 2 deprivations (health insurance by a member, latrine from the answers)."""
    return household(
        rid, "rural", income, house={"latrine_type": "open"}, adult={"has_health_insurance": False}
    )


# --- poor --------------------------------------------------------------------------------------------


def test_poor_household_vi_names_class_clause_and_cutoff(rs):
    """A poor household is told its class, Art. 3 cl. 2 point a, and that 3 deprivations meet the cut-off."""
    out = text(poor(), rs)
    assert out.startswith(
        "Hộ H001 được xác định là hộ nghèo theo Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2, điểm a.\n"
    )
    assert "So với chuẩn thu nhập khu vực nông thôn 1.500.000 đồng: thấp hơn chuẩn 300.000 đồng" in out
    assert "(điều kiện “từ 1.500.000 đồng trở xuống”: đạt)" in out
    assert "Hộ thiếu hụt 3 chỉ số, đạt mức từ 3 chỉ số trở lên của hộ nghèo." in out


def test_poor_household_vi_lists_each_deprivation_with_citation_and_trigger(rs):
    """Each deprived indicator shows its Appendix item and who triggered it: a member, the answers, or the form."""
    out = text(poor(), rs)
    assert (
        "- Bảo hiểm y tế — Nghị định 07/2021/NĐ-CP, Phụ lục, mục 4 — do thành viên H001-1 "
        "(Tuổi: 40; Có thẻ bảo hiểm y tế còn hiệu lực: không)."
    ) in out
    assert (
        "- Nhà tiêu hợp vệ sinh — Nghị định 07/2021/NĐ-CP, Phụ lục, mục 10 — theo câu trả lời: Loại nhà tiêu: cầu tõm, trên ao cá."
        in out
    )
    assert "- Việc làm — Nghị định 07/2021/NĐ-CP, Phụ lục, mục 1 — theo phiếu." in out


def test_poor_household_en(rs):
    """The English text gives the same facts: class, clause, margin in VND and the cut-off."""
    out = text(poor(), rs, "en")
    assert out.startswith(
        "Household H001 is classified as: poor household, under Nghị định 07/2021/NĐ-CP, Art. 3, cl. 2, pt. a."
    )
    assert "Compared with income line, rural 1,500,000 VND: 300,000 VND below the line" in out
    assert "meeting the 3 indicators or more required of a poor household" in out
    assert "- Employment — Nghị định 07/2021/NĐ-CP, Appendix (Phụ lục), item 1 — from the survey form." in out


# --- near-poor ---------------------------------------------------------------------------------------


def test_near_poor_household_vi(rs):
    """A near-poor household hears point b, the 50.000 đồng margin and that 3+ deprivations make a poor household."""
    out = text(near_poor(), rs)
    assert out.startswith(
        "Hộ H017 được xác định là hộ cận nghèo theo Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2, điểm b.\n"
    )
    assert "Ngày tham chiếu: 01/11/2025. Khu vực: nông thôn." in out
    assert "Thu nhập bình quân đầu người/tháng: 1.450.000 đồng." in out
    assert "thấp hơn chuẩn 50.000 đồng" in out
    assert "Hộ thiếu hụt 2 chỉ số, cần từ 3 chỉ số trở lên để là hộ nghèo." in out


def test_near_poor_household_en(rs):
    """The English near-poor text cites point b and says how many deprivations a poor household needs."""
    out = text(near_poor(), rs, "en")
    assert (
        "Household H017 is classified as: near-poor household, under Nghị định 07/2021/NĐ-CP, Art. 3, cl. 2, pt. b."
        in out
    )
    assert "Income per person per month: 1,450,000 VND." in out
    assert "50,000 VND below the line" in out
    assert "deprived in 2 indicator(s); 3 indicators or more are needed to be a poor household" in out


def test_standard_digest_and_reference_date_are_stated(rs):
    """The text names the standard, a short rules digest and the reference date, so it can be reproduced."""
    c = classify(near_poor(), rs)
    out = render_text(c, rs)
    assert f"mã nd-07-2021, bộ quy tắc {c.rules_digest[:12]}" in out
    assert rs.title_vi in out
    assert f"rules {c.rules_digest[:12]}" in render_text(c, rs, "en")


def test_income_exactly_at_the_line_says_equal_and_still_meets_the_condition(rs):
    """'từ 1.500.000 đồng trở xuống' includes the line itself: at exactly the line the text says 'bằng đúng chuẩn'."""
    out = text(near_poor(income=1_500_000), rs)
    assert "hộ cận nghèo" in out.splitlines()[0]
    assert (
        "So với chuẩn thu nhập khu vực nông thôn 1.500.000 đồng: bằng đúng chuẩn (điều kiện “từ 1.500.000 đồng trở xuống”: đạt)."
        in out
    )
    assert "exactly at the line" in text(near_poor(income=1_500_000), rs, "en")


def test_fractional_income_just_below_the_line(rs):
    """A divided income half a đồng under the line is shown as such, not rounded onto the line."""
    out = text(near_poor(income=1_499_999.5), rs)
    assert "Thu nhập bình quân đầu người/tháng: 1.499.999,50 đồng." in out
    assert "thấp hơn chuẩn 0,50 đồng" in out


def test_non_deprived_indicators_listed_briefly_with_unverified_marks(rs):
    """Non-deprived indicators are one line; definitions not checked against the gazette carry (*) and a footnote."""
    out = text(near_poor(), rs)
    line = next(ln for ln in out.splitlines() if "Không thiếu hụt:" in ln)
    assert "Việc làm (*)" in line and "Dinh dưỡng," in line and "Diện tích nhà ở bình quân đầu người," in line
    assert "(*) Định nghĩa chưa được đối chiếu với văn bản gốc." in out
    assert (
        "Nhà tiêu hợp vệ sinh — Nghị định 07/2021/NĐ-CP, Phụ lục, mục 10 — theo câu trả lời: Loại nhà tiêu: cầu tõm, trên ao cá. Lưu ý: định nghĩa chưa được đối chiếu với văn bản gốc."
        in out
    )
    # Health insurance is verified: no note on its line.
    hi = next(ln for ln in out.splitlines() if "Bảo hiểm y tế —" in ln)
    assert "chưa được đối chiếu" not in hi


def test_flag_source_is_said_for_non_deprived_flags_too(rs):
    """An indicator decided by the form (flag) is marked 'theo phiếu' even when not deprived."""
    out = text(attrs.evolve(near_poor(), flags={"nutrition": False}), rs)
    assert "Dinh dưỡng (theo phiếu)" in out


def test_ignored_flags_are_reported(rs):
    """Flags of other standards' indicators are not silently dropped: the text names them."""
    h = attrs.evolve(near_poor(), flags={"sick_without_care": True})
    assert "Các chỉ số trên phiếu không thuộc chuẩn này nên không được xét: sick_without_care." in text(h, rs)
    assert "were ignored: sick_without_care." in text(h, rs, "en")


def test_unknown_indicator_that_cannot_change_a_decided_outcome(rs):
    """A decided household with an unknown indicator is told it is unknown, what is missing, and that it cannot matter."""
    h = household("H030", "rural", 1_450_000, house={"water_source": None})
    h = attrs.evolve(h, facts={k: v for k, v in h.facts.items() if v is not None})
    out = text(h, rs)
    assert "hộ cận nghèo" in out.splitlines()[0]
    assert "Chưa xác định (không làm thay đổi kết quả):" in out
    assert (
        "- Nguồn nước sinh hoạt (*) — Nghị định 07/2021/NĐ-CP, Phụ lục, mục 9 — còn thiếu: Nguồn nước sinh hoạt."
        in out
    )
    assert "Còn 1 chỉ số chưa xác định." in out


# --- middle and khac ---------------------------------------------------------------------------------


def test_middle_household_vi_shows_both_band_edges(rs):
    """Urban middle band: above the 2.000.000 line and at or below the 3.000.000 top; deprivations not considered."""
    out = text(household("H100", "urban", 2_500_000, house={"latrine_type": "open"}), rs)
    assert out.startswith(
        "Hộ H100 được xác định là hộ có mức sống trung bình theo Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2, điểm c.\n"
    )
    assert (
        "So với chuẩn thu nhập khu vực thành thị 2.000.000 đồng: cao hơn chuẩn 500.000 đồng (điều kiện “trên 2.000.000 đồng”: đạt)."
        in out
    )
    assert (
        "So với mức trên của hộ có mức sống trung bình, thành thị 3.000.000 đồng: thấp hơn mức 500.000 đồng "
        "(điều kiện “từ 3.000.000 đồng trở xuống”: đạt)."
    ) in out
    assert "Với mức thu nhập này, số chỉ số thiếu hụt không ảnh hưởng đến kết quả." in out
    assert "Hộ thiếu hụt 1 chỉ số, cần từ 3 chỉ số trở lên để là hộ nghèo." in out


def test_middle_household_en(rs):
    """English middle text: point c, the margins to both edges and the deprivation note."""
    out = text(household("H100", "urban", 2_500_000), rs, "en")
    assert (
        "classified as: household with a middle living standard, under Nghị định 07/2021/NĐ-CP, Art. 3, cl. 2, pt. c."
        in out
    )
    assert "500,000 VND above the line (condition “more than 2,000,000 VND”: met)" in out
    assert "500,000 VND below that level (condition “3,000,000 VND or less”: met)" in out
    assert "At this income, the number of deprivations does not affect the outcome." in out
    assert "No indicator is deprived." in out


def test_khac_household_one_dong_above_the_middle_top(rs):
    """One đồng above the urban middle top is 'khac', cited to Art. 3 cl. 2, with a 1 đồng margin."""
    out = text(household("H200", "urban", 3_000_001), rs)
    assert out.startswith(
        "Hộ H200 được xác định là không thuộc hộ nghèo, hộ cận nghèo, hộ có mức sống trung bình "
        "theo Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2.\n"
    )
    assert (
        "So với mức trên của hộ có mức sống trung bình, thành thị 3.000.000 đồng: cao hơn mức 1 đồng (điều kiện “trên 3.000.000 đồng”: đạt)."
        in out
    )
    en = text(household("H200", "urban", 3_000_001), rs, "en")
    assert (
        "classified as: none of the above (above the middle-living band), under Nghị định 07/2021/NĐ-CP, Art. 3, cl. 2."
        in en
    )
    assert "1 VND above that level" in en


# --- khong_du_du_lieu --------------------------------------------------------------------------------


def undecided() -> Household:
    """Flags-only urban record: 1 deprivation known, 11 indicators unknown, income under the line."""
    return Household(
        id="H300",
        area="urban",
        income_per_capita_month=1_900_000,
        flags={"employment": True},
        member_count=3,
        reference_date=REF,
    )


def test_undecided_household_vi_lists_possible_classes_and_what_to_collect(rs):
    """khong_du_du_lieu names each possible class with its clause and count range, and the answers to collect."""
    out = text(undecided(), rs)
    assert out.startswith(
        "Chưa đủ dữ liệu để phân loại hộ H300: tùy theo các câu trả lời còn thiếu, "
        "hộ có thể là hộ nghèo hoặc hộ cận nghèo.\n"
    )
    assert (
        "hộ nghèo (Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2, điểm a) nếu số chỉ số thiếu hụt là 3 đến 12"
        in out
    )
    assert (
        "hộ cận nghèo (Nghị định 07/2021/NĐ-CP, Điều 3, khoản 2, điểm b) nếu số chỉ số thiếu hụt là 1 đến 2"
        in out
    )
    assert "Cần thu thập thêm các thông tin sau để phân loại:" in out
    assert "  • danh sách thành viên của hộ\n" in out
    assert "  • Loại nhà tiêu\n" in out
    assert "hoặc ghi trực tiếp trên phiếu các chỉ số: Người phụ thuộc trong hộ gia đình," in out
    assert "Còn 11 chỉ số chưa xác định." in out
    assert "Hộ thiếu hụt 1 chỉ số, cần từ 3 chỉ số trở lên để là hộ nghèo." in out


def test_undecided_household_en(rs):
    """The English undecided text names both possible classes and the missing answers."""
    out = text(undecided(), rs, "en")
    assert (
        "Household H300 cannot be classified yet: depending on the missing answers it could be: poor household or near-poor household."
        in out
    )
    assert (
        "poor household (Nghị định 07/2021/NĐ-CP, Art. 3, cl. 2, pt. a) if the number of deprivations is 3 to 12"
        in out
    )
    assert "Collect the following to classify the household:" in out
    assert "  • Latrine type\n" in out


def test_undecided_member_answers_grouped_by_member(rs):
    """A single missing member answer is asked of that member by name."""
    h = household(
        "H301",
        "rural",
        1_450_000,
        adult={"has_health_insurance": None},
        house={"latrine_type": "open"},
        flags={"employment": True},
    )
    adult = {k: v for k, v in h.members[0].facts.items() if v is not None}
    h = attrs.evolve(h, members=(Member(adult, "H301-1"), h.members[1]))
    out = text(h, rs)
    assert "hộ nghèo hoặc hộ cận nghèo" in out.splitlines()[0]
    assert "  • thành viên H301-1: Có thẻ bảo hiểm y tế còn hiệu lực\n" in out


# --- notes and guards --------------------------------------------------------------------------------


def test_provisional_standard_and_its_warnings_are_shown(rs):
    """A provisional standard's result always carries the warning and the standard's own warnings."""
    c = classify(near_poor(), rs)
    c = attrs.evolve(
        c, trace=attrs.evolve(c.trace, provisional=True, warnings=("Ngưỡng chưa được ban hành.",))
    )
    out = render_text(c, rs)
    assert "Cảnh báo: chuẩn này là tạm thời" in out
    assert "Cảnh báo: Ngưỡng chưa được ban hành." in out
    assert "Warning: this standard is provisional" in render_text(c, rs, "en")


def test_diacritics_present_in_vietnamese(rs):
    """Vietnamese output is written with its diacritics (hộ cận nghèo, thiếu hụt), never ASCII-folded."""
    out = text(near_poor(), rs)
    for phrase in (
        "hộ cận nghèo",
        "thiếu hụt",
        "Thu nhập bình quân đầu người/tháng",
        "đồng",
        "Ngày tham chiếu",
    ):
        assert phrase in out
    assert "ho can ngheo" not in out and "thieu hut" not in out


def test_labels_come_from_the_rule_data(rs):
    """Renaming a class or an indicator in the rule data changes the text: no label is hard-coded."""
    c = classify(near_poor(), rs)
    classes = dict(rs.classes)
    classes["ngheo"] = attrs.evolve(classes["ngheo"], label_vi="HỘ NGHÈO (THỬ)")
    changed = attrs.evolve(rs, classes=classes)
    assert "cần từ 3 chỉ số trở lên để là HỘ NGHÈO (THỬ)." in render_text(c, changed)


def test_needs_a_trace_and_a_known_language(rs):
    """Without a trace there is nothing to explain, and only vi/en are offered."""
    with pytest.raises(ValueError, match="trace"):
        render_text(classify(near_poor(), rs, trace=False), rs)
    with pytest.raises(ValueError, match="language"):
        render_text(classify(near_poor(), rs), rs, "fr")
