"""Allocation (销帐): which open items a credit settles, and how much of each. Pure functions.

The rule is the one China Telecom's accounts departments apply: the oldest debt first (by due
date, then by when it was posted, then by id so that the order is total and repeatable). A
late fee is an item of its own, due the day it is charged, so it is settled in its turn. A
payer may name a bill instead: then only that item is settled and
what is left of the credit stays on the account as a credit balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A debit with something still to pay (``open_fen`` > 0)."""

    id: str
    open_fen: int
    due_date: date
    posted_at: datetime
    source_id: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    item_id: str
    amount_fen: int


def oldest_first(items: Iterable[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda item: (item.due_date, item.posted_at, item.id))


def allocate(
    amount_fen: int, items: Sequence[OpenItem], *, named: str | None = None
) -> list[Allocation]:
    """Spread ``amount_fen`` over ``items``, oldest first, or over the one item whose id or
    source id is ``named``. Returns only non-zero allocations; their sum never exceeds
    ``amount_fen`` nor any item's open amount."""
    if amount_fen < 0:
        raise ValueError(f"an allocation spends a credit, got {amount_fen} fen")
    chosen = (
        [item for item in items if named in (item.id, item.source_id)]
        if named is not None
        else oldest_first(items)
    )
    left = amount_fen
    allocations: list[Allocation] = []
    for item in chosen:
        if left == 0:
            break
        take = min(left, item.open_fen)
        if take > 0:
            allocations.append(Allocation(item.id, take))
            left -= take
    return allocations


def newest_first_release(
    amount_fen: int, allocations: Sequence[tuple[str, int, datetime]]
) -> list[Allocation]:
    """Which of a credit's live allocations to undo so that ``amount_fen`` comes free again
    (a refund of money already spent on bills): the newest first, so the oldest debts stay
    paid. ``allocations`` are (match id, live amount, when)."""
    left = amount_fen
    released: list[Allocation] = []
    for match_id, live, _ in sorted(allocations, key=lambda a: (a[2], a[0]), reverse=True):
        if left == 0:
            break
        take = min(left, live)
        if take > 0:
            released.append(Allocation(match_id, take))
            left -= take
    return released
