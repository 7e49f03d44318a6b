"""Product ordering (TMF622): submit, read, amend and cancel product orders.

Submitting an order (``POST /productOrder``) validates it (capture.py) and, in the same
transaction, reserves its telephone numbers for the order's lifetime, creates its products in
the inventory (status ``created``) and prices it. The answer is the order ``acknowledged``;
the orchestration (orchestrator.py) then provisions it through service orders and completes
it. An incomplete order is kept ``pending`` (``stateReason`` says what is missing) and a PATCH
that completes it acknowledges it.

``externalId`` makes submission idempotent: the same external id with the same body answers
the order already created, with another body a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from openbss.audit import service as audit
from openbss.inventory.public import NewProduct, create_product
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, Conflict
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, format_datetime, merge_patch
from openbss.numbering.public import NumberKind, reserve
from openbss.ordering import repository
from openbss.ordering.calculations import (
    CHANNELS,
    NUMBER_KIND_OF,
    Charge,
    item_totals,
    order_totals,
    request_hash,
)
from openbss.ordering.capture import Capture, CapturedItem, capture, characteristic
from openbss.ordering.models import OrderItem, OrderLogEntry, ProductOrder
from openbss.ordering.schemas import ProductOrderSchema
from openbss.ordering.statuses import OrderPhase, ProductOrderState
from openbss.resources.service import READ_ONLY_ATTRIBUTES, ResourceService
from openbss.resources.validation import normalise_cn_phone

API = "productOrderingManagement"
API_PATH = "/tmf-api/productOrderingManagement/v4"
ORDER_READERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.ANALYST, Role.ADMIN})
# Credit control (billing operators) submits suspend and resume orders for arrears.
ORDER_WRITERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.ADMIN})
# What a client may still change once an order is acknowledged: nothing it promised.
AMENDABLE_WHEN_ACCEPTED = frozenset(
    {"description", "note", "priority", "notificationContact", "requestedCompletionDate"}
)
SERVER_ATTRIBUTES = frozenset(
    {"state", "orderDate", "completionDate", "orderTotalPrice", "cancellationDate", "stateReason"}
)
GOLDEN_FEE_NAME = "靓号费 / Golden number fee"


def holder_of(order_id: str) -> str:
    """The holder name under which an order keeps its numbers reserved."""
    return f"order:{order_id}"


def log(session: Session, order_id: str, step: str, message: str) -> None:
    session.add(OrderLogEntry(product_order_id=order_id, at=now(), step=step, message=message))


class ProductOrderService(ResourceService[ProductOrder]):
    model = ProductOrder
    api = API
    api_path = API_PATH
    path = "productOrder"
    resource_type = "ProductOrder"
    schema = ProductOrderSchema
    read_roles = ORDER_READERS
    write_roles = ORDER_WRITERS
    state_attribute = "state"
    server_attributes = SERVER_ATTRIBUTES

    def submit(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> tuple[ProductOrder, bool]:
        """Create an order, or find the one already submitted with this externalId.

        Returns the order and whether it was created now.
        """
        principal.require(*self.write_roles)
        if "id" in body:
            raise BadRequest("'id' is assigned by the server and cannot be supplied on create")
        for attribute in SERVER_ATTRIBUTES & set(body):
            raise BadRequest(f"'{attribute}' is set by the server and cannot be supplied")
        province = self._owning_province(principal)
        doc: JSON = {k: v for k, v in body.items() if k not in READ_ONLY_ATTRIBUTES}
        self.check_schema(doc)
        fingerprint = request_hash(doc)
        external_id = doc.get("externalId")
        if external_id is not None:
            repository.lock_external_id(session, province, str(external_id))
            existing = repository.by_external_id(session, province, str(external_id))
            if existing is not None:
                if existing.request_hash != fingerprint:
                    raise Conflict(
                        f"externalId {external_id!r} was already used for a different order "
                        f"({existing.id})",
                        code="EXTERNAL_ID_REUSED",
                    )
                return existing, False
        order_id = new_id()
        order_date = now()
        doc.setdefault("@type", self.resource_type)
        doc["orderDate"] = format_datetime(order_date)
        captured = capture(session, principal, doc, order_id, order_date)
        row = ProductOrder(
            id=order_id,
            province=province,
            doc=doc,
            state=ProductOrderState.PENDING,
            phase=OrderPhase.CAPTURE,
            external_id=str(external_id) if external_id is not None else None,
            request_hash=fingerprint,
            customer_id=captured.customer.id,
            order_date=order_date,
            channel=captured.channel,
            category=doc.get("category"),
        )
        session.add(row)
        session.flush()
        self._settle(session, principal, row, doc, captured)
        audit.record(session, principal, "create", self.resource_type, row.id, province, doc)
        self.emit(session, "CreateEvent", row)
        return row, True

    def create(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> ProductOrder:
        return self.submit(session, principal, body)[0]

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> ProductOrder:
        row = self._writable(session, principal, resource_id)
        for attribute in ("id", *SERVER_ATTRIBUTES):
            current = row.id if attribute == "id" else row.doc.get(attribute)
            if attribute in patch and patch[attribute] != current:
                hint = " (cancel with POST /cancelProductOrder)" if attribute == "state" else ""
                raise BadRequest(f"'{attribute}' is read-only and cannot be patched{hint}")
        self.check_type_unchanged(row, patch)
        changes = {
            k: v for k, v in patch.items() if k not in READ_ONLY_ATTRIBUTES and v != row.doc.get(k)
        }
        if merge_patch(dict(row.doc), changes) == row.doc:
            return row  # nothing changes: no write, no audit entry, no event
        if row.state != ProductOrderState.PENDING:
            frozen = sorted(set(changes) - AMENDABLE_WHEN_ACCEPTED)
            if frozen:
                raise Conflict(
                    f"order {row.id} is {row.state}: {', '.join(frozen)} can no longer change; "
                    "cancel it and submit a new order",
                    code="ORDER_NOT_AMENDABLE",
                )
        old_doc = dict(row.doc)
        doc: JSON = merge_patch(old_doc, changes)
        self.check_schema(doc)
        if row.state == ProductOrderState.PENDING:
            captured = capture(session, principal, doc, row.id, row.order_date)
            row.customer_id = captured.customer.id
            row.channel = captured.channel
            self._settle(session, principal, row, doc, captured)
        else:
            row.doc = doc
        session.flush()
        changed = [k for k in set(row.doc) | set(old_doc) if row.doc.get(k) != old_doc.get(k)]
        audit.record(
            session, principal, "update", self.resource_type, row.id, row.province, changed
        )
        self.emit(session, "AttributeValueChangeEvent", row)
        if row.doc.get("state") != old_doc.get("state"):
            self.emit(session, "StateChangeEvent", row)
        return row

    # ----- accepting a captured order ---------------------------------------------------------

    def _settle(
        self,
        session: Session,
        principal: Principal,
        row: ProductOrder,
        doc: JSON,
        captured: Capture,
    ) -> None:
        """Keep the order pending with its reasons, or accept it."""
        doc["channel"] = [
            {
                "id": captured.channel,
                "name": CHANNELS[captured.channel],
                "role": "salesChannel",
                "@referredType": "SalesChannel",
            }
        ]
        row.sales_person_id = str(captured.seller["id"]) if captured.seller else None
        if captured.billing_account is not None:
            account = captured.billing_account
            doc["billingAccount"] = {
                "id": account.id,
                "name": account.name,
                "@referredType": "BillingAccount",
            }
            row.billing_account_id = account.id
        if captured.missing:
            doc["state"] = ProductOrderState.PENDING.value
            doc["stateReason"] = "; ".join(captured.missing)
            row.state = ProductOrderState.PENDING
            self._store(row, doc)
            log(session, row.id, ProductOrderState.PENDING, doc["stateReason"])
            return
        doc.pop("stateReason", None)
        charges = self._accept(session, principal, row, doc, captured)
        doc["orderTotalPrice"] = order_totals(charges)
        doc["state"] = ProductOrderState.ACKNOWLEDGED.value
        row.state = ProductOrderState.ACKNOWLEDGED
        self._store(row, doc)
        log(
            session,
            row.id,
            ProductOrderState.ACKNOWLEDGED,
            f"{len(captured.all_items())} item(s) accepted",
        )

    @staticmethod
    def _store(row: ProductOrder, doc: JSON) -> None:
        # The document may be the very dict the row was created with, changed in place:
        # assigning it again is not a change to SQLAlchemy, so say it is one.
        row.doc = doc
        flag_modified(row, "doc")

    def _accept(
        self,
        session: Session,
        principal: Principal,
        row: ProductOrder,
        doc: JSON,
        captured: Capture,
    ) -> list[Charge]:
        """Reserve numbers, create products and item rows; annotate the document's items."""
        customer_ref = {
            "id": captured.customer.id,
            "name": captured.customer.name,
            "role": "customer",
            "@referredType": "Customer",
        }
        parties = [p for p in doc.get("relatedParty") or [] if p.get("id") != captured.customer.id]
        doc["relatedParty"] = [*parties, customer_ref]
        product_ids: dict[str, str] = {}
        all_charges: list[Charge] = []
        for item in captured.all_items():
            if item.action == "add":
                self._hold_number(session, principal, row.id, item)
                product = create_product(
                    session,
                    principal,
                    self._new_product(row, doc, captured, item, customer_ref, product_ids),
                )
                product_ids[item.item_id] = product.id
            all_charges.extend(item.charges)
            session.add(
                OrderItem(
                    product_order_id=row.id,
                    item_id=item.item_id,
                    parent_item_id=item.parent_item_id,
                    action=item.action,
                    product_id=product_ids.get(item.item_id)
                    or (item.product.id if item.product else None),
                    product_offering_id=item.offering.id if item.offering else None,
                    service_type=item.service_type,
                    service_id=item.product.service_id if item.product else item_service_id(item),
                    state=ProductOrderState.ACKNOWLEDGED,
                )
            )
        by_id = {item.item_id: item for item in captured.all_items()}
        doc["productOrderItem"] = [
            annotate(raw, by_id, product_ids) for raw in doc.get("productOrderItem") or []
        ]
        return all_charges

    @staticmethod
    def _hold_number(
        session: Session, principal: Principal, order_id: str, item: CapturedItem
    ) -> None:
        kind = NUMBER_KIND_OF.get(item.service_type)
        if kind is None:
            if item.service_type == "broadband":
                account = characteristic(
                    {"productCharacteristic": item.characteristics}, "broadbandAccount"
                )
                set_characteristic(
                    item, "broadbandAccount", str(account or f"ad{new_id()[:12]}@adsl")
                )
            return
        wanted = normalise_cn_phone(str(item.wanted_number)) if item.wanted_number else None
        reservation = f"reservation:{item.number_reservation}" if item.number_reservation else None
        hold = reserve(
            session,
            principal,
            kind=NumberKind(kind),
            holder=holder_of(order_id),
            area_code=item.area_code if kind != "mobile" else None,
            prefix=characteristic({"productCharacteristic": item.characteristics}, "numberPrefix"),
            number=wanted,
            hold_minutes=None,
            transfer_from=reservation,
        )
        set_characteristic(item, "phoneNumber", hold.number)
        if hold.area_code:
            set_characteristic(item, "areaCode", hold.area_code)
        if hold.golden_price_fen:
            item.charges.append(Charge(GOLDEN_FEE_NAME, "oneTime", hold.golden_price_fen))
            set_characteristic(item, "goldenNumberLevel", str(hold.golden_level))

    @staticmethod
    def _new_product(
        row: ProductOrder,
        doc: JSON,
        captured: Capture,
        item: CapturedItem,
        customer_ref: Mapping[str, Any],
        product_ids: Mapping[str, str],
    ) -> NewProduct:
        assert item.offering is not None
        spec = item.specification
        return NewProduct(
            name=item.offering.name or item.offering.id,
            service_type=item.service_type,
            customer=customer_ref,
            product_offering={"id": item.offering.id, "name": item.offering.name},
            product_specification={"id": spec.id, "name": spec.name} if spec else None,
            product_order_id=row.id,
            product_order_item_id=item.item_id,
            billing_account=doc.get("billingAccount"),
            characteristics=item.characteristics,
            prices=[c.as_order_price() for c in item.charges],
            places=item.places,
            parent_id=product_ids.get(item.parent_item_id) if item.parent_item_id else None,
            is_bundle=item.service_type == "bundle",
            service_id=item_service_id(item),
            area_code=item.area_code,
            address_key=item.address_key,
        )


