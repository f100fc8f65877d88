"""Groups reported beside the class (rule data: ``groups`` in a standard's classification.yaml).

Nghị định 30/2025/NĐ-CP (amending Nghị định 07/2021 Art. 3 cl. 2) adds the low-income worker: a member
of a household that is neither poor nor near-poor with income per person at most the rural / urban
figure. Quyết định 24/2021/QĐ-TTg's middle-living agricultural household is a middle-living household
working in agriculture, forestry, fishery or salt making (an answer: how it is tested was not found).
Neither is a class. This module says, for a classified household, whether it (or which of its members)
is *eligible*; who applies is not the engine's business. Everything it compares comes from the rule data;
the verdict is three-valued like the rest (unknown when the class, the income or the answer is unknown).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import attrs

from classifier.engine.common import classification_facts
from classifier.errors import InputError
from classifier.model import CANNOT_CLASSIFY, Classification, Household
from classifier.rules.conditions import EvalContext, Scope
from classifier.rules.ruleset import Group, RuleSet

__all__ = ["GroupResult", "evaluate_groups", "groups_file"]


@attrs.frozen
class GroupResult:
    """One group for one household: eligible (True / False / None = unknown), and for a member-level
    group the eligible members (their ids; ``count`` is the declared member count of a flags-only record)."""

    group: str
    level: str
    label_vi: str
    label_en: str
    eligible: bool | None
    members: tuple[str, ...] = ()
    count: int | None = None
    reason: str = ""


def _and(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _class_holds(group: Group, result: Classification) -> bool | None:
    if result.outcome != CANNOT_CLASSIFY:
        return result.outcome in group.classes
    possible = set(result.possible_outcomes)
    if possible and possible <= set(group.classes):
        return True
    if possible and not possible & set(group.classes):
        return False
    return None


def _one(group: Group, household: Household, result: Classification, ruleset: RuleSet) -> GroupResult:
    def make(
        eligible: bool | None, members: tuple[str, ...] = (), count: int | None = None, reason: str = ""
    ) -> GroupResult:
        return GroupResult(
            group.id, group.level, group.label_vi, group.label_en, eligible, members, count, reason
        )

    day = result.reference_date
    if day < group.valid_from or (group.valid_to is not None and day > group.valid_to):
        return make(None, reason=f"not in force on {day.isoformat()}")
    facts = classification_facts(household, ruleset.facts)
    verdict = group.condition.compile(Scope("classification")).verdict(EvalContext(household=facts), None, "")
    answer: bool | None = True
    if group.answer is not None:
        given = household.facts.get(group.answer)
        answer = None if given is None else bool(given)
    eligible = _and(_class_holds(group, result), verdict, answer)
    if group.level == "household" or not eligible:
        count = 1 if (eligible and group.level == "household") else (0 if eligible is False else None)
        return make(eligible, count=count)
    members = tuple(m.member_id or f"{household.id}-{i}" for i, m in enumerate(household.members, start=1))
    count = len(members) if members else household.member_count
    return make(
        True,
        members=members,
        count=count,
        reason="" if members else "members not listed: the declared member count",
    )


def evaluate_groups(household: Household, result: Classification, ruleset: RuleSet) -> Sequence[GroupResult]:
    """Every group of ``ruleset`` for one classified household, in the rule files' order."""
    return [_one(group, household, result, ruleset) for group in ruleset.groups]


def groups_file(
    input_path: Path,
    output_path: Path,
    *,
    ruleset: RuleSet,
    members_path: Path | None = None,
    reference_date: dt.date | None = None,
    engine: str = "durable",
    method: str = "auto",
    rules_root: Path | None = None,
) -> tuple[int, int, Path]:
    """`chuan-ngheo groups`: one row per household (its class, method, and per group eligible yes/no/unknown
    with the count) in ``output_path``, and one row per eligible member in ``<stem>.members.csv``.
    Records that cannot be read or classified get a row with their error (nothing dropped).
    Returns (households written, records with errors, members file)."""
    from classifier.api import classify
    from classifier.engine.score import check_method
    from classifier.io.outputs import OutputFiles
    from classifier.io.survey import read_survey
    from classifier.io.writers import excel_safe as neutralize_formula

    check_method(method, ruleset)
    groups = ruleset.groups
    members_out = output_path.with_name(f"{output_path.stem}.members.csv")
    head = ["id", "row", "classification", "method"]
    for g in groups:
        head += [g.id, f"{g.id}_count"]
    head.append("error")
    written = errored = 0
    # Same-path refusal, lock, unique temporary files, umask mode: as classify (classifier/io/outputs.py).
    with OutputFiles([output_path, members_out], [input_path, members_path]) as files:
        parsed = read_survey(
            input_path,
            ruleset,
            rules_root=rules_root,
            members_path=members_path,
            reference_date=reference_date,
        )
        with (
            files.temp(output_path).open("w", encoding="utf-8-sig", newline="") as hh_file,
            files.temp(members_out).open("w", encoding="utf-8-sig", newline="") as mem_file,
        ):
            hh = csv.writer(hh_file, lineterminator="\r\n")
            mem = csv.writer(mem_file, lineterminator="\r\n")
            hh.writerow(head)
            mem.writerow(["household_id", "member_id", "group", "label_vi"])
            no_result = ["", "", *[""] * (2 * len(groups))]  # classification, method, the group cells
            for record, item in parsed:
                written += 1
                raw_id = str((record.raw or {}).get("id", "")) if isinstance(record.raw, dict) else ""
                if not isinstance(item, Household):
                    errored += 1
                    hh.writerow([neutralize_formula(raw_id), record.row, *no_result, str(item[0])])
                    continue
                try:
                    result = classify(
                        item,
                        ruleset,
                        reference_date=reference_date,
                        engine=engine,
                        trace=False,
                        method=method,
                    )
                except InputError as exc:
                    errored += 1
                    error = exc.errors[0] if exc.errors else exc
                    hh.writerow([neutralize_formula(item.id), record.row, *no_result, str(error)])
                    continue
                cells: list[object] = [neutralize_formula(item.id), record.row, result.outcome, result.method]
                for found in evaluate_groups(item, result, ruleset):
                    cells += [
                        "" if found.eligible is None else int(found.eligible),
                        "" if found.count is None else found.count,
                    ]
                    for member_id in found.members:
                        mem.writerow(
                            [
                                neutralize_formula(item.id),
                                neutralize_formula(member_id),
                                found.group,
                                found.label_vi,
                            ]
                        )
                hh.writerow([*cells, ""])
        files.commit()
    return written, errored, members_out
