"""Order capture: check a submitted product order against the customer, the account, the
catalog, the inventory and the network, and work out what it will do and cost.

Nothing here writes. :func:`capture` returns a :class:`Capture` or raises a TMF error (422 for
something that cannot be sold, 409 for a conflict with data in flight); the service then
reserves numbers and creates products. An order that is well-formed but incomplete (an
``add`` without an offering, no billing account) is not an error: it is kept ``pending``
with the reasons in ``Capture.missing`` until a PATCH completes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openbss.account.public import BillingAccount, billing_accounts_of_party
from openbss.catalog.public import (
    SELLABLE,
    MinorUnit,
    ProductOffering,
    ProductSpecification,
    altered_amount,
    get_prices,
    version_in_force,
)
from openbss.customer.public import Customer, customer_for_party
from openbss.inventory import public as inventory
from openbss.inventory.public import IN_SERVICE_STATUSES, Product, address_key
from openbss.kit.errors import BadRequest, Conflict, Unprocessable
from openbss.kit.security import Principal
from openbss.kit.tmf import parse_datetime
from openbss.numbering.public import NumberKind, offers_network
from openbss.ordering import repository
from openbss.ordering.calculations import (
    ACTIONS,
    BARRING_LEVELS,
    CHANNELS,
    CUSTOMER_ROLES,
    DEFAULT_CHANNEL,
    INSTALLED_AT_PREMISES,
    SELLER_ROLES,
    Charge,
    barring_of,
    normalise_action,
)
from openbss.refdata.numbering import area_code_for_city

# Customer statuses that may buy; a suspended customer may still resume, change or cease.
BUYING_STATUSES = frozenset({"prospective", "approved", "active"})
EXISTING_PRODUCT_ACTIONS = frozenset({"modify", "delete", "suspend", "resume", "noChange"})
# What each action needs the product's status to be.
REQUIRED_STATUS: dict[str, frozenset[str]] = {
    "suspend": frozenset({"active"}),
    "resume": frozenset({"suspended"}),
    "delete": IN_SERVICE_STATUSES,
    "modify": frozenset({"active"}),
    "noChange": IN_SERVICE_STATUSES,
}


@dataclass
class CapturedItem:
    item_id: str
    action: str
    service_type: str  # a catalog serviceType, or "bundle"
    parent_item_id: str | None = None
    offering: ProductOffering | None = None
    specification: ProductSpecification | None = None
    product: Product | None = None  # the existing product of modify / delete / suspend / resume
    places: list[dict[str, Any]] = field(default_factory=list)
    characteristics: list[dict[str, Any]] = field(default_factory=list)
    area_code: str | None = None
    address_key: str | None = None
    wanted_number: str | None = None
    number_reservation: str | None = None
    charges: list[Charge] = field(default_factory=list)
    children: list[CapturedItem] = field(default_factory=list)

    def leaves(self) -> list[CapturedItem]:
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass
class Capture:
    customer: Customer
    billing_account: BillingAccount | None
    channel: str
    seller: Mapping[str, Any] | None
    items: list[CapturedItem]
    missing: list[str]

    def all_items(self) -> list[CapturedItem]:
        found: list[CapturedItem] = []

        def walk(items: Sequence[CapturedItem]) -> None:
            for item in items:
                found.append(item)
                walk(item.children)

        walk(self.items)
        return found


def characteristic(product: Mapping[str, Any] | None, name: str) -> Any:
    for entry in (product or {}).get("productCharacteristic") or []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return entry.get("value")
    return None


# ----- parties, account, channel ------------------------------------------------------------


def resolve_customer(
    session: Session, principal: Principal, parties: Sequence[Mapping[str, Any]]
) -> Customer:
    """The customer the order is for, named directly or through its party."""
    for party in parties:
        if party.get("role") in SELLER_ROLES:
            continue
        kind = party.get("@referredType")
        party_id = str(party.get("id"))
        if kind == "Customer" or (kind is None and party.get("role") in CUSTOMER_ROLES):
            customer = session.get(Customer, party_id)
            if customer is None or not principal.can_see(customer.province):
                raise Unprocessable(
                    f"customer {party_id!r} does not exist", code="UNKNOWN_CUSTOMER"
                )
            return customer
        if kind in ("Individual", "Organization", None):
            found = customer_for_party(session, principal, party_id)
            if found is not None:
                return found
            if kind is not None:
                raise Unprocessable(
                    f"{kind} {party_id!r} is not a customer in province {principal.province}: "
                    "register the customer first",
                    code="UNKNOWN_CUSTOMER",
                )
    raise Unprocessable(
        "relatedParty must name the customer (a Customer, or the Individual or Organization "
        "engaged as one)",
        code="CUSTOMER_REQUIRED",
    )


def resolve_seller(parties: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for party in parties:
        if party.get("role") in SELLER_ROLES:
            if not party.get("id"):
                raise BadRequest("the sales person or agent in relatedParty needs an 'id'")
            return party
    return None


def resolve_channel(channels: Any) -> str:
    if not channels:
        return DEFAULT_CHANNEL
    if not isinstance(channels, list) or not all(isinstance(c, Mapping) for c in channels):
        raise BadRequest("'channel' must be a list of channel references")
    chosen = next((c for c in channels if c.get("role") == "salesChannel"), channels[0])
    channel_id = chosen.get("id")
    if channel_id not in CHANNELS:
        raise Unprocessable(
            f"unknown sales channel {channel_id!r}; expected one of {', '.join(CHANNELS)}",
            code="UNKNOWN_CHANNEL",
        )
    return str(channel_id)


def resolve_billing_account(
    session: Session, principal: Principal, customer: Customer, ref: Any, missing: list[str]
) -> BillingAccount | None:
    if ref is None:
        owned = billing_accounts_of_party(session, customer.engaged_party_id, customer.province)
        if len(owned) == 1:
            return owned[0]
        missing.append(
            "billingAccount: the customer has "
            + ("no billing account" if not owned else f"{len(owned)} billing accounts")
            + "; name the one to charge"
        )
        return None
    if not isinstance(ref, Mapping) or not ref.get("id"):
        raise BadRequest("'billingAccount' must be a reference with an 'id'")
    account = session.get(BillingAccount, str(ref["id"]))
    if account is None or not principal.can_see(account.province):
        raise Unprocessable(f"billing account {ref['id']!r} does not exist", code="UNKNOWN_ACCOUNT")
    if account.owner_party_id != customer.engaged_party_id:
        raise Unprocessable(
            f"billing account {account.id!r} does not belong to the customer",
            code="ACCOUNT_NOT_OWNED",
        )
    if account.state == "closed":
        raise Unprocessable(f"billing account {account.id!r} is closed", code="ACCOUNT_CLOSED")
    return account


# ----- catalog ------------------------------------------------------------------------------


def sellable_offering(
    session: Session, principal: Principal, ref: Any, order_date: datetime
) -> ProductOffering:
    if not isinstance(ref, Mapping) or not ref.get("id"):
        raise BadRequest("'productOffering' must be a reference with an 'id'")
    offering = session.get(ProductOffering, str(ref["id"]))
    if offering is None or not principal.can_see(offering.province):
        raise Unprocessable(
            f"product offering {ref['id']!r} does not exist", code="UNKNOWN_OFFERING"
        )
    label = f"product offering {offering.name or offering.id!r}"
    if offering.lifecycle_status not in SELLABLE:
        raise Unprocessable(
            f"{label} is {offering.lifecycle_status} and cannot be ordered",
            code="OFFERING_NOT_SELLABLE",
        )
    valid = offering.doc.get("validFor") or {}
    start, end = valid.get("startDateTime"), valid.get("endDateTime")
    if (start and order_date < parse_datetime(start)) or (
        end and order_date >= parse_datetime(end)
    ):
        raise Unprocessable(
            f"{label} is not on sale at the order date", code="OFFERING_NOT_SELLABLE"
        )
    return offering


def charges_of(
    session: Session, offering: ProductOffering, order_date: datetime, *, in_bundle: bool
) -> list[Charge]:
    """The one-time and recurring prices of an offering at the order date, in fen.

    Usage prices are rated later and not shown on the order. A bundle member's recurring
    prices are replaced by the bundle's own fee (套餐费), so only its one-time prices count.
    """
    charges = []
    refs = [
        ref for ref in offering.doc.get("productOfferingPrice") or [] if isinstance(ref, Mapping)
    ]
    prices = get_prices(session, (str(ref.get("id")) for ref in refs))
    for ref in refs:
        price = prices.get(str(ref.get("id")))
        if price is None or price.price_type not in ("recurring", "oneTime"):
            continue
        if in_bundle and price.price_type == "recurring":
            continue
        version = version_in_force(price, order_date)
        if version is None or version.amount_fen is None:
            continue
        amount = version.amount_fen
        alteration = next(iter(price.doc.get("priceAlteration") or []), None)
        altered = altered_amount(amount, MinorUnit.FEN, alteration) if alteration else amount
        charges.append(
            Charge(
                name=price.name or price.id,
                price_type=price.price_type,
                amount_fen=altered,
                period=price.doc.get("recurringChargePeriodType"),
                price_id=price.id,
                alteration=alteration,
                list_amount_fen=amount if alteration else None,
            )
        )
    return charges


def specification_of(session: Session, offering: ProductOffering) -> ProductSpecification | None:
    if offering.product_specification_id is None:
        return None
    return session.get(ProductSpecification, offering.product_specification_id)


# ----- items --------------------------------------------------------------------------------


class _Walker:
    """Walks the submitted items once, validating each and collecting the captured plan."""

    def __init__(
        self,
        session: Session,
        principal: Principal,
        customer: Customer,
        order_id: str | None,
        order_date: datetime,
    ) -> None:
        self.session = session
        self.principal = principal
        self.customer = customer
        self.order_id = order_id
        self.order_date = order_date
        self.missing: list[str] = []
        self.seen_ids: set[str] = set()

    def item(
        self, raw: Any, parent: CapturedItem | None, inherited_places: list[dict[str, Any]]
    ) -> CapturedItem | None:
        if not isinstance(raw, Mapping):
            raise BadRequest("every productOrderItem must be an object")
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not item_id:
            raise BadRequest("every productOrderItem needs a string 'id'")
        if item_id in self.seen_ids:
            raise BadRequest(f"productOrderItem id {item_id!r} is used twice")
        self.seen_ids.add(item_id)
        action = normalise_action(raw)
        if action not in ACTIONS:
            raise BadRequest(
                f"item {item_id}: action {raw.get('action')!r} is unknown; expected one of "
                + ", ".join(sorted(ACTIONS))
            )
        quantity = raw.get("quantity", 1)
        if quantity != 1:
            raise Unprocessable(
                f"item {item_id}: quantity must be 1 (order one subscription per item)",
                code="INVALID_QUANTITY",
            )
        product = raw.get("product") or {}
        if not isinstance(product, Mapping):
            raise BadRequest(f"item {item_id}: 'product' must be an object")
        places = [dict(p) for p in product.get("place") or [] if isinstance(p, Mapping)]
        if action == "add":
            return self._add(raw, item_id, product, places or inherited_places, parent)
        return self._existing(raw, item_id, action, product)

    def _add(
        self,
        raw: Mapping[str, Any],
        item_id: str,
        product: Mapping[str, Any],
        places: list[dict[str, Any]],
        parent: CapturedItem | None,
    ) -> CapturedItem | None:
        if raw.get("productOffering") is None:
            self.missing.append(f"item {item_id}: an 'add' needs a productOffering")
            return None
        if self.customer.status not in BUYING_STATUSES:
            raise Unprocessable(
                f"customer {self.customer.id} is {self.customer.status} and cannot buy",
                code="CUSTOMER_NOT_BUYING",
            )
        offering = sellable_offering(
            self.session, self.principal, raw["productOffering"], self.order_date
        )
        in_bundle = parent is not None
        captured = CapturedItem(
            item_id=item_id,
            action="add",
            service_type="bundle",
            parent_item_id=parent.item_id if parent else None,
            offering=offering,
            places=places,
            characteristics=[dict(c) for c in product.get("productCharacteristic") or []],
            charges=charges_of(self.session, offering, self.order_date, in_bundle=in_bundle),
        )
        if offering.is_bundle:
            self._bundle_members(raw, captured, product)
            return captured
        specification = specification_of(self.session, offering)
        service_type = specification.service_type if specification else None
        if service_type is None:
            raise Unprocessable(
                f"item {item_id}: offering {offering.name!r} has no service type",
                code="OFFERING_NOT_SELLABLE",
            )
        captured.specification = specification
        captured.service_type = service_type
        captured.wanted_number = characteristic(product, "phoneNumber") or characteristic(
            product, "msisdn"
        )
        captured.number_reservation = characteristic(product, "numberReservation")
        self._locate(captured, product)
        return captured

    def _bundle_members(
        self, raw: Mapping[str, Any], bundle: CapturedItem, product: Mapping[str, Any]
    ) -> None:
        """A bundle's members: as given in nested items, or derived from the catalog."""
        assert bundle.offering is not None
        members = [m["id"] for m in bundle.offering.doc.get("bundledProductOffering") or []]
        nested = raw.get("productOrderItem") or []
        if nested:
            given = [
                (n.get("productOffering") or {}).get("id") for n in nested if isinstance(n, Mapping)
            ]
            if sorted(str(g) for g in given) != sorted(members):
                raise Unprocessable(
                    f"item {bundle.item_id}: the nested items must order each offering of the "
                    f"bundle {bundle.offering.name!r} exactly once",
                    code="BUNDLE_INCOMPLETE",
                )
            children = nested
        else:
            children = [
                {
                    "id": f"{bundle.item_id}.{n}",
                    "action": "add",
                    "productOffering": {"id": member},
                    "product": {
                        "productCharacteristic": product.get("productCharacteristic") or []
                    },
                }
                for n, member in enumerate(members, start=1)
            ]
        for child in children:
            captured = self.item(child, bundle, bundle.places)
            if captured is not None:
                bundle.children.append(captured)

    def _locate(self, item: CapturedItem, product: Mapping[str, Any]) -> None:
        """Installation address and local network (area code) of a premises or PHS service."""
        place = next(
            (p for p in item.places if p.get("role") in ("installationAddress", "installation")),
            item.places[0] if item.places else None,
        )
        if place is not None:
            item.address_key = address_key(place)
        area = characteristic(product, "areaCode")
        if area is None and place is not None and place.get("city"):
            area = area_code_for_city(str(place["city"]))
            if area is None:
                raise Unprocessable(
                    f"item {item.item_id}: no local network is known for the city "
                    f"{place['city']!r}",
                    code="INELIGIBLE_ADDRESS",
                )
        item.area_code = str(area) if area is not None else None
        needs_premises = item.service_type in INSTALLED_AT_PREMISES
        if needs_premises and item.address_key is None:
            self.missing.append(
                f"item {item.item_id}: {item.service_type} needs an installation address "
                "(product.place with role installationAddress)"
            )
            return
        local_kind = {"fixedVoice": NumberKind.FIXED, "phs": NumberKind.PHS}.get(item.service_type)
        if (needs_premises or local_kind is not None) and item.area_code is None:
            self.missing.append(
                f"item {item.item_id}: give the city of the installation address or the "
                "areaCode characteristic"
            )
            return
        if local_kind is not None:
            assert item.area_code is not None
            if not offers_network(
                self.session, self.customer.province or "", local_kind, item.area_code
            ):
                network = "PHS (小灵通)" if local_kind is NumberKind.PHS else "fixed-line"
                raise Unprocessable(
                    f"item {item.item_id}: {network} service is not offered in local network "
                    f"{item.area_code}",
                    code="INELIGIBLE_ADDRESS",
                )

    def _existing(
        self, raw: Mapping[str, Any], item_id: str, action: str, product_ref: Mapping[str, Any]
    ) -> CapturedItem:
        product_id = product_ref.get("id")
        if not product_id:
            raise BadRequest(f"item {item_id}: '{action}' needs product.id of an existing product")
        product = self.session.get(Product, str(product_id))
        if product is None or not self.principal.can_see(product.province):
            raise Unprocessable(
                f"item {item_id}: product {product_id!r} does not exist", code="UNKNOWN_PRODUCT"
            )
        if product.customer_id != self.customer.id:
            raise Unprocessable(
                f"item {item_id}: product {product_id} belongs to another customer",
                code="PRODUCT_NOT_OWNED",
            )
        allowed = REQUIRED_STATUS[action]
        if action == "suspend":
            barring = barring_of(raw)
            if barring is not None and barring not in BARRING_LEVELS:
                raise BadRequest(
                    f"item {item_id}: barring must be one of {', '.join(sorted(BARRING_LEVELS))}"
                )
            if barring == "full":  # 双停 may follow 单停 on a line already suspended
                allowed = allowed | {"suspended"}
        if product.status not in allowed:
            raise Unprocessable(
                f"item {item_id}: product {product_id} is {product.status}; '{action}' needs it "
                f"to be {' or '.join(sorted(allowed))}",
                code="INVALID_PRODUCT_STATE",
            )
        busy = repository.busy_order_for(self.session, product.id, self.order_id)
        if busy is not None:
            raise Conflict(
                f"item {item_id}: product {product_id} is being changed by order {busy}",
                code="PRODUCT_BUSY",
            )
        captured = CapturedItem(
            item_id=item_id, action=action, service_type=product.service_type, product=product
        )
        if action == "modify":
            if product.service_type == "bundle":
                raise Unprocessable(
                    f"item {item_id}: a bundle is changed by ceasing it and ordering the new one",
                    code="UNSUPPORTED_CHANGE",
                )
            if raw.get("productOffering") is None:
                raise Unprocessable(
                    f"item {item_id}: 'modify' needs the new productOffering", code="INVALID_CHANGE"
                )
            offering = sellable_offering(
                self.session, self.principal, raw["productOffering"], self.order_date
            )
            specification = specification_of(self.session, offering)
            if (
                offering.is_bundle
                or specification is None
                or specification.service_type != product.service_type
            ):
                raise Unprocessable(
                    f"item {item_id}: the new offering must be a {product.service_type} offering",
                    code="INVALID_CHANGE",
                )
            if offering.id == product.product_offering_id:
                raise Unprocessable(
                    f"item {item_id}: the product already has this offering", code="INVALID_CHANGE"
                )
            captured.offering = offering
            captured.specification = specification
            captured.charges = charges_of(self.session, offering, self.order_date, in_bundle=False)
        if product.service_type == "bundle":
            # Suspending, resuming or ceasing a bundle acts on every member.
            for n, member in enumerate(inventory.children_of(self.session, product.id), start=1):
                if member.status in allowed:
                    captured.children.append(
                        CapturedItem(
                            item_id=f"{item_id}.{n}",
                            action=action,
                            service_type=member.service_type,
                            parent_item_id=item_id,
                            product=member,
                        )
                    )
        return captured


