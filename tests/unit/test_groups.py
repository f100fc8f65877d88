"""Groups beside the class: Nghị định 30/2025/NĐ-CP's low-income worker and the middle-living
agricultural household (Quyết định 24/2021/QĐ-TTg), on both sides of each boundary, on both engines.

Thresholds are read from rules/nd-07-2021 (low_income_worker_max_rural/urban, the middle band), never
written here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from classifier.api import classify, load_standard
from classifier.cli import main
from classifier.groups import evaluate_groups
from classifier.model import Household, Member

RULES = load_standard("nd-07-2021")
P = RULES.parameters
DAY = dt.date(2025, 11, 1)
LOW = "nguoi_lao_dong_thu_nhap_thap"
AGRI = "ho_nong_lam_ngu_diem_nghiep_muc_song_trung_binh"
NONE_DEPRIVED = {k: False for k in RULES.indicator_ids}


def _groups(household: Household, engine: str) -> dict[str, object]:
    result = classify(household, RULES, reference_date=DAY, engine=engine, trace=False)
    return {g.group: g for g in evaluate_groups(household, result, RULES)}


def _household(area: str, income: float, **facts: object) -> Household:
    members = (Member({"age": 40}, "A"), Member({"age": 12}, "B"))
    return Household(
        id="H", area=area, income_per_capita_month=income, members=members, flags=NONE_DEPRIVED, facts=facts
    )


@pytest.mark.parametrize("engine", ["durable", "batch"])
@pytest.mark.parametrize(
    ("area", "param", "line_param", "delta", "eligible"),
    [
        ("rural", "low_income_worker_max_rural", "income_line_rural", 0, True),
        ("rural", "low_income_worker_max_rural", "income_line_rural", 1, False),
        ("urban", "low_income_worker_max_urban", "income_line_urban", 0, True),
        ("urban", "low_income_worker_max_urban", "income_line_urban", 1, False),
    ],
)
def test_low_income_worker_members_at_and_above_the_decree_30_figure(
    engine: str, area: str, param: str, line_param: str, delta: int, eligible: bool
) -> None:
    """Every listed member of a household neither poor nor near-poor at the figure is a candidate; one
    đồng above it, none is."""
    found = _groups(_household(area, P[param].value + delta), engine)[LOW]
    assert found.eligible is eligible
    assert found.members == (("A", "B") if eligible else ())
    assert found.count == (2 if eligible else 0)


@pytest.mark.parametrize("engine", ["durable", "batch"])
@pytest.mark.parametrize("area", ["rural", "urban"])
def test_poor_and_near_poor_households_have_no_low_income_worker_candidates(engine: str, area: str) -> None:
    """At the income line the household is near-poor (no deprivation): not a low-income-worker household."""
    household = _household(area, P[f"income_line_{area}"].value)
    assert classify(household, RULES, reference_date=DAY, engine=engine).outcome == "can_ngheo"
    assert _groups(household, engine)[LOW].eligible is False


@pytest.mark.parametrize("engine", ["durable", "batch"])
@pytest.mark.parametrize(("answer", "expected"), [(True, True), (False, False), (None, None)])
def test_middle_living_agricultural_household_needs_the_answer(
    engine: str, answer: bool | None, expected: bool | None
) -> None:
    """In the middle band the flag follows the works_in_agriculture answer (unknown when not answered)."""
    facts = {} if answer is None else {"works_in_agriculture": answer}
    household = _household("rural", P["income_line_rural"].value + 1, **facts)
    assert _groups(household, engine)[AGRI].eligible is expected


@pytest.mark.parametrize("engine", ["durable", "batch"])
@pytest.mark.parametrize("delta", [0, 1])
def test_the_agricultural_flag_stops_at_the_middle_band_edges(engine: str, delta: int) -> None:
    """At the line (near-poor) and one đồng above the band top (khac) a farming household is not flagged."""
    at_line = _household("rural", P["income_line_rural"].value - delta, works_in_agriculture=True)
    above = _household("rural", P["middle_upper_rural"].value + 1 + delta, works_in_agriculture=True)
    assert _groups(at_line, engine)[AGRI].eligible is False
    assert _groups(above, engine)[AGRI].eligible is False


def test_a_flags_only_record_gives_the_declared_member_count() -> None:
    """Without a member list the count is the record's member_count and no member ids are invented."""
    household = Household(
        id="F",
        area="urban",
        income_per_capita_month=P["income_line_urban"].value + 1,
        member_count=5,
        flags=NONE_DEPRIVED,
    )
    found = _groups(household, "durable")[LOW]
    assert (found.eligible, found.members, found.count) == (True, (), 5)


def test_the_groups_command_writes_households_and_eligible_members(tmp_path: Path) -> None:
    """`chuan-ngheo groups`: one row per household with the count, one row per eligible member."""
    source = tmp_path / "h.jsonl"
    rows = [
        {
            "id": "M",
            "area": "rural",
            "income_per_capita_month": P["income_line_rural"].value + 1,
            "works_in_agriculture": True,
            "members": [{"id": "M-1", "age": 40}, {"id": "M-2", "age": 9}],
        },
        {
            "id": "K",
            "area": "rural",
            "income_per_capita_month": P["middle_upper_rural"].value + 1,
            "member_count": 2,
            "deprivations": {k: False for k in RULES.indicator_ids},
        },
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    output = tmp_path / "groups.csv"
    err = io.StringIO()
    assert (
        main(
            ["groups", str(source), "-o", str(output), "--reference-date", DAY.isoformat()],
            out=io.StringIO(),
            err=err,
        )
        == 0
    ), err.getvalue()
    with output.open(encoding="utf-8-sig", newline="") as handle:
        got = {r["id"]: r for r in csv.DictReader(handle)}
    assert (got["M"][LOW], got["M"][f"{LOW}_count"], got["M"][AGRI]) == ("1", "2", "1")
    assert (got["K"]["classification"], got["K"][LOW], got["K"][AGRI]) == ("khac", "0", "0")
    with (tmp_path / "groups.members.csv").open(encoding="utf-8-sig", newline="") as handle:
        members = [(r["household_id"], r["member_id"], r["group"]) for r in csv.DictReader(handle)]
    assert members == [("M", "M-1", LOW), ("M", "M-2", LOW)]
