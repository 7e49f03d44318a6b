"""Receivables operations as the project's own API and the gateways ask for them: who may do
what, in which province, with which body. Services flush; the entry point commits.

Roles: payments are taken by csr, billing_operator, finance and admin; reversals and refunds
are finance's (and admin's); ledgers are read by csr, billing_operator, finance, analyst and
admin. A key of one province never sees another province's account or payment: it is
answered as not existing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openbss.account import public as accounts
from openbss.audit import service as audit
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import parse_datetime
from openbss.payments import gateway, ledger, statement
from openbss.payments.amounts import positive_fen
from openbss.payments.chart import PaymentMethod
from openbss.payments.errors import InvalidPayment
from openbss.payments.models import Payment, PostedPeriod
from openbss.payments.payments import (
    PaymentRequest,
    allocate_payment,
    refund_payment,
    reverse_payment,
)
from openbss.payments.tmf676 import LEDGER_READERS, PAYMENT_TAKERS, payments

REVERSERS = frozenset({Role.FINANCE, Role.ADMIN})
BILL_POSTERS = frozenset({Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN})
PAYMENT_FORM = frozenset(
    {"billingAccountId", "amountFen", "method", "reference", "billId", "receivedAt"}
)
GATEWAY_FORM = frozenset({"transactionId", "billingAccountId", "amountFen", "paidAt", "billId"})


@dataclass(frozen=True, slots=True)
class AccountView:
    position: statement.AccountPosition
    lines: list[statement.StatementLine]  # the requested window, oldest first
    total_lines: int


def _text(body: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidPayment(f"'{key}' is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayment(f"'{key}' must be a non-empty string")
    return value.strip()


def _only(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(
            f"unknown attribute(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
            code="INVALID_BODY",
        )


def account_view(
    session: Session, principal: Principal, account_id: str, offset: int, limit: int
) -> AccountView:
    principal.require(*LEDGER_READERS)
    account = accounts.get_billing_account(session, account_id)
    if account is None or not principal.can_see(account.province):
        raise NotFound(f"billing account {account_id!r} does not exist", code="UNKNOWN_ACCOUNT")
    today = ledger.business_day(now())
    lines = statement.statement(session, account.id)
    return AccountView(
        position=statement.position(session, account.id, today),
        lines=lines[offset : offset + limit],
        total_lines=len(lines),
    )


def take(session: Session, principal: Principal, body: Mapping[str, Any]) -> tuple[Payment, bool]:
    """``POST /payments``: the project's own form of a payment."""
    principal.require(*PAYMENT_TAKERS)
    province = principal.acting_province("a payment")
    _only(body, PAYMENT_FORM)
    received = _text(body, "receivedAt", required=False)
    request = PaymentRequest(
        province=province,
        billing_account_id=str(_text(body, "billingAccountId")),
        amount_fen=positive_fen(body.get("amountFen"), "amountFen"),
        method=str(_text(body, "method")),
        reference=str(_text(body, "reference")),
        received_at=parse_datetime(received, "receivedAt") if received else None,
        bill_id=_text(body, "billId", required=False),
        created_by=principal.key_id,
        doc={"paymentReference": body.get("reference")},
    )
    return payments.take(session, principal, request)


def _payment_changed(session: Session, principal: Principal, payment: Payment, what: str) -> None:
    audit.record(session, principal, what, "Payment", payment.id, payment.province, ["status"])
    payments.emit(session, "StateChangeEvent", payment)


def reverse(
    session: Session, principal: Principal, payment_id: str, body: Mapping[str, Any]
) -> Payment:
    principal.require(*REVERSERS)
    province = principal.acting_province("a payment")
    _only(body, frozenset({"reason"}))
    reason = str(_text(body, "reason"))
    before = _status(session, payment_id)
    payment = reverse_payment(session, province, payment_id, reason, principal.key_id)
    if payment.status != before:
        _payment_changed(session, principal, payment, "reverse")
    return payment


def refund(
    session: Session, principal: Principal, payment_id: str, body: Mapping[str, Any]
) -> Payment:
    principal.require(*REVERSERS)
    province = principal.acting_province("a payment")
    _only(body, frozenset({"amountFen", "reason", "reference"}))
    amount = positive_fen(body.get("amountFen"), "amountFen")
    reason = str(_text(body, "reason"))
    reference = str(_text(body, "reference"))
    before = _status(session, payment_id)
    payment = refund_payment(
        session, province, payment_id, amount, reason, reference=reference,
        created_by=principal.key_id,
    )  # fmt: skip
    if payment.status != before:
        _payment_changed(session, principal, payment, "refund")
    return payment


def allocate(
    session: Session, principal: Principal, payment_id: str, body: Mapping[str, Any]
) -> tuple[Payment, int]:
    """Spend a payment's unspent credit on a named bill; returns the payment and fen settled."""
    principal.require(*PAYMENT_TAKERS)
    province = principal.acting_province("a payment")
    _only(body, frozenset({"billId"}))
    bill_id = str(_text(body, "billId"))
    settled = allocate_payment(session, province, payment_id, bill_id)
    payment = session.get(Payment, payment_id)
    assert payment is not None
    audit.record(
        session, principal, "allocate", "Payment", payment.id, payment.province, ["paymentItem"]
    )
    return payment, sum(fen for _, fen in settled)


def post_bills(session: Session, principal: Principal) -> list[PostedPeriod]:
    principal.require(*BILL_POSTERS)
    return ledger.post_final_bills(session, principal.acting_province("posting bills"))


def _status(session: Session, payment_id: str) -> str | None:
    payment = session.get(Payment, payment_id)
    return payment.status if payment is not None else None


def gateway_payment(
    session: Session,
    gateway_name: str,
    secrets: Mapping[str, str],
    headers: tuple[str | None, str | None],
    raw_body: bytes,
) -> tuple[Payment, bool]:
    """A payment an online gateway reports: the signature is checked first (401 and nothing
    read or written when it fails); the gateway's transaction id is the payment reference,
    so a replayed callback is the payment already taken."""
    timestamp, signature = headers
    gateway.verify(secrets, gateway_name, timestamp, signature, raw_body, now())
    try:
        body = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the callback body is not valid JSON", code="MALFORMED_JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the callback body must be a JSON object", code="INVALID_BODY")
    _only(body, GATEWAY_FORM)
    account_id = str(_text(body, "billingAccountId"))
    account = accounts.get_billing_account(session, account_id)
    if account is None or account.province is None:
        raise InvalidPayment(
            f"billing account {account_id!r} does not exist", code="UNKNOWN_ACCOUNT"
        )
    paid_at = _text(body, "paidAt", required=False)
    request = PaymentRequest(
        province=account.province,
        billing_account_id=account.id,
        amount_fen=positive_fen(body.get("amountFen"), "amountFen"),
        method=PaymentMethod.ONLINE,
        reference=f"{gateway_name}:{_text(body, 'transactionId')}",
        received_at=parse_datetime(paid_at, "paidAt") if paid_at else None,
        bill_id=_text(body, "billId", required=False),
        channel=gateway_name,
        created_by=f"gateway:{gateway_name}",
        doc={"paymentReference": body.get("transactionId")},
    )
    principal = Principal(
        key_id=f"gateway:{gateway_name}", role=Role.FINANCE, province=account.province
    )
    return payments.take(session, principal, request)
