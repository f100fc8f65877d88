"""Salted password hashes with the standard library's scrypt (no extra dependency).

Stored as ``scrypt$n$r$p$<salt hex>$<hash hex>`` so the cost can be raised later without breaking
existing accounts: verification reads the parameters from the stored string.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["MIN_LENGTH", "PasswordTooWeak", "hash_password", "verify_password"]

MIN_LENGTH = 10
_N, _R, _P = 2**14, 8, 1


class PasswordTooWeak(ValueError):
    """The password is refused (too short); the message says what is required."""


def check_strength(password: str) -> None:
    """Refuse passwords shorter than :data:`MIN_LENGTH` characters."""
    if len(password) < MIN_LENGTH:
        raise PasswordTooWeak(f"a password needs at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``."""
    check_strength(password)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed stored value."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), expected)
