"""Taking a payment at the counter (营业厅收费), its receipt, and an account's ledger and
arrears — through the receivables' public face, as the API does.

A counter payment is a TMF676 payment: the form becomes the document ``POST /payment``
takes (the account, the amount in yuan, cash or card, the reference, the bill it pays) and
goes through the same :meth:`request_from` and :meth:`take`, so its roles (csr, billing
operator, finance, admin), its province scope and its idempotency by reference are the
API's. The reference is drawn when the form is shown: a second submission of the same form
answers the payment already taken instead of taking the money twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from openbss.account.public import BillingAccount
from openbss.account.service import billing_accounts
from openbss.billing.service import customer_bills
from openbss.kit.errors import OpenBSSError
from openbss.kit.ids import new_id
from openbss.kit.money import fen_to_yuan
from openbss.kit.security import Principal
from openbss.payments.public import (
    AccountPosition,
    ItemKind,
    Payment,
    StatementLine,
    fen_from_yuan_text,
    operations,
    settled_items,
    tmf_payments,
)
from openbss.portal.bills.reading import BillRow, account_bills
from openbss.portal.core.forms import errors_from

PASSED_ON = frozenset({401, 403, 404})
METHODS: dict[str, dict[str, str]] = {
    "cash": {"id": "cash"},
    "card": {"@type": "BankCard"},  # a card through the hall's POS terminal
}
COUNTER_CHANNEL = "counter"
LEDGER_LINES = 200
FIELD_OF_CODE = {
    "INVALID_AMOUNT": "amount",
    "UNKNOWN_PAYMENT_METHOD": "method",
    "PAYMENT_REFERENCE_REUSED": "reference",
    "UNKNOWN_BILL": "bill",
}


@dataclass(frozen=True, slots=True)
class CounterForm:
    account: str = ""
    amount: str = ""
    method: str = "cash"
    reference: str = ""
    bill: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> CounterForm:
        names = cls.__dataclass_fields__
        picked = {k: str(v).strip() for k, v in values.items() if k in names and v is not None}
        form = cls(**picked)
        if not form.reference:
            form = cls(**{**picked, "reference": f"CTR-{new_id()}"})
        return form


@dataclass(frozen=True, slots=True)
class CounterContext:
    account: BillingAccount
    open_bills: Sequence[BillRow]
    position: AccountPosition


def counter_context(session: Session, principal: Principal, account_id: str) -> CounterContext:
    """The account (404 when another province's), its unpaid bills and where it stands."""
    bills = account_bills(session, principal, account_id)
    view = operations.account_view(session, principal, bills.account.id, 0, 0)
    return CounterContext(
        account=bills.account,
        open_bills=[b for b in bills.bills if b.remaining_fen > 0],
        position=view.position,
    )


@dataclass
class Taken:
    errors: dict[str, str] = field(default_factory=dict)
    payment_id: str | None = None


def payment_body(form: CounterForm, amount_fen: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account": {"id": form.account, "@referredType": "BillingAccount"},
        "totalAmount": {"unit": "CNY", "value": str(fen_to_yuan(amount_fen))},
        "paymentMethod": dict(METHODS[form.method]),
        "correlatorId": form.reference,
        "channel": {"id": COUNTER_CHANNEL},
        "description": "营业厅收费 / Paid at the counter",
    }
    if form.bill:
        body["paymentItem"] = [{"item": {"id": form.bill, "@referredType": "CustomerBill"}}]
    return body


def take_counter_payment(
    session: Session, principal: Principal, form: CounterForm, language: str
) -> Taken:
    """Take the payment as ``POST /payment`` would; the payment's id, or field errors."""
    result = Taken()
    amount_fen = 0
    try:
        amount_fen = fen_from_yuan_text(form.amount)
    except OpenBSSError:
        result.errors["amount"] = "Give the amount in yuan, e.g. 50 or 49.50."
    if form.method not in METHODS:
        result.errors["method"] = "Choose cash or card."
    if not form.reference or len(form.reference) > 128:
        result.errors["reference"] = "Give the payment's reference (1 to 128 characters)."
    if result.errors:
        return result
    try:
        with session.begin_nested():
            request = tmf_payments.request_from(session, principal, payment_body(form, amount_fen))
            payment, _ = tmf_payments.take(session, principal, request)
    except OpenBSSError as exc:
        if exc.status in PASSED_ON:
            raise
        result.errors.update(errors_from(exc, language, FIELD_OF_CODE))
        return result
    result.payment_id = payment.id
    return result


def _bill_no(session: Session, principal: Principal, kind: str, source_id: str) -> str:
    """What a receipt prints for a settled item: a bill's number, else its source."""
    if kind != ItemKind.BILL:
        return source_id
    try:
        return str(customer_bills.get(session, principal, source_id).bill_no)
    except OpenBSSError:
        return source_id


@dataclass(frozen=True, slots=True)
class Receipt:
    payment: Payment
    account: BillingAccount
    settled: Sequence[tuple[str, str, int]]  # (kind, what, fen) the payment settled
    position: AccountPosition
    yuan: Decimal
    printed_at: datetime


def receipt(session: Session, principal: Principal, payment_id: str, at: datetime) -> Receipt:
    """A payment's receipt (404 when another province's payment)."""
    payment = tmf_payments.get(session, principal, payment_id)
    account = billing_accounts.get(session, principal, payment.billing_account_id)
    view = operations.account_view(session, principal, account.id, 0, 0)
    return Receipt(
        payment=payment,
        account=account,
        settled=[
            (str(item.kind), _bill_no(session, principal, item.kind, item.source_id), fen)
            for item, fen in settled_items(session, payment)
        ],
        position=view.position,
        yuan=fen_to_yuan(payment.amount_fen),
        printed_at=at,
    )


@dataclass(frozen=True, slots=True)
class Ledger:
    account: BillingAccount
    position: AccountPosition
    lines: Sequence[StatementLine]
    total_lines: int


def ledger(session: Session, principal: Principal, account_id: str) -> Ledger:
    """The account's position (balance, arrears, deposit) and its newest ledger lines."""
    account = billing_accounts.get(session, principal, account_id)
    first = operations.account_view(session, principal, account.id, 0, 0)
    offset = max(first.total_lines - LEDGER_LINES, 0)
    view = operations.account_view(session, principal, account.id, offset, LEDGER_LINES)
    return Ledger(
        account=account,
        position=view.position,
        lines=list(reversed(view.lines)),
        total_lines=view.total_lines,
    )
