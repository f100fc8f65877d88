"""Movement tables of poor and near-poor households (issue 10 item 3), pinned on hand-counted cases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from classifier.register import Register
from classifier.register.db import make_engine
from classifier.register.movements import (
    NEAR_POOR_COLUMNS,
    POOR_COLUMNS,
    TOTAL,
    MovementError,
    MovementTable,
    Presence,
    count_movements,
    round_movements,
)

P, N, ABOVE = "ngheo", "can_ngheo", "tren_can_ngheo"

# One household per category; persons at start -> end. Counted by hand in the comments of the tests.
POPULATION = [
    Presence("P01", P, P, "A", "A", 4, 5),  # stays poor, one member more
    Presence("P02", P, N, "A", "A", 3, 3),  # escaped to near-poor
    Presence("P03", P, ABOVE, "A", "A", 2, 2),  # escaped above
    Presence("P04", P, None, "A", None, 5, 0, departure="moved_out"),  # other decrease: moved out
    Presence("P05", P, None, "B", None, 1, 0),  # other decrease: missing (default)
    Presence("P06", N, P, "B", "B", 3, 3),  # near-poor -> poor
    Presence("P07", ABOVE, P, "B", "B", 2, 2, history=(P,)),  # re-poor
    Presence("P08", ABOVE, P, "A", "A", 4, 4),  # newly poor
    Presence("P09", None, P, None, "B", 0, 2, movement="split"),  # other increase: split
    Presence("P10", ABOVE, ABOVE, "A", "A", 3, 3),  # in neither table
    Presence("P11", N, N, "B", "B", 2, 1),  # stays near-poor, one member fewer
    Presence("P12", N, ABOVE, "B", "B", 4, 4),  # near-poor escaped above
    Presence("P13", None, N, None, "A", 0, 3, movement="moved_in"),  # near-poor other increase
    Presence("P14", ABOVE, N, "B", "B", 2, 2, history=(N, ABOVE)),  # re-near-poor
    Presence("P15", ABOVE, N, "A", "A", 1, 1),  # newly near-poor
]


def _row(table: MovementTable, unit: str, by: str) -> list[int]:
    return [table.value(unit, c, by) for c in table.columns]


def test_poor_table_by_household_and_person_matches_the_hand_count() -> None:
    """Poor: start 5/15; escaped 1/3 + 1/2; other decrease 2/6; increases 1/3, 1/2, 1/4, 1/3; end 5/16."""
    result = count_movements(POPULATION, by="village")
    assert result.poor.columns == POOR_COLUMNS
    assert _row(result.poor, TOTAL, "households") == [5, 1, 1, 2, 1, 1, 1, 1, 5]
    # persons: other increase = 2 (split household) + 1 (a member more in P01)
    assert _row(result.poor, TOTAL, "persons") == [15, 3, 2, 6, 3, 2, 4, 3, 16]
    assert _row(result.poor, "A", "households") == [4, 1, 1, 1, 0, 0, 1, 0, 2]
    assert _row(result.poor, "B", "households") == [1, 0, 0, 1, 1, 1, 0, 1, 3]


def test_near_poor_table_mirrors_the_poor_table() -> None:
    """Near-poor: start 3/9; became poor 1/3; escaped 1/4; other decr. 0/1; +1/3 +1/2 +1/1 +1/3; end 5/10."""
    result = count_movements(POPULATION, by="village")
    assert result.near_poor.columns == NEAR_POOR_COLUMNS
    assert _row(result.near_poor, TOTAL, "households") == [3, 1, 1, 0, 1, 1, 1, 1, 5]
    assert _row(result.near_poor, TOTAL, "persons") == [9, 3, 4, 1, 3, 2, 1, 3, 10]


def test_other_movements_carry_their_reasons() -> None:
    """Other decrease/increase are split by reason: the recorded departure, the default, the movement."""
    reasons = count_movements(POPULATION).poor.reasons
    assert reasons[(TOTAL, "other_decrease", "moved_out")] == (1, 5)
    assert reasons[(TOTAL, "other_decrease", "missing")] == (1, 1)
    assert reasons[(TOTAL, "other_increase", "split")] == (1, 2)
    assert reasons[(TOTAL, "other_increase", "members")] == (0, 1)


def test_the_default_departure_reason_comes_from_admin_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """A household gone without a recorded departure gets ``departure_reasons.default`` of
    rules/admin.yaml (``missing``), read from the catalogue, not written into the code; a caller may
    name another; a recorded departure is kept."""
    import attrs

    from classifier.io.admin import admin_catalogue
    from classifier.register import movements

    assert admin_catalogue().default_departure == "missing"
    reasons = count_movements(POPULATION, default_departure="dissolved").poor.reasons
    assert reasons[(TOTAL, "other_decrease", "dissolved")] == (1, 1)
    assert reasons[(TOTAL, "other_decrease", "moved_out")] == (1, 5)
    assert (TOTAL, "other_decrease", "missing") not in reasons
    merged = attrs.evolve(admin_catalogue(), default_departure="merged")
    monkeypatch.setattr(movements, "admin_catalogue", lambda: merged)
    assert count_movements(POPULATION).poor.reasons[(TOTAL, "other_decrease", "merged")] == (1, 1)


def test_households_are_labelled_old_new_or_re_poor() -> None:
    """End-of-period labels: nghèo cũ / nghèo mới / tái nghèo and the near-poor mirror."""
    labels = {m.code: m.label for m in count_movements(POPULATION).households}
    assert labels == {
        "P01": "ngheo_cu",
        "P02": "can_ngheo_moi",
        "P03": None,
        "P04": None,
        "P05": None,
        "P06": "ngheo_moi",
        "P07": "tai_ngheo",
        "P08": "ngheo_moi",
        "P09": "ngheo_moi",
        "P10": None,
        "P11": "can_ngheo_cu",
        "P12": None,
        "P13": "can_ngheo_moi",
        "P14": "tai_can_ngheo",
        "P15": "can_ngheo_moi",
    }
    movement = next(m for m in count_movements(POPULATION).households if m.code == "P07")
    assert movement.label_text("vi") == "tái nghèo"


def test_a_poor_household_moving_village_leaves_one_row_and_enters_the_other() -> None:
    """Every unit's row adds up: the move is other decrease in the old village, other increase in the new."""
    result = count_movements([Presence("X", P, P, "A", "B", 3, 3)], by="village")
    assert _row(result.poor, "A", "households") == [1, 0, 0, 1, 0, 0, 0, 0, 0]
    assert _row(result.poor, "B", "households") == [0, 0, 0, 0, 0, 0, 0, 1, 1]


