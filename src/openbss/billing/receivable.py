"""What billing tells receivables: which periods are final, each final bill with its revenue by
service and tax category, and how much of a bill has been settled.

Receivables (the payments domain) sits above billing and posts each final bill to its ledger;
billing never learns of payments except through :func:`record_settlements`, by which the ledger
keeps a bill's TMF678 ``state`` and ``remainingAmount`` in step with its open item.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from openbss.billing.models import BillingPeriod, BillItem, BillState, CustomerBill
from openbss.kit.clock import now

# A bill that somebody has paid something of has been with the customer: when every payment of
# it is taken back it returns to ``sent``, not to the state it had before it was paid.
UNPAID_AGAIN = BillState.SENT
READ_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class BillRevenue:
    """A final bill's tax-inclusive amount and tax for one charge type and tax category."""

    charge_type: str
    tax_category: str
    amount_fen: int
    tax_fen: int


@dataclass(frozen=True, slots=True)
class FinalBill:
    id: str
    bill_no: str
    billing_account_id: str
    period: str
    bill_date: date
    due_date: date
    amount_fen: int
    tax_fen: int
    revenue: tuple[BillRevenue, ...]


def finalised_periods(session: Session, province: str) -> list[str]:
    return list(
        session.scalars(
            select(BillingPeriod.period)
            .where(BillingPeriod.province == province)
            .order_by(BillingPeriod.period)
        )
    )


def final_bills(session: Session, province: str, period: str) -> Iterator[list[FinalBill]]:
    """The bills of the period's finalised run, in chunks, with their revenue breakdown."""
    finalised = session.get(BillingPeriod, (province, period))
    if finalised is None:
        return
    last = ""
    while True:
        bills = list(
            session.scalars(
                select(CustomerBill)
                .where(CustomerBill.run_id == finalised.run_id, CustomerBill.id > last)
                .order_by(CustomerBill.id)
                .limit(READ_CHUNK)
            )
        )
        if not bills:
            return
        last = bills[-1].id
        yield list(_with_revenue(session, bills))


def _with_revenue(session: Session, bills: Sequence[CustomerBill]) -> Iterable[FinalBill]:
    parts: dict[str, list[BillRevenue]] = {}
    rows = session.execute(
        select(
            BillItem.bill_id,
            BillItem.charge_type,
            BillItem.tax_category,
            func.sum(BillItem.amount_fen),
            func.sum(BillItem.tax_fen),
        )
        .where(BillItem.bill_id.in_([bill.id for bill in bills]))
        .group_by(BillItem.bill_id, BillItem.charge_type, BillItem.tax_category)
        .order_by(BillItem.bill_id, BillItem.charge_type, BillItem.tax_category)
    )
    for bill_id, charge_type, tax_category, amount, tax in rows:
        parts.setdefault(bill_id, []).append(
            BillRevenue(charge_type, tax_category, int(amount), int(tax))
        )
    for bill in bills:
        yield FinalBill(
            id=bill.id,
            bill_no=bill.bill_no,
            billing_account_id=bill.billing_account_id,
            period=bill.period,
            bill_date=bill.bill_date,
            due_date=bill.payment_due_date,
            amount_fen=bill.amount_fen,
            tax_fen=bill.tax_fen,
            revenue=tuple(parts.get(bill.id, ())),
        )


def billed_by_product(session: Session, province: str, period: str) -> dict[str, int]:
    """Product id → what the period's finalised bills charged for it, without tax, in fen
    (channel commissions share it); nothing when the period is not final."""
    finalised = session.get(BillingPeriod, (province, period))
    if finalised is None:
        return {}
    rows = session.execute(
        select(BillItem.product_id, func.sum(BillItem.amount_fen - BillItem.tax_fen))
        .join(CustomerBill, CustomerBill.id == BillItem.bill_id)
        .where(CustomerBill.run_id == finalised.run_id, BillItem.product_id.is_not(None))
        .group_by(BillItem.product_id)
        .order_by(BillItem.product_id)
    )
    return {str(product_id): int(amount) for product_id, amount in rows}


def settlement_state(amount_fen: int, settled_fen: int, current: str) -> str:
    """The state a bill takes when ``settled_fen`` of its ``amount_fen`` has been paid."""
    if settled_fen >= amount_fen and amount_fen > 0:
        return BillState.SETTLED
    if settled_fen > 0:
        return BillState.PARTIALLY_PAID
    if current in (BillState.SETTLED, BillState.PARTIALLY_PAID):
        return UNPAID_AGAIN
    return current


def record_settlements(session: Session, settled: Iterable[tuple[str, int]]) -> int:
    """Set each bill's settled amount (bill id, fen settled so far) and move its state to
    match; a bill whose state changes emits ``CustomerBillStateChangeEvent``. Returns the
    number of bills whose state changed."""
    from openbss.billing.service import customer_bills  # the TMF678 service renders events

    wanted = dict(settled)
    changed = 0
    ids = list(wanted)
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        for bill in session.scalars(select(CustomerBill).where(CustomerBill.id.in_(chunk))):
            settled_fen = wanted[bill.id]
            state = settlement_state(bill.amount_fen, settled_fen, bill.state)
            if bill.settled_fen == settled_fen and bill.state == state:
                continue
            bill.settled_fen = settled_fen
            if state != bill.state:
                bill.state = state
                changed += 1
                customer_bills.emit(session, "StateChangeEvent", bill)
    session.flush()
    return changed


def record_settlements_in_bulk(session: Session, settled: Sequence[tuple[str, int, str]]) -> None:
    """The bulk form for batch posting (a bank result file): (bill id, settled fen, state),
    written with one executemany and no events per bill (the batch reports its own totals)."""
    if not settled:
        return
    bills: Table = CustomerBill.__table__  # type: ignore[assignment]
    # Core executemany, not the ORM's bulk update: a bank result file settles a million bills.
    session.execute(
        update(bills)
        .where(bills.c.id == bindparam("bill_id"))
        .values(settled_fen=bindparam("fen"), state=bindparam("new_state"), updated_at=now()),
        [{"bill_id": bill_id, "fen": fen, "new_state": state} for bill_id, fen, state in settled],
    )
