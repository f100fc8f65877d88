"""Golden cases: YAML files under ``cases/<standard>/`` collected by pytest, one test per case.

Each case pins one legal outcome on one side of one boundary, and is named by a sentence that
states that outcome, so a failing run reads like a list of broken legal facts.

File format — a YAML list of cases; each case is a mapping with these keys:

``name`` (required)
    A sentence stating the legal outcome, e.g. "rural household at exactly 1,500,000 with 3
    deprivations is poor". It is the pytest item's name; unique within its file.
``clause`` (required)
    The citation the case tests: instrument and article/clause/point or Phụ lục item, e.g.
    "Nghị định 07/2021/NĐ-CP, Điều 3 khoản 2 điểm a". It must name an instrument that the standard's
    rule files cite; a case without it fails.
``standard`` (optional)
    The standard id; defaults to the case's folder name (``cases/nd-07-2021/`` → ``nd-07-2021``).
``reference_date`` (required)
    The run's reference date (ISO ``YYYY-MM-DD``), so no case depends on today's date. A
    ``reference_date`` inside ``household`` is the record's own and wins, as in the engine.
``household`` (required)
    One record in the JSON form of data contract v1 (see rules/facts.yaml and the README):
    ``id``, ``area``, ``income_per_capita_month`` or ``income_total_month`` (divided by the members
    counted, without rounding), ``reference_date``, ``province``/``commune``/``village``,
    household-level answers (``floor_area_m2``, ``water_source``, ...), ``members`` (each with
    ``id``, ``birth_date`` and member-level answers), ``deprivations`` (pre-decided indicator flags)
    and ``member_count`` (for flags-only records). It is parsed by the real input adapter,
    ``classifier.io.parse_record``, so every key and value is checked against the fact catalogue
    (a typo fails the case instead of silently becoming an unknown answer) and the cases test the
    adapter's typing too. An explicit ``null`` is refused: leave a key out to make it unknown.
``expect`` (required)
    ``classification`` (required): a class id of the standard or ``khong_du_du_lieu``; optional
    ``deprivation_count``, ``unknown_count``, ``indicators`` ({indicator id: true/false/null}),
    ``fired_rules`` (compared as a set), ``possible_outcomes`` (compared as a set) and
    ``missing_fields_include`` (each must be among the result's missing fields) and ``groups``
    ({group id: {eligible: true/false/null, count: n, members: [ids]}}; the groups beside the class of
    the standard's ``classification.yaml``, e.g. Nghị định 30/2025's low-income worker; ``eligible``
    is required, ``count`` and ``members`` (compared as a set) optional).
``note`` (optional)
    Free text, e.g. that the rule tested is marked unverified in the rule files.

YAML anchors and aliases (``&flags`` / ``*flags``) may be used to repeat a block; merge keys
(``<<``) and duplicate keys are rejected. A failing case shows a unified diff of the ``expect`` block
against the actual result, followed by every indicator's verdict and source.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from classifier.api import classify, load_standard
from classifier.errors import ChuanNgheoError
from classifier.groups import GroupResult, evaluate_groups
from classifier.io import known_indicator_keys, parse_record
from classifier.model import CANNOT_CLASSIFY, Classification, Household
from classifier.rules.ruleset import Citation, RuleSet
from classifier.rules.schema import did_you_mean
from classifier.rules.yamlload import LocatedDict, LocatedList, line_of, load_yaml_file

if TYPE_CHECKING:  # pytest's type of a rendered failure; imported for annotations only (private module)
    from _pytest._code.code import TerminalRepr

__all__ = ["CaseFile", "CaseFormatError", "CaseItem", "CaseMismatch", "compare", "parse_case"]

CASES_DIR = Path(__file__).resolve().parent

#: The engines every golden case runs on: the reference evaluator and the SQL (batch) engine must agree
#: with ``expect`` alike.
ENGINES = ("durable", "batch")

CASE_KEYS = ("name", "clause", "standard", "reference_date", "method", "household", "expect", "note")
REQUIRED_CASE_KEYS = ("name", "clause", "reference_date", "household", "expect")
EXPECT_KEYS = (
    "classification",
    "deprivation_count",
    "unknown_count",
    "indicators",
    "fired_rules",
    "possible_outcomes",
    "missing_fields_include",
    "method",
    "groups",
)
#: Keys of one group under ``expect.groups``.
GROUP_KEYS = ("eligible", "count", "members")
#: Record keys of data contract v1 that are not answers (everything else must be a catalogue fact).
RECORD_KEYS = (
    "id",
    "area",
    "income_per_capita_month",
    "income_total_month",
    "reference_date",
    "members",
    "deprivations",
    "member_count",
    "province",
    "commune",
    "village",
)
PLACE_KEYS = ("province", "commune", "village")


class CaseFormatError(Exception):
    """A case file or case that does not follow the format above; lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class CaseMismatch(Exception):
    """The engine's result differs from the case's ``expect`` block."""

    def __init__(self, diff: str, summary: str) -> None:
        self.diff = diff
        self.summary = summary
        super().__init__(diff)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> CaseFile | None:
    """Collect every ``*.yaml`` file below ``cases/`` as a file of golden cases."""
    if file_path.suffix in (".yaml", ".yml") and CASES_DIR in file_path.resolve().parents:
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _display(path: Path) -> str:
    """A path relative to the working directory when possible (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class CaseFile(pytest.File):
    """One YAML file of golden cases."""

    def collect(self) -> Iterator[CaseItem]:
        shown = _display(self.path)
        data, problems = load_yaml_file(self.path, display_name=shown)
        if problems or not isinstance(data, LocatedList):
            messages = [str(p) for p in problems] or [f"{shown}: expected a YAML list of cases"]
            raise CaseFormatError(messages)
        default_standard = self.path.resolve().relative_to(CASES_DIR).parts[0]
        seen: dict[str, int] = {}
        for index, raw in enumerate(data):
            line = line_of(data, index)
            name = raw.get("name") if isinstance(raw, dict) else None
            problems_here: list[str] = []
            if not isinstance(name, str) or not name.strip():
                name = f"case #{index + 1} (line {line}) without a name"
                problems_here.append(f"{shown}:{line}: every case needs a `name` sentence")
            elif "::" in name:
                problems_here.append(f"{shown}:{line}: a case name may not contain '::'")
            if name in seen:
                problems_here.append(
                    f"{shown}:{line}: duplicate case name {name!r} (first on line {seen[name]})"
                )
                name = f"{name} (line {line})"
            seen.setdefault(name, line or 0)
            yield CaseItem.from_parent(
                self,
                name=name,
                raw=raw,
                line=line,
                default_standard=default_standard,
                early_problems=problems_here,
            )


class CaseItem(pytest.Item):
    """One golden case: parse it, classify the household, compare with ``expect``."""

    def __init__(
        self,
        *,
        raw: Any,
        line: int | None,
        default_standard: str,
        early_problems: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.raw = raw
        self.line = line
        self.default_standard = default_standard
        self.early_problems = early_problems

    def runtest(self) -> None:
        """Fail with CaseFormatError on a malformed case, with CaseMismatch on a wrong result."""
        case = parse_case(self.raw, self._where, self.default_standard, self.early_problems)
        method = self.raw.get("method", "auto") if isinstance(self.raw, dict) else "auto"
        for engine in ENGINES:
            result = classify(
                case.household,
                case.ruleset,
                reference_date=case.reference_date,
                engine=engine,
                trace=True,
                method=method,
            )
            groups = evaluate_groups(case.household, result, case.ruleset) if "groups" in case.expect else ()
            mismatch = compare(case.expect, result, groups)
            if mismatch is not None:
                raise CaseMismatch(f"engine {engine}:\n{mismatch}", summarize(result, groups))

    def _where(self, value: Any = None, key: str | int | None = None) -> str:
        """``file:line`` of a value of this case (or of one of its keys), for format messages."""
        line = line_of(value, key) if value is not None else None
        return f"{_display(self.path)}:{line or self.line}"

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        """A readable report: the format problems, or the expect/actual diff and the indicators."""
        exc = excinfo.value
        clause = self.raw.get("clause") if isinstance(self.raw, dict) else None
        head = f"golden case: {self.name}\n  at {self.path}:{self.line}\n  clause: {clause or '(none)'}"
        if isinstance(exc, CaseFormatError):
            return head + "\nthe case is malformed:\n" + "\n".join(f"  {p}" for p in exc.problems)
        if isinstance(exc, CaseMismatch):
            return f"{head}\nexpected (-) vs actual (+):\n{exc.diff}\n{exc.summary}"
        if isinstance(exc, ChuanNgheoError):
            return f"{head}\nthe engine raised {type(exc).__name__}: {exc}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.line or 1) - 1, f"golden case: {self.name}"


# --------------------------------------------------------------------------------------------------
# Parsing


class Case:
    """A parsed case, ready to run."""

    def __init__(
        self,
        ruleset: RuleSet,
        reference_date: dt.date,
        household: Household,
        expect: dict[str, Any],
    ) -> None:
        self.ruleset = ruleset
        self.reference_date = reference_date
        self.household = household
        self.expect = expect


def _date(value: Any, where: str, field: str, problems: list[str]) -> dt.date | None:
    """An ISO date from YAML (an unquoted date or a quoted ISO string); datetimes are refused."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"{where}: `{field}` must be an ISO date YYYY-MM-DD, got {value!r}")
    return None


