"""The HTTP API without an account: classify one household, the standards, health, OpenAPI."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier import classify, load_standard
from classifier.data import sample_path
from classifier.explain import render_json
from classifier.io import known_indicator_keys, parse_record
from classifier.model import Household
from tests.helpers import DECREE_07_INDICATORS


def _sample_record(household_id: str = "H000017") -> dict[str, object]:
    records = json.loads(sample_path("commune.json").read_text(encoding="utf-8"))
    return next(r for r in records if r["id"] == household_id)


def test_classify_gives_the_same_result_and_trace_as_the_library(client: TestClient) -> None:
    """POST /api/v1/classify answers exactly what classify() + render_json() give for the record."""
    record = _sample_record()
    response = client.post("/api/v1/classify", json=record)
    assert response.status_code == 200
    ruleset = load_standard()
    household = parse_record(
        record, row=None, source=None, catalogue=ruleset.facts, indicator_keys=known_indicator_keys()
    )
    assert isinstance(household, Household)
    expected = render_json(classify(household, ruleset, trace=True))
    assert response.json() == json.loads(json.dumps(expected))
    assert response.json()["trace"] is not None


def test_classify_stores_nothing_and_needs_no_account(client: TestClient) -> None:
    """Classifying leaves the register's tables as they were; no cookie or token is asked for."""
    engine = client.app.state.web.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        before = {
            t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar()
            for t in ("web_users", "web_sessions", "web_account_log", "web_login_failures")
        }
    assert client.post("/api/v1/classify", json=_sample_record()).status_code == 200
    with engine.connect() as conn:
        after = {t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar() for t in before}
    assert after == before


def test_what_if_lists_the_changes(client: TestClient) -> None:
    """?what_if=true adds the smallest changes that would change the class."""
    body = client.post(
        "/api/v1/classify?what_if=true",
        json={
            "id": "H1",
            "area": "rural",
            "income_per_capita_month": 1_400_000,
            "deprivations": {k: False for k in DECREE_07_INDICATORS},
            "member_count": 3,
        },
    ).json()
    assert body["outcome"] == "can_ngheo"
    assert body["what_would_change"], "a near-poor household has an income that would change its class"


def test_bad_json_is_a_400_in_the_command_lines_words(client: TestClient) -> None:
    """A body that is not JSON → 400 'request body is not valid JSON: … at line L column C'."""
    response = client.post(
        "/api/v1/classify", content=b'{"id": "H1",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("request body is not valid JSON: ")
    assert "line 1 column" in response.json()["error"]


def test_bad_fields_are_a_422_with_the_record_error_wording(client: TestClient) -> None:
    """Each bad field is one entry whose message is the CLI's RecordError message, word for word."""
    record = {"id": "H1", "area": "mountain", "income_per_capita_month": "nhiều"}
    response = client.post("/api/v1/classify", json=record)
    assert response.status_code == 422
    ruleset = load_standard()
    errors = parse_record(
        record, row=None, source=None, catalogue=ruleset.facts, indicator_keys=known_indicator_keys()
    )
    assert isinstance(errors, list)
    assert [e["message"] for e in response.json()["errors"]] == [e.message for e in errors]
    assert {e["field"] for e in response.json()["errors"]} == {"area", "income_per_capita_month"}


def test_a_record_that_is_not_an_object_is_a_422(client: TestClient) -> None:
    """A JSON array or number is not a record: 422 naming '<record>'."""
    response = client.post("/api/v1/classify", json=[1, 2])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "<record>"


def test_unknown_standard_and_bad_date_are_422_not_500(client: TestClient) -> None:
    """A misspelt standard gets the did-you-mean of the CLI; a bad date says what a date looks like."""
    body = {"id": "H1", "area": "rural", "income_per_capita_month": 1}
    response = client.post("/api/v1/classify?standard=nd-07-2O21", json=body)
    assert response.status_code == 422
    assert "did you mean 'nd-07-2021'?" in response.json()["error"]
    response = client.post("/api/v1/classify?reference_date=2026-13-01", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["expected"] == "a date YYYY-MM-DD"


def test_standards_lists_every_rule_folder(client: TestClient) -> None:
    """GET /api/v1/standards lists the standards with their digests, classes and cited indicators."""
    body = client.get("/api/v1/standards").json()
    ids = [s["id"] for s in body["standards"]]
    assert "nd-07-2021" in ids and body["default"] == "nd-07-2021"
    nd07 = next(s for s in body["standards"] if s["id"] == "nd-07-2021")
    assert nd07["rules_digest"] == load_standard("nd-07-2021").digest
    assert len(nd07["indicators"]) == 12 and all(i["citation"] for i in nd07["indicators"])


def test_healthz_and_openapi(client: TestClient) -> None:
    """/healthz answers ok; the OpenAPI description lists the API; the CDN-based docs pages are off."""
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/classify", "/api/v1/standards", "/healthz"} <= set(spec["paths"])
    assert "requestBody" in spec["paths"]["/api/v1/classify"]["post"]
    assert client.get("/docs").status_code == 404


def test_an_unknown_api_path_is_json(client: TestClient) -> None:
    """Errors under /api/ are JSON, never an HTML page or a traceback."""
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_trace_false_gives_the_outcome_fields_without_the_trace(client: TestClient) -> None:
    """?trace=false: the same outcome, labels and counts, and no trace (lighter for bulk callers)."""
    record = _sample_record()
    full = client.post("/api/v1/classify", json=record).json()
    light = client.post("/api/v1/classify?trace=false", json=record).json()
    assert light["trace"] is None
    assert {k: v for k, v in full.items() if k != "trace"} == {k: v for k, v in light.items() if k != "trace"}


def test_an_internal_error_is_a_500_without_traceback_or_data_in_the_log(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug answers 500 with a plain message; the log names the error's type and route, never the
    values in its message (which may be a person's answers)."""
    secret = "Nguyễn Văn Thử 001203004567"

    def broken() -> None:
        raise ValueError(f"cannot handle {secret}")

    app.add_api_route("/api/v1/broken", broken)
    app.add_api_route("/broken", broken)
    client = TestClient(app, raise_server_exceptions=True)
    with caplog.at_level(logging.DEBUG):
        api = client.get("/api/v1/broken")
        page = client.get("/broken")
    assert api.status_code == 500 and "bug in chuan-ngheo" in api.json()["error"]
    assert page.status_code == 500 and "Lỗi nội bộ" in page.text
    assert secret not in api.text + page.text
    assert "ValueError" in caplog.text and secret not in caplog.text and "Traceback" not in caplog.text
