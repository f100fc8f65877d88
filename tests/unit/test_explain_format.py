"""Money, number and label formatting used by the household-facing explanations."""

from __future__ import annotations

import datetime as dt

import pytest

from classifier.api import load_standard
from classifier.explain._format import (
    count_ranges,
    fact_label,
    format_date,
    format_money,
    format_number,
    format_value,
    group_missing,
    member_label,
)


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (0, "0 đồng", "0 VND"),
        (1, "1 đồng", "1 VND"),
        (999, "999 đồng", "999 VND"),
        (1_000, "1.000 đồng", "1,000 VND"),
        (1_499_999, "1.499.999 đồng", "1,499,999 VND"),
        (1_500_000, "1.500.000 đồng", "1,500,000 VND"),
        (1_500_001, "1.500.001 đồng", "1,500,001 VND"),
        (1_500_000.0, "1.500.000 đồng", "1,500,000 VND"),
        (12_000_000_000, "12.000.000.000 đồng", "12,000,000,000 VND"),
        (-50_000, "-50.000 đồng", "-50,000 VND"),
    ],
)
def test_money_groups_thousands_the_vietnamese_and_english_way(value, vi, en):
    """Whole amounts around the line print as 1.500.000 đồng (vi) and 1,500,000 VND (en), no decimals."""
    assert format_money(value, "vi") == vi
    assert format_money(value, "en") == en


def test_fractional_income_keeps_two_decimals_with_the_local_decimal_mark():
    """A per-capita income divided from a total keeps its cents: comma decimal in vi, point in en."""
    assert format_money(1_466_666.6666, "vi") == "1.466.666,67 đồng"
    assert format_money(1_466_666.6666, "en") == "1,466,666.67 VND"
    assert format_money(0.5, "vi") == "0,50 đồng"


def test_amount_just_below_the_line_never_prints_as_the_line():
    """1 499 999,999 đồng is below a 1 500 000 đồng line, so rounding must not show it as 1.500.000."""
    assert format_money(1_499_999.999, "vi") == "1.499.999,999 đồng"
    assert format_money(1_500_000.0004, "en") == "1,500,000.0004 VND"


def test_number_rejects_booleans():
    """True is not an amount of money: formatting it is a programming error, not 1 đồng."""
    with pytest.raises(TypeError):
        format_number(True)


def test_dates_are_day_first_in_vietnamese_and_iso_in_english():
    """Vietnamese forms write 01/11/2025; the English text uses ISO 2025-11-01."""
    assert format_date(dt.date(2025, 11, 1), "vi") == "01/11/2025"
    assert format_date(dt.date(2025, 11, 1), "en") == "2025-11-01"


def test_count_ranges_compress_consecutive_counts():
    """Candidate deprivation counts 3..12 read as '3 đến 12', gaps kept apart."""
    assert count_ranges([3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "vi") == "3 đến 12"
    assert count_ranges([2, 1, 5], "en") == "1 to 2, 5"
    assert count_ranges([0], "vi") == "0"


def test_member_labels_are_translated_for_vietnamese_readers():
    """The engine's 'member X' label reads 'thành viên X'; an unnamed member is 'thành viên thứ N'."""
    assert member_label("member H017-1", "vi") == "thành viên H017-1"
    assert member_label("member #2", "vi") == "thành viên thứ 2"
    assert member_label("member #2", "en") == "member #2"


def test_fact_labels_and_values_come_from_the_data_contract():
    """Labels and coded values are read from rules/facts.yaml (Loại nhà tiêu, cầu tõm…), not from Python."""
    rs = load_standard("nd-07-2021")
    assert fact_label(rs, "latrine_type", "vi") == rs.facts.household["latrine_type"].label_vi
    latrine = rs.facts.household["latrine_type"]
    assert format_value(rs, "latrine_type", "open", "vi") == latrine.value_labels_vi["open"]
    assert format_value(rs, "latrine_type", "open", "en") == "open"
    assert format_value(rs, "has_tv", False, "vi") == "không"
    income = fact_label(rs, "income_per_capita_month", "vi", "classification")
    assert income == "Thu nhập bình quân đầu người/tháng"


def test_missing_answers_are_grouped_household_first_then_per_member():
    """What must be collected is listed once per member, so staff know whom to ask."""
    rs = load_standard("nd-07-2021")
    paths = ["member H1-2.in_school", "walls_durable", "member H1-2.education", "members"]
    groups = group_missing(rs, paths, "vi")
    assert groups == [
        rs.facts.household["walls_durable"].label_vi,
        "danh sách thành viên của hộ",
        f"thành viên H1-2: {rs.facts.member['in_school'].label_vi}, {rs.facts.member['education'].label_vi}",
    ]
