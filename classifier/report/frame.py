"""The per-household and per-member frames the report templates compute over.

An adapter, so that the classify results of a file today and the register tomorrow feed the same
tables: :func:`build_frame` takes (household, classification) pairs of the current round and,
optionally, of the previous round, and returns plain rows (dicts of variables). The variables are
listed in :data:`HOUSEHOLD_VARIABLES` / :data:`MEMBER_VARIABLES` (the names a template formula may use).

Administrative fields (household code, names, ethnicity, causes...) come from ``Household.admin`` /
``Member.admin`` when the data carry them; absent, they are None (unknown) and the tables say how many
households they could not count. Names and identity numbers are in the frame only for the detailed
lists and the papers; they are never logged, and :func:`pseudonymise_frame` replaces them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from classifier.io.admin import admin_catalogue, is_ethnic_minority
from classifier.model import CANNOT_CLASSIFY, Classification, Household, Member
from classifier.register.movements import (
    NEAR_POOR_COLUMNS,
    POOR_COLUMNS,
    TOTAL,
    Presence,
    count_movements,
    status_of,
)
from classifier.report.vocabulary import NEAR_POOR_CLASS, POOR_CLASS

__all__ = [
    "AREA_LABELS",
    "HOUSEHOLD_VARIABLES",
    "MEMBER_VARIABLES",
    "Frame",
    "build_frame",
    "pseudonymise_frame",
]

MIDDLE_CLASS = "muc_song_trung_binh"
AREA_LABELS = {"urban": "Thành thị", "rural": "Nông thôn"}
CAUSES = (
    "lack_land",
    "lack_capital",
    "lack_labour",
    "lack_tools",
    "lack_knowledge",
    "lack_skills",
    "illness_accident",
    "other",
)
SUPPORTS = ("health", "education", "production", "credit", "housing", "other")
#: Movement variables: ``mv_<table>_<column>`` (households, 0/1) and ``mvp_<table>_<column>`` (persons
#: counted there), with the register's columns (classifier.register.movements) for both tables.
MOVEMENTS = tuple(f"poor_{c}" for c in POOR_COLUMNS) + tuple(f"near_poor_{c}" for c in NEAR_POOR_COLUMNS)

#: Variables of a household row (``dep_<indicator>``, ``cause_<code>``, ``support_<code>``,
#: ``mv_<movement>`` are expanded per standard / code list).
HOUSEHOLD_VARIABLES = (
    "household",
    "id",
    "code",
    "province",
    "commune",
    "village",
    "area",
    "area_label",
    "urban",
    "rural",
    "present",
    "persons",
    "outcome",
    "poor",
    "near_poor",
    "middle",
    "above",
    "unclassified",
    "dep_count",
    "dep_unknown",
    "head_name",
    "head_gender",
    "female_head",
    "ethnicity",
    "kinh",
    "minority",
    "meritorious",
    "no_work_capacity",
    "status",
    "previous_outcome",
    "ethnicity_label",
)
#: Variables of a member row, besides every household variable.
MEMBER_VARIABLES = (
    "member_no",
    "household_no",
    "name",
    "gender",
    "male",
    "female",
    "birth_year",
    "age",
    "relation",
    "relation_label",
    "id_number",
    "has_health_insurance",
    "stunted",
    "underweight",
    "in_school",
)


@attrs.frozen
class Frame:
    """Rows of one round: ``households`` present now, ``departed`` (in the previous round only, for the
    movement tables) and ``members`` (of the present households).

    ``indicators`` are the standard's indicator ids in its order; ``has_previous`` says whether the
    movement variables are known; ``notes`` are caveats every report built on it must print.
    """

    households: tuple[dict[str, Any], ...]
    members: tuple[dict[str, Any], ...]
    indicators: tuple[str, ...]
    has_previous: bool
    notes: tuple[str, ...] = ()
    departed: tuple[dict[str, Any], ...] = ()

    def rows(self, level: str) -> tuple[dict[str, Any], ...]:
        """The rows a template of ``level`` (households, members or movements) computes over."""
        if level == "members":
            return self.members
        if level == "movements":
            return self.households + self.departed
        return self.households

    def variables(self, level: str) -> set[str]:
        """The names a formula over this frame's ``households`` or ``members`` may use."""
        keys = set(HOUSEHOLD_VARIABLES) | {f"dep_{i}" for i in self.indicators}
        keys |= {f"cause_{c}" for c in CAUSES} | {f"support_{s}" for s in SUPPORTS}
        keys |= {f"mv_{m}" for m in MOVEMENTS} | {f"mvp_{m}" for m in MOVEMENTS}
        if level == "members":
            keys |= set(MEMBER_VARIABLES)
        return keys