def set_characteristic(item: CapturedItem, name: str, value: str) -> None:
    item.characteristics = [c for c in item.characteristics if c.get("name") != name]
    item.characteristics.append({"name": name, "valueType": "string", "value": value})


def item_service_id(item: CapturedItem) -> str | None:
    """What the network knows the product by: its number or its broadband account."""
    values = {"productCharacteristic": item.characteristics}
    found = characteristic(values, "phoneNumber") or characteristic(values, "broadbandAccount")
    return str(found) if found is not None else None


def annotate(raw: Any, by_id: Mapping[str, CapturedItem], product_ids: Mapping[str, str]) -> Any:
    """The submitted item with what the server decided: state, product, prices, members."""
    if not isinstance(raw, Mapping) or raw.get("id") not in by_id:
        return raw
    item = by_id[str(raw["id"])]
    out = dict(raw)
    out["state"] = ProductOrderState.ACKNOWLEDGED.value
    out.setdefault("quantity", 1)
    if item.offering is not None:
        out["productOffering"] = {
            **dict(raw.get("productOffering") or {}),
            "id": item.offering.id,
            "name": item.offering.name,
        }
    product = dict(raw.get("product") or {})
    product_id = product_ids.get(item.item_id) or (item.product.id if item.product else None)
    if product_id is not None:
        product["id"] = product_id
    if item.action == "add":
        product["productCharacteristic"] = item.characteristics
    out["product"] = product
    if item.charges:
        out["itemPrice"] = [c.as_order_price() for c in item.charges]
        out["itemTotalPrice"] = item_totals(item.charges)
    if item.children:
        nested = {
            n.get("id"): n for n in raw.get("productOrderItem") or [] if isinstance(n, Mapping)
        }
        out["productOrderItem"] = [
            annotate(nested.get(child.item_id) or _derived(child), by_id, product_ids)
            for child in item.children
        ]
    return out


def _derived(child: CapturedItem) -> dict[str, Any]:
    """The document of a bundle member the client did not spell out."""
    body: dict[str, Any] = {"id": child.item_id, "action": child.action}
    if child.product is not None:
        body["product"] = {"id": child.product.id}
    return body


product_orders = ProductOrderService()
