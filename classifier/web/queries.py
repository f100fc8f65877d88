"""Light read queries for the pages: one row per household with its latest result, without the answers.

The register's ``households()`` returns every answer of every household; a list page of a 3,000-household
commune needs only codes, places and results, so it reads those columns alone (the register's tables,
read-only; every write still goes through :class:`classifier.register.Register`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from classifier.register import RegisterError, RoundHousehold, RoundInfo
from classifier.register import schema as s
from classifier.web.db import MEETINGS, REQUESTS

__all__ = [
    "ListRow",
    "history",
    "household_rows",
    "meeting",
    "one_household",
    "previous_round_id",
    "requests_of",
    "village_names",
]


@attrs.frozen
class ListRow:
    """One line of a household list."""

    code: str
    record_id: str
    village: str | None
    area: str | None
    member_count: int | None
    version: int
    outcome: str | None
    deprivation_count: int | None
    unknown_count: int | None
    previous_outcome: str | None = None
    in_previous: bool = False
    request_received: dt.date | None = None

    @property
    def changed(self) -> bool:
        """New since the previous round, or another class than there."""
        return not self.in_previous or self.previous_outcome != self.outcome


def _latest(round_id: int) -> sa.Subquery:
    rh, res = s.round_households, s.results
    return (
        sa.select(res.c.round_household_id, sa.func.max(res.c.id).label("id"))
        .join(rh, rh.c.id == res.c.round_household_id)
        .where(rh.c.round_id == round_id)
        .group_by(res.c.round_household_id)
        .subquery()
    )


def _outcomes(conn: sa.Connection, round_id: int) -> list[Any]:
    rh, res, hh = s.round_households, s.results, s.households
    latest = _latest(round_id)
    query = (
        sa.select(
            hh.c.code,
            rh.c.record_id,
            rh.c.village,
            rh.c.area,
            rh.c.member_count,
            rh.c.version,
            res.c.outcome,
            res.c.deprivation_count,
            res.c.unknown_count,
        )
        .join(hh, hh.c.id == rh.c.household_id)
        .outerjoin(latest, latest.c.round_household_id == rh.c.id)
        .outerjoin(res, res.c.id == latest.c.id)
        .where(rh.c.round_id == round_id)
        .order_by(hh.c.code)
    )
    return list(conn.execute(query).all())


def previous_round_id(conn: sa.Connection, round_id: int) -> int | None:
    """The round before ``round_id`` (by year, then creation), or None."""
    rounds = conn.execute(sa.select(s.rounds.c.id).order_by(s.rounds.c.year, s.rounds.c.id)).scalars().all()
    index = rounds.index(round_id)
    return rounds[index - 1] if index > 0 else None


# (database URL, round id) -> (revision, rows): the lists of a 3,000-household round cost ~150 ms to
# build and are read far more often than written.
_ROWS: dict[tuple[str, int], tuple[tuple[Any, ...], list[ListRow]]] = {}


def _revision(conn: sa.Connection) -> tuple[Any, ...]:
    """Changes whenever anything a list shows may have changed: every write of the register adds a
    change-log line or a result, and a request adds a row (its decision adds a change-log line)."""
    return tuple(
        conn.execute(
            sa.select(
                sa.select(sa.func.max(s.change_log.c.id)).scalar_subquery(),
                sa.select(sa.func.max(s.results.c.id)).scalar_subquery(),
                sa.select(sa.func.max(REQUESTS.c.id)).scalar_subquery(),
            )
        ).one()
    )


def household_rows(engine: Engine, round_id: int) -> list[ListRow]:
    """Every household of a round with its latest result, its previous round's class and open request.

    Kept in memory per round until the register changes (see :func:`_revision`)."""
    key = (engine.url.render_as_string(hide_password=False), round_id)
    with engine.connect() as conn:
        revision = _revision(conn)
    cached = _ROWS.get(key)
    if cached is not None and cached[0] == revision:
        return cached[1]
    rows = _build_rows(engine, round_id)
    if len(_ROWS) > 64:
        _ROWS.clear()
    _ROWS[key] = (revision, rows)
    return rows


def _build_rows(engine: Engine, round_id: int) -> list[ListRow]:
    with engine.connect() as conn:
        rows = _outcomes(conn, round_id)
        previous_id = previous_round_id(conn, round_id)
        previous = {r.code: r.outcome for r in _outcomes(conn, previous_id)} if previous_id else {}
        pending = dict(
            conn.execute(
                sa.select(REQUESTS.c.household_code, sa.func.min(REQUESTS.c.received_on))
                .where(REQUESTS.c.round_id == round_id, REQUESTS.c.status == "pending")
                .group_by(REQUESTS.c.household_code)
            ).all()
        )
    return [
        ListRow(
            code=r.code,
            record_id=r.record_id,
            village=r.village,
            area=r.area,
            member_count=r.member_count,
            version=r.version,
            outcome=r.outcome,
            deprivation_count=r.deprivation_count,
            unknown_count=r.unknown_count,
            previous_outcome=previous.get(r.code),
            in_previous=r.code in previous,
            request_received=pending.get(r.code),
        )
        for r in rows
    ]


def village_names(rows: Sequence[ListRow]) -> list[str]:
    return sorted({r.village for r in rows if r.village})


def requests_of(engine: Engine, round_id: int, code: str) -> list[Any]:
    """The monthly-review requests of one household in one round, oldest first."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(REQUESTS)
                .where(REQUESTS.c.round_id == round_id, REQUESTS.c.household_code == code)
                .order_by(REQUESTS.c.received_on, REQUESTS.c.id)
            ).all()
        )


