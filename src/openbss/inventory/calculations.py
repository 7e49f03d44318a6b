"""Pure rules of the product inventory: status transitions, service intervals, address keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

# TMF637 ProductStatusType, as openbss moves through it:
#   created        captured on an order, nothing on the network yet
#   pendingActive  the order is provisioning it
#   active         in service (billing charges from here)
#   suspended      barred (停机: arrears, customer request, fraud); rental rules differ
#   pendingTerminate  a cease (拆机) is provisioning
#   terminated     ceased; the number goes to quarantine
#   cancelled      the order that created it was cancelled before activation
# A failed activation goes back from pendingActive to created: nothing is left half-active,
# and a retry of the order starts again from there.
PRODUCT_TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"pendingActive", "cancelled"}),
    "pendingActive": frozenset({"active", "created", "cancelled"}),
    "active": frozenset({"suspended", "pendingTerminate", "terminated"}),
    "suspended": frozenset({"active", "pendingTerminate", "terminated"}),
    "pendingTerminate": frozenset({"terminated", "active", "suspended"}),
    "terminated": frozenset(),
    "cancelled": frozenset(),
}
LIVE_STATUSES = frozenset({"created", "pendingActive", "active", "suspended", "pendingTerminate"})
IN_SERVICE_STATUSES = frozenset({"active", "suspended"})
# The end of a stretch that has not ended: a date no product outlives, so that "in service
# at t" is always valid_from <= t < valid_to.
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)

# The parts of a TMF GeographicAddress (or a free-text street1) that identify a premises.
_ADDRESS_PARTS = (
    "stateOrProvince",
    "city",
    "locality",
    "streetName",
    "streetNr",
    "streetSuffix",
    "street1",
    "street2",
    "buildingName",
    "subUnitNumber",
)
_SPACE_AND_PUNCTUATION = re.compile(r"[\s,.;:，。；：、·\-]+")


def can_move(current: str, target: str) -> bool:
    return target in PRODUCT_TRANSITIONS.get(current, frozenset())


# ----- service intervals ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One row of a product's status history: from ``effective_at`` on, this status and plan."""

    product_id: str
    status: str
    product_offering_id: str
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class Stretch:
    """A product's status and plan (product offering) over ``[valid_from, valid_to)``."""

    product_id: str
    status: str
    product_offering_id: str
    valid_from: datetime
    valid_to: datetime


@dataclass(frozen=True, slots=True)
class InService:
    """A product in service (active or suspended, unbroken) over ``[valid_from, valid_to)``."""

    product_id: str
    valid_from: datetime
    valid_to: datetime


def status_stretches(history: Iterable[StatusChange]) -> list[Stretch]:
    """The stretches of status and plan that a status history describes.

    ``history`` holds every product's changes together, each product's in its sequence
    order. A change holds until the product's next change, the last one until
    :data:`OPEN_END`. A change that repeats the status and plan in force (nothing billing
    could tell apart) continues the stretch instead of starting another one.
    """
    stretches: list[Stretch] = []
    for change in history:
        previous = stretches[-1] if stretches else None
        if previous is not None and previous.product_id == change.product_id:
            if (previous.status, previous.product_offering_id) == (
                change.status,
                change.product_offering_id,
            ):
                continue  # the stretch in force goes on (it is still open-ended)
            stretches[-1] = replace(previous, valid_to=change.effective_at)
        stretches.append(
            Stretch(
                change.product_id,
                change.status,
                change.product_offering_id,
                change.effective_at,
                OPEN_END,
            )
        )
    return stretches


def in_service_stretches(stretches: Iterable[Stretch]) -> list[InService]:
    """When each product was in service: its active and suspended stretches, with the ones
    that meet merged (a barred line still receives calls, so active → suspended → active is
    one stretch in service). A product ceased and a number reused by another product give
    stretches of their own."""
    result: list[InService] = []
    for stretch in stretches:
        if stretch.status not in IN_SERVICE_STATUSES:
            continue
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.product_id == stretch.product_id
            and previous.valid_to == stretch.valid_from
        ):
            result[-1] = replace(previous, valid_to=stretch.valid_to)
        else:
            result.append(InService(stretch.product_id, stretch.valid_from, stretch.valid_to))
    return result


def address_key(place: Mapping[str, Any]) -> str | None:
    """A normalised key of an installation address, so that the same premises written twice
    (full-width digits, spaces, punctuation, letter case) compares equal; None when the place
    carries no address parts."""
    parts = []
    for name in _ADDRESS_PARTS:
        value = place.get(name)
        if value is None or value == "":
            continue
        text = unicodedata.normalize("NFKC", str(value)).casefold()
        parts.append(_SPACE_AND_PUNCTUATION.sub("", text))
    key = "|".join(p for p in parts if p)
    return key[:256] if key else None
