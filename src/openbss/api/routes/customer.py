"""TMF629 Customer Management, mounted at the swagger's basePath.

Implemented: the customer resource (POST, list, GET, PATCH, DELETE) and the hub (POST /hub,
DELETE /hub/{id}) through which clients subscribe to customer events.

The four ``/listener/customer*Event`` operations answer 501 (see api/listeners.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import resource_router
from openbss.customer.service import API, API_PATH, customers

LISTENER_EVENTS = (
    "customerCreateEvent",
    "customerAttributeValueChangeEvent",
    "customerStateChangeEvent",
    "customerDeleteEvent",
)


MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(customers)),
    (API_PATH, hub_router(API, [customers])),
    (API_PATH, listener_router("customer", LISTENER_EVENTS)),
]
