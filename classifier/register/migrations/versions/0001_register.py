"""The register: rounds, households across rounds, answers, results, departures, change log, settings.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the register, and the triggers that keep the change log append-only."""
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("standard", sa.String(64), nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("reference_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(128), nullable=False, unique=True),
    )
    op.create_table(
        "round_households",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False, index=True),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("province", sa.String(256)),
        sa.Column("commune", sa.String(256)),
        sa.Column("village", sa.String(256)),
        sa.Column("area", sa.String(16)),
        sa.Column("member_count", sa.Integer),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("answers_digest", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("round_id", "household_id", name="uq_round_household"),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "round_household_id", sa.Integer, sa.ForeignKey("round_households.id"), nullable=False, index=True
        ),
        sa.Column("standard", sa.String(64), nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("answers_digest", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("income_per_capita_month", sa.Float),
        sa.Column("deprivation_count", sa.Integer, nullable=False),
        sa.Column("unknown_count", sa.Integer, nullable=False),
        sa.Column("indicators", sa.JSON, nullable=False),
        sa.Column("trace", sa.JSON),
        sa.Column("classified_at", _TZ, nullable=False),
        sa.Column("classified_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("round_household_id", "rules_digest", "answers_digest", name="uq_result_digests"),
    )
    op.create_table(
        "departures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("recorded_at", _TZ, nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("round_id", "household_id", name="uq_departure"),
    )
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("who", sa.String(128), nullable=False),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id")),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id")),
        sa.Column("field", sa.String(256), nullable=False),
        sa.Column("old", sa.Text),
        sa.Column("new", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER change_log_no_{action.lower()} BEFORE {action} ON change_log "
                "BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION change_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'change_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log "
            "FOR EACH ROW EXECUTE FUNCTION change_log_append_only()"
        )


def downgrade() -> None:
    """Drop the register (every round and its history): only for tests and a fresh start."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS change_log_append_only ON change_log")
        op.execute("DROP FUNCTION IF EXISTS change_log_append_only()")
    for table in (
        "settings",
        "change_log",
        "departures",
        "results",
        "round_households",
        "households",
        "rounds",
    ):
        op.drop_table(table)
