"""An account's bills, one bill with its itemised usage (详单), its invoice PDF, and hot
billing (实时话费) of the open cycle — read as TMF678 and ``/api/v1/billing`` read them.

Bills come through billing's resource service (role and province checked; bills of a run
still in trial are invisible), the detail from the invoice document the PDF prints (so the
page and the PDF cannot disagree), the charges so far from billing's operations with the
same roles as ``GET /api/v1/billing/accounts/{id}/hot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openbss.account.public import BillingAccount
from openbss.account.service import billing_accounts
from openbss.billing.invoice import InvoiceDocument, render_invoice_pdf
from openbss.billing.invoices import invoice_document
from openbss.billing.operations import account_so_far
from openbss.billing.representation import remaining_fen
from openbss.billing.service import applied_billing_rates, customer_bills
from openbss.billing.texts import line_text
from openbss.billing.totals import BillSummary, TaxedLine
from openbss.inventory.public import get_product
from openbss.kit.clock import now
from openbss.kit.pagination import PageRequest
from openbss.kit.security import Principal

MAX_BILLS = 120  # ten years of monthly bills
MAX_LINES = 2000  # a bill's lines shown on its page
# Words for line keys billing has no text for (its charge type alone).
FALLBACK_TEXTS = {
    "oneTime": ("一次性费用", "One-time charges"),
    "recurring": ("月租费", "Rentals"),
    "usage": ("使用费", "Usage"),
}


def line_words(description_key: str) -> tuple[str, str]:
    """The Chinese and English words of a bill line's key."""
    text = line_text(description_key)
    if text.zh == description_key and description_key in FALLBACK_TEXTS:
        return FALLBACK_TEXTS[description_key]
    return text.zh, text.en


@dataclass(frozen=True, slots=True)
class BillRow:
    id: str
    bill_no: str
    period: str
    state: str
    bill_date: date
    due_date: date
    amount_fen: int
    tax_fen: int
    remaining_fen: int


@dataclass(frozen=True, slots=True)
class AccountBills:
    account: BillingAccount
    bills: Sequence[BillRow]


def _row(bill: Any) -> BillRow:  # a CustomerBill (billing's table is its own)
    return BillRow(
        id=bill.id,
        bill_no=bill.bill_no,
        period=bill.period,
        state=bill.state,
        bill_date=bill.bill_date,
        due_date=bill.payment_due_date,
        amount_fen=bill.amount_fen,
        tax_fen=bill.tax_fen,
        remaining_fen=remaining_fen(bill),
    )


def account_bills(session: Session, principal: Principal, account_id: str) -> AccountBills:
    """The account (404 when another province's) and its final bills, newest first."""
    account = billing_accounts.get(session, principal, account_id)
    page = customer_bills.list(
        session, principal, {"billingAccount.id": [account.id]}, PageRequest(0, MAX_BILLS)
    )
    rows = sorted((_row(b) for b in page.items), key=lambda r: (r.period, r.bill_no), reverse=True)
    return AccountBills(account=account, bills=rows)


@dataclass(frozen=True, slots=True)
class BillLine:
    text_zh: str
    text_en: str
    account_id: str
    service_number: str | None
    amount_fen: int
    tax_fen: int
    tax_rate: str | None
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True, slots=True)
class BillDetail:
    bill: BillRow
    account: BillingAccount
    lines: Sequence[BillLine]


def _tax_rate(basis_points: int) -> str | None:
    if not basis_points:
        return None
    whole, part = divmod(basis_points, 100)
    return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"


def bill_detail(session: Session, principal: Principal, bill_id: str) -> BillDetail:
    """The bill (404 when another province's or a trial's) and its lines, from the stored
    bill; the itemised usage is read apart (:func:`bill_usage`), as it scans rated usage."""
    bill = customer_bills.get(session, principal, bill_id)
    account = billing_accounts.get(session, principal, bill.billing_account_id)
    items = applied_billing_rates.list(
        session, principal, {"bill.id": [bill.id]}, PageRequest(0, MAX_LINES)
    ).items
    numbers: dict[str, str | None] = {}
    for item in items:
        if item.product_id and item.product_id not in numbers:
            product = get_product(session, item.product_id)
            numbers[item.product_id] = product.service_id if product else None
    lines = []
    for item in sorted(items, key=lambda i: i.sequence):
        zh, en = line_words(item.description_key)
        lines.append(
            BillLine(
                text_zh=zh,
                text_en=en,
                account_id=item.billing_account_id,
                service_number=numbers.get(item.product_id) if item.product_id else None,
                amount_fen=item.amount_fen,
                tax_fen=item.tax_fen,
                tax_rate=_tax_rate(item.tax_rate_bp),
                first_day=item.first_day,
                last_day=item.last_day,
            )
        )
    return BillDetail(bill=_row(bill), account=account, lines=lines)


def bill_usage(
    session: Session, principal: Principal, data_dir: Path, bill_id: str
) -> InvoiceDocument:
    """The bill's invoice document: its itemised usage (详单) as the PDF prints it."""
    bill = customer_bills.get(session, principal, bill_id)
    return invoice_document(session, data_dir, bill.id)


def bill_pdf(
    session: Session, principal: Principal, data_dir: Path, bill_id: str
) -> tuple[str, bytes]:
    """The bill's number and its invoice PDF, rendered now from the stored bill."""
    bill = customer_bills.get(session, principal, bill_id)
    return bill.bill_no, render_invoice_pdf(invoice_document(session, data_dir, bill.id))


@dataclass(frozen=True, slots=True)
class HotLine:
    charge_type: str
    text_zh: str
    text_en: str
    product_id: str | None
    amount_fen: int
    tax_fen: int
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True, slots=True)
class HotBill:
    account: BillingAccount
    summary: BillSummary
    lines: Sequence[HotLine]
    as_of: datetime


def _hot_line(taxed: TaxedLine) -> HotLine:
    line = taxed.line
    zh, en = line_words(line.description_key)
    return HotLine(
        charge_type=str(line.charge_type),
        text_zh=zh,
        text_en=en,
        product_id=line.product_id,
        amount_fen=line.amount_fen,
        tax_fen=taxed.tax.shown_fen,
        first_day=line.stretch.first_day if line.stretch else None,
        last_day=line.stretch.last_day if line.stretch else None,
    )


def hot_bill(session: Session, principal: Principal, data_dir: Path, account_id: str) -> HotBill:
    """The open cycle's charges of the account so far, writing nothing."""
    account = billing_accounts.get(session, principal, account_id)
    province = principal.acting_province("a billing account")
    at = now()
    summary = account_so_far(session, principal, province, data_dir, account.id, at)
    lines = [_hot_line(taxed) for taxed in summary.lines]
    return HotBill(account=account, summary=summary, lines=lines, as_of=at)
