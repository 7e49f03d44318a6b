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
    number_candidates,
    owners_of,
    province_of,
    release_expired,
    subscriber_product,
)
from openbss.charging.barring import BAR_REASON, bar_exhausted, resume_after_top_up
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
from openbss.charging.grants import debit, release, reserve
from openbss.charging.notices import DailyReport, notify_low_balance, run_daily
from openbss.charging.topups import ToppedUp, pay_in

__all__ = [
    "BAR_REASON",
    "DailyReport",
    "InsufficientBalance",
    "InvalidAmount",
    "NotPrepaid",
    "Owner",
    "PrepaidLine",
    "TopUp",
    "ToppedUp",
    "Unit",
    "UnknownBucket",
    "UnknownOwner",
    "UnknownReservation",
    "adjust",
    "available",
    "bar_exhausted",
    "create_bucket",
    "debit",
    "expire_buckets",
    "notify_low_balance",
    "number_candidates",
    "owners_of",
    "pay_in",
    "province_of",
    "release",
    "release_expired",
    "reserve",
    "resume_after_top_up",
    "run_daily",
    "subscriber_product",
    "top_up",
]
