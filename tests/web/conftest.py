"""Fixtures of the web tests: an application on a fresh register, accounts, and logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier.web import Settings, create_app, passwords
from classifier.web.auth import add_user

PASSWORD = "a long test password"


PROCEDURE = """\
regular_review:
  citation: {instrument: "Quyết định 24/2021/QĐ-TTg", article: "5"}
  verified: false
  answer_days: 15
  refusal_vi: "Trường hợp không công nhận, Ủy ban nhân dân cấp xã trả lời bằng văn bản và nêu rõ lý do."
village_meeting:
  citation: {instrument: "Quyết định 24/2021/QĐ-TTg", article: "4"}
  verified: false
  approval_share_percent: 50
"""


#: scrypt's cost in production (classifier/web/passwords.py); test_auth pins it.
PRODUCTION_SCRYPT_N = passwords._N


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts made by these tests hash their password at a 16 times lower scrypt cost: the tests
    create and log in to accounts a few hundred times, and at the production cost that hashing was
    about 3 s of the fast suite's CPU. Verification reads the cost from the stored hash, so nothing
    else changes; ``test_passwords_are_hashed_at_the_production_cost`` checks the real one."""
    monkeypatch.setattr(passwords, "_N", PRODUCTION_SCRYPT_N // 16)


@pytest.fixture
def web_settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a fresh register (SQLite, and PostgreSQL under the ``postgres`` mark), with a
    procedure file of the shape of rules/procedures/review-round.yaml."""
    procedure = tmp_path / "review-round.yaml"
    procedure.write_text(PROCEDURE, encoding="utf-8")
    settings = Settings.load(database_url=database_url, data_dir=tmp_path / "data")
    return attrs.evolve(settings, procedures_file=procedure)


@pytest.fixture
def app(web_settings: Settings) -> Iterator[FastAPI]:
    """The application on an empty register (accounts come with the fixtures below)."""
    application = create_app(web_settings)
    yield application
    application.state.web.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A browser-like client that is not logged in."""
    return TestClient(app)


def form_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Log ``client`` in through the log-in form, as a person would."""
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def officer(app: FastAPI) -> TestClient:
    """Logged in as ``admin``, a commune officer."""
    add_user(app.state.web.engine, "admin", PASSWORD, "officer")
    return log_in(TestClient(app), "admin")


@pytest.fixture
def reviewer(app: FastAPI) -> TestClient:
    """Logged in as ``lan``, reviewer of Thôn Đoài."""
    add_user(app.state.web.engine, "lan", PASSWORD, "reviewer", ["Thôn Đoài"])
    return log_in(TestClient(app), "lan")


@pytest.fixture
def viewer(app: FastAPI) -> TestClient:
    """Logged in as ``xem``, a report viewer."""
    add_user(app.state.web.engine, "xem", PASSWORD, "viewer")
    return log_in(TestClient(app), "xem")


def sample_records(count: int = 24) -> list[dict[str, object]]:
    """A small commune from the bundled sample: households of two villages, one of them poor."""
    import json

    from classifier.data import sample_path

    records = json.loads(sample_path("commune.json").read_text(encoding="utf-8"))
    villages = sorted({r["village"] for r in records})[:2]
    chosen = [r for r in records if r["village"] == villages[0]][: count // 2]
    chosen += [r for r in records if r["village"] == villages[1]][: count // 2]
    poor = next(r for r in records if r["id"] == "H000042")
    if poor not in chosen:
        chosen.append(poor)
    return chosen


@pytest.fixture
def sample_round(app: FastAPI, tmp_path: Path) -> str:
    """Round 2026 of the register with :func:`sample_records`, imported and classified."""
    import datetime as dt
    import json

    path = tmp_path / "commune.json"
    path.write_text(json.dumps(sample_records(), ensure_ascii=False), encoding="utf-8")
    register = app.state.web.register
    register.new_round("2026", year=2026, reference_date=dt.date(2026, 11, 1), who="test")
    register.import_file("2026", path, who="test")
    register.classify("2026", who="test")
    return "2026"
