"""Roaming settlement, the project's own API: ``/api/v1/settlement/roaming``.

- ``GET /files`` lists the TAP, RAP and acknowledgement files written and received
  (``kind``, ``partner``, ``limit``, ``offset``); ``GET /files/{id}`` shows one with the
  records refused from it (an inbound TAP file).
- ``GET /totals?from=&to=`` gives, per roaming partner, what it owes us and what we owe it by
  the files of those days.

Files are written and taken by the ``openbss roaming`` batch commands, not through the API.
Money: micro-SDR integers (``…Sdr``, 10^-6 SDR) and fen with TMF ``Money`` beside them.
Readers: finance, billing_operator, analyst, admin, in their province (``X-Province`` for a
group key).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openbss.api.deps import PrincipalDep, SessionDep
from openbss.api.openapi import MoneyAnswer, array_of, json_content, register_model, responses
from openbss.kit.errors import BadRequest
from openbss.kit.money import fen_and_money
from openbss.kit.tmf import format_optional_datetime
from openbss.refdata.provinces import province_zone
from openbss.settlement.roaming.public import (
    PartnerTotals,
    ReturnedRecord,
    RoamingFile,
    visible_file,
    visible_files,
    visible_totals,
)

PATH = "/api/v1/settlement/roaming"
router = APIRouter(tags=["Roaming settlement"])
MAX_DAYS = 366


class RoamingFileAnswer(BaseModel):
    id: str
    direction: str = Field(description="out: we wrote it; in: a partner sent it")
    kind: str = Field(description="tap | rap | ack")
    sender: str
    recipient: str
    sequence: int
    fileName: str
    status: str
    records: int
    returned: int
    amountSdr: int = Field(description="micro-SDR (10^-6 SDR)")
    amountFen: int
    amount: MoneyAnswer
    createdAt: str | None


class ReturnedRecordAnswer(BaseModel):
    recordNo: int
    errorCode: int
    reason: str
    amountSdr: int
    rapFileId: str | None


class RoamingFileDetailAnswer(RoamingFileAnswer):
    returnedRecords: list[ReturnedRecordAnswer]


class PartnerTotalsAnswer(BaseModel):
    partner: str
    tapOutFiles: int
    tapOutRecords: int
    receivableSdr: int
    receivableFen: int
    returnedToUsSdr: int
    returnedToUsFen: int
    tapInFiles: int
    tapInAccepted: int
    tapInReturned: int
    payableSdr: int
    payableFen: int
    netSdr: int = Field(description="positive: the partner owes us")
    netFen: int
    net: MoneyAnswer


FILE = register_model(RoamingFileAnswer, "RoamingFile")
FILE_DETAIL = register_model(RoamingFileDetailAnswer, "RoamingFileDetail")
TOTALS = register_model(PartnerTotalsAnswer, "RoamingPartnerTotals")


def _file(row: RoamingFile) -> dict[str, Any]:
    return {
        "id": row.id,
        "direction": row.direction,
        "kind": row.kind,
        "sender": row.sender,
        "recipient": row.recipient,
        "sequence": row.sequence,
        "fileName": row.file_name,
        "status": row.status,
        "records": row.records,
        "returned": row.returned,
        "amountSdr": row.sdr_amount,
        **fen_and_money("amount", row.cny_amount),
        "createdAt": format_optional_datetime(row.created_at),
    }


def _returned(row: ReturnedRecord) -> dict[str, Any]:
    return {
        "recordNo": row.record_no,
        "errorCode": row.error_code,
        "reason": row.reason,
        "amountSdr": row.sdr_amount,
        "rapFileId": row.rap_file_id,
    }


def _totals(row: PartnerTotals) -> dict[str, Any]:
    return {
        "partner": row.partner,
        "tapOutFiles": row.tap_out_files,
        "tapOutRecords": row.tap_out_records,
        "receivableSdr": row.receivable_sdr,
        "receivableFen": row.receivable_fen,
        "returnedToUsSdr": row.returned_to_us_sdr,
        "returnedToUsFen": row.returned_to_us_fen,
        "tapInFiles": row.tap_in_files,
        "tapInAccepted": row.tap_in_accepted,
        "tapInReturned": row.tap_in_returned,
        "payableSdr": row.payable_sdr,
        "payableFen": row.payable_fen,
        "netSdr": row.net_sdr,
        **fen_and_money("net", row.net_fen),
    }


@router.get(
    "/files",
    name="list_roaming_files",
    summary="TAP, RAP and acknowledgement files written and received",
    openapi_extra=responses(
        {200: ("The files, oldest first", json_content(array_of(FILE)))}, (400,)
    ),
)
def list_files(
    session: SessionDep,
    principal: PrincipalDep,
    kind: Annotated[str | None, Query(pattern="^(tap|rap|ack)$")] = None,
    partner: Annotated[str | None, Query(pattern="^[A-Z0-9]{5}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    province = principal.acting_province("a roaming file")
    rows = visible_files(
        session, principal, province, kind=kind, partner=partner, limit=limit, offset=offset
    )
    return JSONResponse([_file(row) for row in rows])


@router.get(
    "/files/{file_id}",
    name="get_roaming_file",
    summary="One roaming file and the records refused from it",
    openapi_extra=responses({200: ("The file", json_content(FILE_DETAIL))}, (404,)),
)
def get_file(session: SessionDep, principal: PrincipalDep, file_id: str) -> Any:
    province = principal.acting_province("a roaming file")
    row, returned = visible_file(session, principal, province, file_id[:64])
    return JSONResponse({**_file(row), "returnedRecords": [_returned(r) for r in returned]})


@router.get(
    "/totals",
    name="roaming_partner_totals",
    summary="What each roaming partner owes us and we owe it",
    openapi_extra=responses({200: ("Per partner", json_content(array_of(TOTALS)))}, (400,)),
)
def totals(
    session: SessionDep,
    principal: PrincipalDep,
    since: Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD")],
    until: Annotated[date, Query(alias="to", description="last day, YYYY-MM-DD")],
) -> Any:
    province = principal.acting_province("roaming settlement")
    if until < since or (until - since).days > MAX_DAYS:
        raise BadRequest(f"'to' must be on or after 'from' and at most {MAX_DAYS} days later")
    zone = province_zone(province)
    start = datetime.combine(since, time.min, zone)
    end = datetime.combine(until + timedelta(days=1), time.min, zone)
    rows = visible_totals(session, principal, province, start, end)
    return JSONResponse([_totals(row) for row in rows])


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
