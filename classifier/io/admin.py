"""Administrative and personal fields of a record (``rules/admin.yaml``): who the household is.

Kept apart from the survey facts on purpose: these values go to ``Household.admin`` and
``Member.admin``, never to ``facts``, so no rule can read them and they never change a class. They
feed the register, the report forms (target groups, ethnicity, causes of poverty) and the papers.

Personal fields (names, identity numbers) and sensitive ones (ethnicity) are typed like any other
field, but an error about them names the record and the field only: the value is neither kept in the
:class:`~classifier.errors.RecordError` nor shown (Nghị định 13/2023/NĐ-CP).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from classifier.io.values import BadValue, is_empty, to_bool, to_enum, to_number, to_text
from classifier.rules import default_rules_root
from classifier.rules.yamlload import load_yaml_file

__all__ = [
    "ADMIN_FILE",
    "AdminCatalogue",
    "AdminField",
    "admin_catalogue",
    "is_ethnic_minority",
    "parse_admin",
    "pseudonym",
]

ADMIN_FILE = "admin.yaml"
#: The ethnic group whose households are not ethnic-minority households.
MAJORITY_GROUP = "kinh"
_ID_NUMBER = re.compile(r"\d{12}")
_CODE_SEPARATORS = re.compile(r"[;,\n]")


@attrs.frozen
class AdminField:
    """One administrative field: its type, accepted values and privacy class."""

    name: str
    type: str
    values: tuple[str, ...] = ()
    value_labels_vi: Mapping[str, str] = attrs.field(factory=dict)
    value_aliases: Mapping[str, str] = attrs.field(factory=dict)  # spelling (casefolded) -> code
    label_vi: str | None = None
    label_en: str | None = None
    aliases: tuple[str, ...] = ()
    personal: bool = False
    sensitive: bool = False
    pseudonymise: str | None = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def private(self) -> bool:
        """Whether the value must never be shown in a log or an error message."""
        return self.personal or self.sensitive


@attrs.frozen
class AdminCatalogue:
    """The administrative fields of households and members, and the coded lists they use."""

    household: Mapping[str, AdminField]
    member: Mapping[str, AdminField]
    ethnic_groups: Mapping[str, str]  # id -> label_vi, in the official order
    departure_reasons: Mapping[str, str]  # id -> label_vi
    #: The reason of a household missing from the later round with no departure recorded.
    default_departure: str = "missing"
    #: Survey facts (facts.yaml) that are personal data: errors about them withhold the value.
    private_facts: frozenset[str] = frozenset()

    def field(self, level: str, name: str) -> AdminField:
        """A field of ``household`` or ``member`` by name."""
        return (self.household if level == "household" else self.member)[name]


def _field(name: str, spec: Mapping[str, Any], lists: Mapping[str, Any]) -> AdminField:
    values: tuple[str, ...] = tuple(str(v) for v in spec.get("values") or ())
    labels = {str(k): str(v) for k, v in (spec.get("value_labels_vi") or {}).items()}
    value_aliases: dict[str, str] = {}
    source = spec.get("values_from")
    if source:
        groups = lists[source]
        values = tuple(str(k) for k in groups)
        labels = {str(k): str(v["label_vi"]) for k, v in groups.items()}
        for key, entry in groups.items():
            for alias in entry.get("aliases") or ():
                value_aliases[str(alias).casefold()] = str(key)
    return AdminField(
        name=name,
        type=str(spec["type"]),
        values=values,
        value_labels_vi=labels,
        value_aliases=value_aliases,
        label_vi=spec.get("label_vi"),
        label_en=spec.get("label_en"),
        aliases=tuple(str(a) for a in spec.get("aliases") or ()),
        personal=bool(spec.get("personal")),
        sensitive=bool(spec.get("sensitive")),
        pseudonymise=spec.get("pseudonymise"),
        minimum=spec.get("min"),
        maximum=spec.get("max"),
    )


def admin_catalogue(rules_root: Path | None = None) -> AdminCatalogue:
    """The administrative fields of the data contract, read from ``<rules root>/admin.yaml``."""
    return _catalogue(Path(rules_root or default_rules_root()))


@cache
def _catalogue(root: Path) -> AdminCatalogue:
    from classifier.errors import RuleFileError, RuleProblem

    path = root / ADMIN_FILE
    if not path.is_file():
        # A rules root without admin.yaml (a test's own rules) has no administrative fields.
        return AdminCatalogue({}, {}, {}, {"missing": "missing"}, "missing")
    data, problems = load_yaml_file(path)
    if problems or not isinstance(data, Mapping):
        raise RuleFileError(problems or [RuleProblem(str(path), None, "expected a mapping")])
    lists = {"ethnic_groups": data.get("ethnic_groups") or {}}
    departures = data.get("departure_reasons")
    if departures is None:  # no reasons declared: as without admin.yaml
        reasons, default = {"missing": "missing"}, "missing"
    elif not isinstance(departures, Mapping):
        raise RuleFileError([RuleProblem(str(path), None, "departure_reasons: expected a mapping")])
    else:
        reasons = {str(k): str(v) for k, v in (departures.get("value_labels_vi") or {}).items()}
        default = str(departures.get("default") or "")
    if default not in reasons:
        raise RuleFileError(
            [
                RuleProblem(
                    str(path),
                    None,
                    f"departure_reasons.default {default!r}: expected one of "
                    f"{', '.join(reasons) or '(none)'}",
                )
            ]
        )
    return AdminCatalogue(
        household={str(n): _field(str(n), s, lists) for n, s in (data.get("household") or {}).items()},
        member={str(n): _field(str(n), s, lists) for n, s in (data.get("member") or {}).items()},
        ethnic_groups={str(k): str(v["label_vi"]) for k, v in lists["ethnic_groups"].items()},
        departure_reasons=reasons,
        default_departure=default,
        private_facts=frozenset(str(f) for f in data.get("private_facts") or ()),
    )


def is_ethnic_minority(ethnicity: str | None) -> bool | None:
    """Whether a household of this ethnic group is an ethnic-minority household (None if unknown)."""
    if ethnicity is None:
        return None
    return ethnicity != MAJORITY_GROUP


def _typed(spec: AdminField, value: Any) -> Any:
    if spec.type == "bool":
        return to_bool(value)
    if spec.type == "integer":
        number = to_number(value, integer=True)
        if spec.minimum is not None and number < spec.minimum:
            raise BadValue(f"a whole number of at least {spec.minimum}")
        if spec.maximum is not None and number > spec.maximum:
            raise BadValue(f"a whole number of at most {spec.maximum}")
        return number
    if spec.type == "enum":
        return _enum(spec, value)
    if spec.type == "codes":
        items = value if isinstance(value, list | tuple) else _CODE_SEPARATORS.split(to_text(value))
        codes = [_enum(spec, item) for item in items if not is_empty(item)]
        if not codes:
            raise BadValue(f"one or more of {', '.join(spec.values)}, separated by ';'")
        return tuple(sorted(set(codes), key=spec.values.index))
    if spec.type == "id_number":
        text = to_text(value).replace(" ", "")
        if not _ID_NUMBER.fullmatch(text):
            raise BadValue("a citizen identity number of exactly 12 digits")
        return text
    return to_text(value)


def _enum(spec: AdminField, value: Any) -> str:
    if isinstance(value, str):
        alias = spec.value_aliases.get(" ".join(value.split()).casefold())
        if alias is not None:
            return alias
    try:
        return to_enum(value, spec.values, spec.value_labels_vi)
    except BadValue:
        if len(spec.values) > 12:  # a long list (the 54 ethnic groups): do not spell it all out
            raise BadValue(
                f"one of the {len(spec.values)} values of {spec.name} in rules/admin.yaml "
                "(a code such as kinh, tay, or the Vietnamese name)"
            ) from None
        raise


Report = Callable[[str, Any, str, bool], None]  # field, value, expected, private


def parse_admin(
    data: Mapping[str, Any], fields: Mapping[str, AdminField], prefix: str, report: Report
) -> dict[str, Any]:
    """The typed administrative values present in ``data``; every bad value goes to ``report``."""
    admin: dict[str, Any] = {}
    for name, spec in fields.items():
        value = data.get(name)
        if is_empty(value):
            continue
        try:
            admin[name] = _typed(spec, value)
        except BadValue as bad:
            report(f"{prefix}{name}", None if spec.private else value, bad.expected, spec.private)
    return admin


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """A stable keyed pseudonym (HMAC-SHA256) for a name or an identity number.

    The same key and value always give the same pseudonym, so exports stay joinable; without the
    key the value cannot be recovered or checked by guessing.
    """
    digest = hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
    if kind == "id_number":
        return "ID-" + digest[:10].upper()  # letters and digits: never mistaken for a real number
    return "Người " + digest[:8].upper()
