"""Households of a round: the list with filters, one household's page (answers, result, explanation,
what would change it, history), editing an answer with a reason, the village meeting's vote, monthly
requests with their deadline, and the printable page and refusal letter."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from classifier.api import classify
from classifier.errors import InputError
from classifier.explain import render_text, render_what_would_change, what_would_change
from classifier.io import known_indicator_keys
from classifier.model import Household
from classifier.register import RegisterError, RoundHousehold, RoundInfo
from classifier.register import schema as s
from classifier.register.store import log_change, stored_household
from classifier.report.vocabulary import NEAR_POOR_CLASS, POOR_CLASS
from classifier.web.auth import User, utc_now
from classifier.web.db import MEETINGS, REQUESTS
from classifier.web.deps import (
    Forbidden,
    check_csrf,
    current_user,
    get_lang,
    get_state,
    render,
    require_writer,
)
from classifier.web.procedures import load_procedure
from classifier.web.queries import history, household_rows, meeting, one_household, requests_of, village_names
from classifier.web.routes.rounds import outcome_label

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def _procedure(request: Request) -> Any:
    return load_procedure(get_state(request).settings.procedures_file)


@router.get("/rounds/{name}/households")
def household_list(
    request: Request,
    name: str,
    user: Annotated[User, Depends(current_user)],
    village: str = "",
    outcome: str = "",
    changed: bool = False,
    requests: bool = False,
    page: int = 1,
) -> Response:
    """Households per village, filtered by class, cannot classify, changed since last round, requests."""
    state = get_state(request)
    info = state.register.round(name)
    rows = household_rows(state.engine, info.id)
    villages = village_names(rows)
    outcomes = sorted({r.outcome for r in rows if r.outcome})
    if village:
        rows = [r for r in rows if r.village == village]
    if outcome:
        rows = [r for r in rows if (r.outcome or "none") == outcome]
    if changed:
        rows = [r for r in rows if r.changed]
    if requests:
        rows = sorted((r for r in rows if r.request_received), key=lambda r: (r.request_received, r.code))
    procedure = _procedure(request)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    lang = get_lang(request)
    return render(
        request,
        "households.html",
        info=info,
        rows=shown,
        count=len(rows),
        page=page,
        pages=pages,
        villages=villages,
        outcomes=outcomes,
        filters={"village": village, "outcome": outcome, "changed": changed, "requests": requests},
        label=lambda o: outcome_label(request, info.standard, o, lang),
        deadline=procedure.deadline,
        today=dt.date.today(),
    )


def _household(request: Request, info: RoundInfo, h: RoundHousehold) -> tuple[Household, Any]:
    ruleset = request.app.state.rulesets.get(info.standard)
    parsed = stored_household(
        h.answers, info.name, ruleset, known_indicator_keys(get_state(request).settings.rules_root)
    )
    if not isinstance(parsed, Household):
        raise InputError(f"household {h.code}: {parsed[0]}", parsed)
    return parsed, ruleset


def _can_edit(user: User, info: RoundInfo, h: RoundHousehold) -> bool:
    return info.status != "closed" and user.can_edit_village(h.place.get("village"))


def _editable_paths(h: RoundHousehold, ruleset: Any) -> list[str]:
    """Every answer that may be edited: those given, and every fact of the data contract."""
    paths: list[str] = []
    skip = {"id", "members", "deprivations"}
    paths += [k for k in h.answers if k not in skip]
    paths += [n for n, spec in ruleset.facts.household.items() if not spec.derived and n not in paths]
    paths += [f"deprivations.{k}" for k in (h.answers.get("deprivations") or {})]
    members = h.answers.get("members") or []
    member_facts = [n for n, spec in ruleset.facts.member.items() if not spec.derived]
    for index, member in enumerate(members, start=1):
        keys = [k for k in member if k != "id"] + [n for n in member_facts if n not in member]
        paths += [f"members[{index}].{k}" for k in keys]
    return paths


def _page(
    request: Request, name: str, code: str, user: User, status_code: int = 200, **extra: Any
) -> Response:
    state = get_state(request)
    if not user.sees_personal_data:
        raise Forbidden()
    info = state.register.round(name)
    h = one_household(state.engine, info, code)
    lang = get_lang(request)
    household, ruleset = _household(request, info, h)
    result = classify(household, ruleset, reference_date=info.reference_date, engine="durable", trace=True)
    changes = what_would_change(
        household, result, standard=ruleset, reference_date=info.reference_date, engine="durable"
    )
    procedure = _procedure(request)
    vote = meeting(state.engine, info.id, code)
    return render(
        request,
        "household.html",
        status_code=status_code,
        info=info,
        h=h,
        result=result,
        label=lambda o: outcome_label(request, info.standard, o, lang),
        explanation=render_text(result, ruleset, lang=lang),
        what_if=render_what_would_change(changes, lang=lang, household_id=code),
        history=history(state.engine, code),
        log=state.register.change_log(code=code),
        paths=_editable_paths(h, ruleset),
        can_edit=_can_edit(user, info, h),
        requests=requests_of(state.engine, info.id, code),
        procedure=procedure,
        vote=vote,
        vote_approved=procedure.approved(vote.participants, vote.agreed) if vote else None,
        certifiable=result.outcome in (POOR_CLASS, NEAR_POOR_CLASS),
        today=dt.date.today(),
        **extra,
    )


@router.get("/rounds/{name}/households/{code}")
def household_page(
    request: Request, name: str, code: str, user: Annotated[User, Depends(current_user)]
) -> Response:
    return _page(request, name, code, user)


@router.get("/rounds/{name}/households/{code}/print")
def household_print(
    request: Request, name: str, code: str, user: Annotated[User, Depends(current_user)]
) -> Response:
    """A printable page of the household's result and explanation (A4, no navigation)."""
    return _page(request, name, code, user, printable=True)


