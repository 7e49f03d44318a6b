"""The states of an event delivery, in a module of their own: the command line offers them as
choices without loading the tables."""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the configured attempts: the dead-letter state
    CANCELLED = "cancelled"  # the listener unregistered before delivery
