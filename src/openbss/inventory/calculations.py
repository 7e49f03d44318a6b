"""Pure rules of the product inventory: status transitions and address keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
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
