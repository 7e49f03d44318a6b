"""TMF654 Prepay Balance Management v4, at ``/tmf-api/prepayBalanceManagement/v4``.

Implemented: ``bucket`` (POST, list, GET — rendered from the balance itself), ``topupBalance``
and ``adjustBalance`` (POST, list, GET; an applied action is never changed or deleted: PATCH
and DELETE answer 405), ``reserveBalance`` (POST, list, GET, DELETE releases what it still
holds), plus the hub. The ``/listener/*`` callbacks answer 501 (api/listeners.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import base_url, request_body, resource_router
from openbss.charging.tmf654 import (
    API,
    API_PATH,
    adjust_balances,
    create_bucket_from,
    get_bucket,
    list_buckets,
    render_bucket,
    reserve_balances,
    topup_balances,
)
from openbss.kit.pagination import PageRequest
from openbss.kit.tmf import attribute_filters, select_fields

LISTENER_EVENTS = (
    "topupBalanceCreateEvent",
    "topupBalanceCancelEvent",
    "topupBalanceFailureEvent",
    "adjustBalanceCreateEvent",
    "adjustBalanceCancelEvent",
    "adjustBalanceFailureEvent",
    "transferBalanceCreateEvent",
    "transferBalanceCancelEvent",
    "transferBalanceFailureEvent",
    "reserveBalanceCreateEvent",
    "reserveBalanceCancelEvent",
    "reserveBalanceFailureEvent",
)


def _bucket_router() -> APIRouter:
    router = APIRouter(tags=["Bucket"])

    @router.post(
        "/bucket",
        status_code=201,
        name="create_bucket",
        summary="Create a bucket of a product or billing account",
        openapi_extra=request_body(None),
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        bucket = create_bucket_from(session, principal, body)
        return JSONResponse(render_bucket(bucket, base_url(request)), status_code=201)

    @router.get("/bucket", name="list_bucket", summary="List buckets")
    def list_(
        session: SessionDep,
        principal: PrincipalDep,
        request: Request,
        fields: str | None = None,
        offset: str | None = None,
        limit: str | None = None,
    ) -> Any:
        page = list_buckets(
            session,
            principal,
            attribute_filters(request.query_params.multi_items()),
            PageRequest.parse(offset, limit),
            base_url(request),
        )
        items = [select_fields(item, fields) for item in page.items]
        headers = {"X-Total-Count": str(page.total), "X-Result-Count": str(len(items))}
        partial = (offset is not None or limit is not None) and page.truncated
        return JSONResponse(items, status_code=206 if partial else 200, headers=headers)

    @router.get("/bucket/{bucket_id}", name="get_bucket", summary="Read a bucket")
    def get(
        session: SessionDep,
        principal: PrincipalDep,
        bucket_id: str,
        request: Request,
        fields: str | None = None,
    ) -> Any:
        bucket = get_bucket(session, principal, bucket_id)
        return JSONResponse(select_fields(render_bucket(bucket, base_url(request)), fields))

    return router


MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, _bucket_router()),
    (API_PATH, resource_router(topup_balances, patchable=False, deletable=False)),
    (API_PATH, resource_router(adjust_balances, patchable=False, deletable=False)),
    (API_PATH, resource_router(reserve_balances, patchable=False)),
    (API_PATH, hub_router(API, [topup_balances, adjust_balances, reserve_balances])),
    (API_PATH, listener_router("prepayBalance", LISTENER_EVENTS)),
]
