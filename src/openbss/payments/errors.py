"""Receivables' refusals, each with a stable code."""

from __future__ import annotations

from openbss.kit.errors import BadRequest, Conflict, NotFound, Unprocessable


class InvalidPayment(BadRequest):
    code = "INVALID_PAYMENT"


class UnknownAccount(Unprocessable):
    code = "UNKNOWN_ACCOUNT"


class UnknownPayment(NotFound):
    code = "UNKNOWN_PAYMENT"


class ReferenceReused(Conflict):
    code = "PAYMENT_REFERENCE_REUSED"


class PaymentNotRefundable(Unprocessable):
    code = "REFUND_NOT_ALLOWED"


class PaymentAlreadyReversed(Conflict):
    code = "PAYMENT_REVERSED"


class NothingToAllocate(Unprocessable):
    code = "NOTHING_TO_ALLOCATE"
