"""Column names: which spreadsheet header means which field of the data contract.

Headers in CSV/XLSX files are matched case- and whitespace-insensitively against a field's name,
its ``label_vi`` and its ``aliases`` in ``rules/facts.yaml``. A few structural fields of a record
(its id, place codes, income given as a total...) are not survey facts and so are not in
facts.yaml; their accepted headers are listed in ``STRUCTURAL_HOUSEHOLD`` / ``STRUCTURAL_MEMBER``
below. These are column spellings, not law.

In the one-file form the pre-decided deprivation flags appear as columns named
``deprivations.<indicator id>``, just ``<indicator id>``, or the indicator's Vietnamese label. A
fact's own label always wins over an indicator's label. One name can be both a fact and an indicator
id (``water_source``: the answer "which water source" and the flag "deprived of safe water"); the
header decides, never the cells: when another column of the same header names a flag by its bare
indicator id (``employment``, ``sanitation``...), the file gives its flags by bare id and the shared
name is the flag too; otherwise it is the answer (write ``deprivations.water_source`` for the flag
and ``nguon_nuoc`` for the answer to leave no doubt). See :meth:`ColumnMap.household_resolver`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

import attrs

from classifier.rules import default_rules_root, list_standards
from classifier.rules.ruleset import FactCatalogue
from classifier.rules.yamlload import load_yaml_file

__all__ = [
    "FLAG_PREFIX",
    "STRUCTURAL_HOUSEHOLD",
    "STRUCTURAL_MEMBER",
    "ColumnMap",
    "Target",
    "default_column_map",
    "known_indicator_keys",
    "normalise_header",
    "strip_diacritics",
]

#: Prefix of a flag column in the one-file form: ``deprivations.employment``.
FLAG_PREFIX = "deprivations."

# Record fields that are not survey facts (so not in facts.yaml): name -> extra accepted headers.
STRUCTURAL_HOUSEHOLD: Mapping[str, tuple[str, ...]] = {
    "id": ("household_id", "mã hộ", "ma_ho", "mã hộ gia đình"),
    "province": ("tỉnh", "tinh", "tỉnh/thành phố", "mã tỉnh"),
    "commune": ("xã", "xa", "xã/phường", "xã/phường/đặc khu", "mã xã"),
    "village": ("thôn", "thon", "thôn/tổ dân phố", "thôn/bản", "mã thôn"),
    "notes": ("ghi chú", "ghi_chu"),
    "income_per_capita_month": ("thu_nhap_binh_quan", "thu nhập bình quân đầu người/tháng"),
    "income_total_month": ("tong_thu_nhap", "tổng thu nhập của hộ/tháng", "thu nhập của hộ/tháng"),
    "member_count": ("so_nhan_khau", "số nhân khẩu"),
    "reference_date": ("ngày tham chiếu", "ngay_tham_chieu"),
}
STRUCTURAL_MEMBER: Mapping[str, tuple[str, ...]] = {
    "household_id": ("mã hộ", "ma_ho", "mã hộ gia đình"),
    "id": ("member_id", "mã thành viên", "ma_thanh_vien"),
    "notes": ("ghi chú", "ghi_chu"),
}


def normalise_header(text: object) -> str:
    """Compare headers ignoring case, surrounding and repeated whitespace, and Unicode form."""
    value = unicodedata.normalize("NFC", str(text if text is not None else ""))
    return " ".join(value.casefold().split())


def strip_diacritics(text: str) -> str:
    """``Nước máy`` -> ``nuoc may``: for matching values typed without a Vietnamese keyboard."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d")


@attrs.frozen
class Target:
    """What a header means: a record ``field`` (fact or structural) or a deprivation ``flag``."""

    kind: str  # field | flag
    name: str


