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

from classifier.errors import InputError
from classifier.io.admin import admin_catalogue, is_ethnic_minority
from classifier.model import CANNOT_CLASSIFY, Classification, Household, Member
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
MOVEMENTS = (
    "poor_start",
    "poor_to_near_poor",
    "poor_to_above",
    "poor_other_decrease",
    "near_poor_to_poor",
    "re_poor",
    "new_poor",
    "poor_other_increase",
    "poor_end",
    "near_poor_start",
    "near_poor_to_above",
    "near_poor_other_decrease",
    "poor_to_near_poor_in",
    "re_near_poor",
    "new_near_poor",
    "near_poor_other_increase",
    "near_poor_end",
)

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
        keys |= {f"mv_{m}" for m in MOVEMENTS}
        if level == "members":
            keys |= set(MEMBER_VARIABLES)
        return keys


def _status(outcome: str | None) -> str | None:
    if outcome is None:
        return None
    return outcome if outcome in (POOR_CLASS, NEAR_POOR_CLASS, CANNOT_CLASSIFY) else "above"


def _admin(obj: Household | Member) -> Mapping[str, Any]:
    return getattr(obj, "admin", None) or {}


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def _age(member: Member, ref: dt.date) -> int | None:
    birth = member.facts.get("birth_date")
    if isinstance(birth, dt.date):
        return ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))
    year = _admin(member).get("birth_year")
    return ref.year - int(year) if year is not None else None


def _codes(value: Any) -> set[str] | None:
    if value is None:
        return None
    return {str(v) for v in value} if isinstance(value, list | tuple | set | frozenset) else {str(value)}


def _household_row(
    household: Household,
    result: Classification | None,
    indicators: Sequence[str],
    ethnic_minority: Callable[[str | None], bool | None],
) -> dict[str, Any]:
    admin = _admin(household)
    outcome = result.outcome if result is not None else None
    status = _status(outcome)
    row: dict[str, Any] = {
        "household": 1,
        "id": household.id,
        "code": admin.get("household_code") or household.id,
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
    minority = ethnic_minority(admin.get("ethnicity"))
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
        admin = _admin(member)
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


def _movements(
    before: str | None, after: str | None, present_before: bool, present_now: bool, poor_earlier: bool
) -> dict[str, int]:
    """The movement flags of one household (``before``/``after`` are poverty statuses)."""
    m = dict.fromkeys(MOVEMENTS, 0)
    was_poor, was_near = present_before and before == POOR_CLASS, present_before and before == NEAR_POOR_CLASS
    is_poor, is_near = present_now and after == POOR_CLASS, present_now and after == NEAR_POOR_CLASS
    m["poor_start"], m["near_poor_start"] = int(was_poor), int(was_near)
    m["poor_end"], m["near_poor_end"] = int(is_poor), int(is_near)
    if was_poor and not present_now:
        m["poor_other_decrease"] = 1
    elif was_poor and is_near:
        m["poor_to_near_poor"] = m["poor_to_near_poor_in"] = 1
    elif was_poor and after == "above":
        m["poor_to_above"] = 1
    if was_near and not present_now:
        m["near_poor_other_decrease"] = 1
    elif was_near and is_poor:
        m["near_poor_to_poor"] = 1
    elif was_near and after == "above":
        m["near_poor_to_above"] = 1
    if not present_before:
        m["poor_other_increase"], m["near_poor_other_increase"] = int(is_poor), int(is_near)
    elif is_poor and not was_poor and not was_near:
        m["re_poor" if poor_earlier else "new_poor"] = 1
    elif is_near and not was_poor and not was_near:
        m["new_near_poor"] = 1
    return m


def build_frame(
    current: Iterable[tuple[Household, Classification | None]],
    indicators: Sequence[str],
    previous: Iterable[tuple[Household, Classification | None]] | None = None,
    *,
    poor_earlier: Iterable[str] = (),
    ethnic_minority: Callable[[str | None], bool | None] | None = None,
) -> Frame:
    """Rows for the current round, with movement variables when ``previous`` is given.

    Households are linked across rounds by household code (the record id when the data have none).
    ``poor_earlier`` names the codes that were poor in some round before the previous one (only a
    register knows): poor again now after not being poor in the previous round, they count as re-poor
    (tái nghèo), otherwise as newly poor. A household of the previous round missing now is an "other
    decrease"; one missing before is an "other increase" (the forms' khác giảm / khác tăng).
    A household poor or near-poor before that cannot be classified now is an error (the movement
    tables could not balance), reported with its code.
    """
    minority = ethnic_minority or _default_minority
    pairs = list(current)
    rows = [_household_row(household, result, indicators, minority) for household, result in pairs]

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
        return Frame(tuple(rows), member_rows(), tuple(indicators), False, tuple(notes))
    earlier = set(poor_earlier)
    before: dict[str, tuple[dict[str, Any], str | None]] = {}
    for household, result in previous:
        old = _household_row(household, result, indicators, minority)
        before[old["code"]] = (old, _status(old["outcome"]))
    unresolved = []
    seen = set()
    for row in rows:
        code = row["code"]
        seen.add(code)
        prow: dict[str, Any] | None
        prow, pstatus = before.get(code) or (None, None)
        status = _status(row["outcome"])
        if pstatus in (POOR_CLASS, NEAR_POOR_CLASS) and status in (CANNOT_CLASSIFY, None):
            unresolved.append(code)
        flags = _movements(pstatus, status, prow is not None, True, code in earlier)
        row.update({f"mv_{k}": v for k, v in flags.items()})
        row["previous_outcome"] = prow["outcome"] if prow is not None else None
        row["status"] = _list_status(flags, row)
    departed = []
    for code, (prow, pstatus) in before.items():
        if code in seen:
            continue
        gone = {**prow, "present": 0, "previous_outcome": prow["outcome"], "outcome": None, "status": None}
        gone.update({k: 0 for k in ("poor", "near_poor", "middle", "above", "unclassified", "household")})
        flags = _movements(pstatus, None, True, False, False)
        gone.update({f"mv_{k}": v for k, v in flags.items()})
        departed.append(gone)
    if unresolved:
        raise InputError(
            f"{len(unresolved)} household(s) poor or near-poor in the previous round cannot be classified "
            f"now (codes: {', '.join(sorted(unresolved)[:20])}): complete their answers before the "
            "movement tables"
        )
    if not earlier:
        notes.append(
            "Không có lịch sử các vòng trước vòng liền trước: hộ nghèo trở lại được tính là hộ "
            "nghèo phát sinh mới (chưa phân biệt được hộ tái nghèo)."
        )
    return Frame(tuple(rows), member_rows(), tuple(indicators), True, tuple(notes), tuple(departed))


def _list_status(flags: Mapping[str, int], row: Mapping[str, Any]) -> str | None:
    """nghèo cũ / nghèo mới / tái nghèo (and the near-poor mirror) for the detailed lists."""
    if row["poor"]:
        return "tái nghèo" if flags["re_poor"] else ("nghèo cũ" if flags["poor_start"] else "nghèo mới")
    if row["near_poor"]:
        return "cận nghèo cũ" if flags["near_poor_start"] else "cận nghèo mới"
    return None


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


def _default_minority(ethnicity: str | None) -> bool | None:
    return is_ethnic_minority(ethnicity)


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
