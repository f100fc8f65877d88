"""The register's tables (SQLAlchemy Core). The migrations under ``migrations/versions`` create them.

One database holds every review round of a commune (or of a province, on PostgreSQL):

- ``rounds``: a review round: year, kind (periodic | regular monthly), standard and rule digest,
  reference date, status (open | classified | closed);
- ``households``: one row per household code, linking the same household across rounds;
- ``round_households``: a household's answers in one round (the data-contract record, JSON), its
  admin fields (JSON), place and member count, and ``version`` for optimistic concurrency;
- ``results``: each classification of a round household (outcome, counts, indicators and trace as
  JSON), keyed by the rule digest and the answers' digest, so a re-classification after a rule
  change adds a row beside the earlier one;
- ``departures``: households of an earlier round that left before a later one, with the reason;
- ``change_log``: append-only (database triggers refuse UPDATE and DELETE): who, when, field,
  old -> new, reason;
- ``settings``: register-wide values (the pseudonym key).

Keep this module and the migrations in step: ``tests/unit/test_register.py`` checks that a migrated
database has exactly these tables and columns.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "METADATA",
    "change_log",
    "departures",
    "households",
    "results",
    "round_households",
    "rounds",
    "settings",
]

METADATA = MetaData()

rounds = Table(
    "rounds",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # periodic | regular
    Column("standard", String(64), nullable=False),
    Column("rules_digest", String(64), nullable=False),
    Column("reference_date", Date, nullable=False),
    Column("status", String(16), nullable=False),  # open | classified | closed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
)

households = Table(
    "households",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(128), nullable=False, unique=True),
)

round_households = Table(
    "round_households",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False, index=True),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False, index=True),
    Column("record_id", String(128), nullable=False),
    Column("province", String(256)),
    Column("commune", String(256)),
    Column("village", String(256)),
    Column("area", String(16)),
    Column("member_count", Integer),
    Column("answers", JSON, nullable=False),
    Column("answers_digest", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(128), nullable=False),
    UniqueConstraint("round_id", "household_id", name="uq_round_household"),
)

results = Table(
    "results",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_household_id", Integer, ForeignKey("round_households.id"), nullable=False, index=True),
    Column("standard", String(64), nullable=False),
    Column("rules_digest", String(64), nullable=False),
    Column("answers_digest", String(64), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("income_per_capita_month", Float),
    Column("deprivation_count", Integer, nullable=False),
    Column("unknown_count", Integer, nullable=False),
    Column("indicators", JSON, nullable=False),  # indicator id -> true | false | null
    Column("trace", JSON),
    Column("classified_at", DateTime(timezone=True), nullable=False),
    Column("classified_by", String(128), nullable=False),
    UniqueConstraint("round_household_id", "rules_digest", "answers_digest", name="uq_result_digests"),
)

departures = Table(
    "departures",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False, index=True),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(128), nullable=False),
    UniqueConstraint("round_id", "household_id", name="uq_departure"),
)

change_log = Table(
    "change_log",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(128), nullable=False),
    Column("round_id", Integer, ForeignKey("rounds.id")),
    Column("household_id", Integer, ForeignKey("households.id")),
    Column("field", String(256), nullable=False),
    Column("old", Text),  # JSON text of the old value (null: none)
    Column("new", Text),  # JSON text of the new value (null: none)
    Column("reason", Text, nullable=False),
)

settings = Table(
    "settings",
    METADATA,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
