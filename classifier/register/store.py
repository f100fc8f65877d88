"""The register: review rounds, households across rounds, their answers, results and change log.

A :class:`Register` wraps one database (SQLite file or PostgreSQL). Every write goes through it, so
every change to a household's answers is in the append-only change log, and every write of a
household checks its ``version`` (optimistic concurrency: a second writer holding an old version is
told to reload, never silently overwrites).

Answers are stored as the household's data-contract record (JSON), exactly what a file would give;
classifying re-reads that record with the same parser as the command line, so the register never
holds a value the parser would refuse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from classifier.api import load_standard, resolve_reference_date
from classifier.engine import get_engine
from classifier.errors import ChuanNgheoError, InputError, RecordError
from classifier.explain.json import render_json
from classifier.io import known_indicator_keys, parse_record
from classifier.io.admin import admin_catalogue
from classifier.io.survey import read_survey
from classifier.model import Household
from classifier.register import schema as s
from classifier.register.db import database_url, make_engine, upgrade
from classifier.rules.ruleset import RuleSet

__all__ = [
    "KINDS",
    "ChangeEntry",
    "ClassifySummary",
    "ImportSummary",
    "Register",
    "RegisterError",
    "RoundHousehold",
    "RoundInfo",
    "StaleVersionError",
    "household_record",
]

#: Kinds of review round: the yearly periodic review, and a monthly regular review (a request).
KINDS = ("periodic", "regular")
STATUSES = ("open", "classified", "closed")
Progress = Callable[[int, int | None], None]


class RegisterError(ChuanNgheoError):
    """A register operation that cannot be done as asked (unknown round, closed round, bad reason...)."""

    exit_code = 2


class StaleVersionError(RegisterError):
    """Someone else changed the household since it was read: reload it and apply the change again."""

    exit_code = 1

    def __init__(self, code: str, expected: int, actual: int) -> None:
        self.code = code
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"household {code} was changed by someone else (it is now at version {actual}, your copy is "
            f"version {expected}): reload it and apply your change again"
        )


@attrs.frozen
class RoundInfo:
    """One review round."""

    id: int
    name: str
    year: int
    kind: str
    standard: str
    rules_digest: str
    reference_date: dt.date
    status: str


@attrs.frozen
class RoundHousehold:
    """A household in one round: its answers (the data-contract record), place, version, latest result."""

    code: str
    record_id: str
    round: str
    answers: Mapping[str, Any]
    place: Mapping[str, str]
    area: str | None
    member_count: int | None
    version: int
    outcome: str | None = None  # the latest result's outcome (None: not classified yet)
    indicators: Mapping[str, bool | None] = attrs.field(factory=dict)
    deprivation_count: int | None = None
    unknown_count: int | None = None
    rules_digest: str | None = None
    results: int = 0  # how many results are kept for this household in this round
    #: Whether the latest result was computed from the answers as they are now (False: answers edited
    #: since, or never classified: run ``round classify``).
    current: bool = False

    @property
    def admin(self) -> Mapping[str, Any]:
        """The administrative fields of the record (rules/admin.yaml)."""
        names = admin_catalogue().household
        return {k: v for k, v in self.answers.items() if k in names}

    @classmethod
    def of_rows(cls, row: Any, round_name: str, result: Any | None, count: int) -> RoundHousehold:
        """From a ``round_households`` row with ``code``, its latest result row (or None) and their count."""
        return cls(
            code=row.code,
            record_id=row.record_id,
            round=round_name,
            answers=row.answers,
            place={k: getattr(row, k) for k in ("province", "commune", "village") if getattr(row, k)},
            area=row.area,
            member_count=row.member_count,
            version=row.version,
            outcome=None if result is None else result.outcome,
            indicators={} if result is None else result.indicators,
            deprivation_count=None if result is None else result.deprivation_count,
            unknown_count=None if result is None else result.unknown_count,
            rules_digest=None if result is None else result.rules_digest,
            results=int(count),
            current=result is not None and result.answers_digest == row.answers_digest,
        )


@attrs.frozen
class ImportSummary:
    """What an import did: households added, changed, left unchanged, and the records refused."""

    added: int
    changed: int
    unchanged: int
    errors: tuple[RecordError, ...]


@attrs.frozen
class ClassifySummary:
    """What a classification did: new results, households whose result was already current, outcomes."""

    classified: int
    current: int
    failed: int
    outcomes: Mapping[str, int]
    errors: tuple[RecordError, ...] = ()


@attrs.frozen
class ChangeEntry:
    """One line of the change log."""

    at: dt.datetime
    who: str
    round: str | None
    household: str | None
    field: str
    old: Any
    new: Any
    reason: str


# -- records ------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def household_record(household: Household) -> dict[str, Any]:
    """The data-contract record of a typed household (what a JSON input file would hold).

    Typed values become their canonical spelling (codes, ISO dates), so the record reads back to an
    equal Household and two imports of the same answers give the same record.
    """
    record: dict[str, Any] = {"id": household.id}
    record.update({k: household.place[k] for k in sorted(household.place)})
    if household.area is not None:
        record["area"] = household.area
    if household.income_per_capita_month is not None:
        record["income_per_capita_month"] = household.income_per_capita_month
    if household.member_count is not None:
        record["member_count"] = household.member_count
    if household.reference_date is not None:
        record["reference_date"] = household.reference_date.isoformat()
    record.update({k: _jsonable(household.facts[k]) for k in sorted(household.facts)})
    record.update({k: _jsonable(household.admin[k]) for k in sorted(household.admin)})
    if household.flags:
        record["deprivations"] = {k: household.flags[k] for k in sorted(household.flags)}
    if household.members:
        members = []
        for member in household.members:
            item: dict[str, Any] = {} if member.member_id is None else {"id": member.member_id}
            item.update({k: _jsonable(member.facts[k]) for k in sorted(member.facts)})
            item.update({k: _jsonable(member.admin[k]) for k in sorted(member.admin)})
            members.append(item)
        record["members"] = members
    return record


def _digest(record: Mapping[str, Any]) -> str:
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _flatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """``{"members[2].name": ..., "deprivations.water_source": ..., "area": ...}`` for the change log."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "members" and isinstance(value, list):
            for index, member in enumerate(value, start=1):
                for mkey, mvalue in member.items():
                    flat[f"members[{index}].{mkey}"] = mvalue
        elif key == "deprivations" and isinstance(value, Mapping):
            for fkey, fvalue in value.items():
                flat[f"deprivations.{fkey}"] = fvalue
        else:
            flat[key] = value
    return flat


