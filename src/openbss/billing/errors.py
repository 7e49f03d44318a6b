"""Errors of billing's pure functions.

A bad period, a bill cycle day outside 1–28 or a naive instant is the caller's mistake: it is
refused with a message that says what was wrong. The error is both the product's
:class:`~openbss.kit.errors.Unprocessable` (so an API or CLI entry point renders it as usual)
and a :class:`ValueError` (so plain callers can catch what they expect of a bad argument).
"""

from __future__ import annotations

from openbss.kit.errors import Unprocessable


class BillingInputError(Unprocessable, ValueError):
    """An argument a billing calculation cannot work with."""

    code = "INVALID_BILLING_INPUT"
    reason = "Invalid billing input"
