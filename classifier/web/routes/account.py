"""Log-in, log-out, the language switch and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from classifier.web.auth import LoginRefused, User, authenticate, end_session, start_session
from classifier.web.deps import (
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    current_user,
    get_state,
    render,
)
from classifier.web.i18n import LANGS

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or ``http://…``): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next))


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    state = get_state(request)
    settings = state.settings
    try:
        user = authenticate(
            state.engine,
            username,
            password,
            max_failures=settings.max_failed_logins,
            window_s=settings.throttle_window_s,
        )
    except LoginRefused as exc:
        if exc.throttled:
            message = ("login_throttled", {"minutes": max(1, -(-exc.wait_s // 60))})
        else:
            message = ("login_failed", {})
        return render(
            request,
            "login.html",
            status_code=429 if exc.throttled else 401,
            next=safe_next(next),
            username=username.strip()[:64],
            error=message,
        )
    token = start_session(state.engine, user, settings.session_lifetime_s)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_lifetime_s,
    )
    # A new CSRF seed after log-in: a token seen before log-in is worth nothing after it.
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(get_state(request).engine, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/") -> Response:
    """Switch between Vietnamese and English; the choice is kept in a cookie."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response


@router.get("/")
def home(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    return RedirectResponse("/rounds", status_code=303)


@router.get("/about")
def about(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    """The standards this server knows and how to reach the API."""
    rulesets = request.app.state.rulesets
    return render(request, "about.html", standards=[rulesets.get(s) for s in rulesets.ids()])
