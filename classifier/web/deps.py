"""What every route needs: the application state, the language, the logged-in account, CSRF checks.

Pages raise :class:`LoginRequired` (→ redirect to the log-in page) or :class:`Forbidden` (→ 403
page); API routes answer JSON instead (see :mod:`classifier.web.app`).
"""

from __future__ import annotations

import secrets
from typing import Any

import attrs
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from classifier.register import Register
from classifier.web.auth import User, csrf_token, session_user, token_user
from classifier.web.i18n import LANGS, translate
from classifier.web.settings import Settings

__all__ = [
    "CSRF_COOKIE",
    "LANG_COOKIE",
    "SESSION_COOKIE",
    "CsrfFailed",
    "Forbidden",
    "LoginRequired",
    "WebState",
    "api_user",
    "check_csrf",
    "current_user",
    "get_lang",
    "get_state",
    "render",
    "require_officer",
    "require_writer",
]

SESSION_COOKIE = "cn_session"
CSRF_COOKIE = "cn_csrf"
LANG_COOKIE = "cn_lang"


@attrs.define
class WebState:
    """Built once by the app factory, shared by every request."""

    settings: Settings
    engine: Engine
    templates: Jinja2Templates
    register: Register


class LoginRequired(Exception):
    """The page needs a logged-in account."""


class Forbidden(Exception):
    """The account's role may not do this."""


class CsrfFailed(Exception):
    """A form came without the token of this browser."""


class ApiUnauthorized(Exception):
    """An API call without a valid ``Authorization: Bearer`` token."""


def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def get_lang(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "vi")
    return lang if lang in LANGS else "vi"


def optional_user(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    return session_user(get_state(request).engine, token) if token else None


def current_user(request: Request) -> User:
    """The logged-in account; nothing is readable without one."""
    user = optional_user(request)
    if user is None:
        raise LoginRequired()
    request.state.user = user
    return user


def require_writer(request: Request) -> User:
    """Officers and village reviewers (viewers only read reports)."""
    user = current_user(request)
    if user.role not in ("officer", "reviewer"):
        raise Forbidden()
    return user


def require_officer(request: Request) -> User:
    user = current_user(request)
    if not user.is_officer:
        raise Forbidden()
    return user


def api_user(request: Request) -> User:
    """The account of the request's bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    user = token_user(get_state(request).engine, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiUnauthorized()
    return user


async def check_csrf(request: Request) -> None:
    """Every form that writes must carry the token derived from this browser's CSRF cookie."""
    form = await request.form()
    seed = request.cookies.get(CSRF_COOKIE)
    sent = form.get("csrf_token")
    expected = csrf_token(get_state(request).settings.secret_key, seed) if seed else None
    if not (expected and isinstance(sent, str) and secrets.compare_digest(sent, expected)):
        raise CsrfFailed()


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the language, the account and this browser's CSRF token in its context."""
    state = get_state(request)
    lang = get_lang(request)
    seed = request.cookies.get(CSRF_COOKIE) or None  # an emptied cookie counts as none
    new_seed = seed is None
    if seed is None:
        seed = secrets.token_urlsafe(24)

    def t(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    user = context.pop("user", None) or getattr(request.state, "user", None)
    response = state.templates.TemplateResponse(
        request,
        template,
        {"lang": lang, "t": t, "user": user, "csrf": csrf_token(state.settings.secret_key, seed), **context},
        status_code=status_code,
    )
    if new_seed:
        response.set_cookie(
            CSRF_COOKIE, seed, httponly=True, samesite="lax", secure=state.settings.secure_cookies
        )
    return response
