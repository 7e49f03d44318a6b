"""An order's progress through provisioning, as the portal shows it while it completes.

Read through ordering's resource service (role and province checked: another province's
order is not found) and provisioning's public face: the order's state, its items with the
numbers they got, its service orders per network and the orchestration's trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openbss.kit.money import decimal_from_json, yuan_to_fen
from openbss.kit.security import Principal
from openbss.ordering.public import ProductOrderState
from openbss.ordering.service import product_orders
from openbss.ordering.trace import TraceLine, order_trace
from openbss.provisioning.public import service_orders_for

FINAL_STATES = frozenset(
    {ProductOrderState.COMPLETED, ProductOrderState.FAILED, ProductOrderState.CANCELLED}
)


@dataclass(frozen=True, slots=True)
class ItemView:
    item_id: str
    action: str
    offering: str
    product_id: str | None
    number: str | None
    state: str
    depth: int


@dataclass(frozen=True, slots=True)
class ServiceOrderView:
    network: str
    purpose: str
    state: str
    error: str | None


@dataclass(frozen=True, slots=True)
class OrderProgress:
    id: str
    state: str
    reason: str | None
    customer_id: str
    order_date: datetime
    channel: str | None
    total_fen: dict[str, int]  # price type → fen (oneTime, recurring)
    items: Sequence[ItemView]
    service_orders: Sequence[ServiceOrderView]
    trace: Sequence[TraceLine]

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


def _characteristic(product: dict[str, Any], name: str) -> str | None:
    for entry in product.get("productCharacteristic") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return str(entry.get("value"))
    return None


def _items(raw_items: Any, depth: int = 0) -> list[ItemView]:
    found: list[ItemView] = []
    for raw in raw_items or []:
        if not isinstance(raw, dict):
            continue
        product = raw.get("product") or {}
        found.append(
            ItemView(
                item_id=str(raw.get("id")),
                action=str(raw.get("action")),
                offering=str((raw.get("productOffering") or {}).get("name") or ""),
                product_id=product.get("id"),
                number=_characteristic(product, "phoneNumber")
                or _characteristic(product, "broadbandAccount"),
                state=str(raw.get("state") or ""),
                depth=depth,
            )
        )
        found += _items(raw.get("productOrderItem"), depth + 1)
    return found


def _totals(doc: dict[str, Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in doc.get("orderTotalPrice") or []:
        value = ((entry.get("price") or {}).get("taxIncludedAmount") or {}).get("value")
        if value is None:
            continue
        kind = str(entry.get("priceType") or "")
        totals[kind] = totals.get(kind, 0) + yuan_to_fen(decimal_from_json(value))
    return totals


def order_progress(session: Session, principal: Principal, order_id: str) -> OrderProgress:
    order = product_orders.get(session, principal, order_id)
    doc = order.doc
    channels = doc.get("channel") or []
    return OrderProgress(
        id=order.id,
        state=order.state,
        reason=doc.get("stateReason"),
        customer_id=order.customer_id,
        order_date=order.order_date,
        channel=channels[0].get("name") if channels else None,
        total_fen=_totals(doc),
        items=_items(doc.get("productOrderItem")),
        service_orders=[
            ServiceOrderView(s.network, s.purpose, s.state, s.last_error)
            for s in service_orders_for(session, order.id)
        ],
        trace=order_trace(session, principal, order.id),
    )
