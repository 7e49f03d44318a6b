"""Product inventory (TMF637): read through the API, written only by product orders.

Clients read products (list, filters, ``fields``, paging) and subscribe to their events; a
product is created, activated, suspended, resumed, changed or ceased only by the order that
does it, so that the inventory never says something the network was not told. The ordering
domain calls :func:`create_product`, :func:`move` and :func:`change_offering`.

Every status or offering change appends a row to the status history with the instant it took
effect on the network; the API shows it as the extension attribute ``statusHistory``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openbss.audit import service as audit
from openbss.inventory.calculations import can_move
from openbss.inventory.models import Product, ProductStatusChange
from openbss.kit.clock import now
from openbss.kit.errors import Unprocessable
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, format_datetime
from openbss.resources.service import ResourceService

API = "productInventory"
API_PATH = "/tmf-api/productInventory/v4"
PRODUCT_READERS = frozenset(
    {Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN}
)


class ProductInventoryService(ResourceService[Product]):
    model = Product
    api = API
    api_path = API_PATH
    path = "product"
    resource_type = "Product"
    read_roles = PRODUCT_READERS
    write_roles = frozenset({Role.ADMIN})
    state_attribute = "status"

    def render(self, row: Product, base_url: str | None = None) -> JSON:
        body = super().render(row, base_url)
        body["statusHistory"] = [
            {
                "status": change.status,
                "validFor": {"startDateTime": format_datetime(change.effective_at)},
                "productOffering": {"id": change.product_offering_id},
                **(
                    {"productOrder": {"id": change.product_order_id}}
                    if change.product_order_id
                    else {}
                ),
                **({"reason": change.reason} if change.reason else {}),
            }
            for change in row.history
        ]
        return body


products = ProductInventoryService()


@dataclass(frozen=True, slots=True)
class NewProduct:
    """What an order item knows about the product it creates."""

    name: str
    service_type: str
    customer: Mapping[str, Any]  # a RelatedParty of role "customer"
    product_offering: Mapping[str, Any]
    product_order_id: str
    product_order_item_id: str
    billing_account: Mapping[str, Any] | None = None
    product_specification: Mapping[str, Any] | None = None
    characteristics: Sequence[Mapping[str, Any]] = ()
    prices: Sequence[Mapping[str, Any]] = ()
    places: Sequence[Mapping[str, Any]] = ()
    parent_id: str | None = None
    is_bundle: bool = False
    service_id: str | None = None
    area_code: str | None = None
    address_key: str | None = None
    related_parties: Sequence[Mapping[str, Any]] = field(default=())


def create_product(session: Session, principal: Principal, new: NewProduct) -> Product:
    """A product in status ``created`` for an order being captured."""
    product_id = new_id()
    doc: JSON = {
        "@type": "Product",
        "name": new.name,
        "isBundle": new.is_bundle,
        "isCustomerVisible": True,
        "status": "created",
        "productOffering": dict(new.product_offering),
        "productCharacteristic": [dict(c) for c in new.characteristics],
        "productPrice": [dict(p) for p in new.prices],
        "relatedParty": [dict(new.customer), *(dict(p) for p in new.related_parties)],
        "productOrderItem": [
            {
                "productOrderId": new.product_order_id,
                "orderItemId": new.product_order_item_id,
                "orderItemAction": "add",
                "role": "creator",
            }
        ],
        "productRelationship": [],
    }
    if new.billing_account is not None:
        doc["billingAccount"] = dict(new.billing_account)
    if new.product_specification is not None:
        doc["productSpecification"] = dict(new.product_specification)
    if new.places:
        doc["place"] = [dict(p) for p in new.places]
    if new.service_id is not None:
        doc["productSerialNumber"] = new.service_id
    if new.parent_id is not None:
        doc["productRelationship"].append(
            {"relationshipType": "bundled", "product": {"id": new.parent_id}}
        )
    row = Product(
        id=product_id,
        province=principal.province,
        doc=doc,
        name=new.name,
        status="created",
        customer_id=str(new.customer["id"]),
        billing_account_id=(new.billing_account or {}).get("id"),
        product_offering_id=str(new.product_offering["id"]),
        service_type=new.service_type,
        parent_product_id=new.parent_id,
        product_order_id=new.product_order_id,
        service_id=new.service_id,
        area_code=new.area_code,
        installation_address_key=new.address_key,
    )
    session.add(row)
    session.flush()
    _record(session, row, "created", now(), new.product_order_id, None)
    if new.parent_id is not None:
        parent = session.get(Product, new.parent_id)
        if parent is not None:
            relations = list(parent.doc.get("productRelationship") or [])
            relations.append({"relationshipType": "bundles", "product": {"id": product_id}})
            parent.doc = {**parent.doc, "productRelationship": relations}
    audit.record(session, principal, "create", "Product", row.id, row.province, doc)
    products.emit(session, "CreateEvent", row)
    return row


def move(
    session: Session,
    principal: Principal,
    product: Product,
    status: str,
    *,
    at: datetime,
    product_order_id: str | None,
    reason: str | None = None,
) -> None:
    """Change a product's status, effective ``at``, with a history row and an event."""
    if product.status == status:
        return
    if not can_move(product.status, status):
        raise Unprocessable(
            f"product {product.id} is {product.status}; it cannot become {status}",
            code="INVALID_PRODUCT_STATE",
        )
    doc = dict(product.doc)
    doc["status"] = status
    if status == "active" and product.start_date is None:
        product.start_date = at
        doc["startDate"] = format_datetime(at)
    if status == "terminated":
        product.termination_date = at
        doc["terminationDate"] = format_datetime(at)
    product.status = status
    product.doc = doc
    _record(session, product, status, at, product_order_id, reason)
    audit.record(session, principal, "update", "Product", product.id, product.province, ["status"])
    products.emit(session, "StateChangeEvent", product)


def change_offering(
    session: Session,
    principal: Principal,
    product: Product,
    offering: Mapping[str, Any],
    prices: Sequence[Mapping[str, Any]],
    *,
    at: datetime,
    product_order_id: str,
) -> None:
    """A change of plan (套餐变更) on a live product, effective ``at``."""
    product.product_offering_id = str(offering["id"])
    product.doc = {**product.doc, "productOffering": dict(offering), "productPrice": list(prices)}
    _record(session, product, product.status, at, product_order_id, "offeringChanged")
    audit.record(
        session, principal, "update", "Product", product.id, product.province, ["productOffering"]
    )
    products.emit(session, "AttributeValueChangeEvent", product)


def note_order_item(product: Product, order_id: str, item_id: str, action: str) -> None:
    """Record on the product which order item acted on it (TMF637 productOrderItem)."""
    items = list(product.doc.get("productOrderItem") or [])
    items.append({"productOrderId": order_id, "orderItemId": item_id, "orderItemAction": action})
    product.doc = {**product.doc, "productOrderItem": items}


def _record(
    session: Session,
    product: Product,
    status: str,
    at: datetime,
    product_order_id: str | None,
    reason: str | None,
) -> None:
    # The history is loaded with the product (selectin), so the next sequence number is
    # known without a query; if two writers ever appended at once, the unique
    # (product, sequence) constraint would refuse the second.
    product.history.append(
        ProductStatusChange(
            sequence=len(product.history) + 1,
            status=status,
            product_offering_id=product.product_offering_id,
            effective_at=at,
            product_order_id=product_order_id,
            reason=reason,
        )
    )
