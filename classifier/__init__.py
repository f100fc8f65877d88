"""chuan-ngheo: Vietnam's multidimensional household poverty classification, as rules-as-code.

The public surface is what ``__all__`` lists (pinned by tests/repo/test_public_api.py); everything
else is private and may change.
"""

from classifier.api import DEFAULT_STANDARD, classify, classify_many, load_standard
from classifier.errors import (
    ChuanNgheoError,
    EngineError,
    InputError,
    RecordError,
    RuleFileError,
    RuleProblem,
    UnknownStandardError,
)
from classifier.model import CANNOT_CLASSIFY, Classification, Household, IndicatorResult, Member
from classifier.rules import list_standards
from classifier.rules.ruleset import RuleSet
from classifier.trace import Trace

__all__ = [
    "CANNOT_CLASSIFY",
    "DEFAULT_STANDARD",
    "ChuanNgheoError",
    "Classification",
    "EngineError",
    "Household",
    "IndicatorResult",
    "InputError",
    "Member",
    "RecordError",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "Trace",
    "UnknownStandardError",
    "classify",
    "classify_many",
    "list_standards",
    "load_standard",
]

__version__ = "0.1.0"
