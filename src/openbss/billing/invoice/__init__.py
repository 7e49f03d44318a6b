"""Invoices: a fully computed :class:`InvoiceDocument` rendered to a bilingual PDF.

The public face: the document's dataclasses, :func:`render_invoice_pdf`, and the error
raised when the machine has no Chinese font to embed.
"""

from openbss.billing.invoice.document import (
    BUSINESS_TAX_NOTE_EN,
    BUSINESS_TAX_NOTE_ZH,
    ChildAccountSection,
    InvoiceDocument,
    InvoiceLine,
    InvoiceTotals,
    Language,
    TaxTotal,
    UsageDetailRow,
)
from openbss.billing.invoice.fonts import InvoiceFontMissing, locate_invoice_font
from openbss.billing.invoice.render import render_invoice_pdf
from openbss.billing.invoice.text import format_yuan, mask_called_number

__all__ = [
    "BUSINESS_TAX_NOTE_EN",
    "BUSINESS_TAX_NOTE_ZH",
    "ChildAccountSection",
    "InvoiceDocument",
    "InvoiceFontMissing",
    "InvoiceLine",
    "InvoiceTotals",
    "Language",
    "TaxTotal",
    "UsageDetailRow",
    "format_yuan",
    "locate_invoice_font",
    "mask_called_number",
    "render_invoice_pdf",
]
