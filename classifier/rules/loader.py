"""Load a rule folder strictly: structure first, then meaning, every problem reported at once.

A standard lives in ``rules/<id>/`` as four files:

- ``standard.yaml``       identity, validity, classes, provisions not modelled, optional ``inherits``
- ``parameters.yaml``     legal numbers and lists, each with citation, validity and ``verified``
- ``indicators.yaml``     the deprivation indicators as condition trees
- ``classification.yaml`` the classification rules as condition trees, or as a table (one row per
                          class × area, expanded into the same rules: see ``classifier.rules.table``)

An overlay (a provincial standard) names its parent in ``inherits`` and its files replace or add
entries by id; ``remove:`` in standard.yaml drops indicators or rules of the parent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from classifier.errors import RuleFileError, RuleProblem
from classifier.model import CANNOT_CLASSIFY
from classifier.rules.conditions import KINDS, Condition
from classifier.rules.derived import parse_formula
from classifier.rules.ruleset import (
    Citation,
    ClassRule,
    FactCatalogue,
    FactSpec,
    Group,
    Indicator,
    NotModelled,
    OutcomeClass,
    Parameter,
    RuleSet,
)
from classifier.rules.schema import Problems, did_you_mean
from classifier.rules.table import expand_table
from classifier.rules.yamlload import LocatedDict, LocatedList, display_path, line_of, load_yaml_file

__all__ = ["load_facts", "load_ruleset_dir"]

RULE_FILES = ("standard.yaml", "parameters.yaml", "indicators.yaml", "classification.yaml")
STATUSES = ("in_force", "provisional")
FACT_TYPES = ("bool", "integer", "number", "enum", "date", "string")
CITATION_KEYS = ("instrument", "article", "clause", "point", "appendix", "item", "wording_vi", "source")


def _canonical(value: Any) -> Any:
    """Plain JSON-able form of loaded YAML, for the content digest."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _digest(parts: Mapping[str, Any]) -> str:
    blob = json.dumps(_canonical(dict(parts)), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------
# Fact catalogue


def load_facts(path: Path) -> FactCatalogue:
    """Load ``rules/facts.yaml`` (the data contract). Raises RuleFileError listing every problem."""
    data, found = load_yaml_file(path, display_path(path))
    problems = Problems(display_path(path))
    problems.items.extend(found)
    tables: dict[str, dict[str, FactSpec]] = {"household": {}, "member": {}, "classification": {}}
    root = problems.mapping(data, "the fact catalogue", 1) if data is not None else None
    if root is not None:
        problems.keys(
            root,
            ("contract", "household", "member", "derived", "classification"),
            ("contract", "household", "member", "classification"),
            "facts.yaml",
        )
        for level in ("household", "member", "classification"):
            section = problems.mapping(root.get(level, LocatedDict()), level, line_of(root, level))
            for name, spec in (section or {}).items():
                fact = _fact_spec(name, level, spec, problems, derived=False)
                if fact is not None:
                    tables[level][name] = fact
        derived = problems.mapping(root.get("derived", LocatedDict()), "derived", line_of(root, "derived"))
        for level in ("household", "member"):
            derived_level: dict[str, Any] = (derived.get(level) if derived is not None else None) or {}
            for name, spec in derived_level.items():
                fact = _fact_spec(name, level, spec, problems, derived=True)
                if fact is not None and name in tables[level]:
                    # An answer that may also be derived (age from birth_date): its spec, plus the formula.
                    tables[level][name] = attrs.evolve(tables[level][name], formula=fact.formula)
                elif fact is not None:
                    tables[level][name] = fact
    for level in ("household", "member", "classification"):
        for fact in tables[level].values():
            for needed in (*fact.inputs, *(fact.formula.inputs() if fact.formula is not None else ())):
                if needed not in tables[level]:
                    hint = did_you_mean(needed, tables[level])
                    problems.add(
                        None,
                        f"derived fact {fact.name!r}: unknown input {needed!r}",
                        fact.name,
                        f"did you mean {hint!r}?" if hint else None,
                    )
    if problems.items:
        raise RuleFileError(problems.items)
    return FactCatalogue(
        household=tables["household"],
        member=tables["member"],
        classification=tables["classification"],
        digest=_digest({"facts": data}),
    )


def _fact_spec(name: str, level: str, spec: Any, problems: Problems, derived: bool) -> FactSpec | None:
    spec = problems.mapping(spec, f"fact {name!r}", None, name)
    if spec is None:
        return None
    problems.keys(
        spec,
        (
            "type",
            "values",
            "min",
            "max",
            "label_vi",
            "label_en",
            "aliases",
            "description",
            "value_labels_vi",
            "from",
            "inputs",
            "formula",
        ),
        ("type",),
        f"fact {name!r}",
        name,
    )
    ftype = spec.get("type")
    if ftype not in FACT_TYPES:
        problems.add(
            line_of(spec, "type"), f"fact type {ftype!r} is not one of {', '.join(FACT_TYPES)}", name
        )
        return None
    values = tuple(str(v) for v in (spec.get("values") or ()))
    if ftype == "enum" and not values:
        problems.add(spec.line, "an enum fact needs a list of values", name)
    formula = None
    if "formula" in spec:
        formula, problem = parse_formula(spec["formula"])
        if problem:
            problems.add(line_of(spec, "formula"), f"fact {name!r}: {problem}", name)
    return FactSpec(
        formula=formula,
        name=name,
        level=level,
        type=ftype,
        values=values,
        minimum=spec.get("min"),
        maximum=spec.get("max"),
        label_vi=spec.get("label_vi"),
        label_en=spec.get("label_en"),
        aliases=tuple(str(a) for a in (spec.get("aliases") or ())),
        value_labels_vi=dict(spec.get("value_labels_vi") or {}),
        derived=derived,
        inputs=tuple(str(i) for i in (spec.get("inputs") or ())),
    )


def _cited(
    spec: LocatedDict, citation: Any, verified: Any, start: Any, end: Any, cond: Any, used: set[str]
) -> dict[str, Any]:
    """The fields an indicator, a classification rule and a group share, from their checked parts."""
    return {
        "citation": citation,
        "verified": bool(verified),
        "valid_from": start,
        "valid_to": end,
        "condition": cond,
        "wording_vi": spec.get("wording_vi"),
        "note": spec.get("note"),
        "provisional": bool(spec.get("provisional", False)),
        "params": tuple(sorted(used)),
    }


# --------------------------------------------------------------------------------------------------
# Rule folders


class _FolderLoader:
    """Builds one RuleSet from one folder (and its parent), gathering problems across files."""

    def __init__(self, folder: Path, facts: FactCatalogue, parent: RuleSet | None) -> None:
        self.folder = folder
        self.facts = facts
        self.parent = parent
        self.problems: list[RuleProblem] = []
        self.raw: dict[str, Any] = {}
        # Files that exist (or are required) but could not be read as a mapping, and parameters that
        # are declared but broken: references to them are not reported again as "unknown" (the cause
        # is already reported), which would bury one mistake under dozens of misleading messages.
        self.broken_files: set[str] = set()
        self.broken_params: set[str] = set()
        # How many references were left unreported for that reason (see _not_dropped_silently).
        self.deferred = 0

    def _file(self, name: str, required: bool) -> tuple[LocatedDict | None, Problems]:
        path = self.folder / name
        problems = Problems(display_path(path))
        if not path.exists() and not path.is_symlink():  # a looping or dangling link is read (and reported)
            if required:
                problems.add(None, f"missing file {name} (a rule folder needs {', '.join(RULE_FILES)})")
                self.broken_files.add(name)
            # Not added to self.problems here: every caller adds its Problems' items (it appeared twice).
            return None, problems
        data, found = load_yaml_file(path, problems.file)
        problems.items.extend(found)
        self.raw[name] = data
        # A document that is just ``~`` loads as None with no YAML problem: it must not pass as "empty".
        root = problems.mapping(data, name, 1) if (data is not None or not found) else None
        if root is None:
            self.broken_files.add(name)
        return root, problems

    def _not_dropped_silently(
        self,
        p: Problems,
        before: tuple[int, int],
        line: int | None,
        what: str,
        rule_id: str,
    ) -> None:
        """An entry that was not built must have a problem saying why (here or, deferred, elsewhere)."""
        if len(p.items) == before[0] and self.deferred == before[1]:
            p.add(line, f"{what} {rule_id!r} could not be loaded", rule_id)

    # -- shared pieces ---------------------------------------------------------------------------

    def _citation(
        self,
        data: LocatedDict,
        p: Problems,
        rule_id: str | None,
        line: int | None = None,
    ) -> Citation | None:
        raw = data.get("citation")
        if raw is None:
            p.add(
                line if line is not None else data.line,
                "missing citation (every rule, parameter and indicator cites its clause)",
                rule_id,
                "give at least instrument and article (or appendix)",
            )
            return None
        cit = p.mapping(raw, "citation", line_of(data, "citation"), rule_id)
        if cit is None:
            return None
        p.keys(cit, CITATION_KEYS, ("instrument",), "citation", rule_id, line_of(data, "citation"))
        if not (cit.get("article") or cit.get("appendix")):
            p.add(
                line_of(data, "citation"),
                "citation needs an article or an appendix",
                rule_id,
                f"allowed keys: {', '.join(CITATION_KEYS)}",
            )

        def text(key: str) -> str | None:
            return str(cit[key]) if cit.get(key) is not None else None

        return Citation(
            instrument=str(cit.get("instrument", "")),
            article=text("article"),
            clause=text("clause"),
            point=text("point"),
            appendix=text("appendix"),
            item=text("item"),
            wording_vi=text("wording_vi"),
            source=text("source"),
        )

    def _validity(
        self,
        data: LocatedDict,
        p: Problems,
        rule_id: str | None,
        std_from: dt.date | None,
        std_to: dt.date | None,
    ) -> tuple[dt.date | None, dt.date | None]:
        # A missing valid_from is reported by the required-key check of the caller.
        start = p.date(data, "valid_from", rule_id)
        end = p.date(data, "valid_to", rule_id, nullable=True)
        if start and end and end < start:
            # An inverted range necessarily misses the standard's years too: say the cause only.
            p.add(line_of(data, "valid_to"), f"valid_to {end} is before valid_from {start}", rule_id)
            return start, end
        if start and std_from and (start > std_from):
            p.add(
                line_of(data, "valid_from"),
                f"valid_from {start} starts after the standard ({std_from}): some list years would lack it",
                rule_id,
            )
        if end and std_to and end < std_to:
            p.add(
                line_of(data, "valid_to"),
                f"valid_to {end} ends before the standard ({std_to}): some list years would lack it",
                rule_id,
            )
        return start, end

    def _removals_known(
        self, kind: str, removed: set[str], inherited: Iterable[Indicator | ClassRule]
    ) -> None:
        """A ``remove:`` of standard.yaml naming no inherited entry is reported (a misspelt removal must
        not be ignored silently)."""
        for gone in removed - {entry.id for entry in inherited}:
            message = f"remove: {kind} {gone!r} is not in the parent standard"
            self.problems.append(RuleProblem(display_path(self.folder / "standard.yaml"), None, message))

    # -- standard.yaml ---------------------------------------------------------------------------

    def load(self) -> RuleSet | None:
        std, sp = self._file("standard.yaml", required=True)
        std_id = self.folder.name
        title_vi = title_en = ""
        status = "in_force"
        std_from: dt.date | None = None
        std_to: dt.date | None = None
        classes: dict[str, OutcomeClass] = dict(self.parent.classes) if self.parent else {}
        not_modelled: list[NotModelled] = []
        removals: dict[str, set[str]] = {"indicators": set(), "rules": set()}
        instrument: dict[str, Any] = {}
        if std is not None:
            sp.keys(
                std,
                (
                    "id",
                    "title_vi",
                    "title_en",
                    "instrument",
                    "status",
                    "valid_from",
                    "valid_to",
                    "inherits",
                    "classes",
                    "not_modelled",
                    "remove",
                    "note",
                    "list_year_rule",
                ),
                (
                    "id",
                    "title_vi",
                    "title_en",
                    "status",
                    "valid_from",
                    "classes" if not self.parent else "id",
                ),
                "standard.yaml",
            )
            declared = sp.text(std, "id")
            if declared and declared != self.folder.name:
                sp.add(
                    line_of(std, "id"), f"id {declared!r} differs from the folder name {self.folder.name!r}"
                )
            std_id = declared or std_id
            title_vi = sp.text(std, "title_vi") or ""
            title_en = sp.text(std, "title_en") or ""
            status = std.get("status", "in_force")
            if status not in STATUSES:
                hint = did_you_mean(str(status), STATUSES)
                sp.add(
                    line_of(std, "status"),
                    f"status {status!r} is not one of {', '.join(STATUSES)}",
                    hint=f"did you mean {hint!r}?" if hint else None,
                )
                status = "in_force"
            std_from = sp.date(std, "valid_from")
            std_to = sp.date(std, "valid_to", nullable=True)
            if std_from and std_to and std_to < std_from:
                sp.add(line_of(std, "valid_to"), f"valid_to {std_to} is before valid_from {std_from}")
            instrument = dict(std.get("instrument") or {})
            self._classes(std, sp, classes)
            for i, item in enumerate(std.get("not_modelled") or []):
                item = sp.mapping(item, "not_modelled entry", line_of(std.get("not_modelled"), i))
                if item is None:
                    continue
                sp.keys(
                    item, ("provision", "reason", "citation"), ("provision", "reason"), "not_modelled entry"
                )
                citation = self._citation(item, sp, None) if "citation" in item else None
                not_modelled.append(
                    NotModelled(str(item.get("provision")), str(item.get("reason")), citation)
                )
            if "remove" in std:
                rem = sp.mapping(std["remove"], "remove", line_of(std, "remove"))
                if rem is not None:
                    sp.keys(rem, ("indicators", "rules"), (), "remove")
                    for kind in ("indicators", "rules"):
                        removals[kind] = {str(x) for x in (rem.get(kind) or [])}
            if self.parent:
                std_from = std_from or self.parent.valid_from
                std_to = std_to if "valid_to" in std else self.parent.valid_to
                not_modelled = list(self.parent.not_modelled) + not_modelled
        self.problems.extend(sp.items)
        self.std_from, self.std_to = std_from, std_to
        # Without a readable standard.yaml the classes are unknown: do not call every rule's class unknown.
        self.classes_known = std is not None

        parameters = self._parameters()
        indicators = self._indicators(parameters, removals["indicators"])
        rules = self._rules(parameters, classes, removals["rules"])
        if self.problems:
            return None
        parent_digest = self.parent.digest if self.parent else ""
        digest = _digest({"files": self.raw, "facts": self.facts.digest, "parent": parent_digest})
        warnings: list[str] = []
        if status == "provisional":
            warnings.append(f"{std_id} is a provisional standard: some of its content is not confirmed law")
        return RuleSet(
            id=std_id,
            title_vi=title_vi,
            title_en=title_en,
            status=status,
            valid_from=std_from or dt.date.min,
            valid_to=std_to,
            classes=classes,
            parameters=parameters,
            indicators=tuple(sorted(indicators.values(), key=lambda i: i.number)),
            rules=tuple(rules.values()),
            score_rules=tuple(self.score_rules.values()),
            groups=tuple(self.groups.values()),
            not_modelled=tuple(not_modelled),
            facts=self.facts,
            digest=digest,
            source_dir=self.folder,
            inherits=self.parent.id if self.parent else None,
            instrument=instrument,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _same_as(spec: LocatedDict, p: Problems, cid: str) -> dict[str, str]:
        """``same_as: {other standard id: its class id}``: the classes that mean the same (a relabel)."""
        raw = spec.get("same_as")
        if raw is None:
            return {}
        table = p.mapping(raw, "same_as", line_of(spec, "same_as"), cid)
        out: dict[str, str] = {}
        for std_id, other in (table or {}).items():
            if not isinstance(other, str) or not other:
                p.add(line_of(table, std_id), f"same_as {std_id!r} must name one class id", cid)
                continue
            out[str(std_id)] = other
        return out

    def _classes(self, std: LocatedDict, sp: Problems, classes: dict[str, OutcomeClass]) -> None:
        """The classes of standard.yaml, added to (or replacing) the parent's in ``classes``."""
        raw_classes = std.get("classes")
        if raw_classes is not None:
            cls_map = sp.mapping(raw_classes, "classes", line_of(std, "classes"))
            for cid, spec in (cls_map or {}).items():
                spec = sp.mapping(spec, f"class {cid!r}", line_of(cls_map, cid), cid)
                if spec is None:
                    continue
                sp.keys(
                    spec,
                    ("label_vi", "label_en", "rank", "citation", "same_as", "note"),
                    ("label_vi", "label_en", "rank"),
                    f"class {cid!r}",
                    cid,
                )
                rank = sp.integer(spec, "rank", cid)
                citation = self._citation(spec, sp, cid) if "citation" in spec else None
                classes[cid] = OutcomeClass(
                    cid,
                    str(spec.get("label_vi", cid)),
                    str(spec.get("label_en", cid)),
                    rank if rank is not None else 99,
                    citation,
                    self._same_as(spec, sp, cid),
                    str(spec["note"]) if spec.get("note") is not None else None,
                )

    # -- parameters.yaml -------------------------------------------------------------------------

    def _parameters(self) -> dict[str, Parameter]:
        params: dict[str, Parameter] = dict(self.parent.parameters) if self.parent else {}
        root, p = self._file("parameters.yaml", required=self.parent is None)
        if root is not None:
            p.keys(root, ("parameters",), ("parameters",), "parameters.yaml")
            section = p.mapping(
                root.get("parameters", LocatedDict()), "parameters", line_of(root, "parameters")
            )
            for pid, spec in (section or {}).items():
                at = line_of(section, pid)
                before = (len(p.items), self.deferred)
                spec = p.mapping(spec, f"parameter {pid!r}", at, pid)
                if spec is None:
                    self.broken_params.add(pid)
                    continue
                # citation is not in the required list: _citation reports it with a better message.
                p.keys(
                    spec,
                    (
                        "value",
                        "unit",
                        "citation",
                        "verified",
                        "valid_from",
                        "valid_to",
                        "label_vi",
                        "label_en",
                        "note",
                        "provisional",
                        "amendment",
                    ),
                    ("value", "verified", "valid_from"),
                    f"parameter {pid!r}",
                    pid,
                    at,
                )
                citation = self._citation(spec, p, pid, at)
                verified = p.boolean(spec, "verified", pid)
                # An amendment's entry (e.g. Nghị định 30/2025/NĐ-CP) starts on its own date, inside the
                # standard's years: list years before it lack it by design.
                start, end = self._validity(
                    spec, p, pid, None if spec.get("amendment") else self.std_from, self.std_to
                )
                value = spec.get("value")
                if isinstance(value, LocatedList):
                    value = tuple(value)
                if "value" in spec and value is None:
                    p.add(line_of(spec, "value"), "a parameter value must not be empty (null)", pid)
                if citation and start and verified is not None and value is not None:
                    params[pid] = Parameter(
                        pid,
                        value,
                        spec.get("unit"),
                        citation,
                        verified,
                        start,
                        end,
                        spec.get("label_vi"),
                        spec.get("label_en"),
                        spec.get("note"),
                        bool(spec.get("provisional", False)),
                    )
                else:
                    self.broken_params.add(pid)
                    self._not_dropped_silently(p, before, at, "parameter", pid)
        self.problems.extend(p.items)
        return params

    # -- conditions ------------------------------------------------------------------------------

    def _condition(
        self,
        node: Any,
        level: str,
        params: Mapping[str, Parameter],
        p: Problems,
        rule_id: str,
        line: int | None,
        used: set[str],
    ) -> Condition | None:
        """Parse one condition tree (each kind parses itself, see conditions.KINDS)."""
        return _ConditionParser(self, params, p, rule_id, used).condition(node, level, line)

    def _when(
        self, spec: LocatedDict, key: str, level: str, params: Mapping[str, Parameter], p: Problems, eid: str
    ) -> tuple[Condition | None, set[str]]:
        """The condition under ``key`` (None when absent: the required-key check reports it) and the
        parameters it reads."""
        used: set[str] = set()
        if key not in spec:
            return None, used
        return self._condition(spec[key], level, params, p, eid, line_of(spec, key), used), used

    def _operand(
        self,
        data: LocatedDict,
        params: Mapping[str, Parameter],
        p: Problems,
        rule_id: str,
        used: set[str],
    ) -> tuple[Any, str | None]:
        if ("value" in data) == ("param" in data):
            p.add(data.line, "give exactly one of 'value' or 'param'", rule_id)
            return None, None
        if "param" in data:
            pid = str(data["param"])
            if pid not in params and (pid in self.broken_params or "parameters.yaml" in self.broken_files):
                # Declared but broken, or parameters.yaml unreadable: the cause is reported already.
                self.deferred += 1
                return None, None
            if pid not in params:
                hint = did_you_mean(pid, params)
                p.add(
                    line_of(data, "param"),
                    f"unknown parameter {pid!r}",
                    rule_id,
                    f"did you mean {hint!r}?" if hint else "define it in parameters.yaml",
                )
                return None, None
            used.add(pid)
            return params[pid].value, pid
        value = data["value"]
        if value is None:
            p.add(
                line_of(data, "value"),
                "'value' must not be empty (null)",
                rule_id,
                "an unknown answer is never written in a rule; compare with a real value",
            )
            return None, None
        if isinstance(value, LocatedList):
            value = tuple(value)
        return value, None

    # -- indicators.yaml -------------------------------------------------------------------------

    def _indicators(self, params: Mapping[str, Parameter], removed: set[str]) -> dict[str, Indicator]:
        indicators: dict[str, Indicator] = {}
        if self.parent:
            indicators = {i.id: i for i in self.parent.indicators if i.id not in removed}
        root, p = self._file("indicators.yaml", required=self.parent is None)
        if root is not None:
            p.keys(root, ("indicators",), ("indicators",), "indicators.yaml")
            section = p.mapping(
                root.get("indicators", LocatedDict()), "indicators", line_of(root, "indicators")
            )
            number_lines: dict[str, int | None] = {}
            for iid, spec in (section or {}).items():
                at = line_of(section, iid)
                before = (len(p.items), self.deferred)
                spec = p.mapping(spec, f"indicator {iid!r}", at, iid)
                if spec is None:
                    continue
                p.keys(
                    spec,
                    (
                        "number",
                        "service_vi",
                        "service_en",
                        "label_vi",
                        "label_en",
                        "citation",
                        "verified",
                        "valid_from",
                        "valid_to",
                        "deprived_when",
                        "wording_vi",
                        "note",
                        "provisional",
                    ),
                    (
                        "number",
                        "service_vi",
                        "service_en",
                        "label_vi",
                        "label_en",
                        "verified",
                        "valid_from",
                        "deprived_when",
                    ),
                    f"indicator {iid!r}",
                    iid,
                    at,
                )
                number_lines[iid] = line_of(spec, "number")
                citation = self._citation(spec, p, iid, at)
                verified = p.boolean(spec, "verified", iid)
                number = p.integer(spec, "number", iid)
                start, end = self._validity(spec, p, iid, self.std_from, self.std_to)
                cond, used = self._when(spec, "deprived_when", "household", params, p, iid)
                if citation is None or verified is None or number is None or start is None or cond is None:
                    self._not_dropped_silently(p, before, at, "indicator", iid)
                    continue
                indicators[iid] = Indicator(
                    id=iid,
                    number=number or 0,
                    service_vi=str(spec["service_vi"]),
                    service_en=str(spec["service_en"]),
                    label_vi=str(spec["label_vi"]),
                    label_en=str(spec["label_en"]),
                    **_cited(spec, citation, verified, start, end, cond, used),
                )
            numbers: dict[int, str] = {}
            for ind in indicators.values():
                if ind.number in numbers:
                    p.add(
                        number_lines.get(ind.id) or line_of(section, ind.id),
                        f"indicator number {ind.number} is used by both "
                        f"{numbers[ind.number]!r} and {ind.id!r}",
                        ind.id,
                    )
                numbers[ind.number] = ind.id
        self._removals_known("indicator", removed, self.parent.indicators if self.parent else ())
        self.problems.extend(p.items)
        return indicators

    # -- classification.yaml ---------------------------------------------------------------------

    def _rules(
        self,
        params: Mapping[str, Parameter],
        classes: Mapping[str, OutcomeClass],
        removed: set[str],
    ) -> dict[str, ClassRule]:
        rules: dict[str, ClassRule] = {}
        if self.parent:
            rules = {r.id: r for r in self.parent.rules if r.id not in removed}
        root, p = self._file("classification.yaml", required=self.parent is None)
        self.score_rules: dict[str, ClassRule] = {}
        self.groups: dict[str, Group] = {}
        if root is not None:
            p.keys(root, ("table", "rules", "score_rules", "groups"), (), "classification.yaml")
            self._rules_and_table(root, p, params, classes, rules)
            if "score_rules" in root:
                # Thông tư 07/2021/TT-BLĐTBXH's score method: never inherited by an overlay (the cut-offs
                # belong to one standard), given only where a source states them.
                scored = p.mapping(root["score_rules"], "score_rules", line_of(root, "score_rules"))
                self._rule_section(scored, p, params, classes, self.score_rules, score=True)
            if "groups" in root:
                section = p.mapping(root["groups"], "groups", line_of(root, "groups"))
                self._groups(section, p, params, classes)
        self._removals_known("rule", removed, self.parent.rules if self.parent else ())
        self.problems.extend(p.items)
        return rules

    def _rules_and_table(
        self,
        root: LocatedDict,
        p: Problems,
        params: Mapping[str, Parameter],
        classes: Mapping[str, OutcomeClass],
        rules: dict[str, ClassRule],
    ) -> None:
        """``table`` (one row per class × area, see rules/table.py) and/or ``rules`` into ``rules``.

        The table's rows are expanded into the very entries the ``rules`` form would hold and built by
        the same code, so both forms give identical rules. An id in both is a problem.
        """
        if "rules" not in root and "table" not in root:
            p.add(
                root.line,
                "missing required key 'rules' in classification.yaml",
                hint="or give the income classification as a 'table' (one row per class × area)",
            )
        if "table" in root:
            table = p.mapping(root["table"], "table", line_of(root, "table"))
            if table is not None:
                self._rule_section(
                    expand_table(table, p, line_of(root, "table")), p, params, classes, rules, score=False
                )
        if "rules" in root:
            section = p.mapping(root["rules"], "rules", line_of(root, "rules"))
            rows = root["table"].get("rows") if isinstance(root.get("table"), LocatedDict) else None
            for rid in section or {}:
                if isinstance(rows, LocatedDict) and rid in rows:
                    p.add(line_of(section, rid), f"rule {rid!r} is both a table row and a rule", rid)
            self._rule_section(section, p, params, classes, rules, score=False)

    def _groups(
        self,
        section: LocatedDict | None,
        p: Problems,
        params: Mapping[str, Parameter],
        classes: Mapping[str, OutcomeClass],
    ) -> None:
        """``groups``: reported beside the class (see ruleset.Group)."""
        for gid, spec in (section or {}).items():
            at = line_of(section, gid)
            before = (len(p.items), self.deferred)
            spec = p.mapping(spec, f"group {gid!r}", at, gid)
            if spec is None:
                continue
            p.keys(
                spec,
                (
                    "level",
                    "label_vi",
                    "label_en",
                    "classes",
                    "answer",
                    "when",
                    "wording_vi",
                    "citation",
                    "verified",
                    "valid_from",
                    "valid_to",
                    "note",
                    "amendment",
                ),
                ("level", "label_vi", "label_en", "classes", "when", "verified", "valid_from"),
                f"group {gid!r}",
                gid,
                at,
            )
            level = spec.get("level")
            if level not in ("member", "household"):
                p.add(line_of(spec, "level"), f"group level {level!r} must be member or household", gid)
            raw = spec.get("classes")
            wanted = tuple(str(c) for c in raw) if isinstance(raw, LocatedList) else ()
            for cls in wanted:
                if cls not in classes and not self.classes_known:
                    self.deferred += 1  # standard.yaml is unreadable: its problem says why
                elif cls not in classes:
                    p.add(line_of(spec, "classes"), f"unknown class {cls!r}", gid)
            answer = spec.get("answer")
            spec_answer = self.facts.household.get(str(answer)) if answer is not None else None
            if answer is not None and (spec_answer is None or spec_answer.type != "bool"):
                p.add(line_of(spec, "answer"), f"answer {answer!r} must be a yes/no household fact", gid)
            citation = self._citation(spec, p, gid, at)
            verified = p.boolean(spec, "verified", gid)
            start, end = self._validity(
                spec, p, gid, None if spec.get("amendment") else self.std_from, self.std_to
            )
            cond, used = self._when(spec, "when", "classification", params, p, gid)
            broken = len(p.items) > before[0]
            if citation is None or verified is None or start is None or cond is None or broken:
                self._not_dropped_silently(p, before, at, "group", gid)
                continue
            self.groups[gid] = Group(
                id=gid,
                level=str(level),
                label_vi=str(spec["label_vi"]),
                label_en=str(spec["label_en"]),
                classes=wanted,
                answer=str(answer) if answer is not None else None,
                **_cited(spec, citation, verified, start, end, cond, used),
            )

    def _rule_section(
        self,
        section: LocatedDict | None,
        p: Problems,
        params: Mapping[str, Parameter],
        classes: Mapping[str, OutcomeClass],
        rules: dict[str, ClassRule],
        *,
        score: bool,
    ) -> None:
        """The rules of one section (``rules`` or ``score_rules``) into ``rules``.

        A score rule may leave the class open among several (``classes: [...]``): the score then
        says only which classes remain possible (the middle band is not decided by score).
        """
        for rid, spec in (section or {}).items():
            at = line_of(section, rid)
            before = (len(p.items), self.deferred)
            spec = p.mapping(spec, f"rule {rid!r}", at, rid)
            if spec is None:
                continue
            keys = (
                "class",
                "citation",
                "verified",
                "valid_from",
                "valid_to",
                "when",
                "wording_vi",
                "note",
                "provisional",
            )
            p.keys(
                spec,
                (*keys, "classes") if score else keys,
                ("verified", "valid_from", "when") if score else ("class", "verified", "valid_from", "when"),
                f"rule {rid!r}",
                rid,
                at,
            )
            possible: tuple[str, ...] = ()
            if score and ("class" in spec) == ("classes" in spec):
                p.add(at, "a score rule needs exactly one of 'class' or 'classes'", rid)
                outcome: Any = None
            elif score and "classes" in spec:
                raw = spec["classes"]
                possible = tuple(str(c) for c in raw) if isinstance(raw, LocatedList) else ()
                if len(possible) < 2:
                    p.add(line_of(spec, "classes"), "'classes' lists two or more classes still possible", rid)
                outcome = CANNOT_CLASSIFY
            else:
                outcome = spec.get("class")
            for cls in possible or ((outcome,) if outcome is not None else ()):
                if cls not in classes and not self.classes_known:
                    self.deferred += 1  # standard.yaml is unreadable: its problem says why
                    outcome = None
                elif cls not in classes:
                    hint = did_you_mean(str(cls), classes)
                    p.add(
                        line_of(spec, "classes" if possible else "class"),
                        f"unknown class {cls!r}",
                        rid,
                        f"did you mean {hint!r}?" if hint else f"classes: {', '.join(classes)}",
                    )
                    outcome = None
            citation = self._citation(spec, p, rid, at)
            verified = p.boolean(spec, "verified", rid)
            start, end = self._validity(spec, p, rid, self.std_from, self.std_to)
            cond, used = self._when(spec, "when", "classification", params, p, rid)
            if outcome is None or citation is None or verified is None or start is None or cond is None:
                self._not_dropped_silently(p, before, at, "rule", rid)
                continue
            rules[rid] = ClassRule(
                id=rid,
                outcome=str(outcome),
                **_cited(spec, citation, verified, start, end, cond, used),
                possible=possible,
            )


def load_ruleset_dir(folder: Path, facts: FactCatalogue, parent: RuleSet | None = None) -> RuleSet:
    """Load and check one rule folder. Raises RuleFileError with every problem found."""
    # Imported here: checks needs the engine-independent evaluator, which needs this module's types.
    from classifier.rules.checks import check_ruleset

    loader = _FolderLoader(folder, facts, parent)
    ruleset = loader.load()
    if ruleset is None:
        raise RuleFileError(loader.problems)
    problems = check_ruleset(ruleset, loader.raw)
    if problems:
        raise RuleFileError(problems)
    return ruleset


class _ConditionParser:
    """What a condition kind's ``parse`` needs from the loader (conditions.Parser), for one rule."""

    def __init__(
        self,
        loader: _FolderLoader,
        params: Mapping[str, Parameter],
        p: Problems,
        rule_id: str,
        used: set[str],
    ) -> None:
        self.loader, self.params, self.problems, self.rule_id, self.used = loader, params, p, rule_id, used

    def condition(self, node: Any, level: str, line: int | None) -> Condition | None:
        data = self.problems.mapping(node, "a condition", line, self.rule_id)
        if data is None:
            return None
        kinds = [k for k in KINDS if k in data]
        if len(kinds) != 1:
            self.problems.add(
                data.line,
                f"a condition must have exactly one of: {', '.join(KINDS)} "
                f"(found {', '.join(kinds) or 'none'})",
                self.rule_id,
            )
            return None
        return KINDS[kinds[0]].parse(data, self, level)

    def operand(self, data: LocatedDict, ftype: str) -> tuple[Any, str | None]:
        return self.loader._operand(data, self.params, self.problems, self.rule_id, self.used)

    def facts_at(self, level: str) -> Mapping[str, FactSpec]:
        facts = self.loader.facts
        if level == "member":
            return {**facts.household, **facts.member}
        return dict(facts.household if level == "household" else facts.classification)
