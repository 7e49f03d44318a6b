"""TMF641 Service Ordering, mounted at the swagger's basePath.

Implemented: ``GET /serviceOrder`` (filters, ``fields``, paging) and ``GET /serviceOrder/{id}``,
plus the hub (POST /hub, DELETE /hub/{id}) for service order events. Service orders are
created only by the product order orchestration, so the resource is mounted read-only: POST,
PATCH and DELETE answer 405. ``cancelServiceOrder`` is not offered: a service order is
cancelled by cancelling its product order. The ``/listener/*`` callbacks answer 501
(api/listeners.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import resource_router
from openbss.provisioning.service import API, API_PATH, service_orders

LISTENER_EVENTS = (
    "serviceOrderCreateEvent",
    "serviceOrderAttributeValueChangeEvent",
    "serviceOrderStateChangeEvent",
    "serviceOrderDeleteEvent",
    "serviceOrderInformationRequiredEvent",
    "serviceOrderMilestoneEvent",
    "serviceOrderJeopardyEvent",
    "cancelServiceOrderCreateEvent",
    "cancelServiceOrderStateChangeEvent",
    "cancelServiceOrderInformationRequiredEvent",
)

MOUNTS: list[tuple[str, APIRouter]] = [
    (
        API_PATH,
        resource_router(service_orders, creatable=False, patchable=False, deletable=False),
    ),
    (API_PATH, hub_router(API, [service_orders])),
    (API_PATH, listener_router("service order", LISTENER_EVENTS)),
]
