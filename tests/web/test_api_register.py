"""The token-authenticated API over the register, and concurrent edits of one household."""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient

from classifier.web.auth import add_user, new_api_token
from tests.web.conftest import PASSWORD

POOR = "H000042"


def _token(app: FastAPI, name: str, role: str) -> dict[str, str]:
    engine = app.state.web.engine
    add_user(engine, name, PASSWORD, role, ["Thôn Đoài"] if role == "reviewer" else [])
    return {"Authorization": f"Bearer {new_api_token(engine, name)}"}


def test_the_register_api_needs_a_token(client: TestClient, sample_round: str) -> None:
    """Without a token (or with a wrong one) every register endpoint answers 401 in JSON."""
    for path in (
        "/api/v1/rounds",
        "/api/v1/rounds/2026/households",
        f"/api/v1/rounds/2026/households/{POOR}",
        "/api/v1/rounds/2026/report",
    ):
        response = client.get(path)
        assert response.status_code == 401 and "Bearer" in response.json()["error"]
    assert client.get("/api/v1/rounds", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_rounds_households_results_and_report(app: FastAPI, client: TestClient, sample_round: str) -> None:
    """An officer's token reads the round, its households with classes, one household, its results."""
    headers = _token(app, "admin", "officer")
    assert [r["name"] for r in client.get("/api/v1/rounds", headers=headers).json()["rounds"]] == ["2026"]
    listing = client.get("/api/v1/rounds/2026/households", headers=headers).json()["households"]
    register = app.state.web.register
    assert {h["code"]: h["outcome"] for h in listing} == {
        h.code: h.outcome for h in register.households("2026")
    }
    one = client.get(f"/api/v1/rounds/2026/households/{POOR}", headers=headers).json()
    assert one["result"]["outcome"] == "ngheo" and one["answers"]["members"][0]["has_health_insurance"] in (
        True,
        False,
    )
    results = client.get(f"/api/v1/rounds/2026/households/{POOR}/results", headers=headers).json()["results"]
    assert len(results) == 1 and results[0]["trace"]["outcome"] == "ngheo"
    report = client.get("/api/v1/rounds/2026/report", headers=headers).json()
    assert report["households"] == len(listing) and sum(report["by_outcome"].values()) == len(listing)
    missing = client.get("/api/v1/rounds/2026/households/NOPE", headers=headers)
    assert missing.status_code == 404 and "NOPE" in missing.json()["error"]


def test_a_viewer_token_gets_no_personal_or_health_answers(
    app: FastAPI, client: TestClient, sample_round: str
) -> None:
    """Names, identity numbers, ethnicity, health answers and traces are left out for a viewer."""
    register = app.state.web.register
    h = register.household("2026", POOR)
    register.update_answers(
        "2026",
        POOR,
        {"head_name": "Nguyễn Văn Thử", "ethnicity": "tay"},
        expected_version=h.version,
        who="test",
        reason="test",
    )
    headers = _token(app, "xem", "viewer")
    body = client.get(f"/api/v1/rounds/2026/households/{POOR}", headers=headers).json()
    text = str(body)
    assert "Nguyễn Văn Thử" not in text and "ethnicity" not in body["answers"]
    assert all("has_health_insurance" not in m for m in body["answers"]["members"])
    results = client.get(f"/api/v1/rounds/2026/households/{POOR}/results", headers=headers).json()
    assert all(r["trace"] is None for r in results["results"])
    denied = client.post(
        f"/api/v1/rounds/2026/households/{POOR}/answers",
        headers=headers,
        json={"changes": {"floor_area_m2": 50}, "version": 2, "reason": "x"},
    )
    assert denied.status_code == 403


def test_concurrent_edits_never_lose_an_update(app: FastAPI, client: TestClient, sample_round: str) -> None:
    """Two writers send a change on the same version at once: one is saved, the other gets 409 and
    is told to reload; the saved value is the winner's and the log has exactly its line."""
    headers = _token(app, "admin", "officer")
    register = app.state.web.register
    version = register.household("2026", POOR).version
    before = len(register.change_log(code=POOR))
    barrier = threading.Barrier(2)
    answers: dict[int, object] = {}

    def write(area: int) -> None:
        barrier.wait()
        response = client.post(
            f"/api/v1/rounds/2026/households/{POOR}/answers",
            headers=headers,
            json={"changes": {"floor_area_m2": area}, "version": version, "reason": f"đo lại: {area}"},
        )
        answers[area] = (response.status_code, response.json())

    threads = [threading.Thread(target=write, args=(area,)) for area in (31, 57)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(code for code, _ in answers.values())  # type: ignore[misc]
    assert codes == [200, 409], answers
    winner = next(area for area, (code, _) in answers.items() if code == 200)  # type: ignore[misc]
    loser = next(body for code, body in answers.values() if code == 409)  # type: ignore[misc]
    assert "reload" in loser["error"]
    assert register.household("2026", POOR).answers["floor_area_m2"] == winner
    new_lines = register.change_log(code=POOR)[before:]
    assert [(e.field, e.new) for e in new_lines if e.field == "floor_area_m2"] == [("floor_area_m2", winner)]