def _unknown_key(key: str, allowed: tuple[str, ...] | Mapping[str, Any], where: str, what: str) -> str:
    hint = did_you_mean(key, allowed)
    suffix = f"; did you mean {hint!r}?" if hint else f"; allowed: {', '.join(allowed)}"
    return f"{where}: unknown {what} key {key!r}{suffix}"


def _instruments(ruleset: RuleSet) -> set[str]:
    """Every instrument the standard's rule files cite (what a case's clause may name)."""
    cited: list[Citation | None] = [r.citation for r in ruleset.rules]
    cited += [i.citation for i in ruleset.indicators]
    cited += [p.citation for p in ruleset.parameters.values()]
    cited += [c.citation for c in ruleset.classes.values()]
    cited += [n.citation for n in ruleset.not_modelled]
    cited += [g.citation for g in ruleset.groups]
    return {c.instrument for c in cited if c is not None}


def parse_case(raw: Any, where_of: Any, default_standard: str, early: list[str]) -> Case:
    """Check one raw case and build its Household; raise CaseFormatError listing every problem."""
    problems = list(early)
    where = where_of(raw)
    if not isinstance(raw, LocatedDict):
        raise CaseFormatError([*problems, f"{where}: a case must be a mapping"])
    for key in raw:
        if key not in CASE_KEYS:
            problems.append(_unknown_key(key, CASE_KEYS, where_of(raw, key), "case"))
    for key in REQUIRED_CASE_KEYS:
        if key not in raw:
            reason = " (the citation the case tests)" if key == "clause" else ""
            problems.append(f"{where}: missing required key `{key}`{reason}")
    standard = raw.get("standard", default_standard)
    try:
        ruleset = load_standard(str(standard))
    except ChuanNgheoError as exc:
        raise CaseFormatError([*problems, f"{where_of(raw, 'standard')}: {exc}"]) from exc
    clause = raw.get("clause")
    if "clause" in raw:
        instruments = _instruments(ruleset)
        if not isinstance(clause, str) or not any(i in clause for i in instruments):
            problems.append(
                f"{where_of(raw, 'clause')}: `clause` must cite an instrument of {ruleset.id} "
                f"({'; '.join(sorted(instruments))}), got {clause!r}"
            )
    if raw.get("method", "auto") not in ("auto", "income", "score"):
        problems.append(f"{where_of(raw, 'method')}: `method` must be auto, income or score")
    reference_date = None
    if "reference_date" in raw:
        where = where_of(raw, "reference_date")
        reference_date = _date(raw["reference_date"], where, "reference_date", problems)
    household = None
    if "household" in raw:
        household = parse_household(raw["household"], ruleset, where_of, problems)
    expect: dict[str, Any] = {}
    if "expect" in raw:
        expect = parse_expect(raw["expect"], ruleset, where_of, problems)
    if problems or household is None or reference_date is None:
        raise CaseFormatError(problems)
    return Case(ruleset, reference_date, household, expect)


