"""What other parts of the product may use of receivables: taking, reversing and refunding
payments, posting final bills, reading an account's position and statement, bank collection
files out and in, and the general ledger export.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.payments.chart import GL_NAMES, GlAccount, PaymentMethod
from openbss.payments.collection import (
    CollectionError,
    ExportedBatch,
    ImportReport,
    export_batch,
    import_result,
    refused_lines,
)
from openbss.payments.gl import GlDay, TrialBalanceError, export_day, gl_names
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
    "CollectionError",
    "ExportedBatch",
    "GlAccount",
    "GlDay",
    "ImportReport",
    "ItemKind",
    "Payment",
    "PaymentMethod",
    "PaymentRequest",
    "PaymentStatus",
    "StatementLine",
    "TrialBalanceError",
    "balance",
    "business_day",
    "export_batch",
    "export_day",
    "gl_names",
    "import_result",
    "position",
    "post_final_bills",
    "refund_payment",
    "refused_lines",
    "reverse_payment",
    "settle_account",
    "statement",
    "take_payment",
]
