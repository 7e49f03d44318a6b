"""What other domains (billing, charging, settlement, analytics) and the entry points may use of
rating.

- :func:`rated_usage`: a period's rated usage — the current run's records with their usage,
  accounts, amounts and the rule that priced them — as a lazy frame; the one reader of the
  rated store;
- :func:`current_run`, :func:`close_period` (billing closes a period when its bills are
  final, so later rerating becomes adjustments) and the open adjustments of closed periods;
- the run, adjustment and tariff-version entities, for reading and type annotations;
- the tariff model and the reference rater, for online charging, which prices a session as
  batch rating prices its usage record: :func:`rate_reference`, :func:`province_tariffs`,
  :func:`offering_ratings` and :func:`plan_fingerprint`;
- the tariff contract and the vectorised kernel (:func:`compile_plan`, :func:`rate_frame`),
  so that settlement prices interconnect and inter-province traffic with the same machinery.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.rating.contract import (
    Assignment,
    BandCrossing,
    Calendar,
    Charge,
    Destination,
    Direction,
    RatedEvent,
    RateRule,
    RatingError,
    RatingPlan,
    Service,
    Tariff,
    UsageEvent,
    Zone,
)
from openbss.rating.models import (
    AccountDelta,
    AdjustmentStatus,
    AllowanceCounter,
    RatingAdjustment,
    RatingRun,
    RunStatus,
    TariffVersion,
)
from openbss.rating.reference import rate_reference
from openbss.rating.repository import (
    adjustments,
    counters,
    lock_period,
    mark_adjustments_billed,
    open_adjustments_before,
)
from openbss.rating.runs import check_period, close_period, current_batch_counts
from openbss.rating.store import current_run, rated_usage
from openbss.rating.tariffs import (
    OfferingRating,
    offering_ratings,
    plan_fingerprint,
    province_tariffs,
)
from openbss.rating.vectorised import compile_plan, rate_frame

# Settlement reads the direction and service under these names, beside its own.
RatingDirection = Direction
RatingService = Service

__all__ = [
    "AccountDelta",
    "AdjustmentStatus",
    "AllowanceCounter",
    "Assignment",
    "BandCrossing",
    "Calendar",
    "Charge",
    "Destination",
    "Direction",
    "OfferingRating",
    "RateRule",
    "RatedEvent",
    "RatingAdjustment",
    "RatingDirection",
    "RatingError",
    "RatingPlan",
    "RatingRun",
    "RatingService",
    "RunStatus",
    "Service",
    "Tariff",
    "TariffVersion",
    "UsageEvent",
    "Zone",
    "adjustments",
    "check_period",
    "close_period",
    "compile_plan",
    "counters",
    "current_batch_counts",
    "current_run",
    "lock_period",
    "mark_adjustments_billed",
    "offering_ratings",
    "open_adjustments_before",
    "plan_fingerprint",
    "province_tariffs",
    "rate_frame",
    "rate_reference",
    "rated_usage",
]
