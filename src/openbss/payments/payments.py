"""Taking, reversing and refunding payments.

A payment is a credit item on the customer's ledger plus its TMF676 row. It is idempotent by the
payer's reference within a province: the same reference with the same account, amount, method
and target is the payment already taken; with anything else it is refused (409). It is spent at
once on the account's open debits (oldest first, or the bill the payer named); what is left is a
credit balance that the next bill uses.

A **reversal** takes a whole payment back (a collection the bank returned, a chargeback): its
allocations are undone, re-opening the bills it paid, and a reversal debit consumes the credit.
A **refund** pays part or all of a payment back to the customer: first from what the payment
has not spent, then by undoing its newest allocations; it can never exceed what was paid less
what was refunded before.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openbss.account import public as accounts
from openbss.kit.clock import ensure_utc, now
from openbss.kit.ids import new_id
from openbss.payments import chart, collections, ledger, repository
from openbss.payments.allocation import newest_first_release
from openbss.payments.chart import GlAccount, PaymentMethod
from openbss.payments.errors import (
    InvalidPayment,
    NothingToAllocate,
    PaymentAlreadyReversed,
    PaymentNotRefundable,
    ReferenceReused,
    UnknownAccount,
    UnknownPayment,
)
from openbss.payments.models import ItemKind, LedgerItem, Payment, PaymentStatus

# One payment is at most 100 million yuan: a larger figure is a typing error, not a payment.
MAX_PAYMENT_FEN = 10_000_000_000
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
# Debits that pay a payment's money back out; releasing allocations never re-opens them.
PAYOUT_KINDS = frozenset({ItemKind.REFUND, ItemKind.REVERSAL})
# A payment may be dated a little ahead of the server's clock (a bank's clock), no more.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    province: str
    billing_account_id: str
    amount_fen: int
    method: str
    reference: str
    received_at: datetime | None = None
    bill_id: str | None = None  # settle this bill only; otherwise oldest first
    channel: str | None = None  # the hall, bank or gateway that took it
    created_by: str | None = None
    doc: dict[str, Any] = field(default_factory=dict)  # the TMF676 document, if any

    def fingerprint(self) -> str:
        """What makes two submissions under one reference the same payment."""
        essence = [self.billing_account_id, self.amount_fen, self.method, self.bill_id]
        return hashlib.sha256(json.dumps(essence).encode()).hexdigest()


def check_request(request: PaymentRequest) -> None:
    """Refuse a malformed payment before anything is read or written."""
    if isinstance(request.amount_fen, bool) or not isinstance(request.amount_fen, int):
        raise InvalidPayment("the amount must be a whole number of fen")
    if request.amount_fen <= 0:
        raise InvalidPayment(f"a payment is a positive amount, got {request.amount_fen} fen")
    if request.amount_fen > MAX_PAYMENT_FEN:
        raise InvalidPayment(f"a payment is at most {MAX_PAYMENT_FEN} fen")
    if request.method not in set(PaymentMethod):
        allowed = ", ".join(m.value for m in PaymentMethod)
        raise InvalidPayment(f"unknown payment method {request.method!r}; one of {allowed}")
    if not REFERENCE.match(request.reference):
        raise InvalidPayment(
            "the payment reference must be 1-128 letters, digits or . _ : / - "
            "(starting with a letter or digit)"
        )
    if request.received_at is not None and ensure_utc(request.received_at) > now() + CLOCK_SKEW:
        raise InvalidPayment("a payment cannot be received in the future")


def take_payment(session: Session, request: PaymentRequest) -> tuple[Payment, bool]:
    """Record a payment and allocate it; returns the payment and whether it is new."""
    check_request(request)
    account = accounts.get_billing_account(session, request.billing_account_id)
    if account is None or account.province != request.province:
        raise UnknownAccount(f"billing account {request.billing_account_id!r} does not exist")
    repository.lock_account(session, account.id, request.province)
    fingerprint = request.fingerprint()
    existing = repository.payment_by_reference(session, request.province, request.reference)
    if existing is not None:
        return _same_payment(existing, fingerprint), False
    target = None
    if request.bill_id is not None:
        target = repository.item_by_source(session, ItemKind.BILL, request.bill_id)
        if target is None or target.billing_account_id != account.id:
            raise UnknownAccount(
                f"bill {request.bill_id!r} is not an open bill of account {account.id}",
                code="UNKNOWN_BILL",
            )
    received = ensure_utc(request.received_at) if request.received_at else now()
    payment_id = new_id()
    payment = Payment(
        id=payment_id,
        province=request.province,
        doc=request.doc,
        billing_account_id=account.id,
        reference=request.reference,
        method=request.method,
        amount_fen=request.amount_fen,
        status=PaymentStatus.RECEIVED,
        received_at=received,
        request_hash=fingerprint,
        credit_item_id="",
        channel=request.channel,
        created_by=request.created_by,
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        # The same reference taken for another account in a concurrent transaction.
        raced = repository.payment_by_reference(session, request.province, request.reference)
        if raced is None:
            raise
        return _same_payment(raced, fingerprint), False
    credit = ledger.post_item(
        session,
        province=request.province,
        billing_account_id=account.id,
        kind=ItemKind.PAYMENT,
        amount_fen=request.amount_fen,
        source_id=payment_id,
        lines=chart.payment_lines(request.amount_fen, request.method),
        day=ledger.business_day(received),
        note=request.reference,
        created_by=request.created_by,
    )
    payment.credit_item_id = credit.id
    ledger.spend(session, credit, request.amount_fen, named=target.id if target else None)
    session.flush()
    # Arrears cleared: resume the lines or lift the credit barring now, in this transaction.
    collections.after_payment(session, request.province, account.id)
    return payment, True


def _same_payment(existing: Payment, fingerprint: str) -> Payment:
    if existing.request_hash != fingerprint:
        raise ReferenceReused(
            f"payment reference {existing.reference!r} was already used for a different "
            f"payment ({existing.id})"
        )
    return existing


def _locked_payment(session: Session, province: str, payment_id: str) -> tuple[Payment, LedgerItem]:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.province != province:
        raise UnknownPayment(f"payment {payment_id!r} does not exist")
    repository.lock_account(session, payment.billing_account_id, province)
    session.refresh(payment)
    credit = session.get(LedgerItem, payment.credit_item_id)
    assert credit is not None, "a payment always has its credit item"
    return payment, credit


def _release(session: Session, credit: LedgerItem, amount_fen: int) -> None:
    """Undo the newest allocations of ``credit`` until ``amount_fen`` of it is unspent."""
    matches = repository.live_matches(session, credit_item_id=credit.id)
    debits = repository.items(session, [m.debit_item_id for m in matches])
    # The payment's own refunds stay paid out: only what it settled for the customer is freed.
    live = [m for m in matches if debits[m.debit_item_id].kind not in PAYOUT_KINDS]
    releases = newest_first_release(amount_fen, [(m.id, m.live_fen, m.created_at) for m in live])
    by_id = {m.id: m for m in live}
    for release in releases:
        undone = by_id[release.item_id]
        ledger.match(
            session, debits[undone.debit_item_id], credit, -release.amount_fen, undoes=undone.id
        )
    ledger.sync_bills(session, [debits[by_id[r.item_id].debit_item_id] for r in releases])


def _refunded_fen(session: Session, payment: Payment) -> int:
    return sum(
        item.amount_fen
        for item in repository.items_of_source_prefix(session, ItemKind.REFUND, payment.id)
    )


def reverse_payment(
    session: Session, province: str, payment_id: str, reason: str, created_by: str | None = None
) -> Payment:
    """Take a payment back whole: its bills re-open. Reversing it again changes nothing."""
    payment, credit = _locked_payment(session, province, payment_id)
    if payment.status == PaymentStatus.REVERSED:
        return payment
    refunded = _refunded_fen(session, payment)
    amount = payment.amount_fen - refunded
    if amount <= 0:
        raise PaymentNotRefundable(
            f"payment {payment.id} has been refunded in full; there is nothing to reverse"
        )
    unspent = credit.amount_fen - repository.matched_fen(session, credit)
    if unspent < amount:
        _release(session, credit, amount - unspent)
    reversal = ledger.post_item(
        session,
        province=province,
        billing_account_id=payment.billing_account_id,
        kind=ItemKind.REVERSAL,
        amount_fen=amount,
        source_id=payment.id,
        lines=chart.payout_lines(amount, payment.method, GlAccount.RECEIVABLE),
        note=reason[:500],
        created_by=created_by,
    )
    ledger.match(session, reversal, credit, amount)
    payment.status = PaymentStatus.REVERSED
    payment.updated_at = now()
    session.flush()
    return payment


def refund_payment(
    session: Session,
    province: str,
    payment_id: str,
    amount_fen: int,
    reason: str,
    *,
    reference: str,
    created_by: str | None = None,
) -> Payment:
    """Pay ``amount_fen`` of a payment back. ``reference`` (the refund voucher's number)
    makes the refund idempotent: the same reference again changes nothing."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidPayment(f"a refund is a positive whole number of fen, got {amount_fen!r}")
    if not REFERENCE.match(reference):
        raise InvalidPayment("the refund reference must be 1-128 letters, digits or . _ : / -")
    payment, credit = _locked_payment(session, province, payment_id)
    source_id = f"{payment.id}/{reference}"
    previous = repository.item_by_source(session, ItemKind.REFUND, source_id)
    if previous is not None:
        if previous.amount_fen != amount_fen:
            raise ReferenceReused(f"refund reference {reference!r} was used for another amount")
        return payment
    if payment.status == PaymentStatus.REVERSED:
        raise PaymentAlreadyReversed(f"payment {payment.id} was reversed; it cannot be refunded")
    refundable = payment.amount_fen - _refunded_fen(session, payment)
    if amount_fen > refundable:
        raise PaymentNotRefundable(
            f"a refund of {amount_fen} fen is more than the {refundable} fen of payment "
            f"{payment.id} not yet refunded"
        )
    unspent = credit.amount_fen - repository.matched_fen(session, credit)
    if unspent < amount_fen:
        _release(session, credit, amount_fen - unspent)
    refund = ledger.post_item(
        session,
        province=province,
        billing_account_id=payment.billing_account_id,
        kind=ItemKind.REFUND,
        amount_fen=amount_fen,
        source_id=source_id,
        lines=chart.payout_lines(amount_fen, payment.method, GlAccount.RECEIVABLE),
        note=reason[:500],
        created_by=created_by,
    )
    ledger.match(session, refund, credit, amount_fen)
    payment.status = (
        PaymentStatus.REFUNDED if amount_fen == refundable else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.updated_at = now()
    session.flush()
    return payment


def allocate_payment(
    session: Session, province: str, payment_id: str, bill_id: str
) -> list[tuple[LedgerItem, int]]:
    """Spend what a payment has not spent yet (its credit balance) on the named bill; returns
    the bill's item and the fen settled. A bill already paid, or a payment spent in full,
    is refused: allocating twice never settles a fen twice."""
    payment, credit = _locked_payment(session, province, payment_id)
    if payment.status == PaymentStatus.REVERSED:
        raise PaymentAlreadyReversed(f"payment {payment.id} was reversed; it cannot be allocated")
    target = repository.item_by_source(session, ItemKind.BILL, bill_id)
    if target is None or target.billing_account_id != payment.billing_account_id:
        raise UnknownAccount(
            f"bill {bill_id!r} is not a bill of account {payment.billing_account_id}",
            code="UNKNOWN_BILL",
        )
    unspent = credit.amount_fen - repository.matched_fen(session, credit)
    if unspent <= 0:
        raise NothingToAllocate(f"payment {payment.id} has no unspent credit left")
    allocations = ledger.spend(session, credit, unspent, named=target.id)
    if not allocations:
        raise NothingToAllocate(f"bill {bill_id} has nothing left to pay")
    return [(target, sum(a.amount_fen for a in allocations))]


def settled_items(session: Session, payment: Payment) -> list[tuple[LedgerItem, int]]:
    """The debits (bills, late fees) a payment settles now, with the fen of each: its live
    allocations, less what reversals and refunds took back."""
    live: dict[str, int] = {}
    for found in repository.live_matches(session, credit_item_id=payment.credit_item_id):
        live[found.debit_item_id] = live.get(found.debit_item_id, 0) + found.live_fen
    debits = repository.items(session, live)
    settled = [
        (debits[item_id], fen)
        for item_id, fen in live.items()
        if debits[item_id].kind not in PAYOUT_KINDS
    ]
    return sorted(settled, key=lambda pair: (pair[0].business_date, pair[0].created_at, pair[0].id))


def unspent_fen(session: Session, payment: Payment) -> int:
    """What of the payment is still a credit balance, not spent on any debit."""
    credit = session.get(LedgerItem, payment.credit_item_id)
    if credit is None:
        return 0
    return credit.amount_fen - repository.matched_fen(session, credit)
