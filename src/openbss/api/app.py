"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openbss import __version__
from openbss.api.limits import BodyLimits
from openbss.api.resource_router import SCHEMA_COMPONENTS
from openbss.api.routes import API_MOUNTS
from openbss.db.engine import make_engine, make_session_factory
from openbss.events.dispatcher import background_dispatcher
from openbss.kit.errors import OpenBSSError
from openbss.kit.settings import get_settings
from openbss.kit.worker import BackgroundWorker
from openbss.mediation.pushed import background_pushed_usage
from openbss.ordering.orchestrator import background_orchestrator

log = logging.getLogger(__name__)


def _error(status: int, code: str, reason: str, message: str) -> JSONResponse:
    body = {
        "code": code,
        "reason": reason,
        "message": message,
        "status": str(status),
        "@type": "Error",
    }
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenBSSError)
    async def domain_error(_request: Request, exc: OpenBSSError) -> JSONResponse:
        return JSONResponse(exc.to_tmf(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        return _error(400, "INVALID_REQUEST", "Bad request", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return _error(exc.status_code, f"HTTP_{exc.status_code}", reason, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness race lost at the database: the pre-checks in the services give the
        # precise 409 in the normal case; this is the same answer when two requests race.
        log.info("integrity error answered 409: %s", type(exc.orig).__name__)
        return _error(
            409,
            "CONFLICT",
            "Conflict with the current state",
            "the change conflicts with data written concurrently; retry",
        )

    @app.exception_handler(StaleDataError)
    async def stale(_request: Request, exc: StaleDataError) -> JSONResponse:
        # A versioned row (a product order) was changed by a worker or another request
        # between this request's read and its write; nothing of this request was kept.
        log.info("stale versioned row answered 409")
        return _error(
            409,
            "CONCURRENT_UPDATE",
            "Conflict with a concurrent change",
            "the resource was changed concurrently; read it again and retry",
        )

    @app.exception_handler(OperationalError)
    async def contention(_request: Request, exc: OperationalError) -> JSONResponse:
        # PostgreSQL deadlock (40P01) or serialization failure (40001): the transaction was
        # rolled back as a whole, so the client may simply retry.
        code = getattr(exc.orig, "sqlstate", None)
        # SQLite busy (5) or locked (6): concurrent writers held the write lock longer than
        # the busy timeout; nothing of this request was written.
        sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
        if code in ("40P01", "40001") or sqlite_code in (5, 6):
            return _error(
                409,
                "CONCURRENT_UPDATE",
                "Conflict with a concurrent change",
                "the change raced with another one and was rolled back; retry",
            )
        log.exception("database error", exc_info=exc)
        return _error(
            503,
            "DATABASE_UNAVAILABLE",
            "Service unavailable",
            "the database could not complete the request",
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return _error(500, "INTERNAL_ERROR", "Internal error", "an unexpected error occurred")


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
        description="Telecom BSS: TM Forum Open APIs (bearer-token authentication)",
        lifespan=lifespan,
    )
    app.state.session_factory = factory
    app.add_middleware(BodyLimits)
    install_error_handlers(app)
    for prefix, router in API_MOUNTS:
        app.include_router(router, prefix=prefix)

    @app.get("/health", tags=["Operations"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {}).update(SCHEMA_COMPONENTS)
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
