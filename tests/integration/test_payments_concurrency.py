"""Payments racing on real databases, each submission in its own thread, session and
transaction, started together at a barrier.

- Twenty submissions of one payer's reference are one payment: one credit on the ledger.
- Two payments racing to clear one bill settle it once — the sum of the bill's matches never
  exceeds its amount — and the second payment stays a credit balance.

On PostgreSQL the account's ledger row lock serialises the writers; on SQLite the database's
write lock does, and a writer whose snapshot went stale is told to retry ("database is
locked"), which a client does — the outcome must be the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.payments import public as payments
from openbss.payments.models import LedgerItem, LedgerMatch, Payment
from openbss.payments.public import PaymentRequest
from tests import payments_support as support

ATTEMPTS = 50  # retries of one submission whose transaction the database rolled back


def submit(factory: sessionmaker[Session], request: PaymentRequest) -> str:
    """One client: submit, and retry when the database asks for it."""
    for _ in range(ATTEMPTS):
        try:
            with unit_of_work(factory) as session:
                payment, _ = payments.take_payment(session, request)
                return payment.id
        except OperationalError:
            continue
    raise AssertionError(f"payment {request.reference} was never accepted")


def in_parallel(jobs: list[Callable[[], str]]) -> list[str]:
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[str | BaseException] = [""] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as exc:  # reported by the main thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return [str(r) for r in results]


def request(account_id: str, fen: int, reference: str) -> PaymentRequest:
    return PaymentRequest(
        province="GD",
        billing_account_id=account_id,
        amount_fen=fen,
        method="online",
        reference=reference,
    )


def test_twenty_submissions_of_one_reference_are_one_payment(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        account_id = support.account(session)
        [bill] = support.final_period(session, "2026-01", [(account_id, 5_000, 0)])
        payments.post_final_bills(session, "GD")

    same = request(account_id, 5_000, "GW-20261203-0001")
    ids = in_parallel([lambda: submit(session_factory, same) for _ in range(20)])

    assert len(set(ids)) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
        credits = session.scalar(
            select(func.count()).select_from(LedgerItem).where(LedgerItem.kind == "payment")
        )
        assert credits == 1
        assert payments.balance(session, account_id) == 0
        assert support.bill(session, bill).settled_fen == 5_000


def test_two_payments_racing_for_one_bill_settle_it_once(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        account_id = support.account(session)
        [bill] = support.final_period(session, "2026-02", [(account_id, 8_000, 0)])
        payments.post_final_bills(session, "GD")

    ids = in_parallel(
        [
            lambda: submit(session_factory, request(account_id, 8_000, "HALL-A")),
            lambda: submit(session_factory, request(account_id, 8_000, "BANK-B")),
        ]
    )

    assert len(set(ids)) == 2
    with session_factory() as session:
        bill_item = session.scalar(select(LedgerItem).where(LedgerItem.source_id == bill))
        assert bill_item is not None
        matched = session.scalar(
            select(func.sum(LedgerMatch.amount_fen)).where(
                LedgerMatch.debit_item_id == bill_item.id
            )
        )
        assert matched == 8_000  # settled once, never twice
        assert support.bill(session, bill).settled_fen == 8_000
        assert payments.balance(session, account_id) == -8_000  # one payment is credit
        unspent = sorted(payments.unspent_fen(session, p) for p in session.scalars(select(Payment)))
        assert unspent == [0, 8_000]
