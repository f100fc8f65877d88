"""One raw record (a JSON object, or a CSV/XLSX row with its members) -> a typed Household.

This is the only place raw strings become typed values. Every problem in a record is reported,
not just the first, each as a RecordError naming the record id, row, field (``members[2].birth_date``
for the second member), the value found and what would have been accepted. A record with any
problem becomes no Household at all: nothing is silently defaulted or dropped, and a missing answer
stays unknown (absent from ``facts``), never false.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import attrs

from classifier.errors import RecordError
from classifier.indicators.evaluate import age_at  # the engines' own derivation of age
from classifier.io.admin import AdminCatalogue, admin_catalogue, parse_admin
from classifier.io.contract import CONTRACT
from classifier.io.values import (
    TEXT_EXPECTED,
    BadValue,
    is_empty,
    to_bool,
    to_date,
    to_enum,
    to_number,
    to_text,
    too_long,
)
from classifier.model import Household, Member
from classifier.rules.ruleset import FactCatalogue, FactSpec
from classifier.rules.schema import did_you_mean

__all__ = ["PLACE_KEYS", "RECORD_KEYS", "RawRecord", "id_key", "parse_record", "parse_records"]

#: Place codes kept as text in Household.place (not survey facts, so not in facts.yaml).
PLACE_KEYS = ("province", "commune", "village")
#: Record-level keys of the data contract besides the household facts of facts.yaml.
RECORD_KEYS = (
    "id",
    "area",
    "income_per_capita_month",
    "income_total_month",
    "member_count",
    "reference_date",
    "members",
    "deprivations",
    "notes",
    *PLACE_KEYS,
)
_MEMBER_KEYS = ("id", "notes")


@attrs.frozen
class RawRecord:
    """One record as read from a file, before typing.

    ``row`` is the spreadsheet row (header = row 1) for CSV/XLSX, the line number for JSON Lines,
    the 1-based position in the array for JSON. ``member_locations`` gives, per member, the
    (source, row) it came from when members were read from a separate table. ``errors`` are
    problems the reader already found (an unreadable line, members whose household is missing);
    when ``raw`` is None the record is only those errors.
    """

    raw: Mapping[str, Any] | None
    row: int | None
    source: str | None
    member_locations: tuple[tuple[str | None, int | None], ...] = ()
    errors: tuple[RecordError, ...] = ()


class _Parser:
    """Types one record, collecting every problem."""

    def __init__(
        self,
        raw: Mapping[str, Any],
        row: int | None,
        source: str | None,
        catalogue: FactCatalogue,
        indicator_keys: Collection[str],
        member_locations: Sequence[tuple[str | None, int | None]],
        reference_date: dt.date | None = None,
    ) -> None:
        self.raw = raw
        self.default_reference_date = reference_date
        self.row = row
        self.source = source
        self.catalogue = catalogue
        self.indicator_keys = indicator_keys
        self.member_locations = member_locations
        self.errors: list[RecordError] = []
        self.record_id: str | None = None
        self.admin: AdminCatalogue = admin_catalogue()

    def error(
        self,
        field: str,
        value: Any,
        expected: str,
        where: tuple[str | None, int | None] | None = None,
        personal: bool = False,
    ) -> None:
        source, row = where if where is not None else (self.source, self.row)
        self.errors.append(
            RecordError(
                self.record_id,
                field,
                None if personal else value,
                expected,
                row=row,
                source=source,
                personal=personal,
            )
        )

    def reporter(self, where: tuple[str | None, int | None] | None) -> Callable[[str, Any, str, bool], None]:
        """An error callback bound to one location (for classifier.io.admin.parse_admin)."""

        def report(field: str, value: Any, expected: str, personal: bool) -> None:
            self.error(field, value, expected, where, personal)

        return report

    # -- single values ---------------------------------------------------------------------------

    def typed(
        self, spec: FactSpec, value: Any, field: str, where: tuple[str | None, int | None] | None = None
    ) -> Any:
        """The typed value, or None after recording an error."""
        try:
            if too_long(value):
                raise BadValue(TEXT_EXPECTED)
            if spec.type == "bool":
                return to_bool(value)
            if spec.type in ("integer", "number"):
                number = to_number(value, integer=spec.type == "integer")
                if spec.minimum is not None and number < spec.minimum:
                    raise BadValue(f"{_what(spec)} of at least {_num(spec.minimum)}")
                if spec.maximum is not None and number > spec.maximum:
                    raise BadValue(f"{_what(spec)} of at most {_num(spec.maximum)}")
                return number
            if spec.type == "enum":
                return to_enum(value, spec.values, spec.value_labels_vi)
            if spec.type == "date":
                return to_date(value)
            return to_text(value)
        except BadValue as bad:
            self.error(field, value, bad.expected, where, spec.name in self.admin.private_facts)
            return None

    def money(self, key: str) -> int | float | None:
        value = self.raw.get(key)
        if is_empty(value):
            return None
        spec = FactSpec(name=key, level="household", type="number", minimum=0)
        return self.typed(spec, value, key)  # type: ignore[no-any-return]

    # -- the record ------------------------------------------------------------------------------

    def parse(self, seen_ids: MutableMapping[str, int | None] | None) -> Household | list[RecordError]:
        raw = self.raw
        household_facts = {n: s for n, s in self.catalogue.household.items() if not s.derived}
        self.parse_id(seen_ids)
        self.check_keys(
            raw, (*RECORD_KEYS, *household_facts, *self.admin.household), "", self.catalogue.household, None
        )

        area = None
        area_spec = self.catalogue.household.get("area") or self.catalogue.classification["area"]
        if is_empty(raw.get("area")):
            self.error(
                "area",
                raw.get("area"),
                f"the area, one of {', '.join(area_spec.values)} (required: the income line depends on it)",
            )
        else:
            area = self.typed(area_spec, raw["area"], "area")

        facts: dict[str, Any] = {}
        for name, spec in household_facts.items():
            if name != "area" and not is_empty(raw.get(name)):
                value = self.typed(spec, raw[name], name)
                if value is not None:
                    facts[name] = value

        place = {}
        for key in PLACE_KEYS:
            if not is_empty(raw.get(key)):
                text = self.typed(FactSpec(name=key, level="household", type="string"), raw[key], key)
                if text is not None:
                    place[key] = text
        self.check_notes(raw, "notes", None)

        reference_date = None
        if not is_empty(raw.get("reference_date")):
            reference_date = self.typed(
                FactSpec(name="reference_date", level="household", type="date"),
                raw["reference_date"],
                "reference_date",
            )

        admin = parse_admin(raw, self.admin.household, "", self.reporter(None))

        members = self.parse_members()
        self.check_birth_dates(members, reference_date)
        member_count = self.parse_member_count(members)
        income = self.parse_income(members, member_count)
        flags = self.parse_flags()

        if self.errors or self.record_id is None:  # parse_id recorded an error when the id is None
            return self.errors
        return Household(
            id=self.record_id,
            area=area,
            income_per_capita_month=income,
            members=tuple(members) if members else (),
            facts=facts,
            flags=flags,
            member_count=member_count,
            reference_date=reference_date,
            place=place,
            admin=admin,
        )

    def check_notes(
        self, data: Mapping[str, Any], field: str, where: tuple[str | None, int | None] | None
    ) -> None:
        """Notes are free text, kept out of the classification, but still text of bounded size."""
        notes = data.get("notes")
        if is_empty(notes):
            return
        if not isinstance(notes, str | int | float):
            self.error(field, notes, "text", where)
        elif too_long(notes):
            self.error(field, notes, TEXT_EXPECTED, where)

    def parse_id(self, seen_ids: MutableMapping[str, int | None] | None) -> None:
        value = self.raw.get("id")
        if is_empty(value):
            self.error("id", value, "a household id (non-empty text, unique within the file)")
            return
        try:
            self.record_id = to_text(value)
        except BadValue:
            self.error("id", value, "a household id (non-empty text, unique within the file)")
            return
        if seen_ids is not None:
            # Ids that differ only in Unicode form (NFC vs NFD, as two keyboards type "Đ") are one id.
            key = id_key(self.record_id)
            if key in seen_ids:
                first = seen_ids[key]
                at = f" (first used at row {first})" if first is not None else ""
                self.error("id", value, f"an id not used by an earlier record in this file{at}")
            else:
                seen_ids[key] = self.row

    def check_keys(
        self,
        data: Mapping[str, Any],
        allowed: Iterable[str],
        prefix: str,
        table: Mapping[str, FactSpec],
        where: tuple[str | None, int | None] | None,
    ) -> None:
        """Unknown keys are errors with a did-you-mean; derived facts say what to give instead."""
        allowed = tuple(allowed)
        for key in data:
            if key in allowed:
                continue
            spec = table.get(str(key))
            if spec is not None and spec.derived:
                self.error(
                    f"{prefix}{key}",
                    data[key],
                    f"no {key}: it is derived by the engine from other answers, give those instead",
                    where,
                )
                continue
            options = {a: a for a in allowed}
            for name in allowed:
                spec = table.get(name)
                for spelling in (spec.label_vi, *spec.aliases) if spec else ():
                    if spelling:
                        options.setdefault(spelling, name)
            hint = did_you_mean(str(key), options)
            suggestion = f"did you mean {options[hint]!r}?" if hint else f"one of {', '.join(allowed)}"
            self.error(f"{prefix}{key}", data[key], f"a known field name ({suggestion})", where)

    def parse_members(self) -> list[Member] | None:
        raw_members = self.raw.get("members")
        if raw_members is None:
            return None
        if isinstance(raw_members, str | bytes) or not isinstance(raw_members, Sequence):
            self.error("members", raw_members, "a list of member records")
            return None
        specs = self.catalogue.member
        members: list[Member] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw_members, start=1):
            where = self.member_locations[index - 1] if index - 1 < len(self.member_locations) else None
            prefix = f"members[{index}]."
            if not isinstance(item, Mapping):
                self.error(f"members[{index}]", item, "a member record (an object of answers)", where)
                continue
            self.check_keys(
                item,
                (*_MEMBER_KEYS, *(n for n, s in specs.items() if not s.derived), *self.admin.member),
                prefix,
                specs,
                where,
            )
            member_id = None
            if not is_empty(item.get("id")):
                try:
                    member_id = to_text(item["id"])
                except BadValue:
                    self.error(f"{prefix}id", item["id"], "a member id (text)", where)
                if member_id is not None and member_id in seen:
                    self.error(
                        f"{prefix}id",
                        item["id"],
                        "a member id not used by another member of this household "
                        f"(members[{seen[member_id]}])",
                        where,
                    )
                elif member_id is not None:
                    seen[member_id] = index
            self.check_notes(item, f"{prefix}notes", where)
            facts: dict[str, Any] = {}
            for name, spec in specs.items():
                if not spec.derived and not is_empty(item.get(name)):
                    value = self.typed(spec, item[name], f"{prefix}{name}", where)
                    if value is not None:
                        facts[name] = value
            admin = parse_admin(item, self.admin.member, prefix, self.reporter(where))
            birth = facts.get("birth_date")
            if "birth_year" in admin and birth is not None and birth.year != admin["birth_year"]:
                self.error(
                    f"{prefix}birth_year",
                    item.get("birth_year"),
                    f"the year of birth_date ({birth.year}), or only one of the two",
                    where,
                )
            members.append(Member(facts=facts, member_id=member_id, admin=admin))
        return members

    def check_birth_dates(self, members: list[Member] | None, reference_date: dt.date | None) -> None:
        """A birth date after the reference date, or implying an age above the stated age's cap, is
        the member's error (the age derived from it would change indicators silently)."""
        if not members:
            return
        on = reference_date or self.default_reference_date or dt.date.today()
        age_spec = self.catalogue.member.get(CONTRACT.age_fact or "")
        cap = age_spec.maximum if age_spec is not None else None
        for index, member in enumerate(members, start=1):
            born = member.facts.get("birth_date")
            if not isinstance(born, dt.date):
                continue
            where = self.member_locations[index - 1] if index - 1 < len(self.member_locations) else None
            field = f"members[{index}].birth_date"
            if born > on:
                self.error(
                    field,
                    born.isoformat(),
                    f"a birth date not after the reference date {on.isoformat()}",
                    where,
                )
            elif cap is not None and age_at(born, on) > cap:
                self.error(
                    field,
                    born.isoformat(),
                    f"a birth date implying an age of at most {_num(cap)} at {on.isoformat()}",
                    where,
                )

    def parse_member_count(self, members: list[Member] | None) -> int | None:
        value = self.raw.get("member_count")
        if is_empty(value):
            return None
        count = self.typed(
            FactSpec(name="member_count", level="household", type="integer", minimum=1), value, "member_count"
        )
        if count is not None and members and count != len(members):
            self.error(
                "member_count", value, f"the number of members listed ({len(members)}), or no member_count"
            )
        return count  # type: ignore[no-any-return]

    def parse_income(self, members: list[Member] | None, member_count: int | None) -> int | float | None:
        per_capita = self.money("income_per_capita_month")
        total = self.money("income_total_month")
        given_pc = not is_empty(self.raw.get("income_per_capita_month"))
        given_total = not is_empty(self.raw.get("income_total_month"))
        if not given_pc and not given_total:
            if not is_empty(self.raw.get("score_a")):
                # A score record (Thông tư 07/2021 điểm A): the score method needs no income; the income
                # method says that it is missing (engine.common.validate_for_classification).
                return None
            self.error(
                "income_per_capita_month",
                None,
                "income_per_capita_month or income_total_month (VND per month; required)",
            )
            return None
        if total is None:
            return per_capita
        count = len(members) if members else member_count
        if not count:
            self.error(
                "income_total_month",
                self.raw.get("income_total_month"),
                "members listed or a member_count to divide the total income by",
            )
            return None
        # No rounding: the law compares the exact per-person figure with the line.
        quotient, remainder = divmod(total, count)
        derived = int(quotient) if remainder == 0 else total / count
        if per_capita is not None and not _agrees(per_capita, total, count):
            self.error(
                "income_per_capita_month",
                self.raw.get("income_per_capita_month"),
                f"the same figure as income_total_month / member count {count} = {derived}, "
                "or only one of the two incomes",
            )
            return None
        return per_capita if per_capita is not None else derived

    def parse_flags(self) -> dict[str, bool]:
        raw_flags = self.raw.get("deprivations")
        if raw_flags is None:
            return {}
        if not isinstance(raw_flags, Mapping):
            self.error("deprivations", raw_flags, "a mapping of indicator id -> true/false")
            return {}
        flags: dict[str, bool] = {}
        bool_spec = FactSpec(name="deprivations", level="household", type="bool")
        for key, value in raw_flags.items():
            field = f"deprivations.{key}"
            if key not in self.indicator_keys:
                hint = did_you_mean(str(key), self.indicator_keys)
                suggestion = (
                    f"did you mean {hint!r}?" if hint else f"one of {', '.join(sorted(self.indicator_keys))}"
                )
                self.error(field, value, f"an indicator id of a known standard ({suggestion})")
                continue
            if is_empty(value):
                continue  # unknown: the indicator is computed from answers, if any
            flag = self.typed(bool_spec, value, field)
            if flag is not None:
                flags[str(key)] = flag
        return flags


