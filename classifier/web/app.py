"""The application factory: one FastAPI app with the pages, the API and the error pages.

FastAPI gives the OpenAPI description (``/api/v1/openapi.json``); its interactive docs pages are
switched off because they load scripts from a CDN, and every asset here is bundled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from classifier import __version__
from classifier.errors import ChuanNgheoError, InputError, RecordError, UnknownStandardError
from classifier.register import Register, RegisterError, StaleVersionError
from classifier.web.db import ensure_schema, make_engine
from classifier.web.deps import (
    ApiUnauthorized,
    CsrfFailed,
    Forbidden,
    LoginRequired,
    WebState,
    render,
)
from classifier.web.routes import account, api, api_register, households, imports, rounds
from classifier.web.routes.api import error_body
from classifier.web.settings import Settings
from classifier.web.standards import RuleSets

__all__ = ["app_from_env", "create_app"]

HERE = Path(__file__).resolve().parent
log = logging.getLogger("classifier.web")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _request_error(error: Mapping[str, Any]) -> RecordError:
    """A framework validation error in the command line's terms (``expected a date YYYY-MM-DD``)."""
    kind = str(error.get("type", ""))
    expected = _EXPECTED.get(kind.split("_")[0], str(error.get("msg", "a valid value")))
    field = ".".join(str(p) for p in error.get("loc", ())[1:]) or "<request>"
    return RecordError(None, field, error.get("input"), expected)


_EXPECTED = {
    "date": "a date YYYY-MM-DD",
    "bool": "true or false",
    "int": "a whole number",
    "missing": "a value (this field is required)",
}


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    """To the login page, back here after it."""
    target = request.url.path
    return RedirectResponse(f"/login?next={target}", status_code=303)


async def _forbidden(request: Request, exc: Forbidden) -> Response:
    """403: the account's role may not do this."""
    if _is_api(request):
        return JSONResponse({"error": "this account may not do this"}, status_code=403)
    return render(request, "error.html", status_code=403, message_key="forbidden")


async def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
    """400: a form posted without its page's token."""
    return render(request, "error.html", status_code=400, message_key="csrf_failed")


async def _api_unauthorized(request: Request, exc: ApiUnauthorized) -> Response:
    """401 with the way to get a token."""
    return JSONResponse(
        {
            "error": "missing or unknown API token: send 'Authorization: Bearer <token>' "
            "(create one with `chuan-ngheo user token NAME`)"
        },
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
    """422 (API) or 400 (page): the request's fields in the command line's terms."""
    errors = [_request_error(e) for e in exc.errors()]
    if _is_api(request):
        return JSONResponse(error_body(errors), status_code=422)
    return render(request, "error.html", status_code=400, message=errors[0].message if errors else "")


async def _unknown_standard(request: Request, exc: UnknownStandardError) -> Response:
    """422: no standard by that name."""
    return JSONResponse({"error": str(exc)}, status_code=422)


async def _stale(request: Request, exc: StaleVersionError) -> Response:
    """409: someone else changed the household since it was read (the page offers to reload)."""
    if _is_api(request):
        return JSONResponse({"error": str(exc)}, status_code=409)
    return render(request, "error.html", status_code=409, message=str(exc), reload=request.url.path)


async def _register_error(request: Request, exc: RegisterError) -> Response:
    """404 for a household or round that is not there, 400 for another refusal of the register."""
    status = 404 if "is not in round" in str(exc) or "no review round named" in str(exc) else 400
    if _is_api(request):
        return JSONResponse({"error": str(exc)}, status_code=status)
    return render(request, "error.html", status_code=status, message=str(exc))


async def _input_error(request: Request, exc: InputError) -> Response:
    """422 (API, with the record errors) or 400 (page): bad input."""
    if _is_api(request):
        return JSONResponse({"error": str(exc), **error_body(list(exc.errors))}, status_code=422)
    return render(request, "error.html", status_code=400, message=str(exc))


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """The framework's HTTP errors (404, 405, …) as JSON or as the error page."""
    if _is_api(request):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
    key = "not_found" if exc.status_code == 404 else None
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        message_key=key,
        message=None if key else str(exc.detail),
    )


#: Per exception class, its answer (installed in this order).
_ERROR_HANDLERS: tuple[tuple[type[Exception], Callable[..., Awaitable[Response]]], ...] = (
    (LoginRequired, _login_required),
    (Forbidden, _forbidden),
    (CsrfFailed, _csrf_failed),
    (ApiUnauthorized, _api_unauthorized),
    (RequestValidationError, _bad_request),
    (UnknownStandardError, _unknown_standard),
    (StaleVersionError, _stale),
    (RegisterError, _register_error),
    (InputError, _input_error),
    (StarletteHTTPException, _http_error),
)


def _install_error_handlers(app: FastAPI) -> None:
    for exc_class, handler in _ERROR_HANDLERS:
        app.exception_handler(exc_class)(handler)


def _internal_response(request: Request, exc: Exception) -> Response:
    # Only the kind of error and the route: never the request's data (it may hold personal data).
    log.error("internal error %s on %s %s", type(exc).__name__, request.method, request.url.path)
    if isinstance(exc, ChuanNgheoError):
        message = f"{type(exc).__name__}: see the server's rule files"
    else:
        message = "internal error: this is a bug in chuan-ngheo, not in your data; nothing was stored"
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=500)
    return render(request, "error.html", status_code=500, message_key="internal_error")


class NoTracebackMiddleware:
    """Answers an unexpected exception with the 500 page (or JSON) and logs its type and route only.

    Starlette's outermost error middleware re-raises after answering, so the server would log the
    traceback, whose messages and local values can hold a household's answers; this layer stops the
    exception before it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:  # the answer is half sent: nothing better to do than close the connection
                log.error("internal error %s after the response started", type(exc).__name__)
                return
            await _internal_response(Request(scope), exc)(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    """The application on ``settings.database_url`` (tables created when missing)."""
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app = FastAPI(
        title="chuan-ngheo",
        version=__version__,
        description="Vietnam's multidimensional household poverty classification: classify and explain "
        "households, and run a commune's review round.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = WebState(
        settings=settings, engine=engine, templates=templates, register=Register(engine, migrate=False)
    )
    app.state.rulesets = RuleSets(settings.rules_root)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(api_register.router)
    app.include_router(account.router)
    app.include_router(rounds.router)
    app.include_router(imports.router)
    app.include_router(households.router)
    _install_error_handlers(app)
    app.add_middleware(NoTracebackMiddleware)

    return app


def app_from_env() -> FastAPI:
    """The app for a worker process of ``serve --workers N`` (settings from the environment)."""
    return create_app(Settings.load())
