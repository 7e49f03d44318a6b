"""What payments tell collections: money arrived on an account, so its lines may be resumed
or its credit barring lifted at once (the daily job would do it the next morning otherwise)."""

from __future__ import annotations

from openbss.payments.dunning.treatment import after_payment, after_payments

__all__ = ["after_payment", "after_payments"]
