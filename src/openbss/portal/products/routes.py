"""A product's page: its facts, status history and bundle members, and the forms that
suspend, resume, cease it or change its plan. A change is an order: after the POST the
browser is sent (303) to the order's progress page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from openbss.db.uow import unit_of_work
from openbss.kit.ids import new_id
from openbss.portal.core.deps import PortalContext, portal_context
from openbss.portal.core.forms import read_form
from openbss.portal.core.templating import redirect, render
from openbss.portal.products import changes
from openbss.portal.sales.selling import EXTERNAL_PREFIX

router = APIRouter(prefix="/products")
Context = Annotated[PortalContext, Depends(portal_context)]
UNPROCESSABLE = 422


def _page(
    request: Request,
    ctx: PortalContext,
    product_id: str,
    errors: dict[str, str],
    values: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    with unit_of_work(ctx.session_factory) as session:
        view = changes.product_view(session, ctx.principal, product_id)
    return render(
        request,
        ctx,
        "products/product.html",
        status_code=status,
        view=view,
        errors=errors,
        values=values,
        external_id=values.get("external_id") or EXTERNAL_PREFIX + new_id(),
    )


@router.get("/{product_id}", response_class=HTMLResponse)
def product_page(request: Request, ctx: Context, product_id: str) -> Response:
    return _page(request, ctx, product_id, {}, {})


@router.post("/{product_id}/orders", response_class=HTMLResponse)
async def change_product(request: Request, ctx: Context, product_id: str) -> Response:
    values = {k: v.strip() for k, v in (await read_form(request)).items()}
    with unit_of_work(ctx.session_factory, writes=True) as session:
        errors, order = changes.place_change(
            session,
            ctx.principal,
            product_id,
            values.get("action", ""),
            values.get("offering", ""),
            values.get("reason", ""),
            values.get("external_id", ""),
            ctx.language,
        )
        order_id = order.id if order is not None else None
    if order_id is None:
        return _page(request, ctx, product_id, errors, values, UNPROCESSABLE)
    return redirect(
        request, f"/portal/sales/orders/{order_id}", flash=ctx.gettext("The order was submitted.")
    )
