"""``/api/v1``: classify one household (no account, nothing stored), the standards, and ``/healthz``.

Errors use the command line's wording: a body that is not JSON → 400 ``request body is not valid
JSON: …``; a record with problems → 422 with one entry per problem, each naming the field, the value
and what was expected (``record H1: field 'area' = 'x': expected one of …``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import attrs
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from classifier.api import DEFAULT_STANDARD, classify
from classifier.errors import RecordError
from classifier.explain import render_json, what_would_change
from classifier.io import known_indicator_keys, parse_record
from classifier.model import Household
from classifier.web.deps import get_state
from classifier.web.standards import standard_summary

__all__ = ["error_body", "router"]

router = APIRouter()

_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One household record of the data contract (rules/facts.yaml): id, area, income, "
    "household answers, members[] with their answers, optional deprivations{} flags.",
    "required": ["id"],
    "additionalProperties": True,
    "example": {
        "id": "H1",
        "area": "rural",
        "income_per_capita_month": 1_400_000,
        "members": [{"id": "H1-1", "birth_date": "1980-05-01", "has_health_insurance": True}],
    },
}


def error_body(errors: list[RecordError]) -> dict[str, Any]:
    """The JSON of a 422: each problem's fields and its command-line message."""
    return {
        "errors": [
            {
                "record_id": e.record_id,
                "field": e.field,
                "value": e.value if _plain(e.value) else str(e.value),
                "expected": e.expected,
                "message": e.message,
            }
            for e in errors
        ]
    }


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@router.get("/healthz", tags=["service"], summary="Liveness: the process answers, its database is reachable")
def healthz(request: Request) -> dict[str, str]:
    state = get_state(request)
    with state.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    return {"status": "ok"}


@router.get("/api/v1/standards", tags=["standards"], summary="The poverty standards this server knows")
def standards(request: Request) -> dict[str, Any]:
    rulesets = request.app.state.rulesets
    return {
        "default": DEFAULT_STANDARD,
        "standards": [standard_summary(rulesets.get(s)) for s in rulesets.ids()],
    }


@router.post(
    "/api/v1/classify",
    tags=["classify"],
    summary="Classify one household: its class, the deprivations and the full trace (nothing is stored)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _RECORD_SCHEMA}}}
    },
    responses={
        400: {"description": "The body is not JSON"},
        422: {"description": "The record has problems: one entry per field, with what was expected"},
    },
)
async def classify_one(
    request: Request,
    standard: Annotated[str, Query(description="standard id, see /api/v1/standards")] = DEFAULT_STANDARD,
    reference_date: Annotated[dt.date | None, Query(description="date at which ages are computed")] = None,
    what_if: Annotated[
        bool, Query(description="also list the smallest changes that would change the class")
    ] = False,
    trace: Annotated[
        bool, Query(description="include the full trace (false: the outcome fields only)")
    ] = True,
) -> JSONResponse:
    # async on purpose: the durable engine runs on the event loop's thread, never on two threads at once.
    body = await request.body()
    try:
        raw = json.loads(body)
    except UnicodeDecodeError:
        return JSONResponse({"error": "request body is not UTF-8 text"}, status_code=400)
    except json.JSONDecodeError as exc:
        return JSONResponse(
            {"error": f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"},
            status_code=400,
        )
    ruleset = request.app.state.rulesets.get(standard)
    parsed = parse_record(
        raw,
        row=None,
        source=None,
        catalogue=ruleset.facts,
        indicator_keys=known_indicator_keys(request.app.state.web.settings.rules_root),
    )
    if not isinstance(parsed, Household):
        return JSONResponse(error_body(parsed), status_code=422)
    result = classify(parsed, ruleset, reference_date=reference_date, engine="durable", trace=True)
    payload = render_json(result if trace else attrs.evolve(result, trace=None))
    payload["outcome_label_vi"] = result.trace.outcome_label_vi
    payload["outcome_label_en"] = result.trace.outcome_label_en
    if what_if:
        changes = what_would_change(
            parsed, result, standard=ruleset, reference_date=result.reference_date, engine="durable"
        )
        payload["what_would_change"] = [attrs.asdict(change) for change in changes]
    return JSONResponse(payload)
