"""A server of Nchf_ConvergedCharging alone, for ``openbss ocs serve --nchf-port``: the same
routes, authentication and limits as on the main API, sharing the Gy gateway's engine."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from openbss import __version__
from openbss.api.app import install_error_handlers
from openbss.api.limits import BodyLimits
from openbss.api.routes import nchf
from openbss.charging.charger import Charger


def create_nchf_app(session_factory: sessionmaker[Session], charger: Charger) -> FastAPI:
    app = FastAPI(
        title="openbss online charging (Nchf)",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.session_factory = session_factory
    app.state.charger = charger
    app.add_middleware(BodyLimits)
    install_error_handlers(app)
    for prefix, router in nchf.MOUNTS:
        app.include_router(router, prefix=prefix)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
