"""What other parts of the product may use of receivables: taking, reversing and refunding
payments, posting final bills, and reading an account's position and statement.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.payments.chart import GL_NAMES, GlAccount, PaymentMethod
from openbss.payments.ledger import business_day, post_final_bills, settle_account
from openbss.payments.models import ItemKind, Payment, PaymentStatus
from openbss.payments.payments import (
    PaymentRequest,
    refund_payment,
    reverse_payment,
    take_payment,
)
from openbss.payments.statement import AccountPosition, StatementLine, balance, position, statement

__all__ = [
    "GL_NAMES",
    "AccountPosition",
    "GlAccount",
    "ItemKind",
    "Payment",
    "PaymentMethod",
    "PaymentRequest",
    "PaymentStatus",
    "StatementLine",
    "balance",
    "business_day",
    "position",
    "post_final_bills",
    "refund_payment",
    "reverse_payment",
    "settle_account",
    "statement",
    "take_payment",
]
