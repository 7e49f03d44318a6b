"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openbss import __version__
from openbss.api.deps import PrincipalDep
from openbss.api.docs import install_docs
from openbss.api.limits import BodyLimits
from openbss.api.messages import localise
from openbss.api.openapi import RESPONSES_KEY, build_document, json_content, responses
from openbss.api.routes import API_MOUNTS
from openbss.db.engine import make_engine, make_session_factory
from openbss.events.dispatcher import background_dispatcher
from openbss.kit.errors import OpenBSSError
from openbss.kit.settings import get_settings
from openbss.kit.worker import BackgroundWorker
from openbss.mediation.pushed import background_pushed_usage
from openbss.ordering.orchestrator import background_orchestrator
from openbss.portal.app import create_portal

log = logging.getLogger(__name__)

DESCRIPTION = """Telecom BSS: TM Forum Open APIs under `/tmf-api/<api>/v4` and openbss's own
operations under `/api/v1`.

**Authentication**: every operation but `/health` needs an API key sent as
`Authorization: Bearer <key>`. A key has one role and, unless it is a group (集团) key, one
province; a group key names the province it acts for with the `X-Province` header.

**Errors** are TMF630 JSON `{code, reason, message, status}`; `code` is stable, `message`
follows `Accept-Language` (`zh-CN` gives Chinese, English otherwise).

**Lists** take `offset` and `limit` and any attribute as a filter; the answer is an array with
the total in `X-Total-Count`, and 206 when a paging request leaves more items to fetch.
"""

HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "version"],
    "properties": {"status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"}},
}


WHOAMI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["keyId", "role", "province"],
    "properties": {
        "keyId": {"type": "string"},
        "role": {"type": "string"},
        "province": {"type": ["string", "null"]},
    },
}


WHOAMI_EXAMPLE = {"keyId": "0123456789abcdef", "role": "csr", "province": "GD"}


def _error(request: Request, status: int, code: str, reason: str, message: str) -> JSONResponse:
    body = {
        "code": code,
        "reason": reason,
        "message": localise(code, status, message, request.headers.get("accept-language")),
        "status": str(status),
        "@type": "Error",
    }
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenBSSError)
    async def domain_error(request: Request, exc: OpenBSSError) -> JSONResponse:
        return _error(request, exc.status, exc.code, exc.reason, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        return _error(request, 400, "INVALID_REQUEST", "Bad request", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return _error(request, exc.status_code, f"HTTP_{exc.status_code}", reason, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness race lost at the database: the pre-checks in the services give the
        # precise 409 in the normal case; this is the same answer when two requests race.
        log.info("integrity error answered 409: %s", type(exc.orig).__name__)
        return _error(
            request,
            409,
            "CONFLICT",
            "Conflict with the current state",
            "the change conflicts with data written concurrently; retry",
        )

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # A versioned row (a product order) was changed by a worker or another request
        # between this request's read and its write; nothing of this request was kept.
        log.info("stale versioned row answered 409")
        return _error(
            request,
            409,
            "CONCURRENT_UPDATE",
            "Conflict with a concurrent change",
            "the resource was changed concurrently; read it again and retry",
        )

    @app.exception_handler(OperationalError)
    async def contention(request: Request, exc: OperationalError) -> JSONResponse:
        # PostgreSQL deadlock (40P01) or serialization failure (40001): the transaction was
        # rolled back as a whole, so the client may simply retry.
        code = getattr(exc.orig, "sqlstate", None)
        # SQLite busy (5) or locked (6): concurrent writers held the write lock longer than
        # the busy timeout; nothing of this request was written.
        sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
        if code in ("40P01", "40001") or sqlite_code in (5, 6):
            return _error(
                request,
                409,
                "CONCURRENT_UPDATE",
                "Conflict with a concurrent change",
                "the change raced with another one and was rolled back; retry",
            )
        log.exception("database error", exc_info=exc)
        return _error(
            request,
            503,
            "DATABASE_UNAVAILABLE",
            "Service unavailable",
            "the database could not complete the request",
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return _error(
            request, 500, "INTERNAL_ERROR", "Internal error", "an unexpected error occurred"
        )


def create_app(
    session_factory: sessionmaker[Session] | None = None,
    *,
    dispatch_events: bool = True,
    orchestrate_orders: bool | None = None,
) -> FastAPI:
    """Build the application; tests pass their own session factory.

    The server runs background workers: the outbox dispatcher (events to hub listeners), the
    order orchestration (product orders through the OSS) and the mediation of usage pushed
    through TMF635. Tests switch them off and drive them explicitly; ``orchestrate_orders``
    (orders and pushed usage) follows ``dispatch_events`` unless given.
    """
    factory = session_factory or make_session_factory(make_engine())
    run_orders = dispatch_events if orchestrate_orders is None else orchestrate_orders

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers: list[BackgroundWorker] = []
        if dispatch_events:
            workers.append(background_dispatcher(factory))
        if run_orders:
            workers.append(background_orchestrator(factory))
            workers.append(background_pushed_usage(factory, get_settings().data_dir))
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()

    app = FastAPI(
        title="openbss",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served from the package by install_docs, so they work without the internet.
        docs_url=None,
        redoc_url=None,
    )
    app.state.session_factory = factory
    app.add_middleware(BodyLimits)
    install_error_handlers(app)
    for prefix, router in API_MOUNTS:
        app.include_router(router, prefix=prefix)

    @app.get(
        "/health",
        tags=["Operations"],
        summary="Liveness; needs no key",
        openapi_extra={
            RESPONSES_KEY: {
                "200": {
                    "description": "The server answers",
                    **json_content(HEALTH_SCHEMA, {"status": "ok", "version": __version__}),
                }
            }
        },
    )
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/api/v1/whoami",
        tags=["Operations"],
        summary="The caller as the server sees it: role and province of the key",
        openapi_extra=responses(
            {
                200: (
                    "The authenticated caller",
                    json_content(WHOAMI_SCHEMA, WHOAMI_EXAMPLE),
                )
            },
            (422,),
        ),
    )
    def whoami(caller: PrincipalDep) -> dict[str, str | None]:
        # Authenticated but touching no data: the floor every other operation stands on.
        return {"keyId": caller.key_id, "role": caller.role.value, "province": caller.province}

    app.mount("/portal", create_portal(factory))
    install_docs(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app, DESCRIPTION)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def create_served_app() -> FastAPI:
    """The application as `openbss serve` runs it, in each server process: uvicorn builds
    it there after configuring logging, so the access log's redaction is installed in every
    worker, not only in the process that started them."""
    from openbss.api import log_filters

    log_filters.install()
    app = create_app()
    # What the process built to serve (modules, routes, mappers, schemas: a quarter of a
    # million objects) lives as long as it does: kept out of the garbage collector's full
    # passes, which otherwise walk all of it again every few hundred requests.
    gc.collect()
    gc.freeze()
    return app
