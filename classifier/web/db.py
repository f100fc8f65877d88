"""The web application's own tables (accounts, sessions, failed log-ins, account log, monthly requests,
village meetings) and its engine. The tables are created by the register's migration 0002.

Kept apart from the register's tables (rounds, households, answers, results, change log), which the
register owns; both live in the same database, chosen by one SQLAlchemy URL (SQLite file by default,
PostgreSQL for a province's server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = [
    "ACCOUNT_LOG",
    "LOGIN_FAILURES",
    "MEETINGS",
    "METADATA",
    "REQUESTS",
    "SESSIONS",
    "USERS",
    "ensure_schema",
    "make_engine",
]

METADATA = sa.MetaData()

USERS = sa.Table(
    "web_users",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    # Village names a reviewer may edit, one per line (empty for the other roles).
    sa.Column("villages", sa.Text, nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # SHA-256 of the API token (the token itself is shown once and never stored).
    sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

SESSIONS = sa.Table(
    "web_sessions",
    METADATA,
    # SHA-256 of the cookie's token: a copy of the database does not give live sessions away.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

LOGIN_FAILURES = sa.Table(
    "web_login_failures",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

ACCOUNT_LOG = sa.Table(
    "web_account_log",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)


REQUESTS = sa.Table(
    "web_requests",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, nullable=False, index=True),
    sa.Column("household_code", sa.String(128), nullable=False, index=True),
    # 01: request to be recognised (Phụ lục I, mẫu số 01); 04: the other request form of QĐ 24.
    sa.Column("form", sa.String(8), nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | accepted | refused
    sa.Column("decided_on", sa.Date, nullable=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

MEETINGS = sa.Table(
    "web_meetings",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, nullable=False),
    sa.Column("household_code", sa.String(128), nullable=False),
    sa.Column("meeting_date", sa.Date, nullable=False),
    sa.Column("participants", sa.Integer, nullable=False),
    sa.Column("agreed", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("round_id", "household_code", name="uq_web_meetings_round_household"),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout, its folder created."""
    from classifier.register.db import database_url

    url = database_url(db_url=url)  # postgresql:// → the psycopg 3 driver this package installs
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest migration: the register's tables, then the web's (0002)."""
    from classifier.register.db import upgrade

    upgrade(engine)
