"""Suspend, resume and cease orders placed through ordering for collections and credit control.

Nothing here writes the inventory: an order is submitted as a CSR's would be, and the
orchestration provisions and completes it. The order's ``externalId`` is the step's key
(``dunning:<account>:<step>:<date>``), so placing the same step again answers the same order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from openbss.inventory.public import Product, top_products_of_account
from openbss.kit.errors import OpenBSSError
from openbss.kit.security import Principal, Role
from openbss.ordering.public import submit_product_order

logger = logging.getLogger(__name__)

# What each step asks of the products and the text of the order (its description is the
# reason the product's status history records; at most 256 characters).
STEP_ACTIONS: dict[str, tuple[str, frozenset[str], str]] = {
    "suspend": ("suspend", frozenset({"active"}), "欠费停机 / Suspended for arrears"),
    "resume": ("resume", frozenset({"suspended"}), "缴费复机 / Resumed after payment"),
    "cease": ("delete", frozenset({"active", "suspended"}), "欠费拆机 / Ceased for arrears"),
    "bar-outgoing": (
        "suspend",
        frozenset({"active"}),
        "信用度超限单停 / Outgoing calls barred: credit limit exceeded",
    ),
    "bar-full": (
        "suspend",
        frozenset({"active", "suspended"}),
        "信用度超限双停 / Fully barred: credit limit exceeded",
    ),
    "unbar": ("resume", frozenset({"suspended"}), "信用度恢复 / Barring lifted after payment"),
}
BARRING_OF_STEP = {"bar-outgoing": "outgoing", "bar-full": "full"}


def job_principal(province: str) -> Principal:
    """Collections acts as a billing operator of the account's province."""
    return Principal(key_id="collections", role=Role.BILLING_OPERATOR, province=province)


@dataclass(frozen=True, slots=True)
class Placed:
    order_ids: tuple[str, ...]
    products: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def place(session: Session, province: str, account_id: str, step: str, key: str) -> Placed:
    """Place ``step``'s order(s) for the account's products; an order per customer owning
    them. A refusal (a product busy with another order) is returned, not raised, and nothing
    of the attempt stays written: the job tries again on its next run."""
    action, statuses, description = STEP_ACTIONS[step]
    products = list(top_products_of_account(session, account_id, statuses))
    if not products:
        return Placed((), 0)
    by_customer: dict[str, list[Product]] = {}
    for product in products:
        by_customer.setdefault(product.customer_id, []).append(product)
    order_ids: list[str] = []
    try:
        with session.begin_nested():
            for n, (customer_id, owned) in enumerate(sorted(by_customer.items())):
                external_id = key if n == 0 else f"{key}:{n}"
                body = _order_body(
                    external_id, customer_id, account_id, action, step, description, owned
                )
                order, _ = submit_product_order(session, job_principal(province), body)
                order_ids.append(order.id)
    except OpenBSSError as exc:
        logger.info("collections step %s of an account was refused: %s", step, exc.code)
        return Placed((), len(products), f"{exc.code}: {exc.message}")
    return Placed(tuple(order_ids), len(products))


def _order_body(
    external_id: str,
    customer_id: str,
    account_id: str,
    action: str,
    step: str,
    description: str,
    products: Sequence[Product],
) -> dict[str, object]:
    barring = BARRING_OF_STEP.get(step)
    items = []
    for n, product in enumerate(products, start=1):
        reference: dict[str, object] = {"id": product.id}
        if barring is not None:
            reference["productCharacteristic"] = [
                {"name": "barring", "valueType": "string", "value": barring}
            ]
        items.append({"id": str(n), "action": action, "product": reference})
    return {
        "externalId": external_id,
        "description": description,
        "category": "collections",
        "channel": [{"id": "callCentre", "role": "salesChannel"}],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account_id},
        "productOrderItem": items,
    }