def id_key(record_id: str) -> str:
    """The form of an id that decides whether two records repeat it: NFC, as written otherwise."""
    return unicodedata.normalize("NFC", record_id)


def _agrees(per_capita: int | float, total: int | float, count: int) -> bool:
    if isinstance(per_capita, int) and isinstance(total, int):
        return per_capita * count == total
    return abs(per_capita * count - total) <= 1e-9 * max(1.0, abs(total))


def _what(spec: FactSpec) -> str:
    return "a whole number" if spec.type == "integer" else "a number"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_record(
    raw: Mapping[str, Any],
    *,
    row: int | None,
    source: str | None,
    catalogue: FactCatalogue,
    indicator_keys: Collection[str],
    seen_ids: MutableMapping[str, int | None] | None = None,
    member_locations: Sequence[tuple[str | None, int | None]] = (),
    reference_date: dt.date | None = None,
) -> Household | list[RecordError]:
    """Type and validate one record: a Household, or every problem found in it.

    ``indicator_keys`` are the flag keys accepted under ``deprivations`` (pass
    :func:`classifier.io.known_indicator_keys` so flags of other standards are kept). ``seen_ids``
    (id -> row of first use) makes a repeated id an error on the later record; share one mapping
    across a file. ``member_locations`` places member errors at their own (source, row).
    ``reference_date`` is the run's, for records without their own (else today): birth dates are
    checked against it.
    """
    if not isinstance(raw, Mapping):
        return [RecordError(None, "<record>", raw, "a record (an object of fields)", row=row, source=source)]
    parser = _Parser(raw, row, source, catalogue, indicator_keys, member_locations, reference_date)
    return parser.parse(seen_ids)


def parse_records(
    records: Iterable[RawRecord],
    *,
    catalogue: FactCatalogue,
    indicator_keys: Collection[str],
    reference_date: dt.date | None = None,
) -> Iterator[tuple[RawRecord, Household | list[RecordError]]]:
    """Type a file's records lazily, one result per record, in order; ids must be unique in the file.

    ``reference_date``: the run's, for records without their own (see :func:`parse_record`)."""
    seen_ids: dict[str, int | None] = {}
    for record in records:
        if record.raw is None:
            yield record, list(record.errors)
            continue
        result = parse_record(
            record.raw,
            row=record.row,
            source=record.source,
            catalogue=catalogue,
            indicator_keys=indicator_keys,
            seen_ids=seen_ids,
            member_locations=record.member_locations,
            reference_date=reference_date,
        )
        if record.errors:
            result = [*record.errors, *(result if isinstance(result, list) else [])]
        yield record, result
