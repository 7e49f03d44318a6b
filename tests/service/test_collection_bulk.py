"""The set-based application of a bank result file writes what taking the same payments one at
a time writes: the same balances, allocations, journal sums and bill states (SQLite and
PostgreSQL), across chunks, with late fees among the debts and a payment arriving in between
that turns a collection into a credit balance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.payments import chart, ledger
from openbss.payments import public as payments
from openbss.payments.collection import export_batch, import_result, payment_reference
from openbss.payments.collection_models import CollectionLine
from openbss.payments.models import ItemKind, JournalLine, LedgerItem, LedgerMatch, Payment
from openbss.payments.public import PaymentRequest
from tests import collection_support, payments_support

TWINS = 7
# Per twin: the bank's answer (status, share of the asked amount paid).
ANSWERS = [
    ("00", 1.0),
    ("02", 0.4),
    ("01", 0.0),
    ("00", 1.0),
    ("02", 0.9),
    ("00", 1.0),
    ("00", 1.0),
]


def _ledger_of(session: Session, account: str) -> dict[str, object]:
    items = session.scalars(
        select(LedgerItem)
        .where(LedgerItem.billing_account_id == account)
        .order_by(LedgerItem.business_date, LedgerItem.created_at, LedgerItem.id)
    ).all()
    by_id = {item.id: item for item in items}
    matches = session.scalars(
        select(LedgerMatch).where(LedgerMatch.billing_account_id == account)
    ).all()
    journal = dict(
        session.execute(
            select(JournalLine.gl_account, func.sum(JournalLine.amount_fen))
            .where(JournalLine.entry_id.in_([i.id for i in items] + [m.id for m in matches]))
            .group_by(JournalLine.gl_account)
        ).all()
    )
    return {
        "balance": payments.balance(session, account),
        "items": [(i.kind, i.side, i.amount_fen, i.due_date) for i in items],
        "matches": sorted(
            (
                by_id[m.debit_item_id].kind,
                by_id[m.debit_item_id].amount_fen,
                by_id[m.credit_item_id].kind,
                by_id[m.credit_item_id].amount_fen,
                m.amount_fen,
            )
            for m in matches
        ),
        "journal": {gl: int(fen) for gl, fen in journal.items()},
        "bills": sorted(
            (b.amount_fen, b.settled_fen, b.state)
            for b in (
                payments_support.bill(session, i.source_id)
                for i in items
                if i.kind == ItemKind.BILL
            )
        ),
        "payments": sorted(
            (p.method, p.amount_fen, p.status, p.request_hash == _fingerprint(p))
            for p in session.scalars(select(Payment).where(Payment.billing_account_id == account))
        ),
    }


def test_bulk_and_one_at_a_time_write_the_same_ledger(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as session:
        one = [collection_support.debit_account(session) for _ in range(TWINS)]
        bulk = [collection_support.debit_account(session) for _ in range(TWINS)]
        for period, base in (("2026-08", 7_000), ("2026-09", 5_500)):
            bills = [(acc, base + 300 * k, 400) for k, acc in enumerate(one)]
            bills += [(acc, base + 300 * k, 400) for k, acc in enumerate(bulk)]
            payments_support.final_period(session, period, bills, due=date(2026, 10, 5))
        payments.post_final_bills(session, "GD")
        for k in (1, 4):  # a late fee due before the bills' due date: settled first
            for acc in (one[k], bulk[k]):
                ledger.post_item(
                    session,
                    province="GD",
                    billing_account_id=acc,
                    kind=ItemKind.LATE_FEE,
                    amount_fen=321,
                    source_id=f"{acc}/2026-09-30",
                    lines=chart.late_fee_lines(321),
                    due_date=date(2026, 9, 30),
                )
        for k, acc in [(2, one[2]), (2, bulk[2]), (5, one[5]), (5, bulk[5])]:
            _cash(session, acc, 3_000, f"HALL-{k}-{acc[:8]}")
    with unit_of_work(session_factory) as session:
        batch = export_batch(
            session, province="GD", bank="ICBC", day=date(2026, 12, 3), out_dir=tmp_path
        )
        assert batch is not None
        lines = {
            acc: (no, fen)
            for no, acc, fen in session.execute(
                select(CollectionLine.line_no, CollectionLine.billing_account_id,
                       CollectionLine.amount_fen).where(CollectionLine.batch_id == batch.batch_id)
            )
        }  # fmt: skip
    with unit_of_work(session_factory) as session:
        # Paid at the counter after the file went to the bank: the collection overpays.
        _cash(session, one[6], 2_000, "HALL-LATE-1")
        _cash(session, bulk[6], 2_000, "HALL-LATE-2")

    answers = []
    for k, acc in enumerate(bulk):
        status, share = ANSWERS[k]
        no, asked = lines[acc]
        answers.append({"line_no": no, "billing_account_id": acc, "amount_fen": asked,
                        "paid_fen": int(asked * share), "status": status,
                        "reason_code": "E51" if status == "01" else "",
                        "reason_text": "余额不足" if status == "01" else "",
                        "bank_txn_id": f"T{k:05d}"})  # fmt: skip
    answers.sort(key=lambda a: str(a["bank_txn_id"]))  # the bank's order, not ours
    path = tmp_path / "result.dat"
    path.write_bytes(collection_support.result_file("icbc_fixed", batch.batch_id, answers))
    report = import_result(session_factory, path, province="GD", report_dir=tmp_path, chunk_lines=3)
    assert report.counts == {"paid": 4, "partial": 2, "refused": 1}

    with unit_of_work(session_factory) as session:
        for answer in answers:
            k = bulk.index(str(answer["billing_account_id"]))
            if answer["status"] == "01":
                continue
            no, _ = lines[one[k]]
            payments.take_payment(
                session,
                PaymentRequest(
                    province="GD",
                    billing_account_id=one[k],
                    amount_fen=int(str(answer["paid_fen"])),
                    method="bank_collection",
                    reference=payment_reference(batch.batch_id, no),
                ),
            )
    with session_factory() as session:
        for k in range(TWINS):
            assert _ledger_of(session, bulk[k]) == _ledger_of(session, one[k]), k
        assert payments.balance(session, bulk[6]) < 0  # the overpayment is a credit balance
        total = session.scalar(select(func.sum(JournalLine.amount_fen)))
        assert total == 0


def _cash(session: Session, account: str, fen: int, reference: str) -> None:
    payments.take_payment(
        session,
        PaymentRequest(
            province="GD", billing_account_id=account, amount_fen=fen, method="cash",
            reference=reference,
        ),
    )  # fmt: skip


def _fingerprint(payment: Payment) -> str:
    """What taking the payment through the API again would be compared with."""
    return PaymentRequest(
        province="GD",
        billing_account_id=payment.billing_account_id,
        amount_fen=payment.amount_fen,
        method=payment.method,
        reference=payment.reference,
    ).fingerprint()
