"""Why a portal request stops early, and how each reason becomes a page."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openbss.kit.errors import OpenBSSError
from openbss.portal.core.state import PREFIX

log = logging.getLogger(__name__)


class LoginRequired(Exception):
    """No live session: the user is sent to the login page, and back afterwards."""

    def __init__(self, next_url: str) -> None:
        super().__init__("login required")
        self.next_url = next_url


class CsrfRejected(OpenBSSError):
    status = 403
    code = "CSRF_REJECTED"
    reason = "Not allowed"


def install_error_handlers(app: FastAPI) -> None:
    # Imported here: templating imports the state and i18n, errors is imported by both.
    from openbss.portal.core.templating import render_error

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = f"{PREFIX}/login?next={quote(exc.next_url, safe='')}"
        if request.headers.get("HX-Request"):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(OpenBSSError)
    async def refused(request: Request, exc: OpenBSSError) -> Response:
        return render_error(request, exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        return render_error(request, 400, "INVALID_REQUEST", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return render_error(request, exc.status_code, f"HTTP_{exc.status_code}", str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> Response:
        log.info("integrity error answered 409: %s", type(exc.orig).__name__)
        return render_error(request, 409, "CONFLICT", "the change conflicts with current data")

    @app.exception_handler(OperationalError)
    async def database(request: Request, exc: OperationalError) -> Response:
        log.warning("database error answered 503: %s", type(exc.orig).__name__)
        return render_error(request, 503, "DATABASE_UNAVAILABLE", "the database is busy; retry")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected portal error", exc_info=exc)
        return render_error(request, 500, "INTERNAL_ERROR", "an unexpected error occurred")
