"""The managers' dashboards (admin, analyst): charts drawn with the vendored ECharts, each
with its numbers in a table beneath it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from openbss.db.uow import unit_of_work
from openbss.portal.core.deps import PortalContext, portal_context
from openbss.portal.core.templating import render
from openbss.portal.dashboards import figures

router = APIRouter(prefix="/dashboards")
Context = Annotated[PortalContext, Depends(portal_context)]


@router.get("", response_class=HTMLResponse)
def dashboards(request: Request, ctx: Context) -> Response:
    chinese = str(ctx.language).lower().startswith("zh")
    with unit_of_work(ctx.session_factory) as session:
        board = figures.dashboard(session, ctx.principal, chinese)
    return render(request, ctx, "dashboards/index.html", board=board)
