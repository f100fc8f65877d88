"""Accounts, log-in, sessions, CSRF, throttling, the secret key and the `user` command."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier.cli import main
from classifier.web import Settings
from classifier.web.auth import AccountError, add_user, list_users, token_user
from classifier.web.passwords import PasswordTooWeak, hash_password, verify_password
from tests.web.conftest import PASSWORD, form_token, log_in


def test_password_hashes_are_salted_and_verify() -> None:
    """Two hashes of one password differ (salt); each verifies it and refuses another."""
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$")
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password(PASSWORD, "not a hash")
    with pytest.raises(PasswordTooWeak):
        hash_password("short")


def test_passwords_are_hashed_at_the_production_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the tests' quicker fixture, a password is hashed with scrypt n=2**14, r=8, p=1 (the
    cost is stored in the hash), and the hash of an unknown account's check costs the same."""
    from classifier.web import auth, passwords
    from tests.web.conftest import PRODUCTION_SCRYPT_N

    monkeypatch.setattr(passwords, "_N", PRODUCTION_SCRYPT_N)
    stored = hash_password(PASSWORD)
    assert PRODUCTION_SCRYPT_N == 2**14 and stored.startswith("scrypt$16384$8$1$")
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "x", stored)
    assert auth._DUMMY_HASH.startswith("scrypt$16384$8$1$")


def test_accounts_refuse_bad_roles_names_and_reviewers_without_villages(app: FastAPI) -> None:
    """Unknown role, bad user name, taken name and a reviewer with no village are refused."""
    engine = app.state.web.engine
    with pytest.raises(AccountError, match="role 'admin'"):
        add_user(engine, "a1", PASSWORD, "admin")
    with pytest.raises(AccountError, match="user name"):
        add_user(engine, "Nguyễn Văn A", PASSWORD, "viewer")
    with pytest.raises(AccountError, match="village"):
        add_user(engine, "rv", PASSWORD, "reviewer")
    add_user(engine, "x1", PASSWORD, "viewer")
    with pytest.raises(AccountError, match="taken"):
        add_user(engine, "x1", PASSWORD, "viewer")


def test_nothing_is_readable_without_logging_in(client: TestClient) -> None:
    """A page asked for without a session redirects to the log-in page, keeping where to go next."""
    response = client.get("/about", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/about"


def test_log_in_and_out(officer: TestClient) -> None:
    """A logged-in officer reads pages; after log-out the same cookie reads nothing."""
    assert officer.get("/about").status_code == 200
    session = officer.cookies.get("cn_session")
    assert session
    token = form_token(officer.get("/about").text)
    assert officer.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    officer.cookies.set("cn_session", session)
    assert officer.get("/about", follow_redirects=False).status_code == 303


def test_wrong_password_and_throttling(app: FastAPI, client: TestClient) -> None:
    """A wrong password is refused; after 5 failures even the right one waits, with a message."""
    add_user(app.state.web.engine, "admin", PASSWORD, "officer")
    token = form_token(client.get("/login").text)
    for _ in range(5):
        response = client.post(
            "/login", data={"username": "admin", "password": "wrong password!", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in response.text
    assert "cn_session" not in response.cookies


def test_a_form_without_its_csrf_token_is_refused(app: FastAPI, client: TestClient) -> None:
    """Log-in and log-out without this browser's token do nothing (400)."""
    add_user(app.state.web.engine, "admin", PASSWORD, "officer")
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400 and "cn_session" not in response.cookies
    log_in(client, "admin")
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/about").status_code == 200


def test_no_open_redirect_after_log_in(app: FastAPI, client: TestClient) -> None:
    """'next' may only name a page of this site."""
    add_user(app.state.web.engine, "admin", PASSWORD, "officer")
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_language_switch(officer: TestClient) -> None:
    """Vietnamese by default; /lang/en switches the pages to English."""
    assert "Đăng xuất" in officer.get("/about").text
    officer.get("/lang/en?next=/about")
    assert "Log out" in officer.get("/about").text


def test_secret_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    """The first start writes a random key readable by its owner only; later starts reuse it."""
    first = Settings.load(data_dir=tmp_path)
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert Settings.load(data_dir=tmp_path).secret_key == first.secret_key
    assert Settings.load(data_dir=tmp_path / "other").secret_key != first.secret_key


def test_user_command_creates_the_first_officer_and_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`user add` reads the password from an environment variable; `user token` prints a working token."""
    monkeypatch.setenv("CN_TEST_PW", PASSWORD)
    out, err = io.StringIO(), io.StringIO()
    data = str(tmp_path)
    assert (
        main(
            ["user", "add", "admin", "--role", "officer", "--password-env", "CN_TEST_PW", "--data-dir", data],
            out,
            err,
        )
        == 0
    ), err.getvalue()
    assert "created admin (officer)" in out.getvalue()
    assert PASSWORD not in out.getvalue() + err.getvalue()
    out = io.StringIO()
    assert main(["user", "token", "admin", "--data-dir", data], out, err) == 0
    token = out.getvalue().strip()
    from classifier.web.db import make_engine

    engine = make_engine(Settings.load(data_dir=tmp_path).database_url)
    user = token_user(engine, token)
    assert user is not None and user.username == "admin"
    assert [u.username for u in list_users(engine)] == ["admin"]
    engine.dispose()


def test_user_command_never_uses_a_default_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a terminal and without --password-stdin/--password-env, nothing is created (exit 2)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    err = io.StringIO()
    code = main(
        ["user", "add", "admin", "--role", "officer", "--data-dir", str(tmp_path)], io.StringIO(), err
    )
    assert code == 2 and "no password" in err.getvalue()
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code = main(
        ["user", "add", "admin", "--role", "officer", "--password-stdin", "--data-dir", str(tmp_path)],
        io.StringIO(),
        err,
    )
    assert code == 2 and "at least 10 characters" in err.getvalue()


def test_every_template_key_is_in_both_languages() -> None:
    """Each t("key") of the templates has Vietnamese and English text (no key shown raw to a person)."""
    import re

    from classifier.web.i18n import MESSAGES

    folder = Path(__file__).resolve().parents[2] / "classifier" / "web" / "templates"
    keys = set()
    for template in folder.glob("*.html"):
        keys |= set(re.findall(r"""\bt\(["']([a-z_]+)["']""", template.read_text(encoding="utf-8")))
    keys = {k for k in keys if not k.endswith("_")}  # prefixes completed in the template (role_ + role)
    assert keys and keys <= set(MESSAGES), sorted(keys - set(MESSAGES))
    assert all(set(MESSAGES[k]) == {"vi", "en"} for k in MESSAGES)
    for prefix, values in (
        ("role_", ("officer", "reviewer", "viewer")),
        ("status_", ("open", "classified", "closed")),
        ("kind_", ("periodic", "regular")),
        ("request_", ("pending", "accepted", "refused")),
    ):
        assert all(prefix + v in MESSAGES for v in values)