def _nulls(raw: Any, where_of: Any, path: str = "household") -> list[str]:
    """Explicit nulls in a case: refused, so that a typo'd answer cannot silently become unknown."""
    found: list[str] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            if value is None:
                found.append(
                    f"{where_of(raw, key)}: `{path}.{key}` is null: leave the key out to make "
                    "the answer unknown"
                )
            else:
                found.extend(_nulls(value, where_of, f"{path}.{key}"))
    elif isinstance(raw, list):
        for index, item in enumerate(raw, start=1):
            found.extend(_nulls(item, where_of, f"{path}[{index}]"))
    return found


def parse_household(raw: Any, ruleset: RuleSet, where_of: Any, problems: list[str]) -> Household | None:
    """Build the Household with the real input adapter (classifier.io.parse_record).

    Golden cases are written in data contract v1, so they go through the same parser as a commune's
    file: a case then tests the adapter's typing (total income divided exactly, dates, codes) too.
    """
    if not isinstance(raw, LocatedDict):
        problems.append(f"{where_of(raw)}: `household` must be a mapping")
        return None
    nulls = _nulls(raw, where_of)
    if nulls:
        problems.extend(nulls)
        return None
    parsed = parse_record(
        raw, row=None, source=None, catalogue=ruleset.facts, indicator_keys=known_indicator_keys()
    )
    if isinstance(parsed, list):
        problems.extend(f"{where_of(raw)}: {error.message}" for error in parsed)
        return None
    return parsed


