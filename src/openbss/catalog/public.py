"""What other domains may use of catalog (TMF620): offerings, prices in force, specifications.

Entity classes are published for loading and type annotations; queries on the catalog's
tables stay in this domain (``models`` and ``repository`` are private, enforced by
import-linter).
"""

from __future__ import annotations

from openbss.catalog.calculations import SELLABLE
from openbss.catalog.models import (
    PriceVersion,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
)
from openbss.catalog.pricing import MinorUnit, altered_amount
from openbss.catalog.repository import (
    get_offering,
    get_price,
    get_specification,
    offering_ids_by_code,
    offering_price_ids,
    price_ids_by_code,
)
from openbss.catalog.service import price_at

__all__ = [
    "SELLABLE",
    "MinorUnit",
    "PriceVersion",
    "ProductOffering",
    "ProductOfferingPrice",
    "ProductSpecification",
    "altered_amount",
    "get_offering",
    "get_price",
    "get_specification",
    "offering_ids_by_code",
    "offering_price_ids",
    "price_at",
    "price_ids_by_code",
]
