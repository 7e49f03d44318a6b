"""What other parts of the product may use of ordering (TMF622) beyond its API: submitting an
order as a system job does (collections' suspend, resume and cease orders), finding orders by
their external id, the open fallout queue, and counts for reports.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from openbss.kit.clock import now
from openbss.kit.security import Principal
from openbss.ordering.calculations import BARRING_LEVELS, CHANNELS
from openbss.ordering.capture import Capture, capture
from openbss.ordering.models import ProductOrder
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.repository import (
    by_external_id,
    completed_between,
    count_completed_with_external_prefix,
    open_fallout,
    order_counts,
)
from openbss.ordering.service import ORDER_WRITERS, product_orders
from openbss.ordering.statuses import ProductOrderState


def submit_product_order(
    session: Session, principal: Principal, body: Mapping[str, Any]
) -> tuple[ProductOrder, bool]:
    """Submit a TMF622 order body as the API would (validated, priced, acknowledged); the
    same ``externalId`` with the same body answers the order already submitted. Returns the
    order and whether it is new. The orchestration completes it after commit."""
    return product_orders.submit(session, principal, body)


def check_product_order(session: Session, principal: Principal, body: Mapping[str, Any]) -> Capture:
    """What :func:`submit_product_order` would make of a TMF622 body, checked without
    writing anything: the same capture (customer and account status, offering on sale,
    local network and premises rules). Raises the same errors; ``Capture.missing`` lists
    what would leave the order pending."""
    principal.require(*ORDER_WRITERS)
    product_orders.check_schema(dict(body))
    return capture(session, principal, body, None, now())


__all__ = [
    "BARRING_LEVELS",
    "CHANNELS",
    "Capture",
    "ProductOrder",
    "ProductOrderState",
    "by_external_id",
    "check_product_order",
    "completed_between",
    "count_completed_with_external_prefix",
    "open_fallout",
    "order_counts",
    "submit_product_order",
    "work_until_idle",
]
