"""TMF654 Prepay Balance Management v4, at ``/tmf-api/prepayBalanceManagement/v4``.

Also ``POST /api/v1/charging/vouchers/redeem`` ``{"number", "pin"}``: a voucher top-up as a
self-service channel (IVR, app) makes it. ``topupBalance`` with ``voucher`` (the PIN) and
``product`` does the same through TMF654. Wrong PINs are counted per subscriber and per client
address; at the limit both are locked out (429).

Implemented: ``accumulatedBalance`` and ``balanceActionHistory`` (list, GET: computed from
the balances and their transaction log), ``bucket`` (POST, list, GET — rendered from the
balance itself), ``topupBalance`` and ``adjustBalance`` (POST, list, GET; an applied action
is never changed or deleted: PATCH and DELETE answer 405), ``reserveBalance`` (POST, list,
GET, DELETE releases what it still holds), plus the hub. The ``/listener/*`` callbacks
answer 501 (api/listeners.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import base_url, create_extra, request_body, resource_router
from openbss.charging import vouchers
from openbss.charging.calculations import Unit
from openbss.charging.quantities import render_quantity
from openbss.charging.tmf654 import (
    API,
    API_PATH,
    WRITE_ROLES,
    adjust_balances,
    create_bucket_from,
    get_accumulated,
    get_bucket,
    get_history,
    list_accumulated,
    list_buckets,
    list_history,
    render_bucket,
    reserve_balances,
    topup_balances,
)
from openbss.charging.topups import prepaid_line
from openbss.charging.vouchers import WrongPin, note_wrong_pin
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.pagination import Page, PageRequest
from openbss.kit.tmf import JSON, attribute_filters, format_optional_datetime, select_fields

T = TypeVar("T")

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


def _source(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def _guarded(
    session: Session, number: str | None, source: str | None, redeem: Callable[[], T]
) -> T:
    """Run a redemption; a wrong PIN is counted (subscriber and source) in a transaction of
    its own before the refusal is answered, so the count survives the refusal's rollback."""
    try:
        return redeem()
    except WrongPin:
        session.rollback()
        if number is not None:
            note_wrong_pin(session, number=number, source=source, at=now())
            session.commit()
        raise


def _topup_router() -> APIRouter:
    router = APIRouter(tags=["TopupBalance"])

    @router.post(
        "/topupBalance",
        status_code=201,
        name="create_topupBalance",
        summary="Top up a bucket, an owner's main balance, or a prepaid line by voucher PIN",
        openapi_extra=create_extra(topup_balances),
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        if body.get("voucher") is None:
            row = topup_balances.create(session, principal, body)
        else:
            source = _source(request)
            number = topup_balances.voucher_number(session, principal, body)
            row = _guarded(
                session, number, source,
                lambda: topup_balances.create_with_voucher(session, principal, body, source=source),
            )  # fmt: skip
        return JSONResponse(topup_balances.render(row, base_url(request)), status_code=201)

    return router


def _redeem_router() -> APIRouter:
    router = APIRouter(tags=["Prepaid vouchers"])

    @router.post(
        "/vouchers/redeem",
        name="redeem_voucher",
        summary="Top up a prepaid line with a voucher's PIN",
        openapi_extra=request_body(None),
    )
    def redeem(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        principal.require(*WRITE_ROLES)
        number, pin = body.get("number"), body.get("pin")
        if not isinstance(number, str) or not number or len(number) > 32:
            raise BadRequest("number: the prepaid line's service number")
        if not isinstance(pin, str):
            raise BadRequest("pin: the voucher's PIN as a string", code="INVALID_PIN")
        line = prepaid_line(session, number, now())
        if not principal.can_see(line.province):
            raise NotFound(f"no live prepaid line has the number {number!r}")
        source = _source(request)
        done = _guarded(
            session, number, source,
            lambda: vouchers.redeem(session, number=number, pin=pin, at=now(), source=source),
        )  # fmt: skip
        topped = done.topped_up
        return JSONResponse(
            {
                "serial": done.serial,
                "productId": topped.product_id,
                "bucketId": topped.bucket_id,
                "amount": render_quantity(topped.amount_li, Unit.LI),
                "balance": render_quantity(topped.balance_li, Unit.LI),
                "validTo": format_optional_datetime(topped.valid_to),
                "resumeOrderId": topped.resume_order_id,
            }
        )

    return router


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


def _read_only_router(
    path: str,
    tag: str,
    listing: Callable[..., Page[JSON]],
    single: Callable[..., JSON],
) -> APIRouter:
    """List and read of a view computed from the balances (nothing to create or change)."""
    router = APIRouter(tags=[tag])

    @router.get(f"/{path}", name=f"list_{path}", summary=f"List {tag} objects")
    def list_(
        session: SessionDep,
        principal: PrincipalDep,
        request: Request,
        fields: str | None = None,
        offset: str | None = None,
        limit: str | None = None,
    ) -> Any:
        page = listing(
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

    @router.get(f"/{path}/{{item_id}}", name=f"get_{path}", summary=f"Read a {tag}")
    def get(
        session: SessionDep,
        principal: PrincipalDep,
        item_id: str,
        request: Request,
        fields: str | None = None,
    ) -> Any:
        return JSONResponse(select_fields(single(session, principal, item_id, base_url(request)),
                                          fields))  # fmt: skip

    return router


MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, _bucket_router()),
    (API_PATH, _topup_router()),
    (API_PATH, resource_router(topup_balances, creatable=False, patchable=False, deletable=False)),
    (API_PATH, resource_router(adjust_balances, patchable=False, deletable=False)),
    (API_PATH, resource_router(reserve_balances, patchable=False)),
    (
        API_PATH,
        _read_only_router(
            "accumulatedBalance", "AccumulatedBalance", list_accumulated, get_accumulated
        ),
    ),
    (
        API_PATH,
        _read_only_router(
            "balanceActionHistory", "BalanceActionHistory", list_history, get_history
        ),
    ),
    (API_PATH, hub_router(API, [topup_balances, adjust_balances, reserve_balances])),
    (API_PATH, listener_router("prepayBalance", LISTENER_EVENTS)),
    ("/api/v1/charging", _redeem_router()),
]
