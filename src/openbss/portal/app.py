"""The portal application, mounted at ``/portal`` by ``openbss.api.app.create_app``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from openbss.auth.users import Lockout, SessionPolicy
from openbss.kit.settings import Settings, get_settings
from openbss.portal.core.deps import csrf_protect
from openbss.portal.core.errors import install_error_handlers
from openbss.portal.core.i18n import catalogs_for
from openbss.portal.core.routes import router as core_router
from openbss.portal.core.state import PREFIX, PortalState
from openbss.portal.core.templating import CORE_LOCALE, build_environment
from openbss.portal.sections import Section

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages are never framed by another site (clickjacking), never sniffed as another type, never
# leak their address (which may hold a phone number in a search) to another site, and are not
# kept by caches: they hold customers' data. The back button still works: it asks again.
_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(f"{PREFIX}/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def create_portal(
    session_factory: sessionmaker[Session],
    settings: Settings | None = None,
    sections: Sequence[Section] | None = None,
) -> FastAPI:
    """The portal as an application of its own (its own error pages), mounted by the API."""
    if sections is None:
        from openbss.portal.registry import SECTIONS

        sections = SECTIONS
    settings = settings or get_settings()
    app = FastAPI(
        title="openbss portal",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.portal = PortalState(
        session_factory=session_factory,
        data_dir=settings.data_dir,
        templates=build_environment(section.templates_dir for section in sections),
        catalogs=catalogs_for(
            (CORE_LOCALE, *(s.locale_dir for s in sections if s.locale_dir is not None))
        ),
        sections=tuple(sections),
        nav=tuple(item for section in sections for item in section.nav),
        customer_tabs=tuple(
            sorted((tab for s in sections for tab in s.customer_tabs), key=lambda t: t.order)
        ),
        session_policy=SessionPolicy(
            idle_minutes=settings.portal_session_idle_minutes,
            absolute_hours=settings.portal_session_absolute_hours,
        ),
        lockout=Lockout(
            attempts_per_user=settings.portal_lockout_attempts,
            attempts_per_address=settings.portal_lockout_address_attempts,
            minutes=settings.portal_lockout_minutes,
        ),
        secure_cookies=settings.portal_secure_cookies,
        default_timezone=settings.timezone,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(core_router)
    for section in sections:
        app.include_router(section.router)
    install_error_handlers(app)
    return app
