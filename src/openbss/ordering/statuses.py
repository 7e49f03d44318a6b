"""The states ordering stores as text: product orders and their items, the orchestration
phase, fallout resolutions and cancellation requests. A member is its stored string."""

from __future__ import annotations

from enum import StrEnum


class ProductOrderState(StrEnum):
    """TMF622 ProductOrderStateType, as openbss uses it for orders and their items."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    HELD = "held"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OrderPhase(StrEnum):
    """Where the orchestration of an order stands: capture → provision (→ compensate →
    fallout) → done; a retry goes back to capture."""

    CAPTURE = "capture"
    PROVISION = "provision"
    COMPENSATE = "compensate"
    FALLOUT = "fallout"
    DONE = "done"


class FalloutResolution(StrEnum):
    RETRIED = "retried"
    CANCELLED = "cancelled"


class CancellationState(StrEnum):
    """TMF622 CancelProductOrder state; openbss decides a cancellation at once."""

    DONE = "done"
