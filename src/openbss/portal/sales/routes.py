"""Selling (受理): the sale form, number choice (选号), the eligibility check, submission and
the order's progress through provisioning.

- ``GET /sales/new?customer=…`` the form (a GET: the back button and reloads are harmless);
- ``GET /sales/numbers?…`` the free numbers of a local network (the form's htmx fragment);
- ``GET /sales/review?…`` the sale checked by ordering, with a confirm button;
- ``POST /sales/orders`` submits it and redirects (303) to the order's page;
- ``GET /sales/orders/{id}`` the order's progress, polled through
  ``/sales/orders/{id}/progress`` every second until it completes or fails.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from openbss.db.uow import unit_of_work
from openbss.kit.errors import OpenBSSError
from openbss.numbering.service import NumberInfo
from openbss.portal.core.deps import PortalContext, portal_context
from openbss.portal.core.forms import read_form
from openbss.portal.core.templating import redirect, render
from openbss.portal.sales import progress, selling

router = APIRouter(prefix="/sales")
Context = Annotated[PortalContext, Depends(portal_context)]
UNPROCESSABLE = 422


def _form_values(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


def _numbers(
    ctx: PortalContext, context: selling.SaleContext, form: selling.SaleForm
) -> tuple[list[NumberInfo], str | None]:
    """Free numbers for the form's offering and local network, or the error to show."""
    offering = next((o for o in context.offerings if o.id == form.offering), None)
    area = selling.area_code_of(context, form.city)
    if offering is None or offering.number_kind is None or area is None:
        return [], None
    if len(form.pattern) > 16:
        return [], "At most 16 characters."
    try:
        with unit_of_work(ctx.session_factory) as session:
            found = selling.number_choices(
                session, ctx.principal, offering.number_kind, area, form.pattern
            )
    except OpenBSSError as exc:
        return [], exc.message
    return found, None


def _form_page(
    request: Request,
    ctx: PortalContext,
    context: selling.SaleContext,
    form: selling.SaleForm,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    numbers, number_error = _numbers(ctx, context, form)
    if number_error and "pattern" not in errors:
        errors = {**errors, "pattern": number_error}
    return render(
        request,
        ctx,
        "sales/new.html",
        status_code=status,
        context=context,
        form=form,
        errors=errors,
        numbers=numbers,
    )


def _context(ctx: PortalContext, customer_id: str) -> selling.SaleContext:
    with unit_of_work(ctx.session_factory) as session:
        return selling.sale_context(session, ctx.principal, customer_id)


@router.get("/new", response_class=HTMLResponse)
def new_sale(request: Request, ctx: Context, customer: str = "") -> Response:
    context = _context(ctx, customer)
    form = selling.SaleForm.from_values({**_form_values(request), "customer": context.customer.id})
    return _form_page(request, ctx, context, form, {})


@router.get("/numbers", response_class=HTMLResponse)
def numbers(request: Request, ctx: Context, customer: str = "") -> Response:
    context = _context(ctx, customer)
    form = selling.SaleForm.from_values({**_form_values(request), "customer": context.customer.id})
    found, error = _numbers(ctx, context, form)
    return render(
        request, ctx, "sales/_numbers.html", form=form, numbers=found, errors={"pattern": error}
    )


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, ctx: Context, customer: str = "") -> Response:
    context = _context(ctx, customer)
    form = selling.SaleForm.from_values({**_form_values(request), "customer": context.customer.id})
    with unit_of_work(ctx.session_factory) as session:
        checked = selling.check_sale(session, ctx.principal, context, form, ctx.language)
    if not checked.ok:
        return _form_page(request, ctx, context, form, checked.errors, UNPROCESSABLE)
    offering = next(o for o in context.offerings if o.id == form.offering)
    return render(
        request,
        ctx,
        "sales/review.html",
        context=context,
        form=form,
        offering=offering,
        checked=checked,
        golden_fen=checked.number.golden_price_fen if checked.number else 0,
        account=next(a for a in context.accounts if a.id == form.account),
    )


@router.post("/orders", response_class=HTMLResponse)
async def submit(request: Request, ctx: Context) -> Response:
    values = await read_form(request)
    context = _context(ctx, values.get("customer", ""))
    form = selling.SaleForm.from_values({**values, "customer": context.customer.id})
    with unit_of_work(ctx.session_factory, writes=True) as session:
        checked, order = selling.submit_sale(session, ctx.principal, context, form, ctx.language)
        order_id = order.id if order is not None else None
    if order_id is None:
        return _form_page(request, ctx, context, form, checked.errors, UNPROCESSABLE)
    return redirect(
        request, f"/portal/sales/orders/{order_id}", flash=ctx.gettext("The order was submitted.")
    )


def _progress(ctx: PortalContext, order_id: str) -> progress.OrderProgress:
    with unit_of_work(ctx.session_factory) as session:
        return progress.order_progress(session, ctx.principal, order_id)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, ctx: Context, order_id: str) -> Response:
    return render(request, ctx, "sales/order.html", order=_progress(ctx, order_id))


@router.get("/orders/{order_id}/progress", response_class=HTMLResponse)
def order_fragment(request: Request, ctx: Context, order_id: str) -> Response:
    return render(request, ctx, "sales/_progress.html", order=_progress(ctx, order_id))


__all__ = ["router"]
