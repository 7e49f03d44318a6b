"""TMF637 Product Inventory Management, mounted at the swagger's basePath.

Products are read-only through this API (list with filters, ``fields`` and paging; GET by
id) and change only through product orders, so that the inventory never says something the
network was not told: POST, PATCH and DELETE answer 405. The hub delivers product create,
state-change and attribute-change events; the ``/listener/*`` callbacks answer 501.
"""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import resource_router
from openbss.inventory.service import API, API_PATH, products

LISTENER_EVENTS = (
    "productCreateEvent",
    "productAttributeValueChangeEvent",
    "productStateChangeEvent",
    "productBatchEvent",
    "productDeleteEvent",
)

MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(products, creatable=False, patchable=False, deletable=False)),
    (API_PATH, hub_router(API, [products])),
    (API_PATH, listener_router("product", LISTENER_EVENTS)),
]
