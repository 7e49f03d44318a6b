"""What other parts of the product may use of receivables: taking, reversing and refunding
payments, posting final bills, reading an account's position and statement; and collections:
the daily dunning job, deposits, waivers, write-offs and promises to pay.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.payments.chart import GL_NAMES, GlAccount, PaymentMethod
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
from openbss.payments.dunning.policy import PolicyVersion, version_on
from openbss.payments.dunning.repository import waivers, write_offs
from openbss.payments.dunning.status import AccountTreatment, treatment_of
from openbss.payments.dunning.treatment import RunReport
from openbss.payments.dunning.treatment import run as run_dunning
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
    "AccountTreatment",
    "Deposit",
    "DepositRequest",
    "GlAccount",
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
    "WriteOffProposal",
    "after_payment",
    "after_payments",
    "balance",
    "business_day",
    "decide_waiver",
    "decide_write_off",
    "deliver_notifications",
    "position",
    "post_final_bills",
    "promise_to_pay",
    "refund_payment",
    "request_waiver",
    "reverse_payment",
    "run_dunning",
    "settle_account",
    "statement",
    "take_deposit",
    "take_payment",
    "treatment_of",
    "version_on",
    "waivers",
    "write_offs",
]
