"""TMF622 Product Ordering Management, mounted at the swagger's basePath.

Implemented: productOrder (POST, list, GET, PATCH), cancelProductOrder (POST, list, GET) and
the hub. A product order is a record of a sale and is never deleted: DELETE is not offered
(405); an order that should not go ahead is cancelled. POST answers 201 for a new order and
200 with the existing order when the same ``externalId`` and body are submitted again.
The ``/listener/*`` callbacks answer 501 (api/listeners.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import base_url, create_extra, resource_router
from openbss.ordering.cancellation import cancellations
from openbss.ordering.service import API, API_PATH, product_orders

LISTENER_EVENTS = (
    "productOrderCreateEvent",
    "productOrderAttributeValueChangeEvent",
    "productOrderDeleteEvent",
    "productOrderStateChangeEvent",
    "productOrderInformationRequiredEvent",
    "cancelProductOrderCreateEvent",
    "cancelProductOrderStateChangeEvent",
    "cancelProductOrderInformationRequiredEvent",
)


def submit_router() -> APIRouter:
    router = APIRouter(tags=["ProductOrder"])

    @router.post(
        "/productOrder",
        status_code=201,
        name="create_productOrder",
        summary="Submit a ProductOrder (idempotent by externalId)",
        openapi_extra=create_extra(product_orders, idempotent=True),
    )
    def submit(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        row, created = product_orders.submit(session, principal, body)
        return JSONResponse(
            product_orders.render(row, base_url(request)), status_code=201 if created else 200
        )

    return router


MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, submit_router()),
    (API_PATH, resource_router(product_orders, creatable=False, deletable=False)),
    (API_PATH, resource_router(cancellations, patchable=False, deletable=False)),
    (API_PATH, hub_router(API, [product_orders, cancellations])),
    (API_PATH, listener_router("product order", LISTENER_EVENTS)),
]
