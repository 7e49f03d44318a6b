"""Online pricing: what used units cost and how many units money buys, from the batch tariff
model itself.

Nothing here prices on its own: every amount comes from the reference rater
(:func:`openbss.rating.public.rate_reference`) applied to the usage record the session would
write if it ended now. A credit-control session is one call (one usage record), so its cost
is not the sum of its rounds' costs (connection fee, first block, cap): each round debits the
*difference* between the price of everything used so far and what was already debited. The
sum of a session's debits is therefore exactly what batch rating of its usage record gives.

Unit determination inverts that price: the largest number of further units whose extra cost
fits the money reserved. Prices are monotone in the quantity (more seconds or bytes never
cost less), so a binary search over the quantity finds it; charging increments and time bands
are respected because the rater applies them.

What online pricing leaves out, and why:

- rating allowances and tiers are batch-cycle state (units drawn by every record of the month
  in event-time order); a prepaid line's included units are balance unit buckets instead, so
  the plan is stripped of allowances and tiers before pricing;
- an SMS is one usage record per message: ``n`` messages cost ``n`` times one message.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path

from openbss.rating.public import (
    Assignment,
    Direction,
    RatedEvent,
    RatingPlan,
    Service,
    UsageEvent,
    rate_reference,
)

RATING_GROUPS_FILE = Path(__file__).with_name("rating_groups.toml")


class Quantity(StrEnum):
    """The unit a rating group is granted in (CC-Time, CC-Total-Octets, CC-Service-Specific-
    Units)."""

    SECONDS = "seconds"
    OCTETS = "octets"
    MESSAGES = "messages"


@dataclass(frozen=True, slots=True)
class RatingGroup:
    id: int
    service: Service
    quantity: Quantity
    name: str = ""


def parse_rating_groups(text: str) -> dict[int, RatingGroup]:
    """``[[rating_group]]`` tables of id, service and quantity (see rating_groups.toml)."""
    document = tomllib.loads(text)
    groups: dict[int, RatingGroup] = {}
    for entry in document.get("rating_group", []):
        group = RatingGroup(
            id=int(entry["id"]),
            service=Service(entry["service"]),
            quantity=Quantity(entry["quantity"]),
            name=str(entry.get("name", "")),
        )
        if group.id in groups:
            raise ValueError(f"rating group {group.id} defined twice")
        if group.service == Service.SMS and group.quantity != Quantity.MESSAGES:
            raise ValueError(f"rating group {group.id}: SMS is counted in messages")
        groups[group.id] = group
    return groups


@cache
def rating_groups(path: Path = RATING_GROUPS_FILE) -> dict[int, RatingGroup]:
    return parse_rating_groups(path.read_text(encoding="utf-8"))


# --- the session's usage record ----------------------------------------------------------

_FIXED_TWO = re.compile(r"^86(10|2\d)\d{7,8}$")
_FIXED_THREE = re.compile(r"^86[3-9]\d{2}\d{7,8}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_NATIONAL_FIXED = re.compile(r"^0[1-9]\d{8,10}$")


def e164_digits(number: str) -> str:
    """A subscriber or called number as E.164 digits without '+', as mediation writes them
    ('13912345678' → '8613912345678', '02087654321' → '862087654321'); other forms as given."""
    digits = number.strip().removeprefix("+")
    if digits.startswith("00"):
        return digits[2:]
    if _MOBILE.match(digits):
        return "86" + digits
    if _NATIONAL_FIXED.match(digits):
        return "86" + digits[1:]
    return digits


def fixed_area_code(e164: str) -> str | None:
    """The area code ('020') of a Chinese fixed line in E.164 digits; None for other numbers
    (the same rule as mediation's normalisation, which writes the record's area code)."""
    if _FIXED_TWO.match(e164):
        return "0" + e164[2:4]
    if _FIXED_THREE.match(e164):
        return "0" + e164[2:5]
    return None


@dataclass(frozen=True, slots=True)
class Call:
    """What is fixed for a session and rating group: who pays, where it goes, when it began.

    ``subscriber`` is the number as the rating plan's assignments name it; ``called`` is
    E.164 with '+', or '' (data); ``calling_area_code`` the caller's local network.
    """

    subscriber: str
    account_id: str
    product_id: str | None
    service: Service
    start: datetime
    called: str = ""
    calling_area_code: str | None = None
    direction: Direction = Direction.MO
    ip_access_code: str | None = None


@dataclass(frozen=True, slots=True)
class Used:
    """Units used so far by a session's rating group."""

    seconds: int = 0
    octets: int = 0
    messages: int = 0

    def plus(self, other: Used) -> Used:
        return Used(
            self.seconds + other.seconds,
            self.octets + other.octets,
            self.messages + other.messages,
        )

    def of(self, quantity: Quantity) -> int:
        return getattr(self, quantity.value)  # type: ignore[no-any-return]

    def with_(self, quantity: Quantity, value: int) -> Used:
        return replace(self, **{quantity.value: value})


