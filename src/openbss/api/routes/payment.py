"""TMF676 Payment Management and TMF670 Payment Methods.

TMF676 (``/tmf-api/paymentManagement/v4``): ``payment`` and ``refund`` POST, list and GET,
plus the hub. A
payment is money received: it is never changed or deleted through the API (PATCH and DELETE
answer 405); a reversal or refund is an operation of its own (``/api/v1/receivables``).
``POST /payment`` answers 201 for a new payment and 200 with the existing one when the same
reference (``correlatorId``) comes again; ``POST /refund`` likewise for the refund voucher's
number (finance and admin only).

TMF670 (``/tmf-api/paymentMethod/v4``, the swagger's basePath): ``paymentMethod`` POST, list,
GET, PATCH, DELETE, plus the hub. A bank account number is shown masked except to finance
and admin keys.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import base_url, request_body, resource_router
from openbss.kit.pagination import PageRequest
from openbss.kit.tmf import attribute_filters, select_fields
from openbss.payments.public import payment_methods, tmf_payments, tmf_refunds

REFUND_EVENTS = (
    "refundCreateEvent",
    "refundAttributeValueChangeEvent",
    "refundStateChangeEvent",
    "refundDeleteEvent",
)
PAYMENT_EVENTS = (
    "paymentCreateEvent",
    "paymentAttributeValueChangeEvent",
    "paymentStateChangeEvent",
    "paymentDeleteEvent",
)
METHOD_EVENTS = (
    "paymentMethodCreateEvent",
    "paymentMethodAttributeValueChangeEvent",
    "paymentMethodStatusChangeEvent",
    "paymentMethodDeleteEvent",
)


def _payment_create_router() -> APIRouter:
    router = APIRouter(tags=["Payment"])

    @router.post(
        "/payment",
        status_code=201,
        name="create_payment",
        summary="Take a payment (the same correlatorId again answers 200 with it)",
        openapi_extra=request_body(None),
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        payment_request = tmf_payments.request_from(session, principal, body)
        row, created = tmf_payments.take(session, principal, payment_request)
        rendered = tmf_payments.render(row, base_url(request))
        return JSONResponse(rendered, status_code=201 if created else 200)

    return router


def _refund_router() -> APIRouter:
    """Refunds are ledger items, not TMF resource rows: their own small router."""
    router = APIRouter(tags=["Refund"])

    @router.post(
        "/refund",
        status_code=201,
        name="create_refund",
        summary="Refund (part of) a payment (the same correlatorId again answers 200)",
        openapi_extra=request_body(None),
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        item, created = tmf_refunds.create(session, principal, body)
        rendered = tmf_refunds.render(session, item, base_url(request))
        return JSONResponse(rendered, status_code=201 if created else 200)

    @router.get("/refund", name="list_refund")
    def list_(
        session: SessionDep,
        principal: PrincipalDep,
        request: Request,
        fields: str | None = None,
        offset: str | None = None,
        limit: str | None = None,
    ) -> Any:
        page = PageRequest.parse(offset, limit)
        account_id = request.query_params.get("account.id")
        items, total = tmf_refunds.list(session, principal, account_id, page)
        url = base_url(request)
        rendered = [select_fields(tmf_refunds.render(session, i, url), fields) for i in items]
        headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(rendered))}
        partial = (offset is not None or limit is not None) and page.offset + len(items) < total
        return JSONResponse(rendered, status_code=206 if partial else 200, headers=headers)

    @router.get("/refund/{refund_id}", name="get_refund")
    def get(
        session: SessionDep,
        principal: PrincipalDep,
        refund_id: str,
        request: Request,
        fields: str | None = None,
    ) -> Any:
        item = tmf_refunds.get(session, principal, refund_id)
        return JSONResponse(
            select_fields(tmf_refunds.render(session, item, base_url(request)), fields)
        )

    return router


def _payment_method_router() -> APIRouter:
    """Like ``resource_router``, but each body is rendered for its caller (the number)."""
    service = payment_methods
    router = APIRouter(tags=["PaymentMethod"])
    path = "/paymentMethod"

    @router.post(
        path, status_code=201, name="create_paymentMethod", openapi_extra=request_body(None)
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        row = service.create(session, principal, body)
        return JSONResponse(service.render_for(principal, row, base_url(request)), 201)

    @router.get(path, name="list_paymentMethod")
    def list_(
        session: SessionDep,
        principal: PrincipalDep,
        request: Request,
        fields: str | None = None,
        offset: str | None = None,
        limit: str | None = None,
    ) -> Any:
        page = service.list(
            session,
            principal,
            attribute_filters(request.query_params.multi_items()),
            PageRequest.parse(offset, limit),
        )
        url = base_url(request)
        items = [select_fields(service.render_for(principal, r, url), fields) for r in page.items]
        headers = {"X-Total-Count": str(page.total), "X-Result-Count": str(len(items))}
        partial = (offset is not None or limit is not None) and page.truncated
        return JSONResponse(items, status_code=206 if partial else 200, headers=headers)

    @router.get(path + "/{resource_id}", name="get_paymentMethod")
    def get(
        session: SessionDep,
        principal: PrincipalDep,
        resource_id: str,
        request: Request,
        fields: str | None = None,
    ) -> Any:
        row = service.get(session, principal, resource_id)
        return JSONResponse(
            select_fields(service.render_for(principal, row, base_url(request)), fields)
        )

    @router.patch(
        path + "/{resource_id}",
        name="patch_paymentMethod",
        openapi_extra=request_body(None, patch=True),
    )
    def patch(
        session: SessionDep,
        principal: PrincipalDep,
        resource_id: str,
        body: BodyDep,
        request: Request,
    ) -> Any:
        row = service.patch(session, principal, resource_id, body)
        return JSONResponse(service.render_for(principal, row, base_url(request)))

    @router.delete(path + "/{resource_id}", status_code=204, name="delete_paymentMethod")
    def delete(session: SessionDep, principal: PrincipalDep, resource_id: str) -> Response:
        service.delete(session, principal, resource_id)
        return Response(status_code=204)

    return router


PAYMENT_API_PATH = tmf_payments.api_path
METHOD_API_PATH = payment_methods.api_path

MOUNTS: list[tuple[str, APIRouter]] = [
    (PAYMENT_API_PATH, _payment_create_router()),
    (
        PAYMENT_API_PATH,
        resource_router(tmf_payments, creatable=False, patchable=False, deletable=False),
    ),
    (PAYMENT_API_PATH, _refund_router()),
    (PAYMENT_API_PATH, hub_router(tmf_payments.api, [tmf_payments])),
    (PAYMENT_API_PATH, listener_router("payment", (*PAYMENT_EVENTS, *REFUND_EVENTS))),
    (METHOD_API_PATH, _payment_method_router()),
    (METHOD_API_PATH, hub_router(payment_methods.api, [payment_methods])),
    (METHOD_API_PATH, listener_router("payment method", METHOD_EVENTS)),
]