def _set_path(record: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, with None, remove) one answer by its change-log path."""
    if path.startswith("members["):
        index_text, _, key = path[len("members[") :].partition("].")
        members = record.get("members")
        if not index_text.isdigit() or not key or not isinstance(members, list):
            raise RegisterError(f"{path!r}: expected members[<n>].<field> of a listed member")
        index = int(index_text)
        if not 1 <= index <= len(members):
            raise RegisterError(f"{path!r}: the household has {len(members)} member(s)")
        target: dict[str, Any] = members[index - 1]
    elif path.startswith("deprivations."):
        target = record.setdefault("deprivations", {})
        key = path[len("deprivations.") :]
    else:
        target, key = record, path
    if key in ("id",) and target is record:
        raise RegisterError("the household id cannot be edited; import the household under its new id")
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _row_values(record: dict[str, Any], digest: str) -> dict[str, Any]:
    """The round_households columns taken from a record (place, area, member count, answers)."""
    members = record.get("members")
    return {
        "record_id": record["id"],
        "province": record.get("province"),
        "commune": record.get("commune"),
        "village": record.get("village"),
        "area": record.get("area"),
        "member_count": len(members) if isinstance(members, list) and members else record.get("member_count"),
        "answers": record,
        "answers_digest": digest,
    }


def stored_household(
    answers: Mapping[str, Any], round_name: str, ruleset: RuleSet, keys: frozenset[str]
) -> Household | list[RecordError]:
    """A record kept in round ``round_name`` read back as the engine sees it (the parser of an import)."""
    return parse_record(
        answers, row=None, source=f"round {round_name}", catalogue=ruleset.facts, indicator_keys=keys
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


# -- the register -------------------------------------------------------------------------------------


class Register:
    """One register database. ``Register.open(db="register.sqlite")`` or ``Register.open(db_url=...)``.

    The schema is migrated to the newest revision when the register is opened.
    """

    def __init__(self, engine: Engine, *, migrate: bool = True) -> None:
        self.engine = engine
        if migrate:
            upgrade(engine)

    @classmethod
    def open(cls, db: str | Path | None = None, db_url: str | None = None) -> Register:
        """Open (and create or migrate) the register at ``db`` (SQLite file) or ``db_url``."""
        return cls(make_engine(database_url(db, db_url)))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- rounds ---------------------------------------------------------------------------------------

    def new_round(
        self,
        name: str,
        *,
        year: int,
        kind: str = "periodic",
        standard: str | RuleSet = "nd-07-2021",
        reference_date: dt.date,
        who: str,
        rules_root: Path | None = None,
    ) -> RoundInfo:
        """Open a new review round under ``standard`` (its rule digest is recorded with the round)."""
        if kind not in KINDS:
            raise RegisterError(f"round kind {kind!r}: expected one of {', '.join(KINDS)}")
        if not name.strip():
            raise RegisterError("a round needs a name, e.g. 2026")
        ruleset = load_standard(standard, rules_root)
        with self.engine.begin() as conn:
            if conn.execute(select(s.rounds.c.id).where(s.rounds.c.name == name)).first():
                raise RegisterError(f"a round named {name!r} already exists (see `chuan-ngheo round status`)")
            conn.execute(
                insert(s.rounds).values(
                    name=name,
                    year=year,
                    kind=kind,
                    standard=ruleset.id,
                    rules_digest=ruleset.digest,
                    reference_date=reference_date,
                    status="open",
                    created_at=_now(),
                    created_by=who,
                )
            )
            log_change(
                conn,
                who,
                self._round_id(conn, name),
                None,
                "round",
                None,
                {
                    "name": name,
                    "year": year,
                    "kind": kind,
                    "standard": ruleset.id,
                    "rules_digest": ruleset.digest,
                    "reference_date": reference_date.isoformat(),
                },
                "new round",
            )
        return self.round(name)

    def _round_id(self, conn: Connection, name: str) -> int:
        row = conn.execute(select(s.rounds.c.id).where(s.rounds.c.name == name)).first()
        if row is None:
            known = [r.name for r in self.rounds()]
            listed = ", ".join(known) if known else "none yet: create one with `chuan-ngheo round new`"
            raise RegisterError(f"no review round named {name!r} in the register (rounds: {listed})")
        return int(row[0])

    def round(self, name: str) -> RoundInfo:
        """The round named ``name`` (RegisterError if there is none)."""
        with self.engine.connect() as conn:
            return self._round_row(conn, name)

    def rounds(self) -> list[RoundInfo]:
        """Every round, oldest first (by year, then by creation)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.rounds).order_by(s.rounds.c.year, s.rounds.c.id)).all()
        return [_round_info(r) for r in rows]

    def set_status(self, name: str, status: str, *, who: str, reason: str) -> RoundInfo:
        """Move a round to ``open``, ``classified`` or ``closed`` (a closed round refuses changes)."""
        if status not in STATUSES:
            raise RegisterError(f"round status {status!r}: expected one of {', '.join(STATUSES)}")
        with self.engine.begin() as conn:
            info = self._round_row(conn, name)
            conn.execute(update(s.rounds).where(s.rounds.c.id == info.id).values(status=status))
            log_change(conn, who, info.id, None, "round.status", info.status, status, reason)
        return self.round(name)

    def _round_row(self, conn: Connection, name: str) -> RoundInfo:
        return _round_info(
            conn.execute(select(s.rounds).where(s.rounds.c.id == self._round_id(conn, name))).one()
        )

    def _open_round(self, conn: Connection, name: str) -> RoundInfo:
        info = self._round_row(conn, name)
        if info.status == "closed":
            raise RegisterError(f"round {name!r} is closed: its answers and results can no longer change")
        return info

    # -- the change log -------------------------------------------------------------------------------

    def change_log(self, round_name: str | None = None, code: str | None = None) -> list[ChangeEntry]:
        """The change log, oldest first, optionally of one round and/or one household."""
        query = (
            select(s.change_log, s.rounds.c.name.label("round_name"), s.households.c.code)
            .outerjoin(s.rounds, s.rounds.c.id == s.change_log.c.round_id)
            .outerjoin(s.households, s.households.c.id == s.change_log.c.household_id)
            .order_by(s.change_log.c.id)
        )
        if round_name is not None:
            query = query.where(s.rounds.c.name == round_name)
        if code is not None:
            query = query.where(s.households.c.code == code)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            ChangeEntry(
                at=r.at,
                who=r.who,
                round=r.round_name,
                household=r.code,
                field=r.field,
                old=None if r.old is None else json.loads(r.old),
                new=None if r.new is None else json.loads(r.new),
                reason=r.reason,
            )
            for r in rows
        ]

    # -- households -----------------------------------------------------------------------------------

    def _household_id(self, conn: Connection, code: str, create: bool) -> int | None:
        row = conn.execute(select(s.households.c.id).where(s.households.c.code == code)).first()
        if row is not None:
            return int(row[0])
        if not create:
            return None
        key = conn.execute(insert(s.households).values(code=code)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def import_households(
        self,
        round_name: str,
        households: Iterable[Household],
        *,
        who: str,
        reason: str,
        progress: Progress | None = None,
        total: int | None = None,
    ) -> ImportSummary:
        """Add or update households in a round; the same answers again change nothing."""
        added = changed = unchanged = 0
        pending: list[tuple[str, dict[str, Any], str]] = []  # new to the round: inserted in batches
        seen: dict[str, str] = {}
        errors: list[RecordError] = []
        rh = s.round_households
        with self.engine.begin() as conn:
            info = self._open_round(conn, round_name)
            # One query for what the round holds, so an unchanged household costs no statement at all.
            existing = {
                r.code: r.answers_digest
                for r in conn.execute(
                    select(s.households.c.code, rh.c.answers_digest)
                    .join(rh, rh.c.household_id == s.households.c.id)
                    .where(rh.c.round_id == info.id)
                )
            }
            for done, household in enumerate(households, start=1):
                code = household.code
                if code in seen:
                    errors.append(
                        RecordError(
                            household.id,
                            "household_code",
                            code,
                            f"a household code not used by another record of the file "
                            f"(record {seen[code]} has it)",
                        )
                    )
                    continue
                seen[code] = household.id
                record = household_record(household)
                digest = _digest(record)
                if code not in existing:
                    pending.append((code, record, digest))
                    added += 1
                    if len(pending) >= 500:
                        self._add_many(conn, info, pending, who, reason)
                        pending.clear()
                elif existing[code] == digest:
                    unchanged += 1
                else:
                    self._put(conn, info, code, record, who, reason)
                    changed += 1
                if progress is not None:
                    progress(done, total)
            self._add_many(conn, info, pending, who, reason)
            if added or changed:
                self._reopen(conn, info, who, reason)
        return ImportSummary(added, changed, unchanged, tuple(errors))

    def _reopen(self, conn: Connection, info: RoundInfo, who: str, reason: str) -> None:
        """A classified round whose answers changed is open again until it is classified again."""
        if info.status == "classified":
            conn.execute(update(s.rounds).where(s.rounds.c.id == info.id).values(status="open"))
            log_change(conn, who, info.id, None, "round.status", "classified", "open", reason)

    def _add_many(
        self,
        conn: Connection,
        info: RoundInfo,
        rows: list[tuple[str, dict[str, Any], str]],
        who: str,
        reason: str,
    ) -> None:
        """Insert households new to the round in a few statements (executemany), each with its log line."""
        if not rows:
            return
        h = s.households
        codes = [code for code, _, _ in rows]
        ids = {r.code: r.id for r in conn.execute(select(h.c.code, h.c.id).where(h.c.code.in_(codes)))}
        missing = [{"code": code} for code in codes if code not in ids]
        if missing:
            conn.execute(insert(h), missing)
            ids = {r.code: r.id for r in conn.execute(select(h.c.code, h.c.id).where(h.c.code.in_(codes)))}
        now = _now()
        try:
            conn.execute(
                insert(s.round_households),
                [
                    {
                        "round_id": info.id,
                        "household_id": ids[code],
                        "version": 1,
                        **_row_values(record, digest),
                        "updated_at": now,
                        "updated_by": who,
                    }
                    for code, record, digest in rows
                ],
            )
        except IntegrityError:  # another writer added one of them first
            raise StaleVersionError(codes[0], 0, 1) from None
        conn.execute(
            insert(s.change_log),
            [
                {
                    "at": now,
                    "who": who,
                    "round_id": info.id,
                    "household_id": ids[code],
                    "field": "household",
                    "old": None,
                    "new": _json_text(record["id"]),
                    "reason": reason,
                }
                for code, record, _ in rows
            ],
        )

    def _put(
        self,
        conn: Connection,
        info: RoundInfo,
        code: str,
        record: dict[str, Any],
        who: str,
        reason: str,
        expected_version: int | None = None,
    ) -> str:
        digest = _digest(record)
        household_id = self._household_id(conn, code, create=True)
        assert household_id is not None
        rh = s.round_households
        row = conn.execute(
            select(rh).where(and_(rh.c.round_id == info.id, rh.c.household_id == household_id))
        ).first()
        values = dict(**_row_values(record, digest), updated_at=_now(), updated_by=who)
        if row is None:  # a household new to the round is added by _add_many, never here
            raise RegisterError(f"household {code} is not in round {info.name}")
        if expected_version is not None and row.version != expected_version:
            raise StaleVersionError(code, expected_version, row.version)
        if row.answers_digest == digest:
            return "unchanged"
        result = conn.execute(
            update(rh)
            .where(and_(rh.c.id == row.id, rh.c.version == row.version))
            .values(version=row.version + 1, **values)
        )
        if result.rowcount != 1:
            current = conn.execute(select(rh.c.version).where(rh.c.id == row.id)).scalar_one()
            raise StaleVersionError(code, row.version, int(current))
        before, after = _flatten(row.answers), _flatten(record)
        for field in sorted(set(before) | set(after)):
            if before.get(field) != after.get(field):
                log_change(
                    conn, who, info.id, household_id, field, before.get(field), after.get(field), reason
                )
        return "changed"

    def import_file(
        self,
        round_name: str,
        path: str | Path,
        *,
        members_path: str | Path | None = None,
        who: str,
        rules_root: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import a households file (any input format of ``classify``) into a round.

        Records with problems are not imported and come back in ``errors`` (with record, row, field and
        what was expected; personal values are never included); the others are imported.
        """
        info = self.round(round_name)
        ruleset = load_standard(info.standard, rules_root)
        errors: list[RecordError] = []

        def good() -> Iterator[Household]:
            for _record, result in read_survey(
                path, ruleset, rules_root=rules_root, members_path=members_path
            ):
                if isinstance(result, list):
                    errors.extend(result)
                else:
                    yield result

        summary = self.import_households(
            round_name, good(), who=who, reason=f"import {Path(path).name}", progress=progress
        )
        return attrs.evolve(summary, errors=(*errors, *summary.errors))

    def household(self, round_name: str, code: str) -> RoundHousehold:
        """One household of a round, with its latest result."""
        found = self.households(round_name, codes=[code])
        if not found:
            raise RegisterError(f"household {code} is not in round {round_name}")
        return found[0]

    def households(self, round_name: str, codes: Sequence[str] | None = None) -> list[RoundHousehold]:
        """The households of a round (ordered by code), each with its latest result."""
        rh, res = s.round_households, s.results
        with self.engine.connect() as conn:
            round_id = self._round_id(conn, round_name)
            query = (
                select(rh, s.households.c.code)
                .join(s.households, s.households.c.id == rh.c.household_id)
                .where(rh.c.round_id == round_id)
                .order_by(s.households.c.code)
            )
            if codes is not None:
                query = query.where(s.households.c.code.in_(list(codes)))
            rows = conn.execute(query).all()
            latest_query = (
                select(
                    res.c.round_household_id, func.max(res.c.id).label("id"), func.count(res.c.id).label("n")
                )
                .join(rh, rh.c.id == res.c.round_household_id)
                .where(rh.c.round_id == round_id)
                .group_by(res.c.round_household_id)
            )
            if codes is not None:  # only these households' results (one household's page reads one row)
                latest_query = latest_query.where(res.c.round_household_id.in_([r.id for r in rows]))
            latest = latest_query.subquery()
            result_rows = {
                r.round_household_id: (r, r.n)
                for r in conn.execute(select(res, latest.c.n).join(latest, latest.c.id == res.c.id)).all()
            }
        return [RoundHousehold.of_rows(row, round_name, *result_rows.get(row.id, (None, 0))) for row in rows]

    def typed_households(self, round_name: str, *, rules_root: Path | None = None) -> list[Household]:
        """The households of a round as the engine sees them (each record re-read by the parser).

        For reports and papers built on the public API (e.g. ``classifier.report.reportset.classify_round``).
        A record the rules of today refuse raises InputError listing every problem.
        """
        info = self.round(round_name)
        ruleset = load_standard(info.standard, rules_root)
        keys = known_indicator_keys(rules_root)
        typed: list[Household] = []
        errors: list[RecordError] = []
        for kept in self.households(round_name):
            parsed = stored_household(kept.answers, round_name, ruleset, keys)
            if isinstance(parsed, list):
                errors.extend(parsed)
            else:
                typed.append(parsed)
        if errors:
            raise InputError(
                f"round {round_name}: {len(errors)} stored record(s) no longer read: {errors[0]}", errors
            )
        return typed

    def update_answers(
        self,
        round_name: str,
        code: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        who: str,
        reason: str,
        rules_root: Path | None = None,
    ) -> RoundHousehold:
        """Change some answers of one household, with a reason; refused if its version moved on.

        ``changes`` maps a change-log path (``floor_area_m2``, ``members[2].has_health_insurance``,
        ``deprivations.water_source``, ``head_name``) to the new value (None: unknown). The edited
        record must pass the same checks as an imported one (InputError listing the problems).
        """
        if not reason.strip():
            raise RegisterError("a change needs a reason (it is written to the change log)")
        current = self.household(round_name, code)
        record = json.loads(json.dumps(current.answers))
        for path, value in changes.items():
            _set_path(record, path, value)
        info = self.round(round_name)
        ruleset = load_standard(info.standard, rules_root)
        parsed = stored_household(record, round_name, ruleset, known_indicator_keys(rules_root))
        if isinstance(parsed, list):
            raise InputError(f"household {code}: the change was not saved: {parsed[0]}", parsed)
        with self.engine.begin() as conn:
            self._open_round(conn, round_name)
            record = household_record(parsed)
            if (
                self._put(conn, info, code, record, who, reason, expected_version=expected_version)
                == "changed"
            ):
                self._reopen(conn, self._round_row(conn, round_name), who, reason)
        return self.household(round_name, code)

    def record_departure(self, round_name: str, code: str, reason: str, *, who: str) -> None:
        """Record why a household of an earlier round is not in round ``round_name`` (khác giảm)."""
        reasons = admin_catalogue().departure_reasons
        if reason not in reasons:
            raise RegisterError(f"departure reason {reason!r}: expected one of {', '.join(reasons)}")
        with self.engine.begin() as conn:
            info = self._open_round(conn, round_name)
            household_id = self._household_id(conn, code, create=False)
            if household_id is None:
                raise RegisterError(f"household {code} is in no round of the register")
            rh = s.round_households
            if conn.execute(
                select(rh.c.id).where(and_(rh.c.round_id == info.id, rh.c.household_id == household_id))
            ).first():
                raise RegisterError(f"household {code} is in round {round_name}: it did not leave")
            d = s.departures
            old = conn.execute(
                select(d).where(and_(d.c.round_id == info.id, d.c.household_id == household_id))
            ).first()
            if old is not None:
                if old.reason == reason:
                    return
                conn.execute(
                    update(d)
                    .where(d.c.id == old.id)
                    .values(reason=reason, recorded_at=_now(), recorded_by=who)
                )
            else:
                conn.execute(
                    insert(d).values(
                        round_id=info.id,
                        household_id=household_id,
                        reason=reason,
                        recorded_at=_now(),
                        recorded_by=who,
                    )
                )
            log_change(
                conn,
                who,
                info.id,
                household_id,
                "departure",
                None if old is None else old.reason,
                reason,
                "departure recorded",
            )

    def departures(self, round_name: str) -> dict[str, str]:
        """Household code -> recorded departure reason, for round ``round_name``."""
        d = s.departures
        with self.engine.connect() as conn:
            round_id = self._round_id(conn, round_name)
            rows = conn.execute(
                select(s.households.c.code, d.c.reason)
                .join(s.households, s.households.c.id == d.c.household_id)
                .where(d.c.round_id == round_id)
            ).all()
        return {r.code: r.reason for r in rows}

    # -- classification -------------------------------------------------------------------------------

    def classify(
        self,
        round_name: str,
        *,
        who: str,
        engine: str = "durable",
        trace: bool = True,
        rules_root: Path | None = None,
        progress: Progress | None = None,
    ) -> ClassifySummary:
        """Classify every household of the round under the round's standard, as the rules are now.

        A household whose latest result has the same rule digest and answers is left as is. When the
        rules (or the answers) changed, a new result is added beside the earlier ones, never over them.
        The round's rules digest is updated to the one used, with a line in the change log.
        """
        info = self.round(round_name)
        ruleset = load_standard(info.standard, rules_root)
        keys = known_indicator_keys(rules_root)
        rh, res = s.round_households, s.results
        classified = current = failed = 0
        outcomes: Counter[str] = Counter()
        errors: list[RecordError] = []
        runner = get_engine(engine, ruleset)
        pending: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            self._open_round(conn, round_name)
            rows = conn.execute(
                select(rh.c.id, rh.c.answers, rh.c.answers_digest)
                .where(rh.c.round_id == info.id)
                .order_by(rh.c.id)
            ).all()
            done_keys = {
                (r.round_household_id, r.answers_digest)
                for r in conn.execute(
                    select(res.c.round_household_id, res.c.answers_digest)
                    .join(rh, rh.c.id == res.c.round_household_id)
                    .where(and_(rh.c.round_id == info.id, res.c.rules_digest == ruleset.digest))
                ).all()
            }
            total = len(rows)
            for done, row in enumerate(rows, start=1):
                if progress is not None:
                    progress(done, total)
                # Checked before parsing: a result under this digest (which covers facts.yaml) means the
                # answers parsed then, so an edit re-classifies one household, not the whole round.
                if (row.id, row.answers_digest) in done_keys:
                    current += 1
                    continue
                household = stored_household(row.answers, round_name, ruleset, keys)
                if isinstance(household, list):  # a record the rules of today refuse (facts.yaml changed)
                    failed += 1
                    errors.extend(household)
                    continue
                result = runner.classify(
                    household, resolve_reference_date(household, info.reference_date), trace
                )
                pending.append(
                    {
                        "round_household_id": row.id,
                        "standard": ruleset.id,
                        "rules_digest": ruleset.digest,
                        "answers_digest": row.answers_digest,
                        "outcome": result.outcome,
                        "provisional": result.provisional,
                        "income_per_capita_month": result.income_per_capita_month,
                        "deprivation_count": result.deprivation_count,
                        "unknown_count": result.unknown_count,
                        "indicators": {i.id: i.deprived for i in result.indicators},
                        "trace": render_json(result) if trace else None,
                        "classified_at": _now(),
                        "classified_by": who,
                    }
                )
                classified += 1
                if len(pending) >= 500:
                    conn.execute(insert(res), pending)
                    pending.clear()
            if pending:
                conn.execute(insert(res), pending)
            if info.rules_digest != ruleset.digest:
                conn.execute(
                    update(s.rounds).where(s.rounds.c.id == info.id).values(rules_digest=ruleset.digest)
                )
                log_change(
                    conn,
                    who,
                    info.id,
                    None,
                    "round.rules_digest",
                    info.rules_digest,
                    ruleset.digest,
                    "classified under changed rules",
                )
            if info.status == "open" and not failed:
                conn.execute(update(s.rounds).where(s.rounds.c.id == info.id).values(status="classified"))
        with self.engine.connect() as conn:
            latest = (
                select(func.max(res.c.id).label("id"))
                .join(rh, rh.c.id == res.c.round_household_id)
                .where(rh.c.round_id == info.id)
                .group_by(res.c.round_household_id)
                .subquery()
            )
            outcomes.update(
                {
                    r.outcome: r.n
                    for r in conn.execute(
                        select(res.c.outcome, func.count().label("n"))
                        .join(latest, latest.c.id == res.c.id)
                        .group_by(res.c.outcome)
                    )
                }
            )
        return ClassifySummary(classified, current, failed, dict(outcomes), tuple(errors))

    def results_history(self, round_name: str, code: str) -> list[dict[str, Any]]:
        """Every result kept for one household in one round, oldest first (rule digest, outcome, when)."""
        rh, res = s.round_households, s.results
        with self.engine.connect() as conn:
            round_id = self._round_id(conn, round_name)
            rows = conn.execute(
                select(res)
                .join(rh, rh.c.id == res.c.round_household_id)
                .join(s.households, s.households.c.id == rh.c.household_id)
                .where(and_(rh.c.round_id == round_id, s.households.c.code == code))
                .order_by(res.c.id)
            ).all()
        return [
            {
                "rules_digest": r.rules_digest,
                "answers_digest": r.answers_digest,
                "outcome": r.outcome,
                "deprivation_count": r.deprivation_count,
                "classified_at": r.classified_at,
                "trace": r.trace,
            }
            for r in rows
        ]

    # -- settings -------------------------------------------------------------------------------------

    def pseudonym_key(self) -> bytes:
        """The register's secret key for pseudonyms (made once, kept in the register).

        ``CHUAN_NGHEO_PSEUDONYM_KEY`` (hex) overrides it, e.g. to give two registers the same pseudonyms.
        """
        env = os.environ.get("CHUAN_NGHEO_PSEUDONYM_KEY")
        if env:
            return bytes.fromhex(env)
        with self.engine.begin() as conn:
            row = conn.execute(select(s.settings.c.value).where(s.settings.c.key == "pseudonym_key")).first()
            if row is not None:
                return bytes.fromhex(row[0])
            key = secrets.token_hex(32)
            with contextlib.suppress(IntegrityError):  # two first exports at once: the other key stays
                conn.execute(insert(s.settings).values(key="pseudonym_key", value=key))
        return self.pseudonym_key()


def log_change(
    conn: Connection,
    who: str,
    round_id: int | None,
    household_id: int | None,
    field: str,
    old: Any,
    new: Any,
    reason: str,
) -> None:
    """A line in the register's append-only change log (old and new values as JSON text)."""
    conn.execute(
        insert(s.change_log).values(
            at=_now(),
            who=who,
            round_id=round_id,
            household_id=household_id,
            field=field,
            old=_json_text(old),
            new=_json_text(new),
            reason=reason,
        )
    )


def _round_info(row: Any) -> RoundInfo:
    return RoundInfo(
        id=row.id,
        name=row.name,
        year=row.year,
        kind=row.kind,
        standard=row.standard,
        rules_digest=row.rules_digest,
        reference_date=row.reference_date,
        status=row.status,
    )