def parse_expect(raw: Any, ruleset: RuleSet, where_of: Any, problems: list[str]) -> dict[str, Any]:
    """Check the ``expect`` block against the standard's classes, indicators and rules."""
    if not isinstance(raw, LocatedDict):
        problems.append(f"{where_of(raw)}: `expect` must be a mapping")
        return {}
    outcomes = (*ruleset.classes, CANNOT_CLASSIFY)
    for key in raw:
        if key not in EXPECT_KEYS:
            problems.append(_unknown_key(key, EXPECT_KEYS, where_of(raw, key), "expect"))
    if "classification" not in raw:
        problems.append(f"{where_of(raw)}: `expect` needs a `classification`")
    elif raw["classification"] not in outcomes:
        problems.append(_bad_value(raw["classification"], outcomes, where_of(raw, "classification"), "class"))
    for key in ("deprivation_count", "unknown_count"):
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], int)):
            problems.append(f"{where_of(raw, key)}: `{key}` must be a whole number")
    _check_expected_indicators(raw, ruleset, where_of, problems)
    _check_expected_groups(raw, ruleset, where_of, problems)
    rule_ids = tuple(r.id for r in (*ruleset.rules, *ruleset.score_rules))
    for key, allowed, what in (
        ("fired_rules", rule_ids, "rule"),
        ("possible_outcomes", outcomes, "class"),
        ("missing_fields_include", None, "field"),
    ):
        if key not in raw:
            continue
        if not isinstance(raw[key], list):
            problems.append(f"{where_of(raw, key)}: `{key}` must be a list")
            continue
        for value in raw[key]:
            if allowed is not None and value not in allowed:
                problems.append(_bad_value(value, allowed, where_of(raw, key), what))
    return dict(raw)


def _check_expected_indicators(
    raw: LocatedDict, ruleset: RuleSet, where_of: Any, problems: list[str]
) -> None:
    """``expect.indicators``: a mapping from the standard's indicator ids to true, false or null."""
    indicators = raw.get("indicators", {})
    if not isinstance(indicators, dict):
        where = where_of(raw, "indicators")
        problems.append(f"{where}: `indicators` must be a mapping id -> true/false/null")
        return
    for key, value in indicators.items():
        if key not in ruleset.indicator_ids:
            where = where_of(indicators, key)
            problems.append(_unknown_key(key, ruleset.indicator_ids, where, "indicator"))
        elif value not in (True, False, None):
            problems.append(f"{where_of(indicators, key)}: indicator `{key}` must be true, false or null")


def _check_expected_groups(raw: LocatedDict, ruleset: RuleSet, where_of: Any, problems: list[str]) -> None:
    """``expect.groups``: {group id of the standard: {eligible: true/false/null, count, members}}."""
    if "groups" not in raw:
        return
    groups = raw["groups"]
    if not isinstance(groups, dict):
        problems.append(
            f"{where_of(raw, 'groups')}: `groups` must be a mapping group id -> {{eligible: ...}}"
        )
        return
    group_ids = tuple(g.id for g in ruleset.groups)
    for group_id, expected in groups.items():
        where = where_of(groups, group_id)
        if group_id not in group_ids:
            problems.append(_unknown_key(str(group_id), group_ids, where, "group"))
            continue
        if not isinstance(expected, dict):
            problems.append(
                f"{where}: group `{group_id}` must be a mapping with `eligible` (and `count`, `members`)"
            )
            continue
        for key in expected:
            if key not in GROUP_KEYS:
                problems.append(_unknown_key(str(key), GROUP_KEYS, where_of(expected, key), "group"))
        if "eligible" not in expected:
            problems.append(f"{where}: group `{group_id}` needs `eligible` (true, false or null)")
        elif expected["eligible"] is not None and not isinstance(expected["eligible"], bool):
            problems.append(f"{where_of(expected, 'eligible')}: `eligible` must be true, false or null")
        count = expected.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            problems.append(f"{where_of(expected, 'count')}: `count` must be a whole number or null")
        members = expected.get("members", [])
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            problems.append(f"{where_of(expected, 'members')}: `members` must be a list of member ids")


def _bad_value(value: Any, allowed: tuple[str, ...], where: str, what: str) -> str:
    hint = did_you_mean(str(value), allowed)
    return f"{where}: unknown {what} {value!r}" + (
        f"; did you mean {hint!r}?" if hint else f"; allowed: {', '.join(allowed)}"
    )


