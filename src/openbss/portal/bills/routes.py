"""Bills: an account's list, one bill with its itemised usage, its invoice PDF, and hot
billing of the open cycle. Every page is a GET; nothing here writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from openbss.billing.invoice import InvoiceFontMissing, mask_called_number
from openbss.db.uow import unit_of_work
from openbss.kit.errors import OpenBSSError
from openbss.portal.bills import reading
from openbss.portal.core.deps import PortalContext, portal_context
from openbss.portal.core.messages import localise
from openbss.portal.core.templating import render

router = APIRouter(prefix="/bills")
Context = Annotated[PortalContext, Depends(portal_context)]
PASSED_ON = frozenset({401, 403, 404})


def chinese(ctx: PortalContext) -> bool:
    """Whether the user reads Chinese: texts kept in both languages show that one."""
    return str(ctx.language).lower().startswith("zh")


@router.get("", response_class=HTMLResponse)
def account_bills(request: Request, ctx: Context, account: str = "") -> Response:
    with unit_of_work(ctx.session_factory) as session:
        found = reading.account_bills(session, ctx.principal, account)
    return render(request, ctx, "bills/list.html", found=found)


@router.get("/hot", response_class=HTMLResponse)
def hot_bill(request: Request, ctx: Context, account: str = "") -> Response:
    error = None
    hot = None
    try:
        with unit_of_work(ctx.session_factory) as session:
            hot = reading.hot_bill(session, ctx.principal, ctx.data_dir, account)
    except OpenBSSError as exc:
        if exc.status in PASSED_ON:
            raise
        error = localise(exc.code, exc.status, exc.message, ctx.language)
    return render(
        request,
        ctx,
        "bills/hot.html",
        status_code=200 if error is None else 409,
        hot=hot,
        error=error,
        account_id=account,
        zh=chinese(ctx),
    )


@router.get("/{bill_id}", response_class=HTMLResponse)
def bill_page(request: Request, ctx: Context, bill_id: str) -> Response:
    with unit_of_work(ctx.session_factory) as session:
        detail = reading.bill_detail(session, ctx.principal, bill_id)
    return render(request, ctx, "bills/bill.html", detail=detail, zh=chinese(ctx))


@router.get("/{bill_id}/usage", response_class=HTMLResponse)
def bill_usage(request: Request, ctx: Context, bill_id: str) -> Response:
    """The itemised usage: a fragment the bill page loads, or a page of its own."""
    with unit_of_work(ctx.session_factory) as session:
        doc = reading.bill_usage(session, ctx.principal, ctx.data_dir, bill_id)
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        ctx,
        "bills/_usage.html" if fragment else "bills/usage.html",
        doc=doc,
        bill_id=bill_id,
        zh=chinese(ctx),
        mask=mask_called_number,
    )


@router.get("/{bill_id}/invoice.pdf")
def bill_pdf(request: Request, ctx: Context, bill_id: str) -> Response:
    try:
        with unit_of_work(ctx.session_factory) as session:
            bill_no, pdf = reading.bill_pdf(session, ctx.principal, ctx.data_dir, bill_id)
    except InvoiceFontMissing as exc:
        message = localise(exc.code, exc.status, exc.message, ctx.language)
        return render(request, ctx, "bills/no_pdf.html", status_code=503, message=message)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{bill_no}.pdf"'},
    )
