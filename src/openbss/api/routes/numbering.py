"""Number resources, the project's own API: ``/api/v1/numbers``.

- ``GET /numbers`` lists free numbers to choose from (选号); ``GET /numbers/{number}`` shows
  one number's state (404 when unknown or another province's).
- ``POST /numbers/reservations`` holds a number for a sale in the retail hall; the returned
  ``id`` is what an order later names so the hold is handed over to it. ``DELETE`` releases.
- ``POST /numbers/pools`` and ``GET /numbers/pools`` manage pools (admin).

Roles are checked in the service (read: csr, admin, analyst; reserve: csr, admin; pools:
admin); a group key acts for a province through ``X-Province``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.openapi import MoneyAnswer, array_of, json_content, register_model, responses
from openbss.api.resource_router import request_body
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.ids import new_id
from openbss.kit.money import tmf_money_from_fen
from openbss.kit.tmf import format_optional_datetime
from openbss.numbering import service
from openbss.numbering.calculations import MAX_HOLD_MINUTES, MAX_QUARANTINE_DAYS
from openbss.numbering.service import (
    NumberHold,
    NumberInfo,
    NumberKind,
    NumberStatus,
    PoolInfo,
)
from openbss.resources.service import validation_message

PATH = "/api/v1/numbers"
RESERVATION_HOLDER = "reservation:"
DEFAULT_HOLD_MINUTES = 30
MAX_LIST_LIMIT = 100

B = TypeVar("B", bound=BaseModel)
KindName = Literal["fixed", "phs", "mobile"]  # NumberKind values; strict bodies take strings


class ReservationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: KindName = Field(description="fixed, phs or mobile")
    areaCode: str | None = Field(default=None, description="local network, e.g. 020")
    prefix: str | None = Field(default=None, description="mobile prefix (189) or leading digits")
    number: str | None = Field(default=None, description="a chosen number; else the lowest free")
    holdMinutes: int = Field(default=DEFAULT_HOLD_MINUTES, ge=1, le=MAX_HOLD_MINUTES)


class PoolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: KindName
    name: str = Field(min_length=1, max_length=128)
    areaCode: str | None = None
    prefix: str | None = None
    first: str = Field(description="first subscriber number, e.g. 83000000")
    last: str = Field(description="last subscriber number, same length as first")
    quarantineDays: int = Field(default=90, ge=0, le=MAX_QUARANTINE_DAYS)


class FreeNumberAnswer(BaseModel):
    number: str = Field(description="E.164, e.g. +862083001234")
    national: str
    kind: KindName
    areaCode: str | None
    goldenLevel: str | None = Field(description="靓号 level; None for an ordinary number")
    goldenPrice: MoneyAnswer


class NumberStateAnswer(FreeNumberAnswer):
    status: str
    holder: str | None
    heldUntil: str | None
    productId: str | None
    assignedAt: str | None
    quarantineUntil: str | None


class ReservationAnswer(BaseModel):
    id: str = Field(description="what an order names to take the held number over")
    holder: str
    number: str
    national: str
    kind: KindName
    areaCode: str | None
    goldenLevel: str | None
    goldenPrice: MoneyAnswer
    heldUntil: str | None


class PoolAnswer(BaseModel):
    id: str
    name: str
    province: str
    kind: str
    areaCode: str | None
    prefix: str | None
    first: str
    last: str
    size: int
    quarantineDays: int
    createdAt: str | None
    counts: dict[str, int] = Field(description="numbers by status")


FREE_NUMBER = register_model(FreeNumberAnswer, "FreeNumber")
NUMBER_STATE = register_model(NumberStateAnswer, "NumberState")
RESERVATION = register_model(ReservationAnswer, "NumberReservation")
POOL = register_model(PoolAnswer, "NumberPool")


def _parse(schema: type[B], body: dict[str, Any]) -> B:
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc), code="INVALID_BODY") from None


def _free_number(info: NumberInfo) -> dict[str, Any]:
    return {
        "number": info.number,
        "national": info.national,
        "kind": info.kind.value,
        "areaCode": info.area_code,
        "goldenLevel": info.golden_level,
        "goldenPrice": tmf_money_from_fen(info.golden_price_fen),
    }


def _number_state(info: NumberInfo) -> dict[str, Any]:
    return {
        **_free_number(info),
        "status": info.status.value,
        "holder": info.holder,
        "heldUntil": format_optional_datetime(info.held_until),
        "productId": info.product_id,
        "assignedAt": format_optional_datetime(info.assigned_at),
        "quarantineUntil": format_optional_datetime(info.quarantine_until),
    }


def _reservation(reservation_id: str, hold: NumberHold) -> dict[str, Any]:
    return {
        "id": reservation_id,
        "holder": hold.holder,
        "number": hold.number,
        "national": hold.national,
        "kind": hold.kind.value,
        "areaCode": hold.area_code,
        "goldenLevel": hold.golden_level,
        "goldenPrice": tmf_money_from_fen(hold.golden_price_fen),
        "heldUntil": format_optional_datetime(hold.held_until),
    }


def _pool(info: PoolInfo) -> dict[str, Any]:
    pool = info.pool
    return {
        "id": pool.id,
        "name": pool.name,
        "province": pool.province,
        "kind": pool.kind,
        "areaCode": pool.area_code,
        "prefix": pool.prefix,
        "first": pool.first,
        "last": pool.last,
        "size": pool.size,
        "quarantineDays": pool.quarantine_days,
        "createdAt": format_optional_datetime(pool.created_at),
        "counts": {status.value: info.count(status) for status in NumberStatus},
    }


router = APIRouter(tags=["Number resources"])


@router.get(
    "",
    name="search_numbers",
    summary="Free numbers to choose from (选号)",
    openapi_extra=responses({200: ("Free numbers", json_content(array_of(FREE_NUMBER)))}, (400,)),
)
def search_numbers(
    session: SessionDep,
    principal: PrincipalDep,
    kind: NumberKind,
    area_code: Annotated[str | None, Query(alias="areaCode")] = None,
    prefix: str | None = None,
    golden: bool | None = None,
    pattern: Annotated[
        str | None, Query(description="digits the number ends with; ? one digit, * any")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 20,
) -> Any:
    found = service.search(
        session,
        principal,
        kind=kind,
        area_code=area_code,
        prefix=prefix,
        golden=golden,
        pattern=pattern,
        limit=limit,
    )
    return JSONResponse([_free_number(info) for info in found])


@router.get(
    "/pools",
    name="list_number_pools",
    summary="Number pools with their usage",
    openapi_extra=responses({200: ("The pools", json_content(array_of(POOL)))}, ()),
)
def list_pools(session: SessionDep, principal: PrincipalDep) -> Any:
    return JSONResponse([_pool(info) for info in service.list_pools(session, principal)])


@router.post(
    "/pools",
    status_code=201,
    name="create_number_pool",
    summary="Create a number pool and all its numbers",
    openapi_extra={
        **request_body(PoolRequest),
        **responses({201: ("The pool", json_content(POOL))}, (400, 409, 413)),
    },
)
def create_pool(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    request = _parse(PoolRequest, body)
    pool = service.create_pool(
        session,
        principal,
        kind=NumberKind(request.kind),
        name=request.name,
        area_code=request.areaCode,
        prefix=request.prefix,
        first=request.first,
        last=request.last,
        quarantine_days=request.quarantineDays,
    )
    counts = {NumberStatus.AVAILABLE.value: pool.size}
    return JSONResponse(_pool(PoolInfo(pool=pool, counts=counts)), status_code=201)


@router.post(
    "/reservations",
    status_code=201,
    name="reserve_number",
    summary="Hold a number for a sale",
    openapi_extra={
        **request_body(ReservationRequest),
        **responses({201: ("The hold", json_content(RESERVATION))}, (400, 404, 409, 413)),
    },
)
def reserve_number(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    request = _parse(ReservationRequest, body)
    reservation_id = new_id()
    hold = service.reserve(
        session,
        principal,
        kind=NumberKind(request.kind),
        holder=RESERVATION_HOLDER + reservation_id,
        area_code=request.areaCode,
        prefix=request.prefix,
        number=request.number,
        hold_minutes=request.holdMinutes,
    )
    return JSONResponse(_reservation(reservation_id, hold), status_code=201)


@router.delete(
    "/reservations/{reservation_id}",
    status_code=204,
    name="release_reservation",
    summary="Release a held number",
    openapi_extra=responses({204: ("Released", None)}, (404,)),
)
def release_reservation(
    session: SessionDep, principal: PrincipalDep, reservation_id: str
) -> Response:
    released = service.release(session, principal, holder=RESERVATION_HOLDER + reservation_id)
    if released == 0:
        raise NotFound(f"no number is held by reservation {reservation_id!r}")
    return Response(status_code=204)


@router.get(
    "/{number}",
    name="get_number",
    summary="The state of one number",
    openapi_extra=responses({200: ("The number", json_content(NUMBER_STATE))}, (404,)),
)
def get_number(session: SessionDep, principal: PrincipalDep, number: str) -> Any:
    info = service.find_number(session, principal, number)
    if info is None:
        raise NotFound(f"number {number!r} not found")
    return JSONResponse(_number_state(info))


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
