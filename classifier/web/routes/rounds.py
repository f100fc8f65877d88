"""Review rounds: list and open one, its summary per village, classify it, change its status, export."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from classifier.api import DEFAULT_STANDARD
from classifier.io.records import PLACE_KEYS
from classifier.register import KINDS
from classifier.web.auth import User
from classifier.web.deps import check_csrf, current_user, get_lang, get_state, render, require_officer
from classifier.web.queries import household_rows, village_names

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def outcome_label(request: Request, standard: str, outcome: str | None, lang: str) -> str:
    """The class's label in ``lang`` ("—" when not classified yet)."""
    if outcome is None:
        return "—" if lang == "en" else "chưa phân loại"
    return str(request.app.state.rulesets.get(standard).class_label(outcome, lang))


@router.get("/rounds")
def list_rounds(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    state = get_state(request)
    rulesets = request.app.state.rulesets
    return render(
        request,
        "rounds.html",
        rounds=state.register.rounds(),
        kinds=KINDS,
        standards=rulesets.ids(),
        default_standard=DEFAULT_STANDARD,
        today=dt.date.today(),
    )


@router.post("/rounds", dependencies=[Depends(check_csrf)])
def new_round(
    request: Request,
    user: Annotated[User, Depends(require_officer)],
    name: Annotated[str, Form()],
    year: Annotated[int, Form()],
    reference_date: Annotated[dt.date, Form()],
    kind: Annotated[str, Form()] = "periodic",
    standard: Annotated[str, Form()] = DEFAULT_STANDARD,
) -> Response:
    state = get_state(request)
    ruleset = request.app.state.rulesets.get(standard)
    state.register.new_round(
        name.strip(), year=year, kind=kind, standard=ruleset, reference_date=reference_date, who=user.username
    )
    return RedirectResponse(f"/rounds/{name.strip()}", status_code=303)


@router.get("/rounds/{name}")
def round_page(request: Request, name: str, user: Annotated[User, Depends(current_user)]) -> Response:
    """The round's summary: households per village and class (what a viewer may read)."""
    state = get_state(request)
    info = state.register.round(name)
    rows = household_rows(state.engine, info.id)
    villages = village_names(rows)
    counts: Counter[tuple[str | None, str | None]] = Counter((r.village, r.outcome) for r in rows)
    outcomes = sorted({r.outcome for r in rows}, key=lambda o: (o is None, o or ""))
    return render(
        request,
        "round.html",
        info=info,
        total=len(rows),
        villages=villages,
        outcomes=outcomes,
        counts=counts,
        totals=Counter(r.outcome for r in rows),
        changed=sum(r.changed for r in rows),
        pending=sum(r.request_received is not None for r in rows),
        communes=round_communes(request, info.id),
        label=lambda o: outcome_label(request, info.standard, o, get_lang(request)),
    )


@router.post("/rounds/{name}/classify", dependencies=[Depends(check_csrf)])
def classify_round(request: Request, name: str, user: Annotated[User, Depends(require_officer)]) -> Response:
    summary = get_state(request).register.classify(name, who=user.username)
    return RedirectResponse(
        f"/rounds/{name}?classified={summary.classified}&failed={summary.failed}", status_code=303
    )


@router.post("/rounds/{name}/status", dependencies=[Depends(check_csrf)])
def set_status(
    request: Request,
    name: str,
    user: Annotated[User, Depends(require_officer)],
    status: Annotated[str, Form()],
    reason: Annotated[str, Form()],
) -> Response:
    get_state(request).register.set_status(name, status, who=user.username, reason=reason.strip() or status)
    return RedirectResponse(f"/rounds/{name}", status_code=303)


@router.get("/rounds/{name}/export.xlsx")
def export_round(request: Request, name: str, user: Annotated[User, Depends(current_user)]) -> Response:
    """Every household's result as an Excel workbook (codes and results only: no personal data)."""
    from openpyxl import Workbook

    from classifier.io.writers import xlsx_text

    state = get_state(request)
    info = state.register.round(name)
    ruleset = request.app.state.rulesets.get(info.standard)
    indicator_ids = ruleset.indicator_ids
    households = state.register.households(name)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("ket_qua")
    sheet.append(
        [
            "household_code",
            "id",
            *PLACE_KEYS,
            "area",
            "member_count",
            "outcome",
            "outcome_label_vi",
            "deprivation_count",
            "unknown_count",
            *(f"deprived.{i}" for i in indicator_ids),
            "rules_digest",
            "version",
        ]
    )
    for h in households:
        row = [
            h.code,
            h.record_id,
            *(h.place.get(k) for k in PLACE_KEYS),
            h.area,
            h.member_count,
            h.outcome,
            outcome_label(request, info.standard, h.outcome, "vi") if h.outcome else None,
            h.deprivation_count,
            h.unknown_count,
            *(h.indicators.get(i) for i in indicator_ids),
            h.rules_digest,
            h.version,
        ]
        # A record id or village from the survey may start with "=": Excel must show it, not run it.
        sheet.append([xlsx_text(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    filename = f"ket-qua-{info.name}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_REPORT_MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def round_communes(request: Request, round_id: int) -> list[str]:
    """The communes of a round's households (reports are issued per commune)."""
    import sqlalchemy as sa

    from classifier.register import schema as s

    with get_state(request).engine.connect() as conn:
        return sorted(
            c
            for c in conn.execute(
                sa.select(s.round_households.c.commune)
                .where(s.round_households.c.round_id == round_id)
                .distinct()
            ).scalars()
            if c
        )


@router.get("/rounds/{name}/report.{fmt}")
def round_report(
    request: Request, name: str, fmt: str, user: Annotated[User, Depends(current_user)], commune: str = ""
) -> Response:
    """The report set of the round for one commune (PDF, Excel or HTML) from the report templates; the
    previous round of the register, when there is one, gives the movement tables. A viewer's report
    leaves out the detailed lists (names, ethnicity)."""
    import tempfile
    from pathlib import Path

    from classifier.errors import InputError
    from classifier.register import RegisterError
    from classifier.report.reportset import compute_report_set, register_round, write_report_set
    from classifier.report.templates import load_templates

    if fmt not in _REPORT_MEDIA:
        raise RegisterError(f"report.{fmt} is not in round {name}: expected report.pdf, .xlsx or .html")
    state = get_state(request)
    info = state.register.round(name)
    ruleset = request.app.state.rulesets.get(info.standard)
    root = state.settings.rules_root
    current = register_round(state.register, name, ruleset, commune or None, root)
    names = [r.name for r in state.register.rounds()]
    previous = None
    earlier = []
    if names.index(name) > 0:
        place = current.households[0].place.get("commune")
        try:
            previous = register_round(state.register, names[names.index(name) - 1], ruleset, place, root)
            earlier = [
                register_round(state.register, n, ruleset, place, root)
                for n in names[: names.index(name) - 1]
            ]
        except InputError:
            previous, earlier = None, []  # an earlier round without this commune: no movement tables
    templates = [t for t in load_templates() if user.sees_personal_data or t.kind != "list"]
    report = compute_report_set(
        current, previous, templates, earlier=earlier, departures=state.register.departures(name)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"report.{fmt}"
        write_report_set(report, path)
        content = path.read_bytes()
    disposition = "inline" if fmt != "xlsx" else "attachment"
    return Response(
        content,
        media_type=_REPORT_MEDIA[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="bao-cao-{info.name}.{fmt}"'},
    )