def test_unclassified_households_leave_and_enter_through_other_movements() -> None:
    """A poor household that cannot be classified later is an other decrease, reason unclassified."""
    result = count_movements(
        [
            Presence("X", P, "khong_du_du_lieu", None, None, 2, 2),
            Presence("Y", "khong_du_du_lieu", P, None, None, 1, 1),
        ]
    )
    assert _row(result.poor, TOTAL, "households") == [1, 0, 0, 1, 0, 0, 0, 1, 1]
    assert result.poor.reasons[(TOTAL, "other_decrease", "unclassified")] == (1, 2)


def test_the_identity_check_catches_a_table_that_does_not_add_up() -> None:
    """check() refuses a row where end != start - decreases + increases."""
    cells = dict.fromkeys(POOR_COLUMNS, (0, 0)) | {"start": (2, 5), "end": (1, 5)}
    with pytest.raises(MovementError, match="end 1 != 2"):
        MovementTable("poor", POOR_COLUMNS, {TOTAL: cells}, {}).check()


def _record(hid: str, income: int, flags: int, **extra: Any) -> dict[str, Any]:
    from classifier.api import load_standard

    ids = load_standard("nd-07-2021").indicator_ids
    return {
        "id": hid,
        "village": "Thôn A",
        "area": "rural",
        "income_per_capita_month": income,
        "member_count": 2,
        "deprivations": {k: i < flags for i, k in enumerate(ids)},
        **extra,
    }


def test_re_poverty_is_read_from_the_register_history(database_url: str, tmp_path: Path) -> None:
    """Three rounds: poor, above, poor again is re-poor; a household missing later is 'missing'."""
    reg = Register(make_engine(database_url))
    rounds = {
        "2024": [_record("H1", 900_000, 4), _record("H2", 900_000, 4)],
        "2025": [_record("H1", 5_000_000, 0), _record("H2", 900_000, 4)],
        "2026": [_record("H1", 900_000, 4), _record("H3", 900_000, 1, movement="moved_in")],
    }
    for year, records in rounds.items():
        reg.new_round(year, year=int(year), reference_date=dt.date(int(year), 11, 1), who="t")
        path = tmp_path / f"{year}.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        reg.import_file(year, path, who="t")
        reg.classify(year, who="t")
    result = round_movements(reg, "2025", "2026", by="village")
    by_code = {m.code: m for m in result.households}
    assert (by_code["H1"].poor_column, by_code["H1"].label) == ("re_poor", "tai_ngheo")
    assert (by_code["H2"].poor_column, by_code["H2"].reason) == ("other_decrease", "missing")
    assert (by_code["H3"].near_poor_column, by_code["H3"].reason) == ("other_increase", "moved_in")
    reg.record_departure("2026", "H2", "merged", who="t")
    again = {m.code: m for m in round_movements(reg, "2025", "2026").households}
    assert again["H2"].reason == "merged"
    reg.close()


def test_movements_against_a_monthly_review_carry_a_warning(database_url: str, tmp_path: Path) -> None:
    """A regular (monthly) round holds only the households that asked: the result says so."""
    reg = Register(make_engine(database_url))
    reg.new_round("2025", year=2025, reference_date=dt.date(2025, 11, 1), who="t")
    reg.new_round("2026-05", year=2026, kind="regular", reference_date=dt.date(2026, 5, 15), who="t")
    for name, records in (
        ("2025", [_record("H1", 900_000, 4), _record("H2", 900_000, 1)]),
        ("2026-05", [_record("H2", 900_000, 4)]),
    ):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        reg.import_file(name, path, who="t")
        reg.classify(name, who="t")
    result = round_movements(reg, "2025", "2026-05")
    assert any("regular (monthly)" in w for w in result.warnings)
    assert result.poor.value(TOTAL, "from_near_poor") == 1
    reg.close()
