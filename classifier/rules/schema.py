"""Structural checks shared by the loader: allowed keys, required keys, value types.

Every check appends a :class:`RuleProblem` (file, line, rule id, what is allowed, did-you-mean) and
carries on, so that one run of ``rules check`` lists every problem at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from classifier.errors import RuleProblem
from classifier.rules.yamlload import LocatedDict, line_of

__all__ = ["Problems", "did_you_mean"]


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """The closest option to ``word``, if any is close enough to be a likely typo."""
    matches = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Problems:
    """Collects problems for one file; helpers check a mapping and return typed values or None."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[RuleProblem] = []

    def add(
        self, line: int | None, message: str, rule_id: str | None = None, hint: str | None = None
    ) -> None:
        self.items.append(RuleProblem(self.file, line, message, rule_id, hint))

    def mapping(
        self, value: Any, where: str, line: int | None, rule_id: str | None = None
    ) -> LocatedDict | None:
        if isinstance(value, LocatedDict):
            return value
        self.add(line, f"{where} must be a mapping, got {type(value).__name__}", rule_id)
        return None

    def keys(
        self,
        data: LocatedDict,
        allowed: Iterable[str],
        required: Iterable[str],
        where: str,
        rule_id: str | None = None,
        line: int | None = None,
    ) -> None:
        """Reject unknown keys (with a did-you-mean) and report missing required ones.

        Missing keys are reported at ``line`` (the line naming the entry, e.g. ``income_line_rural:``)
        when given. A missing key that a did-you-mean already suggested is not reported twice.
        """
        allowed = list(allowed)
        suggested: set[str] = set()
        for key in data:
            if key not in allowed:
                suggestion = did_you_mean(key, allowed)
                if suggestion:
                    suggested.add(suggestion)
                hint = f"did you mean {suggestion!r}?" if suggestion else f"allowed: {', '.join(allowed)}"
                self.add(line_of(data, key), f"unknown key {key!r} in {where}", rule_id, hint)
        for key in required:
            if key not in data and key not in suggested:
                self.add(
                    line if line is not None else data.line,
                    f"missing required key {key!r} in {where}",
                    rule_id,
                )

    def text(self, data: Mapping[str, Any], key: str, rule_id: str | None = None) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, str) and value.strip():
            return value
        self.add(line_of(data, key), f"{key!r} must be non-empty text, got {value!r}", rule_id)
        return None

    def boolean(self, data: Mapping[str, Any], key: str, rule_id: str | None = None) -> bool | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool):
            return value
        self.add(line_of(data, key), f"{key!r} must be true or false, got {value!r}", rule_id)
        return None

    def date(
        self,
        data: Mapping[str, Any],
        key: str,
        rule_id: str | None = None,
        nullable: bool = False,
    ) -> dt.date | None:
        """A date; ``nullable`` lets an explicit null mean "open-ended" (only for ``valid_to``)."""
        if key not in data:
            return None
        value = data[key]
        if value is None and nullable:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.add(line_of(data, key), f"{key!r} must be a date YYYY-MM-DD, got {value!r}", rule_id)
        return None

    def integer(self, data: Mapping[str, Any], key: str, rule_id: str | None = None) -> int | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.add(line_of(data, key), f"{key!r} must be a whole number, got {value!r}", rule_id)
        return None
