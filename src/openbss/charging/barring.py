"""Barring a prepaid line whose balance ran out, and resuming it after a top-up.

Both are product orders placed through ordering, as a CSR's or the dunning treatment's would
be; the orchestration provisions and completes them. The order's ``externalId`` is the step's
key, so placing the same step twice answers the same order. Only a suspension this module
placed (its reason) is lifted by a top-up: a line barred for another reason (a customer's
request, fraud) stays barred.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from openbss.inventory.public import get_product
from openbss.kit.errors import OpenBSSError
from openbss.kit.security import Principal, Role
from openbss.ordering.public import submit_product_order

logger = logging.getLogger(__name__)

BAR_REASON = "余额不足停机 / Barred: prepaid balance exhausted"
RESUME_REASON = "充值复机 / Resumed after top-up"


def _principal(province: str | None) -> Principal:
    return Principal(key_id="charging", role=Role.BILLING_OPERATOR, province=province)


def _order(product_id: str, customer_id: str, account_id: str | None, action: str, key: str,
           description: str) -> dict[str, object]:  # fmt: skip
    body: dict[str, object] = {
        "externalId": key,
        "description": description,
        "category": "prepaid",
        "channel": [{"id": "callCentre", "role": "salesChannel"}],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "productOrderItem": [{"id": "1", "action": action, "product": {"id": product_id}}],
    }
    if account_id:
        body["billingAccount"] = {"id": account_id}
    return body


def barred_for_balance(session: Session, product_id: str) -> bool:
    """Whether the product is suspended by a prepaid bar (its last status change's reason)."""
    product = get_product(session, product_id)
    if product is None or product.status != "suspended" or not product.history:
        return False
    return product.history[-1].reason == BAR_REASON


def _place(session: Session, product_id: str, action: str, key: str, reason: str) -> str | None:
    product = get_product(session, product_id)
    if product is None:
        return None
    body = _order(product.id, product.customer_id, product.billing_account_id, action, key, reason)
    try:
        with session.begin_nested():
            order, _ = submit_product_order(session, _principal(product.province), body)
    except OpenBSSError as exc:  # busy with another order: the next top-up or run tries again
        logger.info("prepaid %s of a product was refused: %s", action, exc.code)
        return None
    return order.id


def bar_exhausted(session: Session, product_id: str, at: datetime) -> str | None:
    """Suspend an active prepaid line whose balance is exhausted; the order id, or None when
    it is not active or the order was refused."""
    product = get_product(session, product_id)
    if product is None or product.status != "active":
        return None
    key = f"prepaid:{product_id}:bar:{at.date().isoformat()}"
    return _place(session, product_id, "suspend", key, BAR_REASON)


def resume_after_top_up(session: Session, product_id: str, reference: str) -> str | None:
    """Resume a line a prepaid bar suspended (a top-up paid it); the order id or None."""
    if not barred_for_balance(session, product_id):
        return None
    key = f"prepaid:{product_id}:resume:{reference}"[:64]
    return _place(session, product_id, "resume", key, RESUME_REASON)
