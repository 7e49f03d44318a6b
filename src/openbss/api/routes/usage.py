"""TMF635 Usage Management, mounted at the swagger's basePath.

Implemented: usage (POST, list, GET, PATCH and DELETE while still ``received``) and
usageSpecification (POST, list, GET, PATCH, DELETE), plus the hub. Pushed usage is mediated
in batches (openbss.mediation.pushed): its status becomes ``guided`` or ``rejected``. The
``/listener/*`` callbacks answer 501 (api/listeners.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import resource_router
from openbss.mediation.pushed import API, API_PATH, usage_specifications, usages

LISTENER_EVENTS = (
    "usageCreateEvent",
    "usageAttributeValueChangeEvent",
    "usageDeleteEvent",
    "usageStateChangeEvent",
    "usageSpecificationCreateEvent",
    "usageSpecificationAttributeValueChangeEvent",
    "usageSpecificationDeleteEvent",
)

MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(usages)),
    (API_PATH, resource_router(usage_specifications)),
    (API_PATH, hub_router(API, [usages, usage_specifications])),
    (API_PATH, listener_router("usage", LISTENER_EVENTS)),
]
