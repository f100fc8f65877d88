"""A real server on a loopback port and Debian's headless Chromium driven by Playwright.

Chromium comes from the operating system's packages (``.ci/chromium.sh``); Playwright only drives it
(``executable_path``), it downloads nothing. Without /usr/bin/chromium these tests are skipped on a
developer's machine and FAIL in CI (``CI=true``), so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from classifier.web import Settings, create_app
from classifier.web.auth import add_user

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser test password"
#: The README's screenshots. The browser tests write there only when asked (UPDATE_SCREENSHOTS=1), so a
#: test run leaves the checkout as it was.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_SCREENSHOTS = "CHUAN_NGHEO_UPDATE_SCREENSHOTS"


def screenshot_folder(environ: Mapping[str, str], scratch: Path) -> Path:
    """docs/screenshots/ when ``CHUAN_NGHEO_UPDATE_SCREENSHOTS=1``, else ``scratch`` (a temporary folder)."""
    return DOCS_SCREENSHOTS if environ.get(UPDATE_SCREENSHOTS) == "1" else scratch


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this run's screenshots go (see screenshot_folder)."""
    return screenshot_folder(os.environ, tmp_path_factory.mktemp("screenshots"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """The application on 127.0.0.1 and a free port, with the officer ``admin``; yields its base URL."""
    app = create_app(Settings.load(database_url=database_url, data_dir=tmp_path / "data"))
    add_user(app.state.web.engine, "admin", PASSWORD, "officer")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=20)
    app.state.web.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium from /usr/bin/chromium."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run .ci/chromium.sh (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()
