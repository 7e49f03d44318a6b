"""What the portal holds for its lifetime, on ``app.state.portal``: the session factory, the
template environment, the merged translations and every section's navigation and tabs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import Request
from jinja2 import Environment
from sqlalchemy.orm import Session, sessionmaker

from openbss.auth.users import Lockout, SessionPolicy
from openbss.portal.core.i18n import Catalogs
from openbss.portal.sections import CustomerTab, NavItem, Section

PREFIX: Final = "/portal"
SESSION_COOKIE: Final = "obss_portal_session"
# Before login there is no session to hold the CSRF token: this cookie holds it (double
# submit), for the login and language forms.
PRE_CSRF_COOKIE: Final = "obss_portal_csrf"
LANGUAGE_COOKIE: Final = "obss_portal_lang"
FLASH_COOKIE: Final = "obss_portal_flash"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"


@dataclass(frozen=True)
class PortalState:
    session_factory: sessionmaker[Session]
    data_dir: Path
    templates: Environment
    catalogs: Catalogs
    sections: tuple[Section, ...]
    nav: tuple[NavItem, ...]
    customer_tabs: tuple[CustomerTab, ...]
    session_policy: SessionPolicy
    lockout: Lockout
    secure_cookies: bool
    default_timezone: str


def portal_state(request: Request) -> PortalState:
    state: PortalState = request.app.state.portal
    return state


def safe_next(value: object, default: str = PREFIX + "/") -> str:
    """A place inside the portal to go back to; anything else (another site, a scheme, a
    protocol-relative URL) becomes ``default``."""
    if not isinstance(value, str) or len(value) > 2000:
        return default
    if not (value == PREFIX or value.startswith(PREFIX + "/") or value.startswith(PREFIX + "?")):
        return default
    if "//" in value or "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value
