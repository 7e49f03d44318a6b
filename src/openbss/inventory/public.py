"""What other domains may use of the product inventory (TMF637).

- when each product was in service, and under which status and plan (the service intervals
  guiding, rating and billing read);
- products by id, the queries ordering and rating need, and the writes only ordering makes
  (create, move, change of offering).

The entity classes are published for loading and type annotations; queries on the
inventory's tables stay in this domain (``models`` and ``repository`` are private, enforced by
import-linter).
"""

from __future__ import annotations

from openbss.inventory.calculations import (
    IN_SERVICE_STATUSES,
    LIVE_STATUSES,
    OPEN_END,
    address_key,
)
from openbss.inventory.intervals import (
    IN_SERVICE_SCHEMA,
    STATUS_INTERVAL_SCHEMA,
    in_service_intervals,
    status_intervals,
)
from openbss.inventory.models import Product, ProductStatusChange
from openbss.inventory.repository import (
    account_of_product,
    accounts_of_products,
    children_of,
    get_product,
    live_at_address,
    live_phone_lines,
    offerings_of_products,
    product_lifecycles,
    product_summaries,
    top_products_of_account,
)
from openbss.inventory.service import (
    API,
    API_PATH,
    NewProduct,
    change_offering,
    create_product,
    move,
    note_order_item,
    products,
)

__all__ = [
    "API",
    "API_PATH",
    "IN_SERVICE_SCHEMA",
    "IN_SERVICE_STATUSES",
    "LIVE_STATUSES",
    "OPEN_END",
    "STATUS_INTERVAL_SCHEMA",
    "NewProduct",
    "Product",
    "ProductStatusChange",
    "account_of_product",
    "accounts_of_products",
    "address_key",
    "change_offering",
    "children_of",
    "create_product",
    "get_product",
    "in_service_intervals",
    "live_at_address",
    "live_phone_lines",
    "move",
    "note_order_item",
    "offerings_of_products",
    "product_lifecycles",
    "product_summaries",
    "products",
    "status_intervals",
    "top_products_of_account",
]
