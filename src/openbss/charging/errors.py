"""Charging error codes on the shared error hierarchy (kit/errors.py)."""

from __future__ import annotations

from openbss.kit.errors import BadRequest, Conflict, NotFound, Unprocessable


class UnknownOwner(NotFound):
    code = "UNKNOWN_BALANCE_OWNER"
    reason = "No such product or billing account"


class UnknownReservation(NotFound):
    code = "UNKNOWN_RESERVATION"
    reason = "No such reservation"


class UnknownBucket(NotFound):
    code = "UNKNOWN_BUCKET"
    reason = "No such bucket"


class InvalidAmount(BadRequest):
    code = "INVALID_AMOUNT"
    reason = "Invalid amount"


class InsufficientBalance(Conflict):
    code = "INSUFFICIENT_BALANCE"
    reason = "The balance does not cover the amount"


class NotPrepaid(Unprocessable):
    code = "NOT_PREPAID"
    reason = "The product is not charged from a prepaid balance"
