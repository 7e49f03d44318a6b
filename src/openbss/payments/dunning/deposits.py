"""Deposits (押金): taken at order time into 2241 (deposits held), applied to the account's
open debts at 拆机 — a match across control accounts, whose transfer the ledger writes — and
the rest paid back (a refund debit in 2241)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openbss.account import public as accounts
from openbss.kit.errors import Conflict
from openbss.kit.ids import new_id
from openbss.payments import chart, ledger
from openbss.payments import payments as rules
from openbss.payments import repository as ar
from openbss.payments.allocation import allocate
from openbss.payments.chart import GlAccount, PaymentMethod
from openbss.payments.dunning import repository as repo
from openbss.payments.dunning.models import Deposit, DepositStatus
from openbss.payments.errors import InvalidPayment, UnknownAccount
from openbss.payments.models import ItemKind, Side


@dataclass(frozen=True, slots=True)
class DepositRequest:
    province: str
    billing_account_id: str
    amount_fen: int
    method: str
    reference: str
    product_order_id: str | None = None
    created_by: str | None = None


def check(request: DepositRequest) -> None:
    amount = request.amount_fen
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidPayment(f"a deposit is a positive whole number of fen, got {amount!r}")
    if amount > rules.MAX_PAYMENT_FEN:
        raise InvalidPayment(f"a deposit is at most {rules.MAX_PAYMENT_FEN} fen")
    if request.method not in set(PaymentMethod):
        allowed = ", ".join(m.value for m in PaymentMethod)
        raise InvalidPayment(f"unknown payment method {request.method!r}; one of {allowed}")
    if not rules.REFERENCE.match(request.reference):
        raise InvalidPayment(
            "the deposit reference must be 1-128 letters, digits or . _ : / - "
            "(starting with a letter or digit)"
        )


def take_deposit(session: Session, request: DepositRequest) -> tuple[Deposit, bool]:
    """Hold a deposit; the same reference again is the same deposit (returned, not new)."""
    check(request)
    account = accounts.get_billing_account(session, request.billing_account_id)
    if account is None or account.province != request.province:
        raise UnknownAccount(f"billing account {request.billing_account_id!r} does not exist")
    ar.lock_account(session, account.id, request.province)
    existing = repo.deposit_by_reference(session, request.province, request.reference)
    if existing is not None:
        return _same(existing, request), False
    deposit_id = new_id()
    credit = ledger.post_item(
        session,
        province=request.province,
        billing_account_id=account.id,
        kind=ItemKind.DEPOSIT,
        amount_fen=request.amount_fen,
        source_id=deposit_id,
        lines=chart.deposit_lines(request.amount_fen, request.method),
        control=GlAccount.DEPOSITS_HELD,
        note=request.reference,
        created_by=request.created_by,
    )
    row = Deposit(
        id=deposit_id,
        province=request.province,
        billing_account_id=account.id,
        amount_fen=request.amount_fen,
        method=request.method,
        reference=request.reference,
        product_order_id=request.product_order_id,
        credit_item_id=credit.id,
        status=DepositStatus.HELD,
        applied_fen=0,
        refunded_fen=0,
        created_by=request.created_by,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"deposit reference {request.reference!r} was taken concurrently; retry",
            code="DEPOSIT_REFERENCE_REUSED",
        ) from None
    return row, True


def _same(existing: Deposit, request: DepositRequest) -> Deposit:
    if (existing.billing_account_id, existing.amount_fen, existing.method) != (
        request.billing_account_id,
        request.amount_fen,
        request.method,
    ):
        raise Conflict(
            f"deposit reference {request.reference!r} was already used for a different "
            f"deposit ({existing.id})",
            code="DEPOSIT_REFERENCE_REUSED",
        )
    return existing


def settle_at_cease(session: Session, account_id: str, day: date) -> int:
    """Apply each held deposit to the open debts (oldest first) and refund the rest; the
    account's ledger lock is held. Returns the fen applied."""
    applied_total = 0
    for deposit in repo.held_deposits(session, account_id):
        credit = ar.items(session, [deposit.credit_item_id])[deposit.credit_item_id]
        available = credit.amount_fen - ar.matched_fen(session, credit)
        debits = {
            item.id: item
            for item, _ in ar.open_items(session, account_id, Side.DEBIT)
            if item.control == GlAccount.RECEIVABLE
        }
        allocations = allocate(available, ar.open_debits(session, account_id))
        applied = 0
        for allocation in allocations:
            if allocation.item_id not in debits:
                continue
            ledger.match(
                session, debits[allocation.item_id], credit, allocation.amount_fen, day=day
            )
            applied += allocation.amount_fen
        ledger.sync_bills(session, [debits[a.item_id] for a in allocations if a.item_id in debits])
        rest = available - applied
        if rest > 0:
            refund = ledger.post_item(
                session,
                province=deposit.province,
                billing_account_id=account_id,
                kind=ItemKind.REFUND,
                amount_fen=rest,
                source_id=f"{deposit.id}/cease",
                lines=chart.payout_lines(rest, deposit.method, GlAccount.DEPOSITS_HELD),
                control=GlAccount.DEPOSITS_HELD,
                day=day,
                note="押金退还 / deposit refunded at cease",
            )
            ledger.match(session, refund, credit, rest, day=day)
        deposit.applied_fen += applied
        deposit.refunded_fen += max(rest, 0)
        deposit.status = DepositStatus.SETTLED
        applied_total += applied
    return applied_total
