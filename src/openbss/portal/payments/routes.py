"""Payments at the counter: the form, the POST that takes the payment and redirects (303)
to its printable receipt, and the account's ledger and arrears."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.portal.core.deps import PortalContext, portal_context
from openbss.portal.core.forms import read_form
from openbss.portal.core.templating import redirect, render
from openbss.portal.payments import counter

router = APIRouter(prefix="/payments")
Context = Annotated[PortalContext, Depends(portal_context)]
UNPROCESSABLE = 422


def _form_page(
    request: Request,
    ctx: PortalContext,
    form: counter.CounterForm,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    with unit_of_work(ctx.session_factory) as session:
        context = counter.counter_context(session, ctx.principal, form.account)
    return render(
        request,
        ctx,
        "payments/new.html",
        status_code=status,
        context=context,
        form=form,
        errors=errors,
        methods=list(counter.METHODS),
    )


@router.get("/new", response_class=HTMLResponse)
def new_payment(request: Request, ctx: Context) -> Response:
    form = counter.CounterForm.from_values(dict(request.query_params))
    return _form_page(request, ctx, form, {})


@router.post("", response_class=HTMLResponse)
async def take_payment(request: Request, ctx: Context) -> Response:
    values = await read_form(request)
    form = counter.CounterForm.from_values(values)
    with unit_of_work(ctx.session_factory, writes=True) as session:
        taken = counter.take_counter_payment(session, ctx.principal, form, ctx.language)
    if taken.payment_id is None:
        return _form_page(request, ctx, form, taken.errors, UNPROCESSABLE)
    return redirect(
        request,
        f"/portal/payments/{taken.payment_id}/receipt",
        flash=ctx.gettext("The payment was taken."),
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger(request: Request, ctx: Context, account: str = "") -> Response:
    with unit_of_work(ctx.session_factory) as session:
        found = counter.ledger(session, ctx.principal, account)
    return render(request, ctx, "payments/ledger.html", ledger=found)


@router.get("/{payment_id}/receipt", response_class=HTMLResponse)
def receipt(request: Request, ctx: Context, payment_id: str) -> Response:
    with unit_of_work(ctx.session_factory) as session:
        found = counter.receipt(session, ctx.principal, payment_id, now())
    return render(request, ctx, "payments/receipt.html", receipt=found)
