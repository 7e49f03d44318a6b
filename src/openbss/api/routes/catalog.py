"""TMF620 Product Catalog Management: catalogs, categories, specifications, offerings, prices."""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.resource_router import resource_router
from openbss.catalog.service import (
    API,
    API_PATH,
    catalogs,
    categories,
    product_offering_prices,
    product_offerings,
    product_specifications,
)

MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(catalogs)),
    (API_PATH, resource_router(categories)),
    (API_PATH, resource_router(product_specifications)),
    (API_PATH, resource_router(product_offerings)),
    (API_PATH, resource_router(product_offering_prices)),
    (
        API_PATH,
        hub_router(
            API,
            [
                catalogs,
                categories,
                product_specifications,
                product_offerings,
                product_offering_prices,
            ],
        ),
    ),
]
