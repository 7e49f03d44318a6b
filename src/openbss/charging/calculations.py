"""Pure rules of prepaid balances: which buckets a grant or a debit takes, and how much."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from openbss.inventory.public import OPEN_END


class Unit(StrEnum):
    """Units of a bucket. Money is held in li (厘, 0.001 CNY), like rating."""

    LI = "li"
    SECOND = "s"
    MESSAGE = "msg"
    BYTE = "byte"


@dataclass(frozen=True)
class Owner:
    """Who a bucket belongs to: one prepaid product, or a billing account its products share."""

    kind: Literal["product", "account"]
    id: str


@dataclass(frozen=True, slots=True)
class Slot:
    """What one bucket can give: its id, order keys and what is not yet promised."""

    bucket_id: str
    priority: int
    valid_to: datetime | None
    created_at: datetime
    free: int


def draw_order(slots: Iterable[Slot]) -> list[Slot]:
    """Buckets in the order they are used: priority (low first), then the one expiring
    first (open-ended last), then the oldest, then by id so the order is total."""
    return sorted(
        slots,
        key=lambda s: (s.priority, s.valid_to or OPEN_END, s.created_at, s.bucket_id),
    )


def split(amount: int, slots: Sequence[Slot]) -> list[tuple[str, int]]:
    """Take up to ``amount`` from the slots in draw order: (bucket id, taken) for each bucket
    that gives something. Takes less when the slots hold less; never a negative amount."""
    if amount <= 0:
        return []
    taken: list[tuple[str, int]] = []
    left = amount
    for slot in draw_order(slots):
        if left == 0:
            break
        take = min(left, max(slot.free, 0))
        if take > 0:
            taken.append((slot.bucket_id, take))
            left -= take
    return taken


def usable(valid_from: datetime, valid_to: datetime | None, status: str, at: datetime) -> bool:
    """Whether a bucket may be granted from at ``at``."""
    return status == "active" and valid_from <= at and (valid_to is None or at < valid_to)
