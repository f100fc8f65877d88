"""Accounts, roles, sessions, CSRF tokens and log-in throttling.

Roles (issue 11): ``officer`` (commune officer: manages rounds, confirms, prints, manages accounts),
``reviewer`` (village reviewer: edits the answers of the villages listed on the account), ``viewer``
(reads reports; never sees names, identity numbers, ethnicity or health answers).

Nothing secret is stored in clear: passwords as salted scrypt hashes, session and API tokens as their
SHA-256. The CSRF token of a form is an HMAC of the browser's CSRF cookie under the server's key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from classifier.web.db import ACCOUNT_LOG, LOGIN_FAILURES, SESSIONS, USERS
from classifier.web.passwords import hash_password, verify_password

__all__ = [
    "ROLES",
    "AccountError",
    "LoginRefused",
    "User",
    "add_user",
    "authenticate",
    "csrf_token",
    "end_session",
    "list_users",
    "log_account",
    "new_api_token",
    "session_user",
    "start_session",
    "token_user",
    "utc_now",
]

ROLES = ("officer", "reviewer", "viewer")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
# A hash to check against when the account does not exist, so timing does not tell which names exist.
_DUMMY_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 64


def utc_now() -> dt.datetime:
    """The time now, aware (UTC): what the web tables store."""
    return dt.datetime.now(dt.UTC)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountError(ValueError):
    """An account cannot be created or changed; the message says why and what is accepted."""


class LoginRefused(Exception):
    """A log-in was refused. ``throttled`` when too many failures came first (``wait_s`` to go)."""

    def __init__(self, throttled: bool = False, wait_s: int = 0) -> None:
        self.throttled = throttled
        self.wait_s = wait_s
        super().__init__("too many failed log-ins" if throttled else "wrong user name or password")


@attrs.frozen
class User:
    """A logged-in account as the pages see it."""

    id: int
    username: str
    role: str
    villages: tuple[str, ...] = ()

    @property
    def is_officer(self) -> bool:
        return self.role == "officer"

    @property
    def sees_personal_data(self) -> bool:
        """Viewers never see names, identity numbers, ethnicity or health answers."""
        return self.role != "viewer"

    def can_edit_village(self, village: str | None) -> bool:
        """Officers edit everywhere; reviewers only the villages on their account; viewers nowhere."""
        if self.role == "officer":
            return True
        return self.role == "reviewer" and village is not None and village in self.villages


def _user(row: sa.Row[tuple[object, ...]]) -> User:
    m = row._mapping
    villages = tuple(v for v in str(m["villages"] or "").split("\n") if v)
    return User(id=int(m["id"]), username=str(m["username"]), role=str(m["role"]), villages=villages)


def log_account(conn: sa.Connection, actor: str, action: str, target: str, detail: str = "") -> None:
    """Append one line to the account log (account writes; household writes go to the register's log)."""
    conn.execute(
        ACCOUNT_LOG.insert().values(at=utc_now(), actor=actor, action=action, target=target, detail=detail)
    )


def add_user(
    engine: Engine, username: str, password: str, role: str, villages: Iterable[str] = (), actor: str = "cli"
) -> User:
    """Create an account. Refuses unknown roles, bad names, short passwords and taken names."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError(
            f"user name {username!r}: expected 2–63 characters of a–z, 0–9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    village_list = [v.strip() for v in villages if v.strip()]
    if role == "reviewer" and not village_list:
        raise AccountError("a village reviewer needs at least one village (--village NAME)")
    password_hash = hash_password(password)  # raises PasswordTooWeak (a ValueError) first
    with engine.begin() as conn:
        if conn.execute(sa.select(USERS.c.id).where(USERS.c.username == username)).first():
            raise AccountError(f"user name {username!r} is taken")
        conn.execute(
            USERS.insert().values(
                username=username,
                password_hash=password_hash,
                role=role,
                villages="\n".join(village_list),
                created_at=utc_now(),
            )
        )
        log_account(conn, actor, "user_add", username, f"role={role}")
        row = conn.execute(sa.select(USERS).where(USERS.c.username == username)).one()
    return _user(row)


def list_users(engine: Engine) -> list[User]:
    """Every active account, by name."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(USERS).where(USERS.c.active).order_by(USERS.c.username)).all()
    return [_user(r) for r in rows]


def new_api_token(engine: Engine, username: str, actor: str = "cli") -> str:
    """A new API token for ``username`` (replacing any earlier one); shown once, stored as a hash."""
    token = "cn_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        done = conn.execute(
            USERS.update().where(USERS.c.username == username.strip().lower()).values(token_hash=_sha(token))
        )
        if done.rowcount != 1:
            raise AccountError(f"no account named {username!r}")
        log_account(conn, actor, "api_token", username)
    return token


