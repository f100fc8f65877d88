"""Import an Excel, CSV or JSON file into a round: upload, map the columns, read the validation report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from classifier.web.auth import User
from classifier.web.deps import check_csrf, get_state, render, require_officer
from classifier.web.uploads import (
    IGNORE,
    choices,
    default_target,
    discard,
    find_upload,
    read_headers,
    rewrite,
    save_upload,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/rounds/{name}/import")
def import_form(request: Request, name: str, user: Annotated[User, Depends(require_officer)]) -> Response:
    info = get_state(request).register.round(name)
    return render(request, "import.html", info=info)


@router.post("/rounds/{name}/import", dependencies=[Depends(check_csrf)])
async def upload(
    request: Request,
    name: str,
    user: Annotated[User, Depends(require_officer)],
    households: Annotated[UploadFile, File()],
    members: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Keep the file and show the mapping step (JSON files have no columns: imported at once)."""
    state = get_state(request)
    info = state.register.round(name)
    members_item = None
    if members is not None and members.filename:
        members_item = (members.filename, await members.read())
    kept = save_upload(
        state.settings.data_dir, (households.filename or "", await households.read()), members_item
    )
    if not kept.mappable:
        return _import(request, name, kept.token, user, mapping=None)
    try:
        headers = read_headers(kept)
    except Exception:
        discard(kept)
        raise
    ruleset = request.app.state.rulesets.get(info.standard)
    return render(
        request,
        "import_map.html",
        info=info,
        token=kept.token,
        columns=[(h, default_target(h, state.settings.rules_root)) for h in headers],
        choices=choices(ruleset, state.settings.rules_root),
        ignore=IGNORE,
    )


@router.post("/rounds/{name}/import/{token}", dependencies=[Depends(check_csrf)])
async def confirm(
    request: Request, name: str, token: str, user: Annotated[User, Depends(require_officer)]
) -> Response:
    form = await request.form()
    count = int(str(form.get("columns", "0")))
    mapping = [str(form.get(f"map_{i}", IGNORE)) for i in range(count)]
    return _import(request, name, token, user, mapping)


def _import(request: Request, name: str, token: str, user: User, mapping: list[str] | None) -> Response:
    state = get_state(request)
    kept = find_upload(state.settings.data_dir, token)
    # A mapping refused (two columns on one field) keeps the upload: the officer goes back and fixes it.
    path = rewrite(kept, mapping) if mapping is not None else kept.households
    try:
        summary = state.register.import_file(
            name, path, members_path=kept.members, who=user.username, rules_root=state.settings.rules_root
        )
    finally:
        discard(kept)  # imported or refused: the file (personal data) is not kept on disk
    classified = state.register.classify(name, who=user.username)
    return render(
        request,
        "import_report.html",
        status_code=200,
        info=state.register.round(name),
        summary=summary,
        classified=classified,
    )
