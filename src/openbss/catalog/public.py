"""What other domains may use of catalog (TMF620): offerings, prices in force, specifications.

Entity classes are published for loading and type annotations; queries on the catalog's
tables stay in this domain (``models`` and ``repository`` are private, enforced by
import-linter).
"""

from __future__ import annotations

from openbss.catalog.billing_discounts import (
    BILLING_DISCOUNT_TYPES,
    CAP,
    DISCOUNT,
    MINIMUM_SPEND,
    DiscountTerms,
    discount_terms,
)
from openbss.catalog.calculations import PAYMENT_MODES, POSTPAID, PREPAID, SELLABLE
from openbss.catalog.models import (
    PriceVersion,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
)
from openbss.catalog.pricing import MinorUnit, PriceSpan, altered_amount, version_at
from openbss.catalog.repository import (
    get_offering,
    get_price,
    get_prices,
    get_specification,
    offering_ids_by_code,
    offering_price_ids,
    offerings,
    payment_modes,
    price_ids_by_code,
    price_spans,
    prices_of_type,
)
from openbss.catalog.service import price_at, version_in_force

__all__ = [
    "BILLING_DISCOUNT_TYPES",
    "CAP",
    "DISCOUNT",
    "MINIMUM_SPEND",
    "PAYMENT_MODES",
    "POSTPAID",
    "PREPAID",
    "SELLABLE",
    "DiscountTerms",
    "MinorUnit",
    "PriceSpan",
    "PriceVersion",
    "ProductOffering",
    "ProductOfferingPrice",
    "ProductSpecification",
    "altered_amount",
    "discount_terms",
    "get_offering",
    "get_price",
    "get_prices",
    "get_specification",
    "offering_ids_by_code",
    "offering_price_ids",
    "offerings",
    "payment_modes",
    "price_at",
    "price_ids_by_code",
    "price_spans",
    "prices_of_type",
    "version_at",
    "version_in_force",
]
