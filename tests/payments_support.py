"""Factories for receivables tests: billing accounts and final bills written straight into
billing's tables (a bill run is tested elsewhere; here a bill is a fact to pay)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy.orm import Session

from openbss.billing.models import (
    BillingPeriod,
    BillItem,
    BillRun,
    BillState,
    CustomerBill,
    RunStatus,
)
from openbss.kit.ids import new_id
from tests.ordering_support import new_customer

_serial = count(100)


def account(session: Session) -> str:
    """A new GD customer's billing account id."""
    return new_customer(session, next(_serial))[2]


def final_period(
    session: Session,
    period: str,
    bills: list[tuple[str, int, int]],
    *,
    province: str = "GD",
    bill_date: date | None = None,
    due: date | None = None,
) -> list[str]:
    """Finalise ``period`` with one bill per (account, amount fen, tax fen); returns bill ids.

    Each bill has two lines: a usage line carrying the tax and a recurring line."""
    year, month = (int(part) for part in period.split("-"))
    bill_date = bill_date or date(year + month // 12, month % 12 + 1, 1)
    due = due or bill_date.replace(day=20)
    run_id = new_id()
    session.add(
        BillRun(
            id=run_id,
            province=province,
            period=period,
            status=RunStatus.FINALISED,
            started_at=datetime.now(UTC),
        )
    )
    session.flush()
    ids = []
    for account_id, amount, tax in bills:
        bill_id = new_id()
        ids.append(bill_id)
        session.add(
            CustomerBill(
                id=bill_id,
                province=province,
                doc={},
                run_id=run_id,
                bill_no=f"B{period.replace('-', '')}{len(ids):06d}{bill_id[:4]}",
                billing_account_id=account_id,
                period=period,
                state=BillState.NEW,
                bill_date=bill_date,
                payment_due_date=due,
                amount_fen=amount,
                tax_fen=tax,
            )
        )
        session.flush()
        usage = amount // 2
        for sequence, (charge_type, fen, line_tax) in enumerate(
            [("usage", usage, tax), ("recurring", amount - usage, 0)]
        ):
            session.add(
                BillItem(
                    id=new_id(),
                    province=province,
                    doc={},
                    bill_id=bill_id,
                    sequence=sequence,
                    billing_account_id=account_id,
                    charge_type=charge_type,
                    tax_category="basic",
                    source_kind="test",
                    source_id=bill_id,
                    description_key=charge_type,
                    amount_fen=fen,
                    tax_fen=line_tax,
                    tax_rate_bp=900,
                )
            )
    session.add(BillingPeriod(province=province, period=period, run_id=run_id))
    session.flush()
    return ids


def bill(session: Session, bill_id: str) -> CustomerBill:
    row = session.get(CustomerBill, bill_id)
    assert row is not None
    session.refresh(row)
    return row
