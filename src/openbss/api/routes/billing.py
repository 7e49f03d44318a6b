"""Billing, the project's own API: ``/api/v1/billing``.

- ``GET /runs[?period=]``, ``GET /runs/{id}`` (counts, totals by charge type) and ``GET
  /runs/{id}/exceptions`` show the province's bill runs and the accounts they could not
  bill.
- ``POST /runs`` ``{"period": "YYYY-MM", "trial": false}`` bills a period as ``openbss
  billing run`` does, synchronously: a run resumes what a dead process left, finalises a
  reviewed trial, and changes nothing for a period already billed (409 while another
  process runs the period, or when it has no finished rating run). ``POST
  /runs/{id}/finalise`` and ``/discard`` end a trial.
- ``GET /accounts/{id}/hot`` is bill inquiry (话费查询): the open cycle's charges so far,
  line by line, with tax and total; nothing is written.
- ``POST /adjustments`` ``{"billingAccountId", "amountFen", "reason"}`` puts a debit or
  credit on the account's next bill; ``POST /adjustments/{id}/approve`` approves one above
  the threshold. The maker and the checker are the callers' keys; one key cannot be both.

Money is integer fen (0.01 CNY) with a TMF money value beside it. Roles and province scope
are checked in :mod:`openbss.billing.operations`; a group key names its province with
``X-Province``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep, session_factory
from openbss.api.openapi import MoneyAnswer, array_of, json_content, register_model, responses
from openbss.api.resource_router import request_body
from openbss.billing import operations
from openbss.billing.operations import BillException, BillRun, ManualAdjustment, RunView
from openbss.billing.totals import BillSummary
from openbss.kit.clock import now
from openbss.kit.money import fen_and_money
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_datetime, format_optional_datetime

PATH = "/api/v1/billing"

PeriodQuery = Annotated[str | None, Query(description="bill cycle, YYYY-MM")]

router = APIRouter(tags=["Billing"])


class BillRunBody(BaseModel):
    """What ``POST /runs`` takes (the OpenAPI document's; the service checks the body)."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="bill cycle, YYYY-MM")
    trial: bool = Field(default=False, description="stop at a reviewable trial")


class AdjustmentBody(BaseModel):
    """What ``POST /adjustments`` takes."""

    model_config = ConfigDict(extra="forbid")

    billingAccountId: str
    amountFen: int = Field(description="debit (> 0) or credit (< 0), in fen")
    reason: str


class BillRunAnswer(BaseModel):
    """A bill run as ``/runs`` lists it."""

    id: str
    province: str
    period: str = Field(description="bill cycle, YYYY-MM")
    status: str
    ratingRunId: str | None
    accountsDue: int
    bills: int
    exceptions: int
    amountFen: int = Field(description="total billed, in fen")
    amount: MoneyAnswer
    error: str | None
    startedAt: str | None
    finishedAt: str | None
    finalisedAt: str | None


class ChargeTypeAmount(BaseModel):
    chargeType: str
    amountFen: int
    amount: MoneyAnswer


class BillRunViewAnswer(BillRunAnswer):
    """A bill run with its totals by charge type."""

    amountByChargeType: list[ChargeTypeAmount]


class BillExceptionAnswer(BaseModel):
    runId: str
    billingAccountId: str
    reason: str
    message: str


class AdjustmentAnswer(BaseModel):
    id: str
    province: str
    billingAccountId: str
    amountFen: int = Field(description="debit (> 0) or credit (< 0), in fen")
    amount: MoneyAnswer
    reason: str
    status: str
    requestedBy: str
    approvedBy: str | None
    billId: str | None
    createdAt: str | None
    decidedAt: str | None


class ChargeLineAnswer(BaseModel):
    chargeType: str
    descriptionKey: str
    productId: str | None
    taxCategory: str
    amountFen: int
    amount: MoneyAnswer
    taxFen: int
    tax: MoneyAnswer
    firstDay: str | None
    lastDay: str | None


class ChargesSoFarAnswer(BaseModel):
    """Bill inquiry (话费查询): the open cycle's charges so far."""

    billingAccountId: str
    period: str
    asOf: str
    lines: list[ChargeLineAnswer]
    amountByChargeType: list[ChargeTypeAmount]
    taxFen: int
    tax: MoneyAnswer
    totalFen: int
    total: MoneyAnswer


RUN = register_model(BillRunAnswer, "BillRun")
RUN_VIEW = register_model(BillRunViewAnswer, "BillRunView")
EXCEPTION = register_model(BillExceptionAnswer, "BillRunException")
ADJUSTMENT = register_model(AdjustmentAnswer, "BillAdjustment")
SO_FAR = register_model(ChargesSoFarAnswer, "ChargesSoFar")


def _run(row: BillRun) -> dict[str, Any]:
    return {
        "id": row.id,
        "province": row.province,
        "period": row.period,
        "status": row.status,
        "ratingRunId": row.rating_run_id,
        "accountsDue": row.accounts_due,
        "bills": row.bills,
        "exceptions": row.exceptions,
        **fen_and_money("amount", row.amount_fen),
        "error": row.error,
        "startedAt": format_optional_datetime(row.started_at),
        "finishedAt": format_optional_datetime(row.finished_at),
        "finalisedAt": format_optional_datetime(row.finalised_at),
    }


def _run_view(view: RunView) -> dict[str, Any]:
    by_type: Mapping[str, int] = view.by_charge_type
    return {
        **_run(view.run),
        "amountByChargeType": [
            {"chargeType": kind, **fen_and_money("amount", amount)}
            for kind, amount in sorted(by_type.items())
        ],
    }


def _exception(row: BillException) -> dict[str, Any]:
    return {
        "runId": row.run_id,
        "billingAccountId": row.billing_account_id,
        "reason": row.reason,
        "message": row.message,
    }


def _adjustment(row: ManualAdjustment) -> dict[str, Any]:
    return {
        "id": row.id,
        "province": row.province,
        "billingAccountId": row.billing_account_id,
        **fen_and_money("amount", row.amount_fen),
        "reason": row.reason,
        "status": row.status,
        "requestedBy": row.requested_by,
        "approvedBy": row.approved_by,
        "billId": row.bill_id,
        "createdAt": format_optional_datetime(row.created_at),
        "decidedAt": format_optional_datetime(row.decided_at),
    }


def _so_far(account_id: str, at: datetime, summary: BillSummary) -> dict[str, Any]:
    return {
        "billingAccountId": account_id,
        "period": summary.period,
        "asOf": format_datetime(at),
        "lines": [
            {
                "chargeType": str(taxed.line.charge_type),
                "descriptionKey": taxed.line.description_key,
                "productId": taxed.line.product_id,
                "taxCategory": str(taxed.line.tax_category),
                **fen_and_money("amount", taxed.line.amount_fen),
                **fen_and_money("tax", taxed.tax.shown_fen),
                "firstDay": taxed.line.stretch.first_day.isoformat()
                if taxed.line.stretch
                else None,
                "lastDay": taxed.line.stretch.last_day.isoformat() if taxed.line.stretch else None,
            }
            for taxed in summary.lines
        ],
        "amountByChargeType": [
            {"chargeType": str(kind), **fen_and_money("amount", amount)}
            for kind, amount in sorted(summary.by_charge_type.items())
        ],
        **fen_and_money("tax", summary.tax_fen),
        **fen_and_money("total", summary.total_fen),
    }


@router.get(
    "/runs",
    name="list_bill_runs",
    summary="The province's bill runs",
    openapi_extra=responses({200: ("The runs", json_content(array_of(RUN)))}, (400,)),
)
def list_runs(session: SessionDep, principal: PrincipalDep, period: PeriodQuery = None) -> Any:
    province = principal.acting_province("a bill run")
    rows = operations.list_runs(session, principal, province, period)
    return JSONResponse([_run(row) for row in rows])


@router.post(
    "/runs",
    name="start_bill_run",
    summary="Bill a period (synchronously)",
    openapi_extra={
        **request_body(BillRunBody),
        **responses({200: ("The run", json_content(RUN_VIEW))}, (400, 409, 413)),
    },
)
def start_run(request: Request, principal: PrincipalDep, body: BodyDep) -> Any:
    wanted = operations.parse_run_request(body)
    province = principal.acting_province("a bill run")
    # A batch: the run commits chunk by chunk in transactions of its own.
    view = operations.start_run(
        session_factory(request), get_settings().data_dir, principal, province, wanted
    )
    return JSONResponse(_run_view(view))


@router.get(
    "/runs/{run_id}",
    name="get_bill_run",
    summary="A bill run, its counts and totals",
    openapi_extra=responses({200: ("The run", json_content(RUN_VIEW))}, (404,)),
)
def get_run(session: SessionDep, principal: PrincipalDep, run_id: str) -> Any:
    province = principal.acting_province("a bill run")
    return JSONResponse(_run_view(operations.get_run(session, principal, province, run_id)))


@router.get(
    "/runs/{run_id}/exceptions",
    name="list_bill_run_exceptions",
    summary="The accounts a run could not bill, and why",
    openapi_extra=responses(
        {200: ("The run's exceptions", json_content(array_of(EXCEPTION)))}, (404,)
    ),
)
def list_exceptions(session: SessionDep, principal: PrincipalDep, run_id: str) -> Any:
    province = principal.acting_province("a bill run")
    rows = operations.run_exceptions(session, principal, province, run_id)
    return JSONResponse([_exception(row) for row in rows])


@router.post(
    "/runs/{run_id}/finalise",
    name="finalise_bill_run",
    summary="Make a trial run's bills final",
    openapi_extra=responses({200: ("The run", json_content(RUN_VIEW))}, (404, 409)),
)
def finalise_run(session: SessionDep, principal: PrincipalDep, run_id: str) -> Any:
    province = principal.acting_province("a bill run")
    return JSONResponse(_run_view(operations.finalise(session, principal, province, run_id)))


@router.post(
    "/runs/{run_id}/discard",
    name="discard_bill_run",
    summary="Throw a trial run's bills away",
    openapi_extra=responses({200: ("The run", json_content(RUN_VIEW))}, (404, 409)),
)
def discard_run(session: SessionDep, principal: PrincipalDep, run_id: str) -> Any:
    province = principal.acting_province("a bill run")
    return JSONResponse(_run_view(operations.discard(session, principal, province, run_id)))


@router.get(
    "/accounts/{account_id}/hot",
    name="account_charges_so_far",
    summary="Bill inquiry: the open cycle's charges of an account so far",
    openapi_extra=responses({200: ("The charges so far", json_content(SO_FAR))}, (404, 409)),
)
def account_so_far(session: SessionDep, principal: PrincipalDep, account_id: str) -> Any:
    province = principal.acting_province("a billing account")
    at = now()
    summary = operations.account_so_far(
        session, principal, province, get_settings().data_dir, account_id, at
    )
    return JSONResponse(_so_far(account_id, at, summary))


@router.post(
    "/adjustments",
    status_code=201,
    name="request_bill_adjustment",
    summary="A debit or credit on an account's next bill",
    openapi_extra={
        **request_body(AdjustmentBody),
        **responses({201: ("Requested", json_content(ADJUSTMENT))}, (400, 404, 409, 413)),
    },
)
def request_adjustment(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    wanted = operations.parse_adjustment_request(body)
    province = principal.acting_province("an adjustment")
    row = operations.ask_adjustment(session, principal, province, wanted)
    return JSONResponse(_adjustment(row), status_code=201)


@router.post(
    "/adjustments/{adjustment_id}/approve",
    name="approve_bill_adjustment",
    summary="Approve a pending adjustment (not by whoever asked for it)",
    openapi_extra=responses({200: ("Approved", json_content(ADJUSTMENT))}, (404, 409)),
)
def approve_adjustment(session: SessionDep, principal: PrincipalDep, adjustment_id: str) -> Any:
    province = principal.acting_province("an adjustment")
    return JSONResponse(
        _adjustment(operations.approve(session, principal, province, adjustment_id))
    )


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
