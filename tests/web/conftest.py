"""Fixtures of the web tests: an application on a fresh register, accounts, and logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier.web import Settings, create_app
from classifier.web.auth import add_user

PASSWORD = "a long test password"


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    """Settings on an SQLite register in a temporary folder."""
    return Settings.load(data_dir=tmp_path / "data")


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
