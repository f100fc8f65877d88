"""Where the web application keeps its data, and its secret key (made on first start, mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import attrs

__all__ = ["Settings", "load_secret_key"]

#: Environment variables read by :meth:`Settings.load` (the command line's options win).
ENV_DATABASE = "CHUAN_NGHEO_DATABASE_URL"
ENV_DATA_DIR = "CHUAN_NGHEO_DATA_DIR"
DEFAULT_DATA_DIR = Path("chuan-ngheo-data")


def load_secret_key(path: Path) -> bytes:
    """The key in ``path``; a new random one written there (owner read/write only) when missing."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # O_EXCL: two processes starting at once never overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


@attrs.frozen
class Settings:
    """Everything the application needs to start. ``database_url`` is an SQLAlchemy URL."""

    database_url: str
    data_dir: Path
    secret_key: bytes = attrs.field(repr=False)
    rules_root: Path | None = None
    #: The review procedure's numbers (default: rules/procedures/review-round.yaml).
    procedures_file: Path | None = None
    #: Send cookies only over HTTPS (set when served behind TLS).
    secure_cookies: bool = False
    #: Failed log-ins allowed per account within ``throttle_window_s`` before further tries wait.
    max_failed_logins: int = 5
    throttle_window_s: int = 900
    session_lifetime_s: int = 12 * 3600

    @classmethod
    def load(
        cls,
        *,
        database_url: str | None = None,
        data_dir: Path | None = None,
        rules_root: Path | None = None,
        secure_cookies: bool = False,
    ) -> Settings:
        """Settings from arguments, else the environment, else ``./chuan-ngheo-data/register.sqlite``."""
        folder = data_dir or Path(os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)
        url = database_url or os.environ.get(ENV_DATABASE) or f"sqlite:///{(folder / 'register.sqlite')}"
        return cls(
            database_url=url,
            data_dir=folder,
            secret_key=load_secret_key(folder / "secret.key"),
            rules_root=rules_root,
            secure_cookies=secure_cookies,
        )
