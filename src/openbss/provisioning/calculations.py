"""Pure provisioning rules: the vocabulary, the TMF641 mapping and the retry schedule.

No database and no framework, so the rules are unit-tested on plain data:

- which network carries which catalog service type (:data:`NETWORK_FOR_SERVICE_TYPE`);
- how a service action becomes a TMF641 order item (``action`` plus the target
  ``service.state``) and back again, so the stored TMF document is the one description of
  what a service order asks the network to do (:func:`order_item`, :func:`request_items`);
- the exponential backoff between attempts and the decision after each attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from openbss.kit.tmf import format_datetime


class Network(StrEnum):
    """The networks a product order is decomposed into, one service order each."""

    SWITCH = "switch"  # fixed-line voice: the local exchange
    BRAS = "bras"  # broadband: BRAS / RADIUS accounts
    PHS = "phs"  # 小灵通
    VAS = "vas"  # value-added service platform (SMS, SP/CP content)
    HLR = "hlr"  # mobile: home location register


NETWORK_FOR_SERVICE_TYPE: dict[str, Network] = {
    "fixedVoice": Network.SWITCH,
    "broadband": Network.BRAS,
    "phs": Network.PHS,
    "vas": Network.VAS,
    "mobile": Network.HLR,
}


class ServiceAction(StrEnum):
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    SUSPEND = "suspend"
    RESUME = "resume"
    MODIFY = "modify"


class OrderState(StrEnum):
    """The TMF641 states a service order takes here.

    A transient failure does not park the order in ``held``: it stays ``inProgress`` with
    ``next_attempt_at`` in the future and no lease, which is what "waiting for a retry" means
    to the executor; the document's notes say why it waits.
    """

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({OrderState.COMPLETED, OrderState.FAILED, OrderState.CANCELLED})
# A dependent order cannot run once what it depends on ended without completing.
BLOCKING_STATES = frozenset({OrderState.FAILED, OrderState.CANCELLED})


class Purpose(StrEnum):
    FULFIL = "fulfil"
    COMPENSATE = "compensate"  # undoes a completed order of a product order that failed


class Outcome(StrEnum):
    """How one attempt ended."""

    SUCCESS = "success"
    TRANSIENT = "transient"  # element busy or down: retry later
    PERMANENT = "permanent"  # element refused the request: retrying cannot help
    TIMEOUT = "timeout"  # no answer in time (or the worker's lease ran out): retry later


class Decision(StrEnum):
    COMPLETE = "complete"
    RETRY = "retry"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class ServiceRequestItem:
    """One change to one service on one network element."""

    item_id: str  # the product order item it serves
    action: ServiceAction
    service_id: str  # identifier on the element: E.164 number or broadband account name
    service_type: str  # catalog serviceType: fixedVoice | broadband | phs | vas | mobile
    product_id: str | None
    characteristics: dict[str, Any]


# ----- TMF641 mapping -------------------------------------------------------------------

# action → (TMF OrderItemActionType, target ServiceStateType or None when unchanged).
# Suspend and resume are modifications of a service that stays in the inventory; only its
# state changes (inactive = barred, 停机; active = in service, 复机).
TMF_ACTION: dict[ServiceAction, tuple[str, str | None]] = {
    ServiceAction.ACTIVATE: ("add", "active"),
    ServiceAction.DEACTIVATE: ("delete", "terminated"),
    ServiceAction.MODIFY: ("modify", None),
    ServiceAction.SUSPEND: ("modify", "inactive"),
    ServiceAction.RESUME: ("modify", "active"),
}
_ACTION_FROM_TMF: dict[tuple[str, str | None], ServiceAction] = {
    tmf: action for action, tmf in TMF_ACTION.items()
}

# Roles of ``service.relatedEntity`` entries that carry the product order's references.
ROLE_PRODUCT_ORDER = "productOrder"
ROLE_PRODUCT_ORDER_ITEM = "productOrderItem"
ROLE_PRODUCT = "product"


def action_from_tmf(tmf_action: str, service_state: str | None) -> ServiceAction:
    """The service action a TMF641 item stands for; unknown pairs are a ValueError."""
    try:
        return _ACTION_FROM_TMF[(tmf_action, service_state)]
    except KeyError:
        raise ValueError(
            f"no service action for TMF action {tmf_action!r} with service state {service_state!r}"
        ) from None


def value_type(value: Any) -> str:
    """The TMF ``valueType`` of a characteristic value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def specification_ref(network: Network, service_type: str) -> dict[str, str]:
    return {
        "id": f"{network.value}-{service_type}",
        "name": f"{network.value}/{service_type}",
        "@referredType": "ServiceSpecification",
    }