@router.post("/rounds/{name}/households/{code}/answers", dependencies=[Depends(check_csrf)])
async def edit_answer(
    request: Request,
    name: str,
    code: str,
    user: Annotated[User, Depends(require_writer)],
    field: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    version: Annotated[int, Form()],
    value: Annotated[str, Form()] = "",
) -> Response:
    """Change one answer with a reason (change log), then re-classify at once."""
    state = get_state(request)
    info = state.register.round(name)
    h = one_household(state.engine, info, code)
    if not _can_edit(user, info, h):
        raise Forbidden()
    try:
        state.register.update_answers(
            name,
            code,
            {field.strip(): value.strip() or None},
            expected_version=version,
            who=user.username,
            reason=reason.strip(),
        )
    except (InputError, RegisterError) as exc:
        from classifier.register import StaleVersionError

        if isinstance(exc, StaleVersionError):
            raise
        return _page(request, name, code, user, status_code=422, edit_error=str(exc))
    state.register.classify(name, who=user.username)
    return RedirectResponse(f"/rounds/{name}/households/{code}?saved=1", status_code=303)


def _log(
    conn: sa.Connection, user: User, info: RoundInfo, code: str, field: str, old: Any, new: Any, reason: str
) -> None:
    """A line in the register's append-only change log for a write the register does not make itself."""
    household_id = conn.execute(sa.select(s.households.c.id).where(s.households.c.code == code)).scalar()
    log_change(conn, user.username, info.id, household_id, field, old, new, reason)


