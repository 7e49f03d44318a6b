"""Product catalog services (TMF620), one module per resource family."""

from __future__ import annotations

from openbss.catalog.service.base import API, API_PATH, CatalogService
from openbss.catalog.service.catalog import catalogs, categories
from openbss.catalog.service.offering import product_offerings
from openbss.catalog.service.price import price_at, product_offering_prices, version_in_force
from openbss.catalog.service.specification import product_specifications

__all__ = [
    "API",
    "API_PATH",
    "CatalogService",
    "catalogs",
    "categories",
    "price_at",
    "product_offering_prices",
    "product_offerings",
    "product_specifications",
    "version_in_force",
]
