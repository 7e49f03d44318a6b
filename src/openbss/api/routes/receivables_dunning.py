"""Collections and deposits, the project's own API under ``/api/v1/receivables``.

- ``GET /dunning/policy[?date=]``: the collections policy in force (late fees, treatment,
  credit control, reminder texts).
- ``POST /dunning/runs`` ``{"date"?}``: the daily job for the caller's province, synchronously
  (billing operators, admin); the same day twice changes nothing.
- ``GET /dunning/accounts/{id}``: an account's stage, arrears, steps, reminders, promises.
- ``POST /dunning/accounts/{id}/promises`` ``{"promisedDate", "amountFen", "note"?}``.
- ``POST /dunning/waivers`` ``{"lateFeeItemId", "amountFen", "reason"}``, ``GET /dunning/waivers``,
  ``POST /dunning/waivers/{id}/approve|reject`` (finance, admin; not the requester).
- ``GET /dunning/write-offs``, ``POST /dunning/write-offs/{id}/approve|reject`` (finance, admin).
- ``POST /deposits`` ``{"billingAccountId", "amountFen", "method", "reference",
  "productOrderId"?}``: a deposit taken (idempotent by reference).

Money is integer fen with a TMF money value beside it; a province key sees its own province
only (another province's account "does not exist").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from openbss.account.public import get_billing_account
from openbss.api.deps import BodyDep, PrincipalDep, SessionDep, session_factory
from openbss.api.resource_router import request_body
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.money import fen_and_money
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_optional_datetime
from openbss.payments import public as payments

PATH = "/api/v1/receivables"
READERS = (Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN)
RUNNERS = (Role.BILLING_OPERATOR, Role.ADMIN)
DEPOSIT_TAKERS = (Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN)

router = APIRouter(tags=["Receivables: collections"])
DateQuery = Annotated[str | None, Query(description="business day, YYYY-MM-DD")]
StatusQuery = Annotated[str | None, Query(description="requested | approved | rejected")]


class RunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str | None = Field(default=None, description="business day (default today, Beijing)")


class PromiseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    promisedDate: str
    amountFen: int
    note: str | None = None


class WaiverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lateFeeItemId: str
    amountFen: int
    reason: str


class DepositBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    billingAccountId: str
    amountFen: int
    method: str
    reference: str
    productOrderId: str | None = None


def _date(value: object, name: str) -> date:
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a date like 2026-05-20")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a date like 2026-05-20, got {value!r}") from None


def _today() -> date:
    return payments.business_day(now())


def _fields(body: dict[str, Any], required: set[str], optional: set[str]) -> None:
    unknown = set(body) - required - optional
    if unknown:
        raise BadRequest(f"unknown attribute(s): {', '.join(sorted(unknown))}")
    missing = required - set(body)
    if missing:
        raise BadRequest(f"missing attribute(s): {', '.join(sorted(missing))}")


def _string(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str) or not value:
        raise BadRequest(f"'{name}' must be a non-empty string")
    return value


def _fen(body: dict[str, Any], name: str) -> int:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be a whole number of fen")
    return value


def _visible_account(session: SessionDep, principal: Principal, account_id: str) -> str:
    principal.require(*READERS)
    province = principal.acting_province("a billing account")
    account = get_billing_account(session, account_id)
    if account is None or account.province != province:
        raise NotFound(f"billing account {account_id!r} does not exist", code="UNKNOWN_ACCOUNT")
    return province


def _waiver(row: payments.LateFeeWaiver) -> dict[str, Any]:
    return {
        "id": row.id,
        "billingAccountId": row.billing_account_id,
        "lateFeeItemId": row.late_fee_item_id,
        **fen_and_money("amount", row.amount_fen),
        "reason": row.reason,
        "status": row.status,
        "requestedBy": row.requested_by,
        "decidedBy": row.decided_by,
        "decidedAt": format_optional_datetime(row.decided_at),
        "creditItemId": row.credit_item_id,
    }


def _write_off(row: payments.WriteOffProposal) -> dict[str, Any]:
    return {
        "id": row.id,
        "billingAccountId": row.billing_account_id,
        "ceasedOn": row.ceased_on.isoformat(),
        **fen_and_money("proposed", row.amount_fen),
        **fen_and_money("writtenOff", row.written_off_fen),
        "status": row.status,
        "proposedBy": row.proposed_by,
        "decidedBy": row.decided_by,
        "decidedAt": format_optional_datetime(row.decided_at),
        "creditItemId": row.credit_item_id,
    }


def _deposit(row: payments.Deposit) -> dict[str, Any]:
    return {
        "id": row.id,
        "billingAccountId": row.billing_account_id,
        **fen_and_money("amount", row.amount_fen),
        "method": row.method,
        "reference": row.reference,
        "productOrderId": row.product_order_id,
        "status": row.status,
        "appliedFen": row.applied_fen,
        "refundedFen": row.refunded_fen,
    }


@router.get("/dunning/policy", name="get_dunning_policy", summary="The collections policy")
def get_policy(principal: PrincipalDep, date: DateQuery = None) -> Any:
    principal.require(*READERS)
    province = principal.acting_province("a collections policy")
    day = _date(date, "date") if date is not None else _today()
    return JSONResponse(payments.version_on(province, day).as_json())


@router.post(
    "/dunning/runs",
    name="run_dunning",
    summary="Run the daily collections job (synchronously)",
    openapi_extra=request_body(RunBody),
)
def run(request: Request, principal: PrincipalDep, body: BodyDep) -> Any:
    principal.require(*RUNNERS)
    province = principal.acting_province("a collections run")
    _fields(body, set(), {"date"})
    day = _date(body["date"], "date") if body.get("date") is not None else _today()
    # A batch: each account is treated in a transaction of its own.
    report = payments.run_dunning(
        session_factory(request), province, day, data_dir=get_settings().data_dir
    )
    return JSONResponse(
        {
            "province": report.province,
            "date": report.day.isoformat(),
            "accountsSelected": report.selected,
            "lateFees": report.late_fees,
            "lateFeeFen": report.late_fee_fen,
            "reminders": report.reminders,
            "suspended": report.suspended,
            "resumed": report.resumed,
            "ceased": report.ceased,
            "barred": report.barred,
            "unbarred": report.unbarred,
            "writeOffProposals": report.write_off_proposals,
            "exempt": report.exempt,
            "heldByPromise": report.held_by_promise,
            "refused": report.refused,
        }
    )


@router.get(
    "/dunning/accounts/{account_id}",
    name="get_account_treatment",
    summary="An account's collections treatment",
)
def account_treatment(
    session: SessionDep, principal: PrincipalDep, account_id: str, date: DateQuery = None
) -> Any:
    _visible_account(session, principal, account_id)
    day = _date(date, "date") if date is not None else _today()
    return JSONResponse(payments.treatment_of(session, account_id, day).as_json())


@router.post(
    "/dunning/accounts/{account_id}/promises",
    status_code=201,
    name="create_promise_to_pay",
    summary="A promise to pay: treatment waits until its date",
    openapi_extra=request_body(PromiseBody),
)
def promise(session: SessionDep, principal: PrincipalDep, account_id: str, body: BodyDep) -> Any:
    _fields(body, {"promisedDate", "amountFen"}, {"note"})
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise BadRequest("'note' must be a string")
    row = payments.promise_to_pay(
        session,
        principal,
        account_id,
        _date(body["promisedDate"], "promisedDate"),
        _fen(body, "amountFen"),
        note,
    )
    return JSONResponse(
        {
            "id": row.id,
            "billingAccountId": row.billing_account_id,
            "promisedDate": row.promised_date.isoformat(),
            **fen_and_money("amount", row.amount_fen),
            "status": row.status,
        },
        status_code=201,
    )


@router.post(
    "/dunning/waivers",
    status_code=201,
    name="request_late_fee_waiver",
    summary="Ask to waive a late fee (approved by someone else)",
    openapi_extra=request_body(WaiverBody),
)
def request_waiver(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    _fields(body, {"lateFeeItemId", "amountFen", "reason"}, set())
    row = payments.request_waiver(
        session,
        principal,
        _string(body, "lateFeeItemId"),
        _fen(body, "amountFen"),
        _string(body, "reason"),
    )
    return JSONResponse(_waiver(row), status_code=201)


@router.get("/dunning/waivers", name="list_late_fee_waivers", summary="Late-fee waivers")
def list_waivers(session: SessionDep, principal: PrincipalDep, status: StatusQuery = None) -> Any:
    principal.require(*READERS)
    province = principal.acting_province("a waiver")
    return JSONResponse([_waiver(row) for row in payments.waivers(session, province, status)])


@router.post("/dunning/waivers/{waiver_id}/{decision}", name="decide_late_fee_waiver")
def decide_waiver(
    session: SessionDep, principal: PrincipalDep, waiver_id: str, decision: str
) -> Any:
    approve = _decision(decision)
    return JSONResponse(
        _waiver(payments.decide_waiver(session, principal, waiver_id, approve=approve))
    )


@router.get("/dunning/write-offs", name="list_write_offs", summary="Write-off proposals")
def list_write_offs(
    session: SessionDep, principal: PrincipalDep, status: StatusQuery = None
) -> Any:
    principal.require(*READERS)
    province = principal.acting_province("a write-off")
    return JSONResponse([_write_off(row) for row in payments.write_offs(session, province, status)])


@router.post("/dunning/write-offs/{proposal_id}/{decision}", name="decide_write_off")
def decide_write_off(
    session: SessionDep, principal: PrincipalDep, proposal_id: str, decision: str
) -> Any:
    approve = _decision(decision)
    return JSONResponse(
        _write_off(payments.decide_write_off(session, principal, proposal_id, approve=approve))
    )


def _decision(decision: str) -> bool:
    if decision not in ("approve", "reject"):
        raise NotFound(f"no such decision {decision!r}: approve or reject")
    return decision == "approve"


@router.post(
    "/deposits",
    status_code=201,
    name="take_deposit",
    summary="Take a deposit (押金), idempotent by reference",
    openapi_extra=request_body(DepositBody),
)
def take_deposit(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    principal.require(*DEPOSIT_TAKERS)
    province = principal.acting_province("a deposit")
    _fields(body, {"billingAccountId", "amountFen", "method", "reference"}, {"productOrderId"})
    order_id = body.get("productOrderId")
    if order_id is not None and not isinstance(order_id, str):
        raise BadRequest("'productOrderId' must be a string")
    row, created = payments.take_deposit(
        session,
        payments.DepositRequest(
            province=province,
            billing_account_id=_string(body, "billingAccountId"),
            amount_fen=_fen(body, "amountFen"),
            method=_string(body, "method"),
            reference=_string(body, "reference"),
            product_order_id=order_id,
            created_by=principal.key_id,
        ),
    )
    return JSONResponse(_deposit(row), status_code=201 if created else 200)


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
