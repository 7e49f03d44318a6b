"""The portal's own pages: home, login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openbss.auth import users
from openbss.db.uow import unit_of_work
from openbss.portal.core.deps import PortalContext, SessionInfo, current_session, portal_context
from openbss.portal.core.forms import read_form
from openbss.portal.core.i18n import LANGUAGES
from openbss.portal.core.state import (
    LANGUAGE_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    portal_state,
    safe_next,
)
from openbss.portal.core.templating import redirect, render, set_cookie

router = APIRouter()

_YEAR = 365 * 24 * 3600


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ctx: Annotated[PortalContext, Depends(portal_context)]) -> Response:
    return render(request, ctx, "home.html")


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, active: Annotated[SessionInfo | None, Depends(current_session)]
) -> Response:
    target = safe_next(request.query_params.get("next"))
    if active is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, None, "login.html", next_url=target, username="", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    state = portal_state(request)
    form = await read_form(request)
    username = form.get("username", "")
    target = safe_next(form.get("next"))
    address = request.client.host if request.client else "unknown"
    previous = request.cookies.get(SESSION_COOKIE)
    with unit_of_work(state.session_factory, writes=True) as session:
        # A new id at every login: a session id planted before login is worth nothing.
        users.end_session(session, previous)
        result = users.login(session, username, form.get("password", ""), address, state.lockout)
        language = result.user.language if result.user is not None else None
    if result.session_id is None:
        status, message = (
            (429, "Too many failed attempts. Try again later.")
            if result.problem == "locked"
            else (401, "Wrong username or password.")
        )
        return render(
            request,
            None,
            "login.html",
            status_code=status,
            next_url=target,
            username=username[:64],
            error=message,
        )
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, state, SESSION_COOKIE, result.session_id)
    if language:
        set_cookie(response, state, LANGUAGE_COOKIE, language, max_age=_YEAR)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    state = portal_state(request)
    with unit_of_work(state.session_factory, writes=True) as session:
        users.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.post("/language")
async def switch_language(
    request: Request, active: Annotated[SessionInfo | None, Depends(current_session)]
) -> Response:
    """Switch the language: stored for a logged-in user, in a cookie before login."""
    form = await read_form(request)
    language = form.get("language", "")
    target = safe_next(form.get("next"))
    if language not in LANGUAGES:
        return redirect(request, target)
    state = portal_state(request)
    if active is not None:
        with unit_of_work(state.session_factory, writes=True) as session:
            users.set_language(session, active.user_id, language)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, state, LANGUAGE_COOKIE, language, max_age=_YEAR)
    return response