def online_plan(plan: RatingPlan) -> RatingPlan:
    """The plan without allowances and tiers (see the module docstring)."""
    return RatingPlan(
        tariffs=tuple(replace(t, tiers=()) for t in plan.tariffs),
        assignments=tuple(replace(a, allowance_ids=()) for a in plan.assignments),
        allowances=(),
    )


def usage_event(call: Call, used: Used, record_id: str = "online") -> UsageEvent:
    """The usage record of ``used`` units of the call (one message for SMS)."""
    return UsageEvent(
        record_id=record_id,
        subscriber=call.subscriber,
        account_id=call.account_id,
        product_id=call.product_id,
        event_time=call.start,
        service=call.service,
        direction=call.direction,
        duration_s=used.seconds if call.service != Service.SMS else 0,
        volume_bytes=used.octets if call.service == Service.DATA else 0,
        called=call.called,
        ip_access_code=call.ip_access_code,
        calling_area_code=call.calling_area_code,
    )


def rate_one(call: Call, used: Used, plan: RatingPlan) -> RatedEvent:
    """The reference rater's answer for the call's usage record (one message for SMS)."""
    return rate_reference([usage_event(call, used)], plan)[0]


class PricingFailed(Exception):
    """The call cannot be priced (no tariff, unknown destination, no rule): the rater's
    error code, answered as RATING_FAILED."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def cost(call: Call, used: Used, plan: RatingPlan) -> int:
    """What the call costs with ``used`` units, in li (the batch price of its record)."""
    if call.service == Service.SMS:
        if used.messages == 0:
            return 0
        rated = rate_one(call, used, plan)
        if rated.error is not None:
            raise PricingFailed(rated.error)
        return rated.amount_li * used.messages
    rated = rate_one(call, used, plan)
    if rated.error is not None:
        raise PricingFailed(rated.error)
    return rated.amount_li


def check_priceable(call: Call, plan: RatingPlan) -> None:
    """Raise :class:`PricingFailed` when no quantity of the call can be priced."""
    probe = Used(seconds=1, octets=1, messages=1)
    rated = rate_one(call, probe, plan)
    if rated.error is not None:
        raise PricingFailed(rated.error)


def units_for(
    call: Call, used: Used, quantity: Quantity, money_li: int, limit: int, plan: RatingPlan
) -> int:
    """The most further units (≤ ``limit``) of ``quantity`` whose extra cost over ``used``
    fits in ``money_li``: ``cost(used + g) - cost(used) <= money_li``."""
    if limit <= 0 or money_li < 0:
        return 0
    base = cost(call, used, plan)
    at = used.of(quantity)

    def extra(units: int) -> int:
        return cost(call, used.with_(quantity, at + units), plan) - base

    if extra(limit) <= money_li:
        return limit
    low, high = 0, limit  # extra(low) fits (0 costs nothing more), extra(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        if extra(middle) <= money_li:
            low = middle
        else:
            high = middle
    return low


def assignment(call: Call, tariff_id: str) -> Assignment:
    """An assignment of the call's subscriber (and product) to ``tariff_id`` from the call's
    start: a line answered online is in service, so its batch interval covers the call."""
    return Assignment(
        subscriber=call.subscriber,
        tariff_id=tariff_id,
        valid_from=call.start,
        product_id=call.product_id,
        account_id=call.account_id,
    )
