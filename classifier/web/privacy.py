"""What a viewer may not see: names, identity numbers, ethnicity (rules/admin.yaml marks them personal
or sensitive) and health answers (listed here: facts.yaml has no such mark yet)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from classifier.io.admin import admin_catalogue

__all__ = ["HEALTH_FACTS", "redact_record"]

#: Answers about members' health (Nghị định 13/2023/NĐ-CP: health data is sensitive personal data).
HEALTH_FACTS = frozenset(
    {
        "has_health_insurance",
        "stunted",
        "underweight",
        "sick_without_care",
        "elderly_or_disabled_on_allowance",
    }
)


def _private(level: str) -> frozenset[str]:
    catalogue = admin_catalogue()
    fields = catalogue.household if level == "household" else catalogue.member
    return frozenset(name for name, spec in fields.items() if spec.private) | HEALTH_FACTS


def redact_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without personal, sensitive or health answers (for viewers)."""
    household_private, member_private = _private("household"), _private("member")
    out = {k: v for k, v in record.items() if k not in household_private and k != "members"}
    members = record.get("members")
    if isinstance(members, list):
        out["members"] = [{k: v for k, v in m.items() if k not in member_private} for m in members]
    return out
