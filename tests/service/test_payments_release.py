"""Releasing a payment's allocations (a reversal or a refund larger than its unspent credit)
undoes what it settled for the customer — bills, late fees — and never re-opens the payment's
own refunds, which stay paid out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.billing.models import BillState
from openbss.payments import public as payments
from openbss.payments.public import PaymentRequest
from tests import payments_support as support


def test_a_reversal_after_a_refund_reopens_the_whole_bill(session: Session) -> None:
    acc = support.account(session)
    [bill] = support.final_period(session, "2026-06", [(acc, 6_000, 0)])
    payments.post_final_bills(session, "GD")
    payment, _ = payments.take_payment(
        session, PaymentRequest("GD", acc, 10_000, "cash", "R-refund-then-reverse")
    )
    payments.refund_payment(session, "GD", payment.id, 4_000, "overpaid", reference="RF-1")
    payments.reverse_payment(session, "GD", payment.id, "counterfeit")

    assert payments.settled_items(session, payment) == []
    assert support.bill(session, bill).settled_fen == 0
    assert support.bill(session, bill).state != BillState.SETTLED
    lines = {line.item.kind: line.open_fen for line in payments.statement(session, acc)}
    assert lines == {"bill": 6_000, "payment": 0, "refund": 0, "reversal": 0}
    assert payments.balance(session, acc) == 6_000


def test_a_refund_beyond_the_unspent_credit_reopens_the_newest_bill(session: Session) -> None:
    acc = support.account(session)
    [march] = support.final_period(session, "2026-03", [(acc, 3_000, 0)])
    [april] = support.final_period(session, "2026-04", [(acc, 3_000, 0)])
    payments.post_final_bills(session, "GD")
    payment, _ = payments.take_payment(session, PaymentRequest("GD", acc, 7_000, "cash", "R-2"))
    payments.refund_payment(session, "GD", payment.id, 500, "first", reference="RF-a")
    payments.refund_payment(session, "GD", payment.id, 1_500, "second", reference="RF-b")

    assert support.bill(session, march).settled_fen == 3_000
    assert support.bill(session, april).settled_fen == 2_000
    lines = [(line.item.kind, line.open_fen) for line in payments.statement(session, acc)]
    assert ("refund", 0) in lines and all(fen == 0 for kind, fen in lines if kind == "refund")
    assert payments.balance(session, acc) == 1_000
