"""One exception tree for chuan-ngheo.

Every error carries structured fields (so a CLI, a report or a test can read them without parsing
text) and an exit code, in the manner of click's exceptions: the CLI maps errors to exit codes in
one place instead of scattering ``sys.exit`` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

__all__ = [
    "ChuanNgheoError",
    "EngineError",
    "InputError",
    "RecordError",
    "RuleFileError",
    "RuleProblem",
    "UnknownStandardError",
]


class ChuanNgheoError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1


@attrs.frozen
class RuleProblem:
    """One problem found in a rule file: where it is, what is wrong, and what would be accepted."""

    file: str
    line: int | None
    message: str
    rule_id: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        rule = f" [{self.rule_id}]" if self.rule_id else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{rule} {self.message}{hint}"


class RuleFileError(ChuanNgheoError):
    """A rule folder could not be loaded; ``problems`` lists every problem found, not just the first."""

    exit_code = 3

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the rule files:\n{lines}")


class UnknownStandardError(ChuanNgheoError):
    """The standard asked for is not among the rule folders."""

    exit_code = 2

    def __init__(self, standard: str, known: Sequence[str], suggestion: str | None = None) -> None:
        self.standard = standard
        self.known = tuple(known)
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"unknown standard {standard!r}{hint} Known standards: {', '.join(known)}")


@attrs.frozen
class RecordError:
    """Why one input record could not be classified. The record still appears in the output.

    ``expected`` says what would have been accepted, so a reviewer can fix the cell.
    """

    record_id: str | None
    field: str
    value: Any
    expected: str
    row: int | None = None
    source: str | None = None
    #: Personal data (a name, an identity number, ethnicity): the value is never kept nor shown.
    personal: bool = False

    @property
    def message(self) -> str:
        rec = self.record_id if self.record_id is not None else "?"
        if self.row is not None and self.source:
            row = f" ({self.source} row {self.row})"  # a members file has rows of its own
        elif self.row is not None:
            row = f" (row {self.row})"
        else:
            row = ""
        shown = "(personal data, value not shown)" if self.personal else f"= {_shown(self.value)}"
        return f"record {rec}{row}: field {self.field!r} {shown}: expected {self.expected}"

    def __str__(self) -> str:
        return self.message


#: Longest value quoted in full in a message; a longer one (a 200,000-character cell) is cut, so that
#: one bad cell cannot make an error message, an output cell or a log line of any size.
SHOWN_VALUE_CHARS = 200


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) <= SHOWN_VALUE_CHARS:
        return text
    size = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} characters written"
    return f"{text[:SHOWN_VALUE_CHARS]}… ({size})"


class InputError(ChuanNgheoError):
    """An input file as a whole cannot be read (missing file, unknown format, no id column...)."""

    exit_code = 2

    def __init__(self, message: str, errors: Sequence[RecordError] = ()) -> None:
        self.errors = tuple(errors)
        super().__init__(message)


class EngineError(ChuanNgheoError):
    """The evaluator failed in a way the rule checks should have prevented (a bug, not bad input)."""

    exit_code = 4