def order_item(
    number: int, item: ServiceRequestItem, network: Network, product_order_id: str
) -> dict[str, Any]:
    """The TMF641 ``ServiceOrderItem`` for one request item (numbered from 1)."""
    tmf_action, target_state = TMF_ACTION[item.action]
    related: list[dict[str, str]] = [
        {"id": product_order_id, "role": ROLE_PRODUCT_ORDER, "@referredType": "ProductOrder"},
        {"id": item.item_id, "role": ROLE_PRODUCT_ORDER_ITEM, "@referredType": "ProductOrderItem"},
    ]
    if item.product_id is not None:
        related.append({"id": item.product_id, "role": ROLE_PRODUCT, "@referredType": "Product"})
    service: dict[str, Any] = {
        "@type": "Service",
        "name": item.service_id,
        "serviceType": item.service_type,
        "serviceSpecification": specification_ref(network, item.service_type),
        "serviceCharacteristic": [
            {"name": name, "valueType": value_type(value), "value": value}
            for name, value in item.characteristics.items()
        ],
        "relatedEntity": related,
    }
    if target_state is not None:
        service["state"] = target_state
    return {
        "@type": "ServiceOrderItem",
        "id": str(number),
        "action": tmf_action,
        "state": OrderState.ACKNOWLEDGED.value,
        "service": service,
    }


def _related_id(service: Mapping[str, Any], role: str) -> str | None:
    for entity in service.get("relatedEntity") or []:
        if entity.get("role") == role:
            return str(entity["id"])
    return None


def request_items(items: Sequence[Mapping[str, Any]]) -> list[ServiceRequestItem]:
    """Read the request back from the ``serviceOrderItem`` list that :func:`order_item` wrote."""
    result = []
    for entry in items:
        service = entry["service"]
        result.append(
            ServiceRequestItem(
                item_id=_related_id(service, ROLE_PRODUCT_ORDER_ITEM) or str(entry["id"]),
                action=action_from_tmf(entry["action"], service.get("state")),
                service_id=str(service["name"]),
                service_type=str(service["serviceType"]),
                product_id=_related_id(service, ROLE_PRODUCT),
                characteristics={
                    c["name"]: c.get("value") for c in service.get("serviceCharacteristic") or []
                },
            )
        )
    return result


NOTE_AUTHOR = "openbss"


def with_state(doc: Mapping[str, Any], state: OrderState, **attributes: Any) -> dict[str, Any]:
    """A copy of the document with the order and all its items in ``state``.

    The items share the order's state because an element applies a request entirely or not
    at all; ``attributes`` adds the dates and reasons that go with the change.
    """
    changed = {**doc, **attributes, "state": state.value}
    changed["serviceOrderItem"] = [
        {**item, "state": state.value} for item in doc.get("serviceOrderItem") or []
    ]
    return changed


def with_note(doc: Mapping[str, Any], text: str, at: datetime) -> dict[str, Any]:
    note = {"@type": "Note", "text": text, "date": format_datetime(at), "author": NOTE_AUTHOR}
    return {**doc, "note": [*(doc.get("note") or []), note]}


def with_error(
    doc: Mapping[str, Any], code: str, reason: str, message: str, at: datetime
) -> dict[str, Any]:
    error = {
        "@type": "ServiceOrderErrorMessage",
        "code": code,
        "reason": reason,
        "message": message,
        "timestamp": format_datetime(at),
    }
    return {**doc, "errorMessage": [*(doc.get("errorMessage") or []), error]}


# ----- retries ----------------------------------------------------------------------------


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait after failed attempt number ``attempt`` (1-based): base·2^(n-1), at most cap."""
    if attempt < 1:
        raise ValueError(f"attempts are numbered from 1, got {attempt}")
    # Bound the exponent so a long-lived order cannot overflow the float before the cap.
    return float(min(cap, base * 2 ** min(attempt - 1, 62)))


def backoff_schedule(max_attempts: int, base: float, cap: float) -> list[float]:
    """The waits between consecutive attempts of an order that always fails transiently."""
    return [backoff_seconds(n, base, cap) for n in range(1, max_attempts)]


def decide(outcome: Outcome, attempts: int, max_attempts: int) -> Decision:
    """What follows an attempt: done, try again later, or give up."""
    if outcome is Outcome.SUCCESS:
        return Decision.COMPLETE
    if outcome is Outcome.PERMANENT or attempts >= max_attempts:
        return Decision.FAIL
    return Decision.RETRY


def lease_seconds(lease: float, timeout: float) -> float:
    """How long a claim lasts: never shorter than twice the call it covers, because a lease
    that ran out while the element was still answering would let a second worker start the
    same order."""
    return max(lease, 2 * timeout)


def element_code(province: str, network: Network, number: int = 1) -> str:
    """``GD-SWITCH-01``: the code of a province's element on a network."""
    return f"{province}-{network.value.upper()}-{number:02d}"