# --------------------------------------------------------------------------------------------------
# Comparing


def actual_for(
    expect: Mapping[str, Any], result: Classification, groups: Sequence[GroupResult] = ()
) -> dict[str, Any]:
    """The result projected onto the keys (and indicator ids, group ids) the case asserts, in the same
    shape; ``groups`` is what classifier.groups.evaluate_groups says for the household and result."""
    actual: dict[str, Any] = {}
    for key in expect:
        if key == "classification":
            actual[key] = result.outcome
        elif key in ("deprivation_count", "unknown_count"):
            actual[key] = getattr(result, key)
        elif key == "indicators":
            by_id = {r.id: r.deprived for r in result.indicators}
            actual[key] = {i: by_id.get(i) for i in expect[key]}
        elif key == "fired_rules":
            actual[key] = list(result.fired_rules)
        elif key == "possible_outcomes":
            actual[key] = list(result.possible_outcomes)
        elif key == "method":
            actual[key] = result.method
        elif key == "groups":
            by_group = {g.group: g for g in groups}
            actual[key] = {
                group_id: _actual_group(wanted, by_group.get(group_id))
                for group_id, wanted in expect[key].items()
            }
        elif key == "missing_fields_include":
            # Only the asserted fields that are present: a passing assertion then diffs clean; the full
            # list is in the summary under the diff.
            present = set(result.missing_fields)
            actual[key] = [f for f in expect[key] if f in present]
    return actual


def _actual_group(wanted: Mapping[str, Any], found: GroupResult | None) -> dict[str, Any] | None:
    """One group's result in the shape of its expectation (members sorted when the case lists them)."""
    if found is None:  # the standard has no such group (refused when the case was parsed)
        return None
    shown: dict[str, Any] = {"eligible": found.eligible}
    if "count" in wanted:
        shown["count"] = found.count
    if "members" in wanted:
        shown["members"] = sorted(found.members)
    return shown


def _expected_group(wanted: Mapping[str, Any]) -> dict[str, Any]:
    """One group's expectation with its members sorted (they are compared as a set)."""
    return {**wanted, **({"members": sorted(wanted["members"])} if "members" in wanted else {})}


def _matches(key: str, expected: Any, actual: Any, result: Classification) -> bool:
    if key in ("fired_rules", "possible_outcomes"):
        return sorted(expected) == sorted(actual)
    if key == "groups":
        return all(actual[g] == _expected_group(wanted) for g, wanted in expected.items())
    if key == "missing_fields_include":
        return set(expected) <= set(result.missing_fields)
    return bool(expected == actual)


def compare(
    expect: Mapping[str, Any], result: Classification, groups: Sequence[GroupResult] = ()
) -> str | None:
    """None when the result satisfies ``expect``; else a unified diff of expect vs actual."""
    actual = actual_for(expect, result, groups)
    if all(_matches(k, expect[k], actual[k], result) for k in expect):
        return None
    left = yaml.safe_dump(_plain(expect), allow_unicode=True, sort_keys=False).splitlines()
    right = yaml.safe_dump(_plain(actual), allow_unicode=True, sort_keys=False).splitlines()
    return "\n".join(difflib.unified_diff(left, right, "expect", "actual", lineterm="", n=20))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def summarize(result: Classification, groups: Sequence[GroupResult] = ()) -> str:
    """Every indicator's verdict and source, the result's counts and the groups asserted (eligibility,
    count, reason), for context under the diff."""
    lines = [
        f"actual: {result.outcome} (deprivations {result.deprivation_count}, unknown {result.unknown_count}, "
        f"fired {list(result.fired_rules)}, possible {list(result.possible_outcomes)}, "
        f"income {result.income_per_capita_month}, reference date {result.reference_date})",
        f"missing fields: {', '.join(result.missing_fields) or '(none)'}",
    ]
    for r in result.indicators:
        verdict = {True: "deprived", False: "not deprived", None: "unknown"}[r.deprived]
        extra = f" by {', '.join(r.triggered_by)}" if r.triggered_by else ""
        extra += f"; missing {', '.join(r.missing)}" if r.missing else ""
        lines.append(f"  {r.id:<20} {verdict} ({r.source}){extra}")
    for g in groups:
        eligible = {True: "eligible", False: "not eligible", None: "unknown"}[g.eligible]
        reason = f"; {g.reason}" if g.reason else ""
        lines.append(f"  group {g.group}: {eligible}, count {g.count}{reason}")
    return "\n".join(lines)