def token_user(engine: Engine, token: str) -> User | None:
    """The account an API token belongs to, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(USERS).where(USERS.c.token_hash == _sha(token), USERS.c.active)).first()
    return _user(row) if row else None


def authenticate(engine: Engine, username: str, password: str, *, max_failures: int, window_s: int) -> User:
    """The account when the password is right; :class:`LoginRefused` otherwise, or when throttled.

    After ``max_failures`` failed tries within ``window_s`` seconds an account refuses every try,
    right or wrong, until the oldest of those failures leaves the window.
    """
    username = username.strip().lower()[:64]
    now = utc_now()
    since = now - dt.timedelta(seconds=window_s)
    with engine.begin() as conn:
        failures = (
            conn.execute(
                sa.select(LOGIN_FAILURES.c.at)
                .where(LOGIN_FAILURES.c.username == username, LOGIN_FAILURES.c.at > since)
                .order_by(LOGIN_FAILURES.c.at)
            )
            .scalars()
            .all()
        )
        if len(failures) >= max_failures:
            oldest = failures[-max_failures]
            if oldest.tzinfo is None:  # SQLite returns naive datetimes
                oldest = oldest.replace(tzinfo=dt.UTC)
            raise LoginRefused(throttled=True, wait_s=max(1, int((oldest - since).total_seconds())))
        row = conn.execute(sa.select(USERS).where(USERS.c.username == username, USERS.c.active)).first()
        ok = verify_password(password, row._mapping["password_hash"] if row else _DUMMY_HASH)
        if ok and row:
            conn.execute(LOGIN_FAILURES.delete().where(LOGIN_FAILURES.c.username == username))
            return _user(row)
        # Recorded (committed) before refusing: raising inside the block would roll it back.
        conn.execute(LOGIN_FAILURES.insert().values(username=username, at=now))
    raise LoginRefused()


def start_session(engine: Engine, user: User, lifetime_s: int) -> str:
    """A new session for ``user``; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with engine.begin() as conn:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.expires_at < now))
        conn.execute(
            SESSIONS.insert().values(
                token_hash=_sha(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + dt.timedelta(seconds=lifetime_s),
            )
        )
    return token


def session_user(engine: Engine, token: str) -> User | None:
    """The account of a live session, or None (unknown or expired token)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(USERS)
            .join(SESSIONS, SESSIONS.c.user_id == USERS.c.id)
            .where(SESSIONS.c.token_hash == _sha(token), SESSIONS.c.expires_at > utc_now(), USERS.c.active)
        ).first()
    return _user(row) if row else None


def end_session(engine: Engine, token: str) -> None:
    """Log out: the session's token stops working at once."""
    with engine.begin() as conn:
        conn.execute(SESSIONS.delete().where(SESSIONS.c.token_hash == _sha(token)))


def csrf_token(secret_key: bytes, seed: str) -> str:
    """The token a form must carry for the browser whose CSRF cookie is ``seed``."""
    return hmac.new(secret_key, b"csrf:" + seed.encode("utf-8"), hashlib.sha256).hexdigest()
