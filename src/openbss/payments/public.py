"""What other parts of the product may use of receivables: taking, reversing and refunding
payments, posting final bills, reading an account's position and statement, the TMF676 and
TMF670 services, bank collection files out and in, the general ledger export; and collections:
the daily dunning job, deposits, waivers, write-offs and promises to pay.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.payments import gateway, operations
from openbss.payments.amounts import fen_from_yuan_text
from openbss.payments.chart import (
    GL_NAMES,
    GlAccount,
    PaymentMethod,
    prepaid_adjustment_lines,
    prepaid_revenue_lines,
    prepaid_top_up_lines,
    voucher_redemption_lines,
    voucher_sale_lines,
)
from openbss.payments.collection import (
    CollectionError,
    ExportedBatch,
    ImportReport,
    export_batch,
    import_result,
    refused_lines,
)
from openbss.payments.collections import after_payment, after_payments
from openbss.payments.dunning.approvals import (
    decide_waiver,
    decide_write_off,
    promise_to_pay,
    request_waiver,
)
from openbss.payments.dunning.deposits import DepositRequest, take_deposit
from openbss.payments.dunning.models import (
    Deposit,
    LateFeeWaiver,
    PromiseToPay,
    WriteOffProposal,
)
from openbss.payments.dunning.notifications import deliver as deliver_notifications
from openbss.payments.dunning.notifications import enqueue as enqueue_notification
from openbss.payments.dunning.policy import PolicyVersion, version_on
from openbss.payments.dunning.repository import waivers, write_offs
from openbss.payments.dunning.status import AccountTreatment, treatment_of
from openbss.payments.dunning.treatment import RunReport
from openbss.payments.dunning.treatment import run as run_dunning
from openbss.payments.gl import GlDay, TrialBalanceError, export_day, gl_names
from openbss.payments.ledger import business_day, post_final_bills, post_prepaid, settle_account
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
    "AccountTreatment",
    "CollectionError",
    "Deposit",
    "DepositRequest",
    "DirectDebitMandate",
    "ExportedBatch",
    "GlAccount",
    "GlDay",
    "ImportReport",
    "ItemKind",
    "LateFeeWaiver",
    "Payment",
    "PaymentMethod",
    "PaymentRequest",
    "PaymentStatus",
    "PolicyVersion",
    "PromiseToPay",
    "RunReport",
    "StatementLine",
    "TrialBalanceError",
    "WriteOffProposal",
    "after_payment",
    "after_payments",
    "allocate_payment",
    "balance",
    "business_day",
    "decide_waiver",
    "decide_write_off",
    "deliver_notifications",
    "direct_debit_mandates",
    "enqueue_notification",
    "export_batch",
    "export_day",
    "fen_from_yuan_text",
    "gateway",
    "gl_names",
    "import_result",
    "operations",
    "payment_methods",
    "position",
    "post_final_bills",
    "post_prepaid",
    "prepaid_adjustment_lines",
    "prepaid_revenue_lines",
    "prepaid_top_up_lines",
    "promise_to_pay",
    "refund_payment",
    "refused_lines",
    "request_waiver",
    "reverse_payment",
    "run_dunning",
    "settle_account",
    "settled_items",
    "statement",
    "take_deposit",
    "take_payment",
    "tmf_payments",
    "tmf_refunds",
    "treatment_of",
    "unspent_fen",
    "version_on",
    "voucher_redemption_lines",
    "voucher_sale_lines",
    "waivers",
    "write_offs",
]
