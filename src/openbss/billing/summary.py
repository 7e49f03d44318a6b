"""A bill run at a glance: what the operator reads after 出帐 before sending the bills out.

Accounts due and billed, the exception report by reason, revenue by charge type and by
service (the product's service type; lines of no product, such as an account's adjustments,
count as ``account``), the largest bills, and where the largest bills' PDF invoices are
kept. Amounts are the bills' own, in fen, tax included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from openbss.billing import repository as repo
from openbss.billing.invoices import invoice_path
from openbss.kit.errors import NotFound

ACCOUNT_LEVEL = "account"  # the service of lines that belong to no product


@dataclass(frozen=True, slots=True)
class BillAtGlance:
    bill_no: str
    billing_account_id: str
    amount_fen: int
    items: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    province: str
    period: str
    status: str
    accounts_due: int
    bills: int
    exceptions: int
    amount_fen: int
    exceptions_by_reason: dict[str, int]
    by_charge_type: dict[str, int]
    # (service type, charge type) → fen
    by_service: dict[tuple[str, str], int]
    largest: tuple[BillAtGlance, ...]
    # The PDF invoices of the largest bills, rendered or not yet.
    invoices: tuple[Path, ...]


def run_summary(
    session: Session, data_dir: Path, run_id: str, *, largest: int = 5, invoices: int = 3
) -> RunSummary:
    """Summarise bill run ``run_id`` from its written bills (of any status)."""
    run = repo.bill_run(session, run_id)
    if run is None:
        raise NotFound(f"bill run {run_id!r} not found")
    bills, exceptions, amount = repo.run_totals(session, run_id)
    service_of = {
        product.id: product.service_type
        for product in repo.products(session, run.province).values()
    }
    by_service: dict[tuple[str, str], int] = {}
    for (product_id, charge_type), fen in repo.amounts_by_product_and_charge_type(
        session, run_id
    ).items():
        service = service_of.get(product_id, ACCOUNT_LEVEL) if product_id else ACCOUNT_LEVEL
        key = (service or ACCOUNT_LEVEL, charge_type)
        by_service[key] = by_service.get(key, 0) + fen
    top = tuple(
        BillAtGlance(b.bill_no, b.billing_account_id, b.amount_fen, b.items)
        for b in repo.largest_bills(session, run_id, largest)
    )
    return RunSummary(
        run_id=run.id,
        province=run.province,
        period=run.period,
        status=run.status,
        accounts_due=run.accounts_due,
        bills=bills,
        exceptions=exceptions,
        amount_fen=amount,
        exceptions_by_reason=repo.exception_reasons(session, run_id),
        by_charge_type=repo.amounts_by_charge_type(session, run_id),
        by_service=by_service,
        largest=top,
        invoices=tuple(
            invoice_path(data_dir, run.province, run.period, bill.bill_no)
            for bill in top[:invoices]
        ),
    )