def _check_premises_rules(session: Session, capture: Capture) -> None:
    """Broadband needs a fixed line at the same premises (ordered now or in service), and an
    installation address carries one broadband access at most."""
    leaves = [leaf for item in capture.items for leaf in item.leaves() if leaf.action == "add"]
    province = capture.customer.province
    ordered_lines = {leaf.address_key for leaf in leaves if leaf.service_type == "fixedVoice"}
    broadband_seen: set[str] = set()
    for leaf in leaves:
        if leaf.service_type != "broadband" or leaf.address_key is None:
            continue
        key = leaf.address_key
        if key in broadband_seen or inventory.live_at_address(
            session, province, key, ["broadband"]
        ):
            raise Unprocessable(
                f"item {leaf.item_id}: the installation address already has a broadband access",
                code="ADDRESS_HAS_BROADBAND",
            )
        broadband_seen.add(key)
        if key in ordered_lines:
            continue
        lines = inventory.live_at_address(session, province, key, ["fixedVoice"])
        if not any(line.customer_id == capture.customer.id for line in lines):
            raise Unprocessable(
                f"item {leaf.item_id}: ADSL broadband needs a fixed line of the customer at the "
                "same address; order one with it",
                code="PREREQUISITE_MISSING",
            )


def capture(
    session: Session,
    principal: Principal,
    doc: Mapping[str, Any],
    order_id: str | None,
    order_date: datetime,
) -> Capture:
    """Validate a submitted order (see the module docstring)."""
    parties = doc.get("relatedParty") or []
    if not isinstance(parties, list) or not all(isinstance(p, Mapping) for p in parties):
        raise BadRequest("'relatedParty' must be a list of party references")
    customer = resolve_customer(session, principal, parties)
    if customer.status == "closed":
        raise Unprocessable(f"customer {customer.id} is closed", code="CUSTOMER_NOT_BUYING")
    seller = resolve_seller(parties)
    channel = resolve_channel(doc.get("channel"))
    missing: list[str] = []
    account = resolve_billing_account(
        session, principal, customer, doc.get("billingAccount"), missing
    )
    raw_items = doc.get("productOrderItem")
    if not isinstance(raw_items, list) or not raw_items:
        raise BadRequest("'productOrderItem' must be a non-empty list")
    walker = _Walker(session, principal, customer, order_id, order_date)
    items = [item for raw in raw_items if (item := walker.item(raw, None, [])) is not None]
    result = Capture(
        customer=customer,
        billing_account=account,
        channel=channel,
        seller=seller,
        items=items,
        missing=missing + walker.missing,
    )
    _check_premises_rules(session, result)
    touched = [i.product.id for i in result.all_items() if i.product is not None]
    if len(touched) != len(set(touched)):
        raise Unprocessable("one order acts on the same product twice", code="INVALID_CHANGE")
    return result