@router.post("/rounds/{name}/households/{code}/meeting", dependencies=[Depends(check_csrf)])
def record_meeting(
    request: Request,
    name: str,
    code: str,
    user: Annotated[User, Depends(require_writer)],
    meeting_date: Annotated[dt.date, Form()],
    participants: Annotated[int, Form()],
    agreed: Annotated[int, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """The village meeting's vote on this household's result (participants, how many agreed)."""
    state = get_state(request)
    info = state.register.round(name)
    h = one_household(state.engine, info, code)
    if not _can_edit(user, info, h):
        raise Forbidden()
    if participants <= 0 or not 0 <= agreed <= participants:
        return _page(
            request,
            name,
            code,
            user,
            status_code=422,
            meeting_error=f"participants = {participants}, agreed = {agreed}: expected "
            "participants ≥ 1 and 0 ≤ agreed ≤ participants",
        )
    values = {
        "meeting_date": meeting_date,
        "participants": participants,
        "agreed": agreed,
        "note": note.strip(),
    }
    new = {**values, "meeting_date": meeting_date.isoformat()}
    with state.engine.begin() as conn:
        old = conn.execute(
            sa.select(MEETINGS).where(MEETINGS.c.round_id == info.id, MEETINGS.c.household_code == code)
        ).first()
        stamped = {"recorded_by": user.username, "recorded_at": utc_now(), **values}
        if old is None:
            conn.execute(MEETINGS.insert().values(round_id=info.id, household_code=code, **stamped))
        else:
            conn.execute(MEETINGS.update().where(MEETINGS.c.id == old.id).values(**stamped))
        before = None
        if old is not None:
            before = {**{k: getattr(old, k) for k in values}, "meeting_date": old.meeting_date.isoformat()}
        _log(conn, user, info, code, "meeting", before, new, "village meeting")
    return RedirectResponse(f"/rounds/{name}/households/{code}#meeting", status_code=303)


@router.post("/rounds/{name}/households/{code}/requests", dependencies=[Depends(check_csrf)])
def register_request(
    request: Request,
    name: str,
    code: str,
    user: Annotated[User, Depends(require_writer)],
    form: Annotated[str, Form()],
    received_on: Annotated[dt.date, Form()],
) -> Response:
    """A household's request (form 01 or 04) of the monthly regular review, with the date received."""
    state = get_state(request)
    info = state.register.round(name)
    one_household(state.engine, info, code)  # the household must be in the round
    if form not in ("01", "04"):
        raise InputError(f"form {form!r}: expected 01 or 04")
    with state.engine.begin() as conn:
        conn.execute(
            REQUESTS.insert().values(
                round_id=info.id,
                household_code=code,
                form=form,
                received_on=received_on,
                status="pending",
                created_by=user.username,
                created_at=utc_now(),
            )
        )
        _log(
            conn,
            user,
            info,
            code,
            "request",
            None,
            {"form": form, "received_on": received_on.isoformat()},
            f"request form {form}",
        )
    return RedirectResponse(f"/rounds/{name}/households/{code}#requests", status_code=303)


@router.post("/rounds/{name}/households/{code}/requests/{request_id}", dependencies=[Depends(check_csrf)])
def decide_request(
    request: Request,
    name: str,
    code: str,
    request_id: int,
    user: Annotated[User, Depends(current_user)],
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """The commune's answer: accepted, or refused with written reasons (then a letter can be printed)."""
    if not user.is_officer:
        raise Forbidden()
    state = get_state(request)
    info = state.register.round(name)
    if decision not in ("accepted", "refused"):
        raise InputError(f"decision {decision!r}: expected accepted or refused")
    if decision == "refused" and not reason.strip():
        return _page(
            request, name, code, user, status_code=422, request_error="a refusal needs its reasons in writing"
        )
    with state.engine.begin() as conn:
        row = conn.execute(
            sa.select(REQUESTS).where(
                REQUESTS.c.id == request_id, REQUESTS.c.round_id == info.id, REQUESTS.c.household_code == code
            )
        ).first()
        if row is None:
            raise RegisterError(f"request {request_id} is not in round {name}")
        conn.execute(
            REQUESTS.update()
            .where(REQUESTS.c.id == request_id)
            .values(status=decision, decided_on=dt.date.today(), reason=reason.strip())
        )
        _log(
            conn,
            user,
            info,
            code,
            f"request[{request_id}].status",
            row.status,
            decision,
            reason.strip() or decision,
        )
    return RedirectResponse(f"/rounds/{name}/households/{code}#requests", status_code=303)


@router.get("/rounds/{name}/households/{code}/requests/{request_id}/letter")
def refusal_letter(
    request: Request, name: str, code: str, request_id: int, user: Annotated[User, Depends(current_user)]
) -> Response:
    """The reasoned letter answering a refused request, ready to print."""
    if not user.sees_personal_data:
        raise Forbidden()
    state = get_state(request)
    info = state.register.round(name)
    h = one_household(state.engine, info, code)
    row = next((r for r in requests_of(state.engine, info.id, code) if r.id == request_id), None)
    if row is None or row.status != "refused":
        raise RegisterError(
            f"request {request_id} of household {code} is not a refused request in round {name}"
        )
    return render(
        request, "letter.html", info=info, h=h, req=row, procedure=_procedure(request), today=dt.date.today()
    )


_PAPERS = {"letter": "result_letter", "certificate": "certificate"}
_MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@router.get("/rounds/{name}/households/{code}/papers/{kind}.{fmt}")
def household_paper(
    request: Request, name: str, code: str, kind: str, fmt: str, user: Annotated[User, Depends(current_user)]
) -> Response:
    """The household's result letter or certificate from the papers generators, as PDF or DOCX."""
    from classifier.papers import household as papers
    from classifier.papers.document import render_document

    if not user.sees_personal_data:
        raise Forbidden()
    if kind not in _PAPERS or fmt not in _MEDIA:
        raise RegisterError(
            f"paper {kind}.{fmt} is not in round {name}: expected letter or certificate, as .pdf or .docx"
        )
    state = get_state(request)
    info = state.register.round(name)
    household, ruleset = _household(request, info, one_household(state.engine, info, code))
    result = classify(household, ruleset, reference_date=info.reference_date, engine="durable", trace=True)
    document = getattr(papers, _PAPERS[kind])(household, result, ruleset)
    return Response(
        render_document(document, fmt),
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'inline; filename="{kind}-{code}.{fmt}"'},
    )
