"""The receivables ledger on SQLite and PostgreSQL: posting bills, taking payments, allocation
oldest first or to a named bill, overpayment as credit used by the next bill, reversals and
refunds that re-open bills, and the journal balancing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openbss.billing.models import BillState
from openbss.kit.errors import Conflict, OpenBSSError
from openbss.payments import public as payments
from openbss.payments.models import JournalLine
from openbss.payments.public import PaymentRequest
from tests import payments_support as support


def pay(
    session: Session, account_id: str, fen: int, reference: str, **kw: object
) -> payments.Payment:
    request = PaymentRequest(
        province="GD",
        billing_account_id=account_id,
        amount_fen=fen,
        method=str(kw.pop("method", "cash")),
        reference=reference,
        **kw,  # type: ignore[arg-type]
    )
    return payments.take_payment(session, request)[0]


def journal_sum(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0))) or 0)


def test_bills_are_posted_once_and_paid_oldest_first(session: Session) -> None:
    acc = support.account(session)
    [march] = support.final_period(session, "2026-03", [(acc, 10_000, 900)])
    [april] = support.final_period(session, "2026-04", [(acc, 8_000, 700)])
    posted = payments.post_final_bills(session, "GD")
    assert [p.period for p in posted] == ["2026-03", "2026-04"]
    assert payments.post_final_bills(session, "GD") == []  # idempotent
    assert payments.balance(session, acc) == 18_000

    pay(session, acc, 12_000, "R-1")
    assert support.bill(session, march).state == BillState.SETTLED
    assert support.bill(session, april).state == BillState.PARTIALLY_PAID
    assert support.bill(session, april).settled_fen == 2_000
    assert payments.balance(session, acc) == 6_000
    assert journal_sum(session) == 0


def test_named_bill_and_overpayment_credit_used_by_next_bill(session: Session) -> None:
    acc = support.account(session)
    [march] = support.final_period(session, "2026-03", [(acc, 10_000, 900)])
    [april] = support.final_period(session, "2026-04", [(acc, 8_000, 700)])
    payments.post_final_bills(session, "GD")
    pay(session, acc, 9_000, "R-2", bill_id=april)
    assert support.bill(session, april).state == BillState.SETTLED
    assert support.bill(session, march).state == BillState.NEW  # untouched
    assert payments.balance(session, acc) == 9_000  # 10,000 owed, 1,000 credit left
    [may] = support.final_period(session, "2026-05", [(acc, 500, 0)])
    payments.post_final_bills(session, "GD")
    # The credit balance went to the oldest open debt (March), not only the new bill.
    assert support.bill(session, march).settled_fen == 1_000
    assert support.bill(session, may).state == BillState.NEW
    assert payments.balance(session, acc) == 9_500


def test_same_reference_is_one_payment_and_a_different_body_conflicts(session: Session) -> None:
    acc = support.account(session)
    first = pay(session, acc, 500, "HALL-0001")
    again = pay(session, acc, 500, "HALL-0001")
    assert again.id == first.id
    assert payments.balance(session, acc) == -500
    with pytest.raises(Conflict):
        pay(session, acc, 600, "HALL-0001")


def test_reversal_reopens_bills_and_is_idempotent(session: Session) -> None:
    acc = support.account(session)
    [march] = support.final_period(session, "2026-03", [(acc, 10_000, 900)])
    payments.post_final_bills(session, "GD")
    payment = pay(session, acc, 10_000, "BANK-77", method="bank_collection")
    assert support.bill(session, march).state == BillState.SETTLED
    payments.reverse_payment(session, "GD", payment.id, "refused by the bank: insufficient funds")
    payments.reverse_payment(session, "GD", payment.id, "again")
    assert support.bill(session, march).state == BillState.SENT
    assert support.bill(session, march).settled_fen == 0
    assert payments.balance(session, acc) == 10_000
    assert journal_sum(session) == 0


def test_refund_frees_credit_first_then_newest_allocation(session: Session) -> None:
    acc = support.account(session)
    [march] = support.final_period(session, "2026-03", [(acc, 3_000, 0)])
    payments.post_final_bills(session, "GD")
    payment = pay(session, acc, 5_000, "R-9")
    assert payments.balance(session, acc) == -2_000
    payments.refund_payment(session, "GD", payment.id, 2_500, "moving away", reference="RF-1")
    # 2,000 of unspent credit and 500 taken back from the March bill.
    assert support.bill(session, march).settled_fen == 2_500
    assert support.bill(session, march).state == BillState.PARTIALLY_PAID
    assert payments.balance(session, acc) == 500
    with pytest.raises(OpenBSSError, match="more than"):
        payments.refund_payment(session, "GD", payment.id, 2_501, "too much", reference="RF-2")
    payments.refund_payment(session, "GD", payment.id, 2_500, "moving away", reference="RF-1")
    assert payments.balance(session, acc) == 500  # the same refund again: nothing changed
    assert journal_sum(session) == 0


@pytest.mark.parametrize(
    ("fen", "method", "reference"),
    [
        (0, "cash", "R"),
        (-5, "cash", "R"),
        (100, "cheque", "R"),
        (100, "cash", "../x"),
        (100, "cash", ""),
    ],
)
def test_bad_payments_change_nothing(
    session: Session, fen: int, method: str, reference: str
) -> None:
    acc = support.account(session)
    with pytest.raises(OpenBSSError):
        pay(session, acc, fen, reference, method=method)
    assert payments.balance(session, acc) == 0


def test_unknown_or_foreign_account_is_refused(session: Session) -> None:
    acc = support.account(session)
    with pytest.raises(OpenBSSError, match="does not exist"):
        payments.take_payment(
            session,
            PaymentRequest(
                province="SH", billing_account_id=acc, amount_fen=100, method="cash", reference="R"
            ),
        )
    with pytest.raises(OpenBSSError, match="does not exist"):
        pay(session, "no-such-account", 100, "R")
