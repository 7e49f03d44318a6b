"""Pure rules of product ordering: channels, actions, states, sequencing and order totals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openbss.kit.money import tmf_money_from_fen
from openbss.ordering.statuses import ProductOrderState as State

# Sales channels (销售渠道) with their bilingual names. An order submitted through the Open API
# without a channel is recorded as "online": the API is the online channel's entry point.
CHANNELS: dict[str, str] = {
    "retailHall": "营业厅 / Retail hall",
    "agent": "代理商 / Agent",
    "online": "网上营业厅 / Online",
    "callCentre": "10000号客服 / Call centre",
}
DEFAULT_CHANNEL = "online"
# relatedParty roles that name the sales person or agent credited with the order.
SELLER_ROLES = frozenset({"seller", "salesAgent", "salesPerson", "agent"})
CUSTOMER_ROLES = frozenset({"customer", "buyer"})

# TMF622 ItemActionType plus the operator's own actions on a subscriber: suspend (停机) and
# resume (复机). "modify" with product.status "suspended"/"active" means the same and is
# normalised to them, so that standard TMF clients can express both.
ACTIONS = frozenset({"add", "modify", "delete", "noChange", "suspend", "resume"})

# Product order states (TMF622 ProductOrderStateType) and the moves openbss makes.
ORDER_STATES: dict[str | None, frozenset[str]] = {
    None: frozenset({State.ACKNOWLEDGED, State.PENDING}),
    State.PENDING: frozenset({State.ACKNOWLEDGED, State.CANCELLED}),
    State.ACKNOWLEDGED: frozenset({State.IN_PROGRESS, State.CANCELLED}),
    State.IN_PROGRESS: frozenset({State.COMPLETED, State.FAILED}),
    # retry from fallout, or give up
    State.FAILED: frozenset({State.ACKNOWLEDGED, State.CANCELLED}),
    State.COMPLETED: frozenset(),
    State.CANCELLED: frozenset(),
}
CANCELLABLE_STATES = frozenset({State.PENDING, State.ACKNOWLEDGED, State.FAILED})
FINAL_STATES = frozenset({State.COMPLETED, State.CANCELLED})

# Networks are provisioned in this order: the line before what rides on it (ADSL runs over
# the fixed line), so compensation undoes in the reverse order.
NETWORK_SEQUENCE = ("switch", "phs", "hlr", "bras", "vas")
# Which services need a telephone number, and from which kind of pool.
NUMBER_KIND_OF: dict[str, str] = {"fixedVoice": "fixed", "phs": "phs", "mobile": "mobile"}
# Which services are installed at a premises (need an installation address).
INSTALLED_AT_PREMISES = frozenset({"fixedVoice", "broadband"})


def normalise_action(item: Mapping[str, Any]) -> str:
    """The item's action, with TMF's "modify to suspended/active" read as suspend/resume."""
    action = item.get("action")
    product = item.get("product") or {}
    if action == "modify" and isinstance(product, Mapping) and not item.get("productOffering"):
        status = product.get("status")
        if status == "suspended":
            return "suspend"
        if status == "active":
            return "resume"
    return str(action)


# Credit control's suspend orders say how far the line is barred (a characteristic of the
# item's product): outgoing calls only (单停) or everything (双停). A suspend order without it
# bars everything, as a suspension always has; a "full" one may also tighten a line already
# barred for outgoing calls.
BARRING_LEVELS = frozenset({"outgoing", "full"})


def barring_of(item: Mapping[str, Any] | None) -> str | None:
    """The ``barring`` characteristic of an order item's product, if it names one."""
    product = (item or {}).get("product") or {}
    if not isinstance(product, Mapping):
        return None
    for entry in product.get("productCharacteristic") or []:
        if isinstance(entry, Mapping) and entry.get("name") == "barring":
            return str(entry.get("value"))
    return None


def network_rank(network: str) -> int:
    return NETWORK_SEQUENCE.index(network) if network in NETWORK_SEQUENCE else len(NETWORK_SEQUENCE)


def request_hash(body: Mapping[str, Any]) -> str:
    """A stable fingerprint of a submitted order, to tell a retry from a different order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Charge:
    """One price of an order item, in integer fen."""

    name: str
    price_type: str  # recurring | oneTime
    amount_fen: int
    period: str | None = None  # recurring: day | month | …
    price_id: str | None = None
    alteration: Mapping[str, Any] | None = None
    list_amount_fen: int | None = None  # before the alteration

    def as_order_price(self) -> dict[str, Any]:
        price: dict[str, Any] = {
            "name": self.name,
            "priceType": self.price_type,
            "price": {"taxIncludedAmount": tmf_money_from_fen(self.amount_fen)},
        }
        if self.period:
            price["recurringChargePeriod"] = self.period
        if self.price_id:
            price["productOfferingPrice"] = {"id": self.price_id, "name": self.name}
        if self.alteration is not None and self.list_amount_fen is not None:
            price["priceAlteration"] = [
                {
                    "name": self.alteration.get("name"),
                    "priceType": self.price_type,
                    "price": {
                        "percentage": self.alteration.get("percentage"),
                        "taxIncludedAmount": tmf_money_from_fen(
                            self.amount_fen - self.list_amount_fen
                        ),
                    },
                }
            ]
        return price


def order_totals(charges: Iterable[Charge]) -> list[dict[str, Any]]:
    """orderTotalPrice: one entry per price type and recurring period, summed in fen."""
    sums: dict[tuple[str, str | None], int] = {}
    for charge in charges:
        key = (charge.price_type, charge.period)
        sums[key] = sums.get(key, 0) + charge.amount_fen
    totals = []
    for (price_type, period), fen in sorted(
        sums.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        entry: dict[str, Any] = {
            "name": "合计 / Total",
            "priceType": price_type,
            "price": {"taxIncludedAmount": tmf_money_from_fen(fen)},
        }
        if period:
            entry["recurringChargePeriod"] = period
        totals.append(entry)
    return totals


def item_totals(charges: Sequence[Charge]) -> list[dict[str, Any]]:
    """itemTotalPrice: the same grouping for one item."""
    return order_totals(charges)
