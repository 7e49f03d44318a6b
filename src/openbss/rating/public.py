"""What other domains (billing, settlement, analytics) and the entry points may use of rating.

- :func:`rated_usage`: a period's rated usage — the current run's records with their usage,
  accounts, amounts and the rule that priced them — as a lazy frame; the one reader of the
  rated store;
- :func:`current_run`, :func:`close_period` (billing closes a period when its bills are
  final, so later rerating becomes adjustments) and the open adjustments of closed periods;
- the run, adjustment and tariff-version entities, for reading and type annotations.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.rating.models import (
    AccountDelta,
    AdjustmentStatus,
    AllowanceCounter,
    RatingAdjustment,
    RatingRun,
    RunStatus,
    TariffVersion,
)
from openbss.rating.repository import (
    adjustments,
    counters,
    lock_period,
    mark_adjustments_billed,
    open_adjustments_before,
)
from openbss.rating.runs import check_period, close_period, current_batch_counts
from openbss.rating.store import current_run, rated_usage

__all__ = [
    "AccountDelta",
    "AdjustmentStatus",
    "AllowanceCounter",
    "RatingAdjustment",
    "RatingRun",
    "RunStatus",
    "TariffVersion",
    "adjustments",
    "check_period",
    "close_period",
    "counters",
    "current_batch_counts",
    "current_run",
    "lock_period",
    "mark_adjustments_billed",
    "open_adjustments_before",
    "rated_usage",
]
