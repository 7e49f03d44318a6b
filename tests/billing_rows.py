"""A factory of bills for the tests: bill rows inserted as a finished bill run leaves them.

The values are those the bill run writes: amounts in fen, tax-inclusive, each line's VAT
inside its amount at its category's rate in basis points (900 = 9 %), the bill's tax the sum
of its lines' taxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from openbss.billing.models import BillItem, BillRun, BillState, CustomerBill, RunStatus
from openbss.kit.ids import new_id


@dataclass(frozen=True, slots=True)
class Line:
    charge_type: str
    amount_fen: int
    tax_fen: int
    tax_rate_bp: int
    tax_category: str = "basic"
    description_key: str = "rental.monthly"
    product_id: str | None = None
    first_day: date | None = None
    last_day: date | None = None
    is_billed: bool = True


# A month's rental of 50.00 at 9 % VAT and 12.34 of data at 6 % VAT.
RENTAL = Line(
    "recurring",
    5000,
    413,
    900,
    product_id="prod-1",
    first_day=date(2026, 3, 1),
    last_day=date(2026, 3, 31),
)
DATA = Line("usage", 1234, 70, 600, tax_category="valueAdded", description_key="usage.data")


def bill_run(session: Session, province: str = "GD", period: str = "2026-03") -> BillRun:
    run = BillRun(id=new_id(), province=province, period=period, status=RunStatus.FINALISED)
    session.add(run)
    session.flush()
    return run


def make_bill(
    session: Session,
    account_id: str,
    *,
    province: str = "GD",
    period: str = "2026-03",
    state: str = BillState.NEW,
    lines: tuple[Line, ...] = (RENTAL, DATA),
    run: BillRun | None = None,
) -> CustomerBill:
    """A bill of ``account_id`` for ``period`` with ``lines``; flushed, not committed."""
    run = run or bill_run(session, province, period)
    bill_id = new_id()
    bill = CustomerBill(
        id=bill_id,
        province=province,
        doc={},
        run_id=run.id,
        bill_no=f"{province}{period.replace('-', '')}{bill_id[-10:]}",
        billing_account_id=account_id,
        period=period,
        state=state,
        bill_date=date(2026, 4, 5),
        payment_due_date=date(2026, 4, 20),
        amount_fen=sum(line.amount_fen for line in lines),
        tax_fen=sum(line.tax_fen for line in lines),
        items=len(lines),
    )
    session.add(bill)
    session.flush()
    for sequence, line in enumerate(lines, start=1):
        session.add(
            BillItem(
                id=new_id(),
                province=province,
                doc={},
                bill_id=bill_id,
                sequence=sequence,
                billing_account_id=account_id,
                product_id=line.product_id,
                charge_type=line.charge_type,
                tax_category=line.tax_category,
                source_kind="test",
                source_id="test",
                description_key=line.description_key,
                amount_fen=line.amount_fen,
                tax_fen=line.tax_fen,
                tax_rate_bp=line.tax_rate_bp,
                first_day=line.first_day,
                last_day=line.last_day,
                is_billed=line.is_billed,
            )
        )
    session.flush()
    return bill