@attrs.frozen
class ColumnMap:
    """Header -> field, for the households table and the members table."""

    household: Mapping[str, Target]
    member: Mapping[str, Target]
    #: Normalised headers that name a household field and are also an indicator id -> that id.
    shared: Mapping[str, str] = attrs.field(factory=dict)

    def household_resolver(self, cells: Iterable[object]) -> Callable[[object], Target | None]:
        """:meth:`household_target` for one header row, with names shared by a fact and an indicator
        resolved by that header (see the module docstring): flags when the header names another flag
        by its bare id, answers otherwise."""
        keys = [normalise_header(c) for c in cells]
        bare_flags = any(
            k not in self.shared and (t := self.household.get(k)) is not None and t.kind == "flag"
            for k in keys
        )

        def resolve(header: object) -> Target | None:
            key = normalise_header(header)
            if bare_flags and key in self.shared:
                return Target("flag", self.shared[key])
            return self.household_target(header)

        return resolve

    def household_target(self, header: object) -> Target | None:
        """The field or flag a households-table header names, or None (then kept as written)."""
        key = normalise_header(header)
        if key.startswith(FLAG_PREFIX):
            return Target("flag", str(header).strip()[len(FLAG_PREFIX) :].strip())
        return self.household.get(key)

    def member_target(self, header: object) -> Target | None:
        """The member field a members-table header names, or None (then kept as written)."""
        return self.member.get(normalise_header(header))

    @classmethod
    def build(cls, catalogue: FactCatalogue, indicator_labels: Mapping[str, str | None]) -> ColumnMap:
        """Build from the fact catalogue and ``{indicator id: label_vi}`` of every known standard."""
        household: dict[str, Target] = {}
        _add_fields(household, ((n, (s.label_vi, *s.aliases)) for n, s in catalogue.household.items()))
        _add_fields(household, STRUCTURAL_HOUSEHOLD.items())
        from classifier.io.admin import admin_catalogue  # admin -> values -> columns: import here

        admin = admin_catalogue()
        _add_fields(household, ((n, (s.label_vi, *s.aliases)) for n, s in admin.household.items()))
        income = catalogue.classification.get("income_per_capita_month")
        if income is not None:
            _add_fields(household, [("income_per_capita_month", (income.label_vi, *income.aliases))])
        # Flags: the bare id, then the Vietnamese label, only where no fact already took the header.
        label_owner: dict[str, set[str]] = {}
        shared: dict[str, str] = {}
        for key, label in indicator_labels.items():
            taken = household.get(normalise_header(key))
            if taken is not None and taken.kind == "field":
                shared[normalise_header(key)] = key
            household.setdefault(normalise_header(key), Target("flag", key))
            if label:
                label_owner.setdefault(normalise_header(label), set()).add(key)
        for label, keys in label_owner.items():
            if len(keys) == 1:  # a label two standards use for different ids names neither
                household.setdefault(label, Target("flag", next(iter(keys))))
        member: dict[str, Target] = {}
        _add_fields(member, ((n, (s.label_vi, *s.aliases)) for n, s in catalogue.member.items()))
        _add_fields(member, STRUCTURAL_MEMBER.items())
        _add_fields(member, ((n, (s.label_vi, *s.aliases)) for n, s in admin.member.items()))
        return cls(household=household, member=member, shared=shared)


def _add_fields(table: dict[str, Target], entries: Iterable[tuple[str, Iterable[str | None]]]) -> None:
    for name, spellings in entries:
        table.setdefault(normalise_header(name), Target("field", name))
        for spelling in spellings:
            if spelling:
                table.setdefault(normalise_header(spelling), Target("field", name))


@cache
def _standards_indicators(rules_root: Path) -> tuple[tuple[str, str | None], ...]:
    """(id, label_vi) of the indicators named in every rule folder's indicators.yaml.

    Read as vocabulary only, not loaded as a standard: reading a survey file must not depend on
    every rule folder under the root being complete and valid (that is checked when a standard is
    loaded to classify). A folder whose indicators.yaml is missing or unreadable adds no keys.
    """
    pairs: dict[str, str | None] = {}
    for standard in list_standards(rules_root):
        path = rules_root / standard / "indicators.yaml"
        if not path.is_file():
            continue
        data, problems = load_yaml_file(path)
        indicators = data.get("indicators") if isinstance(data, Mapping) and not problems else None
        if not isinstance(indicators, Mapping):
            continue
        for key, spec in indicators.items():
            label = spec.get("label_vi") if isinstance(spec, Mapping) else None
            pairs.setdefault(str(key), str(label) if label else None)
    return tuple(pairs.items())


def known_indicator_keys(rules_root: Path | None = None) -> frozenset[str]:
    """Every indicator id of every standard under the rules root.

    A record may carry flags of several standards (issue 4); each run keeps them all and the engine
    reads only its own standard's.
    """
    return frozenset(k for k, _ in _standards_indicators(Path(rules_root or default_rules_root())))


def default_column_map(rules_root: Path | None = None) -> ColumnMap:
    """The column map for the rules root: facts.yaml plus the indicators of every standard."""
    root = Path(rules_root or default_rules_root())
    return _default_column_map(root)


@cache
def _default_column_map(root: Path) -> ColumnMap:
    from classifier.rules.loader import load_facts

    return ColumnMap.build(load_facts(root / "facts.yaml"), dict(_standards_indicators(root)))