def _status(outcome: str | None) -> str | None:
    if outcome is None:
        return None
    return outcome if outcome in (POOR_CLASS, NEAR_POOR_CLASS, CANNOT_CLASSIFY) else "above"


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def _age(member: Member, ref: dt.date) -> int | None:
    birth = member.facts.get("birth_date")
    if isinstance(birth, dt.date):
        return ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))
    year = member.admin.get("birth_year")
    return ref.year - int(year) if year is not None else None


def _codes(value: Any) -> set[str] | None:
    if value is None:
        return None
    return {str(v) for v in value} if isinstance(value, list | tuple | set | frozenset) else {str(value)}


def _household_row(
    household: Household,
    result: Classification | None,
    indicators: Sequence[str],
) -> dict[str, Any]:
    admin = household.admin
    outcome = result.outcome if result is not None else None
    status = _status(outcome)
    row: dict[str, Any] = {
        "household": 1,
        "id": household.id,
        "code": household.code,
        "province": household.place.get("province"),
        "commune": household.place.get("commune"),
        "village": household.place.get("village"),
        "area": household.area,
        "area_label": AREA_LABELS.get(household.area or "", household.area),
        "urban": _bool(household.area == "urban"),
        "rural": _bool(household.area == "rural"),
        "present": 1,
        "persons": household.effective_member_count,
        "outcome": outcome,
        "poor": int(status == POOR_CLASS),
        "near_poor": int(status == NEAR_POOR_CLASS),
        "middle": int(outcome == MIDDLE_CLASS),
        "above": int(status == "above"),
        "unclassified": int(status == CANNOT_CLASSIFY or status is None),
        "head_name": admin.get("head_name"),
        "head_gender": admin.get("head_gender"),
        "female_head": None if admin.get("head_gender") is None else int(admin["head_gender"] == "female"),
        "ethnicity": admin.get("ethnicity"),
        "ethnicity_label": _label("ethnicity", admin.get("ethnicity")),
        "meritorious": _bool(admin.get("meritorious_service")),
        "no_work_capacity": _bool(admin.get("no_working_capacity")),
    }
    minority = is_ethnic_minority(admin.get("ethnicity"))
    row["minority"] = _bool(minority)
    row["kinh"] = None if minority is None else int(not minority)
    verdicts = {r.id: r.deprived for r in result.indicators} if result is not None else {}
    for ind in indicators:
        row[f"dep_{ind}"] = _bool(verdicts.get(ind))
    row["dep_count"] = result.deprivation_count if result is not None else None
    row["dep_unknown"] = result.unknown_count if result is not None else None
    for name, codes_key, keys in (
        ("cause", "poverty_causes", CAUSES),
        ("support", "support_received", SUPPORTS),
    ):
        codes = _codes(admin.get(codes_key))
        for key in keys:
            row[f"{name}_{key}"] = None if codes is None else int(key in codes)
    return row


def _member_rows(household: Household, row: Mapping[str, Any], household_no: int) -> list[dict[str, Any]]:
    ref = household.reference_date or dt.date.today()
    out = []
    for no, member in enumerate(household.members, start=1):
        admin = member.admin
        birth = member.facts.get("birth_date")
        gender = admin.get("gender")
        out.append(
            {
                **row,
                "member_no": no,
                "household_no": household_no,
                "name": admin.get("name"),
                "gender": gender,
                "male": None if gender is None else int(gender == "male"),
                "female": None if gender is None else int(gender == "female"),
                "birth_year": birth.year if isinstance(birth, dt.date) else admin.get("birth_year"),
                "age": _age(member, ref),
                "relation": admin.get("relation"),
                "relation_label": _label("relation", admin.get("relation")),
                "id_number": admin.get("id_number"),
                "has_health_insurance": _bool(member.facts.get("has_health_insurance")),
                "stunted": _bool(member.facts.get("stunted")),
                "underweight": _bool(member.facts.get("underweight")),
                "in_school": _bool(member.facts.get("in_school")),
            }
        )
    return out


def _movement_values(presence: Presence) -> tuple[dict[str, int], str | None]:
    """The household's contribution to every movement cell, counted by the register's own rules (one
    household at a time, so the frame's sums equal the register's tables), and its list label."""
    counted = count_movements([presence])
    values: dict[str, int] = {}
    for prefix, table in (("poor", counted.poor), ("near_poor", counted.near_poor)):
        row = table.rows[TOTAL]
        for column in table.columns:
            households, persons = row[column]
            values[f"mv_{prefix}_{column}"] = households
            values[f"mvp_{prefix}_{column}"] = persons
    return values, counted.households[0].label_text("vi")


