"""What other domains may use of provisioning (TMF641): service orders per network, run and
undone by ordering. ``models`` and ``repository`` are private (import-linter)."""

from __future__ import annotations

from openbss.provisioning.service import (
    NETWORK_FOR_SERVICE_TYPE,
    Network,
    OrderState,
    ServiceAction,
    ServiceRequestItem,
    attempts_for,
    cancel_pending,
    create_service_order,
    ensure_network_elements,
    run_due,
    service_orders_for,
)

__all__ = [
    "NETWORK_FOR_SERVICE_TYPE",
    "Network",
    "OrderState",
    "ServiceAction",
    "ServiceRequestItem",
    "attempts_for",
    "cancel_pending",
    "create_service_order",
    "ensure_network_elements",
    "run_due",
    "service_orders_for",
]
