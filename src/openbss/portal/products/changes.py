"""A product as the counter sees it, and the orders that change it: suspend (停机), resume
(复机), cease (拆机) and change of plan (改套餐).

The product is read through the inventory's resource service (role and province checked:
another province's product is not found). Every change is a TMF622 order submitted through
:func:`openbss.ordering.public.submit_product_order`, as collections' suspend and resume
orders are: ordering decides whether the product may change, the orchestration carries the
change to the network, and the inventory records it in the product's status history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openbss.catalog.public import get_offering
from openbss.customer.public import get_customer
from openbss.inventory.public import Product, children_of, products
from openbss.kit.errors import OpenBSSError
from openbss.kit.security import Principal
from openbss.kit.tmf import parse_datetime
from openbss.ordering.public import ProductOrder, submit_product_order
from openbss.portal.core.forms import FORM_ERROR, errors_from
from openbss.portal.sales.selling import (
    EXTERNAL_PREFIX,
    PASSED_ON,
    OfferingChoice,
    sellable_offerings,
)

MAX_REASON = 200
# The form's action → the TMF622 item action and the product statuses it applies to.
ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "suspend": ("suspend", frozenset({"active"})),
    "resume": ("resume", frozenset({"suspended"})),
    "cease": ("delete", frozenset({"active", "suspended"})),
    "change": ("modify", frozenset({"active"})),
}
DEFAULT_REASONS = {
    "suspend": "客户申请停机 / Suspended at the customer's request",
    "resume": "客户申请复机 / Resumed at the customer's request",
    "cease": "客户申请拆机 / Ceased at the customer's request",
    "change": "客户申请改套餐 / Plan changed at the customer's request",
}


# The inventory's own reasons (not an order's free text), as msgids.
REASON_WORDS = {"offeringChanged": "Plan changed"}


@dataclass(frozen=True, slots=True)
class HistoryLine:
    status: str
    since: datetime
    offering: str
    order_id: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ProductView:
    product: Product
    offering_name: str
    history: Sequence[HistoryLine]
    members: Sequence[Product]
    actions: Sequence[str]  # what the form may offer now
    plans: Sequence[OfferingChoice]  # offerings the plan may change to
    party_id: str | None  # the customer's party: the customer page is the party's

    @property
    def parent_id(self) -> str | None:
        return self.product.parent_product_id


def _offering_name(session: Session, offering_id: str, names: dict[str, str]) -> str:
    if offering_id not in names:
        offering = get_offering(session, offering_id)
        names[offering_id] = (offering.name if offering else None) or offering_id
    return names[offering_id]


def product_view(session: Session, principal: Principal, product_id: str) -> ProductView:
    product = products.get(session, principal, product_id)
    customer = get_customer(session, product.customer_id)
    names: dict[str, str] = {}
    history = [
        HistoryLine(
            status=str(entry["status"]),
            since=parse_datetime(entry["validFor"]["startDateTime"]),
            offering=_offering_name(session, entry["productOffering"]["id"], names),
            order_id=(entry.get("productOrder") or {}).get("id"),
            reason=REASON_WORDS.get(entry.get("reason") or "", entry.get("reason")),
        )
        for entry in products.render(product)["statusHistory"]
    ]
    plans: list[OfferingChoice] = []
    if product.service_type != "bundle" and product.parent_product_id is None:
        plans = [
            o
            for o in sellable_offerings(session, principal)
            if not o.is_bundle
            and o.service_types == (product.service_type,)
            and o.id != product.product_offering_id
        ]
    # A bundle's member changes with its bundle: the page offers the actions on the bundle.
    actions = (
        []
        if product.parent_product_id is not None
        else [a for a, (_, statuses) in ACTIONS.items() if product.status in statuses]
    )
    if not plans and "change" in actions:
        actions.remove("change")
    return ProductView(
        product=product,
        offering_name=_offering_name(session, product.product_offering_id, names),
        history=history,
        members=list(children_of(session, product.id)),
        actions=actions,
        plans=plans,
        party_id=customer.engaged_party_id if customer is not None else None,
    )


def change_body(
    product: Product, action: str, offering_id: str, reason: str, external_id: str
) -> dict[str, Any]:
    item: dict[str, Any] = {"id": "1", "action": ACTIONS[action][0], "product": {"id": product.id}}
    if action == "change":
        item["productOffering"] = {"id": offering_id}
    body: dict[str, Any] = {
        "externalId": external_id,
        "description": reason or DEFAULT_REASONS[action],
        "channel": [{"id": "retailHall", "role": "salesChannel"}],
        "relatedParty": [
            {"id": product.customer_id, "role": "customer", "@referredType": "Customer"}
        ],
        "productOrderItem": [item],
    }
    if product.billing_account_id:
        body["billingAccount"] = {"id": product.billing_account_id}
    return body


def form_errors(action: str, offering_id: str, reason: str, external_id: str) -> dict[str, str]:
    """What is wrong with the form itself (msgids), before ordering is asked."""
    errors: dict[str, str] = {}
    if action not in ACTIONS:
        errors["action"] = "Choose what to do with the product."
    if action == "change" and not offering_id:
        errors["offering"] = "Choose the new plan."
    if len(reason) > MAX_REASON:
        errors["reason"] = "At most 200 characters."
    if not external_id.startswith(EXTERNAL_PREFIX) or len(external_id) > 64:
        errors[FORM_ERROR] = "The form has expired; open it again."
    return errors


def place_change(
    session: Session,
    principal: Principal,
    product_id: str,
    action: str,
    offering_id: str,
    reason: str,
    external_id: str,
    language: str,
) -> tuple[dict[str, str], ProductOrder | None]:
    """Submit the change as an order; the field errors, or the order."""
    product = products.get(session, principal, product_id)
    errors = form_errors(action, offering_id, reason, external_id)
    if errors:
        return errors, None
    body = change_body(product, action, offering_id, reason, external_id)
    try:
        with session.begin_nested():
            order, _ = submit_product_order(session, principal, body)
    except OpenBSSError as exc:
        if exc.status in PASSED_ON:
            raise
        fields = {"INVALID_CHANGE": "offering"} if action == "change" else {}
        return errors_from(exc, language, fields), None
    return {}, order
