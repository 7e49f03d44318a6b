"""What an invoice prints: plain, fully computed values, no database and no other domain.

The bill run builds an :class:`InvoiceDocument` from what it stored; the renderer only lays it
out. Nothing here computes a charge, a tax or a total: every amount arrives computed, in
integer fen (分), and prints as given. Both languages are always printed; ``language`` only
says which comes first.

Amounts are tax-inclusive (tax is the part of a line's amount that is tax, never added on
top); discounts, credits and payments keep the sign the bill gives them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

# Before VAT reached telecoms (2014-06-01) tax was business tax (营业税), inside the price and
# not itemised; a bill of such a cycle says so instead of listing tax.
BUSINESS_TAX_NOTE_ZH = "价内含营业税"
BUSINESS_TAX_NOTE_EN = "business tax included in prices"


class Language(StrEnum):
    """The language printed first; the other always follows."""

    ZH = "zh"
    EN = "en"


def _require_fen(owner: str, **amounts: int) -> None:
    # Money is integer fen end to end: a float (or a bool, which is an int) here is a bug
    # upstream, and printing it would hide the bug behind a plausible-looking number.
    for name, value in amounts.items():
        if type(value) is not int:
            raise TypeError(f"{owner}.{name} must be an int amount in fen, not {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    """One summary line: a charge, discount or credit of one type, for one number or the
    whole account (``service_number`` None)."""

    charge_type: str  # e.g. "recurring", "oneTime", "usage", "discount", "credit"
    description_zh: str
    description_en: str
    service_number: str | None
    amount_fen: int  # tax-inclusive; negative for discounts and credits
    tax_fen: int  # the part of amount_fen that is tax
    tax_category: str  # e.g. "basic", "valueAdded"
    tax_rate: str | None  # as printed, e.g. "9%"; None when no tax is itemised

    def __post_init__(self) -> None:
        _require_fen("InvoiceLine", amount_fen=self.amount_fen, tax_fen=self.tax_fen)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxTotal:
    """The tax of one category at one rate, summed over the bill's lines."""

    category: str  # e.g. "basic", "valueAdded"
    rate: str | None  # e.g. "9%"
    tax_fen: int

    def __post_init__(self) -> None:
        _require_fen("TaxTotal", tax_fen=self.tax_fen)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceTotals:
    charges_fen: int  # the cycle's charges before discounts, tax-inclusive
    discounts_fen: int  # discounts and credits, negative (or zero)
    taxes: tuple[TaxTotal, ...] = ()
    business_tax_included: bool = False  # pre-2014 cycles: print BUSINESS_TAX_NOTE_*

    def __post_init__(self) -> None:
        _require_fen(
            "InvoiceTotals", charges_fen=self.charges_fen, discounts_fen=self.discounts_fen
        )

    @property
    def tax_fen(self) -> int:
        return sum(tax.tax_fen for tax in self.taxes)


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageDetailRow:
    """One row of the itemised detail (详单)."""

    service_number: str
    # Local time of the province as printed ("2024-03-01 08:00:05"), or an aware datetime
    # that the renderer converts to the document's time zone.
    started_at: str | datetime
    called_number: str  # as rated; masked on print when the document says so
    description_zh: str  # zone / charge type, e.g. "本地通话"
    description_en: str  # e.g. "Local call"
    amount_fen: int
    duration_seconds: int | None = None
    volume_bytes: int | None = None

    def __post_init__(self) -> None:
        _require_fen("UsageDetailRow", amount_fen=self.amount_fen)
        if isinstance(self.started_at, datetime) and self.started_at.utcoffset() is None:
            raise ValueError("UsageDetailRow.started_at must be an aware datetime (or a string)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildAccountSection:
    """A consolidated (合账) child account's own lines and detail, printed after the parent's."""

    account_id: str
    account_name: str
    lines: tuple[InvoiceLine, ...] = ()
    usage_detail: tuple[UsageDetailRow, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDocument:
    bill_number: str
    bill_id: str
    province: str
    period: str  # "YYYY-MM"
    period_start: date  # the cycle's first day
    period_end: date  # the cycle's last day
    issue_date: date
    due_date: date
    customer_name: str
    account_id: str
    account_name: str
    lines: tuple[InvoiceLine, ...]
    totals: InvoiceTotals
    previous_balance_fen: int
    payments_received_fen: int
    amount_due_fen: int
    billing_address: tuple[str, ...] = ()
    language: Language = Language.ZH
    usage_detail: tuple[UsageDetailRow, ...] = ()
    # The account chose a masked detail: called numbers print as 13800****00.
    mask_called_numbers: bool = False
    children: tuple[ChildAccountSection, ...] = ()
    time_zone: str = "Asia/Shanghai"
    # (zh, en) printed above the itemised detail, e.g. that usage was re-rated after the bill.
    usage_detail_note: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not PERIOD_PATTERN.fullmatch(self.period):
            raise ValueError(f"InvoiceDocument.period must be YYYY-MM, not {self.period!r}")
        if self.period_start > self.period_end:
            raise ValueError("InvoiceDocument.period_start is after period_end")
        _require_fen(
            "InvoiceDocument",
            previous_balance_fen=self.previous_balance_fen,
            payments_received_fen=self.payments_received_fen,
            amount_due_fen=self.amount_due_fen,
        )
