"""Reading a survey file under a rules folder: the one place that decides how its headers are read.

Every command that reads a households file (``classify``, ``explain``, ``groups``, ``diff``, ``report``,
``papers``, ``report measures --input``, ``round import``; the batch pipeline through
:func:`survey_columns`) reads it through here, with the column map and indicator keys of the rules
folder it classifies with (``--rules-dir``, else the bundled one). A header that a user's facts.yaml
declares as an alias, or a flag of an indicator only a user's standard has, then reads the same in every
command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from classifier.errors import RecordError
from classifier.io.columns import ColumnMap, default_column_map, known_indicator_keys
from classifier.io.readers import read_records
from classifier.io.records import RawRecord, parse_records
from classifier.model import Household
from classifier.rules.ruleset import RuleSet

__all__ = ["read_survey", "survey_columns"]


def survey_columns(rules_root: Path | None) -> tuple[ColumnMap, frozenset[str]]:
    """The column map and the accepted indicator keys of survey files under ``rules_root`` (None: the
    bundled rules): facts.yaml's names, labels and aliases, and the indicators of every standard there."""
    root = Path(rules_root) if rules_root else None
    return default_column_map(root), known_indicator_keys(root)


def read_survey(
    path: str | Path,
    ruleset: RuleSet,
    *,
    rules_root: Path | None,
    members_path: str | Path | None = None,
    reference_date: dt.date | None = None,
    notices: list[str] | None = None,
) -> Iterator[tuple[RawRecord, Household | list[RecordError]]]:
    """Every record of ``path`` (with ``members_path``), read with the columns of ``rules_root`` (the
    folder ``ruleset`` was loaded from; required so that no caller falls back to the bundled map by
    omission) and typed with ``ruleset``'s fact catalogue, lazily, in file order.

    File-level problems raise InputError here, before the first record; ``notices`` and
    ``reference_date`` as in :func:`read_records` / :func:`parse_records`.
    """
    columns, keys = survey_columns(rules_root)
    records = read_records(path, members_path=members_path, columns=columns, notices=notices)
    return parse_records(records, catalogue=ruleset.facts, indicator_keys=keys, reference_date=reference_date)
