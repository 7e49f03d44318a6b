"""Rendering pages: the Jinja environment, its filters and per-request globals, PRG helpers.

Every template sees ``ctx`` (the :class:`PortalContext`, None before login), ``_`` and
``ngettext`` in the user's language, ``csrf_token`` / ``csrf_input()``, ``nav`` (the header
entries the user's role may see), ``language``, ``flash_message`` and ``current_path``.
Filters: ``yuan`` (fen → ¥1,234.56), ``li_yuan`` (li → ¥1,234.567), ``local_dt`` and
``local_date`` (a UTC instant in the user's time zone).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from openbss.kit.clock import ensure_utc
from openbss.portal.core.i18n import LANGUAGES
from openbss.portal.core.state import (
    CSRF_FIELD,
    FLASH_COOKIE,
    PRE_CSRF_COOKIE,
    PREFIX,
    PortalState,
    portal_state,
)

CORE_TEMPLATES = Path(__file__).resolve().parent / "templates"
CORE_LOCALE = Path(__file__).resolve().parent / "locale"
_MAX_FLASH = 500


def yuan(fen: int | None) -> str:
    """Fen as yuan with two decimals and thousands separators: 123456 → ¥1,234.56."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def li_yuan(li: int | None) -> str:
    """Li (0.001 yuan) as yuan with three decimals: 1234567 → ¥1,234.567."""
    if li is None:
        return "—"
    sign = "-" if li < 0 else ""
    whole, rest = divmod(abs(int(li)), 1000)
    return f"{sign}¥{whole:,}.{rest:03d}"


def _zone(context: Context) -> ZoneInfo:
    ctx = context.get("ctx")
    name = getattr(ctx, "timezone", None) or context.get("default_timezone") or "Asia/Shanghai"
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


@pass_context
def local_dt(context: Context, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) instant in the user's time zone."""
    if value is None:
        return "—"
    return ensure_utc(value).astimezone(_zone(context)).strftime(fmt)


@pass_context
def local_date(context: Context, value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return ensure_utc(value).astimezone(_zone(context)).strftime("%Y-%m-%d")
    return value.isoformat()


def _number(value: int | Decimal | None) -> str:
    return "—" if value is None else f"{value:,}"


def build_environment(template_dirs: Iterable[Path]) -> Environment:
    """One environment over the core templates and every section's templates folder."""
    loaders = [FileSystemLoader(str(CORE_TEMPLATES))]
    loaders += [FileSystemLoader(str(path)) for path in template_dirs]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        yuan=yuan, li_yuan=li_yuan, local_dt=local_dt, local_date=local_date, number=_number
    )
    env.globals.update(prefix=PREFIX, languages=LANGUAGES)
    return env


def _page_values(request: Request, ctx: Any, state: PortalState) -> dict[str, Any]:
    # Imported here: deps imports this module's neighbours; the context type is only read.
    from openbss.portal.core.deps import current_session, request_language

    if ctx is not None:
        language, token = ctx.language, ctx.csrf_token
        nav = [item for item in state.nav if item.visible_to(ctx.role)]
    else:
        active = current_session(request) if request.cookies else None
        language = request_language(request, active)
        token = active.csrf_token if active else _pre_login_token(request)
        nav = []
    translations = state.catalogs.get(language)
    flash_raw = request.cookies.get(FLASH_COOKIE)
    return {
        "request": request,
        "ctx": ctx,
        "_": translations.gettext,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "language": language,
        "csrf_token": token,
        "csrf_input": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(
            CSRF_FIELD, token
        ),
        "nav": nav,
        "flash_message": unquote(flash_raw)[:_MAX_FLASH] if flash_raw else None,
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "default_timezone": state.default_timezone,
    }


def _pre_login_token(request: Request) -> str:
    token = request.cookies.get(PRE_CSRF_COOKIE)
    if not token or len(token) > 64:
        token = getattr(request.state, "pre_csrf", None) or secrets.token_urlsafe(32)
    request.state.pre_csrf = token
    return token


def render_fragment(request: Request, ctx: Any, template: str, values: Mapping[str, Any]) -> Markup:
    """A template rendered to HTML with the page globals (for tabs and htmx fragments)."""
    state = portal_state(request)
    page = _page_values(request, ctx, state)
    # the template is autoescaped: its output is HTML by construction
    return Markup(state.templates.get_template(template).render({**page, **values}))  # noqa: S704


def render(
    request: Request,
    ctx: Any,
    template: str,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """A whole page (``ctx`` None for pages shown before login)."""
    state = portal_state(request)
    page = _page_values(request, ctx, state)
    html = state.templates.get_template(template).render({**page, **values})
    response = HTMLResponse(html, status_code=status_code)
    _finish(request, response, state)
    return response


def _finish(request: Request, response: HTMLResponse, state: PortalState) -> None:
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    pre = getattr(request.state, "pre_csrf", None)
    if pre and request.cookies.get(PRE_CSRF_COOKIE) != pre:
        set_cookie(response, state, PRE_CSRF_COOKIE, pre)


def set_cookie(
    response: HTMLResponse | RedirectResponse,
    state: PortalState,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
    )


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    """Post/redirect/get: 303 to ``url``, with a message shown once on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_cookie(response, portal_state(request), FLASH_COOKIE, quote(flash[:_MAX_FLASH]))
    return response


def flash(request: Request, response: HTMLResponse | RedirectResponse, message: str) -> None:
    """Show ``message`` once on the next page rendered."""
    set_cookie(response, portal_state(request), FLASH_COOKIE, quote(message[:_MAX_FLASH]))


def render_error(request: Request, status: int, code: str, message: str) -> HTMLResponse:
    """The error page, in the language of the user (or of the switch before login)."""
    from openbss.portal.core.deps import current_session, request_language
    from openbss.portal.core.messages import localise

    try:
        active = current_session(request)
    except Exception:  # the database itself may be what failed
        active = None
    language = request_language(request, active)
    text = localise(code, status, message, language)
    state = portal_state(request)
    translations = state.catalogs.get(language)
    if request.headers.get("HX-Request"):
        html = Markup('<div class="error" role="alert">{}</div>').format(text)
        return HTMLResponse(str(html), status_code=status)
    try:
        return render(
            request,
            None,
            "error.html",
            status_code=status,
            status=status,
            code=code,
            message=text,
            title=translations.gettext("Error"),
            logged_in=active is not None,
        )
    except Exception:  # never fail while reporting a failure
        body = Markup("<!doctype html><title>{0}</title><h1>{0}</h1><p>{1}</p>").format(
            status, text
        )
        return HTMLResponse(str(body), status_code=status)
