"""Receivables, the project's own API: ``/api/v1/receivables``.

- ``GET /accounts/{id}?offset=&limit=``: the account's position (balance, overdue, deposits
  held) and its statement — every ledger item with what is still open — a window at a time.
- ``POST /payments`` ``{billingAccountId, amountFen, method, reference, billId?, receivedAt?}``
  takes a payment (201; the same reference again answers 200 with the same payment).
- ``POST /payments/{id}/reverse`` ``{reason}``, ``POST /payments/{id}/refund`` ``{amountFen,
  reason, reference}`` (finance, admin) and ``POST /payments/{id}/allocate`` ``{billId}``
  (spend the payment's credit balance on that bill).
- ``POST /post-bills``: post the finalised bills of the caller's province to the ledger.
- ``POST /gateways/{name}/callback``: an online gateway reports a payment. No bearer key: the
  body is signed (``X-Gateway-Timestamp``, ``X-Gateway-Signature``, see
  :mod:`openbss.payments.gateway`) with the gateway's secret from
  ``OPENBSS_GATEWAY_SECRETS``; a bad or missing signature is 401 and nothing is written.

Money is integer fen with a TMF money value beside it; roles and province scope are checked in
:mod:`openbss.payments.operations`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import object_session

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.openapi import RESPONSES_KEY, json_content, responses
from openbss.api.resource_router import base_url, request_body
from openbss.kit.money import fen_and_money
from openbss.kit.pagination import PageRequest
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_datetime
from openbss.payments.public import (
    Payment,
    StatementLine,
    operations,
    settled_items,
    tmf_payments,
    unspent_fen,
)

PATH = "/api/v1/receivables"

router = APIRouter(tags=["Receivables"])


def payment_body(payment: Payment, request: Request) -> dict[str, Any]:
    session = object_session(payment)
    assert session is not None
    return {
        "id": payment.id,
        "href": tmf_payments.href(payment.id, base_url(request)),
        "billingAccountId": payment.billing_account_id,
        "reference": payment.reference,
        "method": payment.method,
        "channel": payment.channel,
        "status": payment.status,
        **fen_and_money("amount", payment.amount_fen),
        **fen_and_money("unspent", unspent_fen(session, payment)),
        "receivedAt": format_datetime(payment.received_at),
        "settles": [
            {"kind": item.kind, "sourceId": item.source_id, **fen_and_money("amount", fen)}
            for item, fen in settled_items(session, payment)
        ],
    }


def _line(line: StatementLine) -> dict[str, Any]:
    item = line.item
    return {
        "itemId": item.id,
        "kind": item.kind,
        "side": item.side,
        "sourceId": item.source_id,
        "businessDate": item.business_date.isoformat(),
        "dueDate": item.due_date.isoformat() if item.due_date else None,
        **fen_and_money("amount", item.amount_fen),
        **fen_and_money("open", line.open_fen),
        "note": item.note,
    }


@router.get("/accounts/{account_id}", name="receivables_account")
def account(
    session: SessionDep,
    principal: PrincipalDep,
    account_id: str,
    offset: str | None = None,
    limit: str | None = None,
) -> Any:
    page = PageRequest.parse(offset, limit)
    view = operations.account_view(session, principal, account_id, page.offset, page.limit)
    position = view.position
    return {
        "billingAccountId": position.billing_account_id,
        **fen_and_money("balance", position.balance_fen),
        **fen_and_money("overdue", position.overdue_fen),
        "oldestOverdue": position.oldest_overdue.isoformat() if position.oldest_overdue else None,
        **fen_and_money("depositHeld", position.deposit_held_fen),
        "statement": {
            "offset": page.offset,
            "limit": page.limit,
            "total": view.total_lines,
            "items": [_line(line) for line in view.lines],
        },
    }


@router.post(
    "/payments", status_code=201, name="receivables_take", openapi_extra=request_body(None)
)
def take(session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request) -> Any:
    payment, created = operations.take(session, principal, body)
    return JSONResponse(payment_body(payment, request), status_code=201 if created else 200)


@router.post("/payments/{payment_id}/reverse", name="receivables_reverse")
def reverse(
    session: SessionDep, principal: PrincipalDep, payment_id: str, body: BodyDep, request: Request
) -> Any:
    return payment_body(operations.reverse(session, principal, payment_id, body), request)


@router.post("/payments/{payment_id}/refund", name="receivables_refund")
def refund(
    session: SessionDep, principal: PrincipalDep, payment_id: str, body: BodyDep, request: Request
) -> Any:
    return payment_body(operations.refund(session, principal, payment_id, body), request)


@router.post("/payments/{payment_id}/allocate", name="receivables_allocate")
def allocate(
    session: SessionDep, principal: PrincipalDep, payment_id: str, body: BodyDep, request: Request
) -> Any:
    payment, settled = operations.allocate(session, principal, payment_id, body)
    return {**payment_body(payment, request), **fen_and_money("allocated", settled)}


@router.post("/post-bills", name="receivables_post_bills")
def post_bills(session: SessionDep, principal: PrincipalDep) -> Any:
    posted = operations.post_bills(session, principal)
    return {
        "periods": [
            {"period": p.period, "bills": p.bills, **fen_and_money("amount", p.amount_fen)}
            for p in posted
        ]
    }


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature covers these bytes."""
    return await request.body()


def _signed_callback_answers() -> dict[str, Any]:
    """The callback's answers: no bearer key (``security: []``), so no 403 either; a bad
    signature is the 401."""
    answer = json_content({"type": "object", "description": "the payment, as GET shows it"})
    documented = responses(
        {200: ("The payment already recorded", answer), 201: ("The payment recorded", answer)},
        (400, 404),
    )
    documented[RESPONSES_KEY].pop("403", None)
    return {**request_body(None), **documented, "security": []}


@router.post(
    "/gateways/{name}/callback",
    name="receivables_gateway_callback",
    openapi_extra=_signed_callback_answers(),
)
def gateway_callback(
    session: SessionDep,
    name: str,
    raw: Annotated[bytes, Depends(raw_body)],
    request: Request,
    x_gateway_timestamp: Annotated[str | None, Header()] = None,
    x_gateway_signature: Annotated[str | None, Header()] = None,
) -> Any:
    payment, created = operations.gateway_payment(
        session,
        name,
        get_settings().gateway_secrets,
        (x_gateway_timestamp, x_gateway_signature),
        raw,
    )
    return JSONResponse(payment_body(payment, request), status_code=201 if created else 200)


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
