"""What other parts of the product may use of receivables: taking, reversing and refunding
payments, posting final bills, reading an account's position and statement, the TMF676 and
TMF670 services, and the direct-debit mandates the bank collection reads.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.payments import gateway, operations
from openbss.payments.amounts import fen_from_yuan_text
from openbss.payments.chart import GL_NAMES, GlAccount, PaymentMethod
from openbss.payments.ledger import business_day, post_final_bills, settle_account
from openbss.payments.methods import DirectDebitMandate, direct_debit_mandates, payment_methods
from openbss.payments.models import ItemKind, Payment, PaymentStatus
from openbss.payments.payments import (
    PaymentRequest,
    allocate_payment,
    refund_payment,
    reverse_payment,
    settled_items,
    take_payment,
    unspent_fen,
)
from openbss.payments.statement import AccountPosition, StatementLine, balance, position, statement
from openbss.payments.tmf676 import payments as tmf_payments
from openbss.payments.tmf676 import refunds as tmf_refunds

__all__ = [
    "GL_NAMES",
    "AccountPosition",
    "DirectDebitMandate",
    "GlAccount",
    "ItemKind",
    "Payment",
    "PaymentMethod",
    "PaymentRequest",
    "PaymentStatus",
    "StatementLine",
    "allocate_payment",
    "balance",
    "business_day",
    "direct_debit_mandates",
    "fen_from_yuan_text",
    "gateway",
    "operations",
    "payment_methods",
    "position",
    "post_final_bills",
    "refund_payment",
    "reverse_payment",
    "settle_account",
    "settled_items",
    "statement",
    "take_payment",
    "tmf_payments",
    "tmf_refunds",
    "unspent_fen",
]