def meeting(engine: Engine, round_id: int, code: str) -> Any | None:
    """The village meeting's recorded vote on one household, or None."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(MEETINGS).where(MEETINGS.c.round_id == round_id, MEETINGS.c.household_code == code)
        ).first()


def one_household(engine: Engine, info: RoundInfo, code: str) -> RoundHousehold:
    """One household of a round with its latest result, reading that household's rows only.

    Equal to ``Register.household`` (tests/web/test_pages.py checks it), which reads the latest result
    of every household of the round to return one.
    """
    rh, res, hh = s.round_households, s.results, s.households
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(rh, hh.c.code)
            .join(hh, hh.c.id == rh.c.household_id)
            .where(rh.c.round_id == info.id, hh.c.code == code)
        ).first()
        if row is None:
            raise RegisterError(f"household {code} is not in round {info.name}")
        count = conn.execute(
            sa.select(sa.func.count()).where(res.c.round_household_id == row.id)
        ).scalar_one()
        result = conn.execute(
            sa.select(
                res.c.outcome,
                res.c.indicators,
                res.c.deprivation_count,
                res.c.unknown_count,
                res.c.rules_digest,
                res.c.answers_digest,
            )
            .where(res.c.round_household_id == row.id)
            .order_by(res.c.id.desc())
            .limit(1)
        ).first()
    return RoundHousehold.of_rows(row, info.name, result, count)


def history(engine: Engine, code: str) -> list[tuple[Any, str | None]]:
    """(round row, latest class or None) of every round holding the household ``code``, oldest first."""
    rh, res, hh, rounds = s.round_households, s.results, s.households, s.rounds
    latest = (
        sa.select(res.c.round_household_id, sa.func.max(res.c.id).label("id"))
        .join(rh, rh.c.id == res.c.round_household_id)
        .join(hh, hh.c.id == rh.c.household_id)
        .where(hh.c.code == code)
        .group_by(res.c.round_household_id)
        .subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(rounds, res.c.outcome)
            .join(rh, rh.c.round_id == rounds.c.id)
            .join(hh, hh.c.id == rh.c.household_id)
            .outerjoin(latest, latest.c.round_household_id == rh.c.id)
            .outerjoin(res, res.c.id == latest.c.id)
            .where(hh.c.code == code)
            .order_by(rounds.c.year, rounds.c.id)
        ).all()
    return [(r, r.outcome) for r in rows]
