"""What other domains and the entry points may use of prepaid balances.

The balance primitives the online charging engine builds on (``reserve`` / ``debit`` /
``release``), the top-ups vouchers and TMF654 make, and the lookups of who owns a balance.
Callers run them inside a write unit of work (``unit_of_work(factory, writes=True)``).
"""

from __future__ import annotations

from openbss.charging.balances import (
    PrepaidLine,
    TopUp,
    available,
    debit,
    number_candidates,
    owners_of,
    province_of,
    release,
    release_expired,
    reserve,
    subscriber_product,
)
from openbss.charging.buckets import adjust, create_bucket, expire_buckets, top_up
from openbss.charging.calculations import Owner, Unit
from openbss.charging.errors import (
    InsufficientBalance,
    InvalidAmount,
    NotPrepaid,
    UnknownBucket,
    UnknownOwner,
    UnknownReservation,
)

__all__ = [
    "InsufficientBalance",
    "InvalidAmount",
    "NotPrepaid",
    "Owner",
    "PrepaidLine",
    "TopUp",
    "Unit",
    "UnknownBucket",
    "UnknownOwner",
    "UnknownReservation",
    "adjust",
    "available",
    "create_bucket",
    "debit",
    "expire_buckets",
    "number_candidates",
    "owners_of",
    "province_of",
    "release",
    "release_expired",
    "reserve",
    "subscriber_product",
    "top_up",
]
