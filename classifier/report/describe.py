"""Condition trees as readable text, for `rules show`, `rules audit` and the diff report."""

from __future__ import annotations

from typing import Any

from classifier.rules.conditions import (
    OPERATORS,
    AllOf,
    AnyMember,
    AnyOf,
    AtLeast,
    Compare,
    Condition,
    Not,
    ShareOfMembers,
)

__all__ = ["describe_condition", "format_value"]

_WORDS = {
    "vi": {
        "and": " VÀ ",
        "or": " HOẶC ",
        "not": "KHÔNG ",
        "any_member": "có thành viên mà ",
        "share": "tỷ lệ thành viên mà ",
        "at_least": "ít nhất {count} trong {total} điều kiện: ",
    },
    "en": {
        "and": " AND ",
        "or": " OR ",
        "not": "NOT ",
        "any_member": "some member with ",
        "share": "share of members with ",
        "at_least": "at least {count} of {total}: ",
    },
}


def format_value(value: Any) -> str:
    """Numbers with thousands separators; lists comma-separated; booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    if isinstance(value, tuple | list):
        return "{" + ", ".join(format_value(v) for v in value) + "}"
    return str(value)


def describe_condition(cond: Condition, lang: str = "en", top: bool = True) -> str:
    """One line of text for a condition tree, naming parameters beside their values."""
    words = _WORDS.get(lang, _WORDS["en"])
    if isinstance(cond, Compare):
        value = format_value(cond.value)
        if cond.param:
            value = f"{value} [{cond.param}]"
        return f"{cond.fact} {OPERATORS[cond.op]} {value}"
    if isinstance(cond, AllOf | AnyOf):
        joiner = words["and"] if isinstance(cond, AllOf) else words["or"]
        text = joiner.join(describe_condition(c, lang, top=False) for c in cond.children)
        return text if top or len(cond.children) == 1 else f"({text})"
    if isinstance(cond, AtLeast):
        head = words["at_least"].format(count=cond.count, total=len(cond.children))
        text = head + "; ".join(describe_condition(c, lang, top=False) for c in cond.children)
        return text if top else f"({text})"
    if isinstance(cond, Not):
        return words["not"] + describe_condition(cond.child, lang, top=False)
    if isinstance(cond, AnyMember):
        return words["any_member"] + describe_condition(cond.where, lang, top=False)
    if isinstance(cond, ShareOfMembers):
        value = format_value(cond.value) + (f" [{cond.param}]" if cond.param else "")
        return (
            f"{words['share']}{describe_condition(cond.where, lang, top=False)} {OPERATORS[cond.op]} {value}"
        )
    raise TypeError(cond)
