"""Who is asking: the logged-in user's :class:`PortalContext`, and the CSRF check.

``portal_context`` is the dependency every screen takes: it resolves the session cookie to a
live session (or sends the browser to the login page) and carries the user's principal, which
is all a handler may act with. ``csrf_protect`` runs before every route: an unsafe method
(POST, PUT, PATCH, DELETE) must present the session's CSRF token as the ``csrf_token`` form
field or the ``X-CSRF-Token`` header (htmx sends it from ``hx-headers`` on ``<body>``).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth import users
from openbss.db.uow import unit_of_work
from openbss.kit.security import Principal, Role
from openbss.portal.core.errors import CsrfRejected, LoginRequired
from openbss.portal.core.i18n import choose_language
from openbss.portal.core.state import (
    CSRF_FIELD,
    CSRF_HEADER,
    LANGUAGE_COOKIE,
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    portal_state,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class SessionInfo:
    """The live session of the request, copied out of its unit of work."""

    user_id: int
    username: str
    role: Role
    province: str | None
    language: str
    timezone: str
    csrf_token: str

    @property
    def principal(self) -> Principal:
        return Principal(key_id=f"user:{self.username}", role=self.role, province=self.province)


@dataclass(frozen=True)
class PortalContext:
    """What a handler knows of the logged-in user. Act only through ``principal``."""

    username: str
    principal: Principal
    language: str
    timezone: str
    csrf_token: str
    session_factory: sessionmaker[Session]
    data_dir: Path
    user_id: int
    translations: gettext.NullTranslations

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("Asia/Shanghai")

    def gettext(self, message: str) -> str:
        """``message`` (an English msgid) in the user's language."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


def current_session(request: Request) -> SessionInfo | None:
    """The request's live session, or None. FastAPI caches it per request."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    state = portal_state(request)
    with unit_of_work(state.session_factory) as session:
        active = users.resolve_session(session, raw, state.session_policy)
        if active is None:
            return None
        user = active.user
        return SessionInfo(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            province=user.province,
            language=choose_language(user.language),
            timezone=user.timezone or state.default_timezone,
            csrf_token=active.row.csrf_token,
        )


def portal_context(
    request: Request, active: SessionInfo | None = Depends(current_session)
) -> PortalContext:
    """The logged-in user's context; a request without a live session goes to login."""
    if active is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method in SAFE_METHODS else "/portal/")
    state = portal_state(request)
    return PortalContext(
        username=active.username,
        principal=active.principal,
        language=active.language,
        timezone=active.timezone,
        csrf_token=active.csrf_token,
        session_factory=state.session_factory,
        data_dir=state.data_dir,
        user_id=active.user_id,
        translations=state.catalogs.get(active.language),
    )


def request_language(request: Request, active: SessionInfo | None) -> str:
    """The language of a page: the user's stored one, else the switch's cookie."""
    return choose_language(
        active.language if active else None, request.cookies.get(LANGUAGE_COOKIE)
    )


async def csrf_protect(
    request: Request, active: SessionInfo | None = Depends(current_session)
) -> None:
    """Refuse an unsafe request that does not carry the expected CSRF token (403)."""
    if request.method in SAFE_METHODS:
        return
    expected = active.csrf_token if active else request.cookies.get(PRE_CSRF_COOKIE)
    presented = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "").lower()
    if presented is None and content_type.startswith(_FORM_TYPES):
        try:
            form = await request.form()
        except Exception:  # a malformed body is no token
            raise CsrfRejected("the form could not be read") from None
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not expected or not users.csrf_matches(expected, presented):
        raise CsrfRejected("the form's security token is missing or wrong; reload the page")
