"""``/api/v1`` over the register, for other systems: rounds, households, results, reports.

Every endpoint here needs ``Authorization: Bearer <token>`` (``chuan-ngheo user token NAME``) and
answers what the token's account may see: a viewer's token gets no names, identity numbers,
ethnicity, health answers or traces.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from classifier.register import RoundHousehold, RoundInfo
from classifier.web.auth import User
from classifier.web.deps import Forbidden, api_user, get_state
from classifier.web.privacy import redact_record
from classifier.web.queries import household_rows, one_household

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["register"])


def _round(info: RoundInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "year": info.year,
        "kind": info.kind,
        "standard": info.standard,
        "rules_digest": info.rules_digest,
        "reference_date": info.reference_date.isoformat(),
        "status": info.status,
    }


def _household(h: RoundHousehold, user: User) -> dict[str, Any]:
    return {
        "code": h.code,
        "id": h.record_id,
        "place": dict(h.place),
        "area": h.area,
        "member_count": h.member_count,
        "version": h.version,
        "answers": dict(h.answers) if user.sees_personal_data else redact_record(h.answers),
        "result": None
        if h.outcome is None
        else {
            "outcome": h.outcome,
            "deprivation_count": h.deprivation_count,
            "unknown_count": h.unknown_count,
            "indicators": dict(h.indicators),
            "rules_digest": h.rules_digest,
        },
    }


@router.get("/rounds", summary="Every review round of the register")
def rounds(request: Request, user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
    return {"rounds": [_round(r) for r in get_state(request).register.rounds()]}


@router.get("/rounds/{name}/households", summary="The households of a round with their latest class")
def households(request: Request, name: str, user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
    state = get_state(request)
    info = state.register.round(name)
    return {
        "round": _round(info),
        "households": [
            {
                "code": r.code,
                "village": r.village,
                "area": r.area,
                "member_count": r.member_count,
                "version": r.version,
                "outcome": r.outcome,
                "deprivation_count": r.deprivation_count,
                "unknown_count": r.unknown_count,
                "changed_since_previous_round": r.changed,
            }
            for r in household_rows(state.engine, info.id)
        ],
    }


@router.get("/rounds/{name}/households/{code}", summary="One household: answers, version, latest result")
def household(
    request: Request, name: str, code: str, user: Annotated[User, Depends(api_user)]
) -> dict[str, Any]:
    state = get_state(request)
    return _household(one_household(state.engine, state.register.round(name), code), user)


@router.get(
    "/rounds/{name}/households/{code}/results", summary="Every result kept for a household in a round"
)
def results(
    request: Request, name: str, code: str, user: Annotated[User, Depends(api_user)]
) -> dict[str, Any]:
    history = get_state(request).register.results_history(name, code)
    out = []
    for item in history:
        entry = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()}
        if not user.sees_personal_data:
            entry["trace"] = None  # the trace quotes the answers it read, health answers included
        out.append(entry)
    return {"code": code, "round": name, "results": out}


@router.post(
    "/rounds/{name}/households/{code}/answers",
    summary="Change answers with a reason; refused with 409 when the household moved past `version`",
)
def change_answers(
    request: Request,
    name: str,
    code: str,
    user: Annotated[User, Depends(api_user)],
    changes: Annotated[dict[str, Any], Body(description="path → new value (null: unknown)")],
    version: Annotated[int, Body(description="the version the change was made on")],
    reason: Annotated[str, Body(description="why (written to the change log)")],
) -> dict[str, Any]:
    state = get_state(request)
    info = state.register.round(name)
    current = one_household(state.engine, info, code)
    if info.status == "closed" or not user.can_edit_village(current.place.get("village")):
        raise Forbidden()
    state.register.update_answers(
        name, code, changes, expected_version=version, who=user.username, reason=reason
    )
    state.register.classify(name, who=user.username)
    return _household(one_household(state.engine, info, code), user)


@router.get("/rounds/{name}/report", summary="Households per village and class (no personal data)")
def report(request: Request, name: str, user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
    state = get_state(request)
    info = state.register.round(name)
    rows = household_rows(state.engine, info.id)
    by_village: dict[str, Counter[str]] = {}
    for r in rows:
        by_village.setdefault(r.village or "", Counter())[r.outcome or "not_classified"] += 1
    return {
        "round": _round(info),
        "households": len(rows),
        "by_outcome": dict(Counter(r.outcome or "not_classified" for r in rows)),
        "by_village": {v: dict(c) for v, c in sorted(by_village.items())},
    }