def build_frame(
    current: Iterable[tuple[Household, Classification | None]],
    indicators: Sequence[str],
    previous: Iterable[tuple[Household, Classification | None]] | None = None,
    *,
    earlier: Sequence[Iterable[tuple[Household, Classification | None]]] = (),
    departures: Mapping[str, str] | None = None,
) -> Frame:
    """Rows for the current round, with movement variables when ``previous`` is given.

    Households are linked across rounds by household code (the record id when the data have none). The
    movements are counted by :func:`classifier.register.movements.count_movements`, the register's
    reading of the forms: ``earlier`` rounds (oldest first, before ``previous``) are the history that
    tells re-poverty (tái nghèo) from new poverty; ``departures`` maps a code missing now to its recorded
    reason (default: ``departure_reasons.default`` of rules/admin.yaml); a household's ``movement``
    field (moved_in, split) makes it an "other increase".
    """
    pairs = list(current)
    rows = [_household_row(household, result, indicators) for household, result in pairs]

    def member_rows() -> tuple[dict[str, Any], ...]:
        return tuple(
            m
            for no, ((household, _), row) in enumerate(zip(pairs, rows, strict=True), start=1)
            for m in _member_rows(household, row, no)
        )

    notes: list[str] = []
    if previous is None:
        for row in rows:
            row.update({f"mv_{m}": None for m in MOVEMENTS}, status=None, previous_outcome=None)
            row.update({f"mvp_{m}": None for m in MOVEMENTS})
        return Frame(tuple(rows), member_rows(), tuple(indicators), False, tuple(notes))
    movements_of = {h.id: h.admin.get("movement") for h, _ in pairs}
    before: dict[str, dict[str, Any]] = {}
    for household, result in previous:
        old = _household_row(household, result, indicators)
        before[old["code"]] = old
    history = [{h.code: r.outcome if r is not None else None for h, r in rnd} for rnd in earlier]

    def presence(code: str, now: dict[str, Any] | None, old: dict[str, Any] | None) -> Presence:
        return Presence(
            code=code,
            start=None if old is None else status_of(old["outcome"]),
            end=None if now is None else status_of(now["outcome"]),
            persons_start=0 if old is None else int(old["persons"] or 0),
            persons_end=0 if now is None else int(now["persons"] or 0),
            history=tuple(status_of(r[code]) if code in r else None for r in history),
            movement=None if now is None else movements_of.get(now["id"]),
            departure=(departures or {}).get(code),
        )

    seen = set()
    for row in rows:
        code = row["code"]
        seen.add(code)
        prior = before.get(code)
        values, label = _movement_values(presence(code, row, prior))
        row.update(values, previous_outcome=prior["outcome"] if prior is not None else None, status=label)
    departed = []
    for code, old in before.items():
        if code in seen:
            continue
        gone = {**old, "present": 0, "previous_outcome": old["outcome"], "outcome": None, "status": None}
        gone.update({k: 0 for k in ("poor", "near_poor", "middle", "above", "unclassified", "household")})
        gone.update(_movement_values(presence(code, None, old))[0])
        departed.append(gone)
    if not history:
        notes.append(
            "Không có kết quả các vòng trước vòng liền trước: hộ nghèo trở lại được tính là hộ "
            "nghèo phát sinh mới (chưa phân biệt được hộ tái nghèo)."
        )
    return Frame(tuple(rows), member_rows(), tuple(indicators), True, tuple(notes), tuple(departed))


def _label(field: str, code: Any) -> str | None:
    """The Vietnamese label of an administrative code (the code itself when no label is known)."""
    if code is None:
        return None
    catalogue = admin_catalogue()
    if field == "ethnicity":
        labels: Mapping[str, str] = catalogue.ethnic_groups
    else:
        spec = catalogue.member.get(field) or catalogue.household.get(field)
        labels = spec.value_labels_vi if spec is not None else {}
    return str(labels.get(code, code))


def pseudonymise_frame(frame: Frame, pseudonym: Callable[[str, str], str]) -> Frame:
    """The same frame with names and identity numbers replaced by ``pseudonym(kind, value)``."""

    def swap(row: dict[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
        out = dict(row)
        for field, kind in fields.items():
            if out.get(field) is not None:
                out[field] = pseudonym(kind, str(out[field]))
        return out

    hh = {"head_name": "name"}
    mm = {"head_name": "name", "name": "name", "id_number": "id_number"}
    return attrs.evolve(
        frame,
        households=tuple(swap(r, hh) for r in frame.households),
        members=tuple(swap(r, mm) for r in frame.members),
    )
