"""Selling at the counter, as calls on the domains' public faces (no FastAPI here).

A sale is a TMF622 product order built from the form, checked by ordering's own capture
(:func:`openbss.ordering.public.check_product_order`: customer status, the account, the
offering on sale, the local network, the premises rules) before it is shown for
confirmation, and submitted through :func:`openbss.ordering.public.submit_product_order`
exactly as ``POST /productOrder`` does. The form's ``externalId`` (drawn when the form is
first shown) makes a second submission of the same sale answer the order already placed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from openbss.account.public import BillingAccount, billing_accounts_of_party
from openbss.catalog.public import SELLABLE, ProductOffering, get_specification
from openbss.catalog.service import product_offerings
from openbss.customer.public import Customer, customers
from openbss.kit.clock import now
from openbss.kit.errors import OpenBSSError
from openbss.kit.ids import new_id
from openbss.kit.pagination import PageRequest
from openbss.kit.security import Principal
from openbss.numbering.public import NumberKind, normalise_number, offers_network
from openbss.numbering.service import NumberInfo, find_number, search
from openbss.ordering.capture import charges_of
from openbss.ordering.public import (
    CHANNELS,
    Capture,
    by_external_id,
    check_product_order,
    submit_product_order,
)
from openbss.ordering.public import ProductOrder as Order
from openbss.portal.core.forms import FORM_ERROR, errors_from
from openbss.refdata.numbering import LOCAL_NETWORKS, LocalNetwork

MAX_TEXT = 128  # street, pattern: longer is refused as a field error
NUMBER_CHOICES = 20
KIND_OF_SERVICE = {"fixedVoice": NumberKind.FIXED, "phs": NumberKind.PHS}
PREMISES_SERVICES = frozenset({"fixedVoice", "broadband"})
EXTERNAL_PREFIX = "portal:"

# Which form field an ordering refusal belongs to (its stable code → field name).
FIELD_OF_CODE: dict[str, str] = {
    "UNKNOWN_ACCOUNT": "account",
    "ACCOUNT_NOT_OWNED": "account",
    "ACCOUNT_CLOSED": "account",
    "UNKNOWN_OFFERING": "offering",
    "OFFERING_NOT_SELLABLE": "offering",
    "INELIGIBLE_ADDRESS": "city",
    "PREREQUISITE_MISSING": "street",
    "ADDRESS_HAS_BROADBAND": "street",
    "UNKNOWN_CHANNEL": "channel",
    "NUMBER_UNAVAILABLE": "number",
    "UNKNOWN_NUMBER": "number",
    "NO_FREE_NUMBER": "number",
    "GOLDEN_NUMBER_NOT_ALLOWED": "number",
    "INVALID_NUMBER_REQUEST": "number",
}

# Refusals shown as their own page (not allowed, not found), not as a field error.
PASSED_ON = frozenset({401, 403, 404})


@dataclass(frozen=True, slots=True)
class OfferingChoice:
    """An offering as the sale form lists it."""

    id: str
    name: str
    is_bundle: bool
    service_types: tuple[str, ...]  # the leaves' service types (a bundle's members')
    monthly_fen: int
    one_time_fen: int
    members: tuple[tuple[str, str], ...] = ()  # (offering id, service type) of a bundle

    @property
    def number_kind(self) -> NumberKind | None:
        for service_type in self.service_types:
            if service_type in KIND_OF_SERVICE:
                return KIND_OF_SERVICE[service_type]
        return None

    @property
    def needs_address(self) -> bool:
        return bool(PREMISES_SERVICES & set(self.service_types)) or self.number_kind is not None


@dataclass(frozen=True, slots=True)
class SaleForm:
    """What the CSR filled in; every value is the raw text of the form."""

    customer: str = ""
    account: str = ""
    offering: str = ""
    city: str = ""
    street: str = ""
    number: str = ""
    pattern: str = ""
    channel: str = "retailHall"
    external_id: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> SaleForm:
        names = cls.__dataclass_fields__
        picked = {k: str(v).strip() for k, v in values.items() if k in names and v is not None}
        form = cls(**picked)
        if not form.external_id:
            form = replace(form, external_id=EXTERNAL_PREFIX + new_id())
        return form


@dataclass
class SaleCheck:
    """The outcome of checking a sale: errors per field (``FORM_ERROR`` for the whole form),
    and what the order would be when there are none."""

    errors: dict[str, str] = field(default_factory=dict)
    capture: Capture | None = None
    number: NumberInfo | None = None
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.capture is not None


@dataclass(frozen=True, slots=True)
class SaleContext:
    """What the form offers for one customer."""

    customer: Customer
    accounts: Sequence[BillingAccount]
    offerings: Sequence[OfferingChoice]
    networks: Sequence[LocalNetwork]
    channels: Mapping[str, str]


# ----- reading what can be sold ---------------------------------------------------------------


def _choice(
    session: Session, offering: ProductOffering, members: list[ProductOffering]
) -> OfferingChoice:
    at = now()
    charges = charges_of(session, offering, at, in_bundle=False)
    for member in members:
        charges += charges_of(session, member, at, in_bundle=True)
    leaves = members or [offering]
    types = []
    member_types = []
    for leaf in leaves:
        spec = (
            get_specification(session, leaf.product_specification_id)
            if leaf.product_specification_id
            else None
        )
        service_type = spec.service_type if spec is not None and spec.service_type else ""
        types.append(service_type)
        member_types.append((leaf.id, service_type))
    return OfferingChoice(
        id=offering.id,
        name=offering.name or offering.id,
        is_bundle=bool(offering.is_bundle),
        service_types=tuple(types),
        monthly_fen=sum(c.amount_fen for c in charges if c.price_type == "recurring"),
        one_time_fen=sum(c.amount_fen for c in charges if c.price_type == "oneTime"),
        members=tuple(member_types) if members else (),
    )


def sellable_offerings(session: Session, principal: Principal) -> list[OfferingChoice]:
    """The offerings on sale to the caller's province, bundles first, then by name."""
    page = product_offerings.list(
        session, principal, {"lifecycleStatus": sorted(SELLABLE)}, PageRequest(0, 500)
    )
    by_id = {o.id: o for o in page.items}
    choices = []
    for offering in page.items:
        if offering.doc.get("isSellable") is False:
            continue
        refs = offering.doc.get("bundledProductOffering") or []
        members = [by_id[str(r.get("id"))] for r in refs if str(r.get("id")) in by_id]
        if offering.is_bundle and len(members) != len(refs):
            continue  # a member is not on sale: neither is the bundle
        choice = _choice(session, offering, members)
        if all(choice.service_types):
            choices.append(choice)
    return sorted(choices, key=lambda c: (not c.is_bundle, c.name))


def sale_context(session: Session, principal: Principal, customer_id: str) -> SaleContext:
    """The customer (404 when another province's) and what may be sold to them."""
    customer = customers.get(session, principal, customer_id)
    accounts = [
        a
        for a in billing_accounts_of_party(session, customer.engaged_party_id, customer.province)
        if a.state != "closed"
    ]
    province = customer.province or ""
    networks = [
        n
        for n in LOCAL_NETWORKS
        if offers_network(session, province, NumberKind.FIXED, n.area_code)
        or offers_network(session, province, NumberKind.PHS, n.area_code)
    ]
    return SaleContext(
        customer=customer,
        accounts=accounts,
        offerings=sellable_offerings(session, principal),
        networks=networks,
        channels=CHANNELS,
    )


def area_code_of(context: SaleContext, city: str) -> str | None:
    return next((n.area_code for n in context.networks if n.area_code == city), None)


def number_choices(
    session: Session,
    principal: Principal,
    kind: NumberKind,
    area_code: str,
    pattern: str = "",
) -> list[NumberInfo]:
    """Free numbers of the local network to choose from (选号), golden ones with their fee.
    A pattern that is not digits (``?`` one digit, ``*`` any) is the caller's error."""
    return search(
        session,
        principal,
        kind=kind,
        area_code=area_code,
        pattern=pattern or None,
        limit=NUMBER_CHOICES,
    )


# ----- checking and submitting ------------------------------------------------------------


def _offering(context: SaleContext, offering_id: str) -> OfferingChoice | None:
    return next((o for o in context.offerings if o.id == offering_id), None)


def _field_errors(form: SaleForm, context: SaleContext) -> dict[str, str]:
    """What the form itself lacks, before any domain is asked (msgids)."""
    errors: dict[str, str] = {}
    if not any(a.id == form.account for a in context.accounts):
        errors["account"] = "Choose the billing account to charge."
    offering = _offering(context, form.offering)
    if offering is None:
        errors["offering"] = "Choose an offering on sale."
    if form.channel not in context.channels:
        errors["channel"] = "Choose a sales channel."
    if len(form.street) > MAX_TEXT:
        errors["street"] = "At most 128 characters."
    if offering is not None and offering.needs_address:
        if area_code_of(context, form.city) is None:
            errors["city"] = "Choose the local network of the installation address."
        if not form.street:
            errors["street"] = "Give the installation address."
    if form.number and not form.number.replace("+", "", 1).isdigit():
        errors["number"] = "A telephone number is digits only."
    if not form.external_id.startswith(EXTERNAL_PREFIX) or len(form.external_id) > 64:
        errors[FORM_ERROR] = "The form has expired; open it again."
    return errors


def order_body(form: SaleForm, context: SaleContext, offering: OfferingChoice) -> dict[str, Any]:
    """The TMF622 body of the sale: one item, a bundle's members spelled out so that only
    the line carries the chosen number."""
    network = next((n for n in context.networks if n.area_code == form.city), None)
    place = (
        [
            {
                "role": "installationAddress",
                "@type": "GeographicAddress",
                "city": network.city_zh,
                "street1": form.street,
            }
        ]
        if network is not None and offering.needs_address
        else []
    )

    def product(service_type: str) -> dict[str, Any]:
        characteristics = []
        if network is not None and service_type in KIND_OF_SERVICE:
            characteristics.append(
                {"name": "areaCode", "valueType": "string", "value": network.area_code}
            )
            if form.number:
                characteristics.append(
                    {"name": "phoneNumber", "valueType": "string", "value": form.number}
                )
        return {"place": place, "productCharacteristic": characteristics}

    item: dict[str, Any] = {"id": "1", "action": "add", "productOffering": {"id": offering.id}}
    if offering.is_bundle:
        item["product"] = {"place": place}
        item["productOrderItem"] = [
            {
                "id": f"1.{n}",
                "action": "add",
                "productOffering": {"id": member_id},
                "product": product(service_type),
            }
            for n, (member_id, service_type) in enumerate(offering.members, start=1)
        ]
    else:
        item["product"] = product(offering.service_types[0])
    return {
        "externalId": form.external_id,
        "description": f"柜台受理 / Sold at the counter: {offering.name}",
        "channel": [{"id": form.channel, "role": "salesChannel"}],
        "relatedParty": [
            {"id": context.customer.id, "role": "customer", "@referredType": "Customer"}
        ],
        "billingAccount": {"id": form.account},
        "productOrderItem": [item],
    }


def check_sale(
    session: Session, principal: Principal, context: SaleContext, form: SaleForm, language: str
) -> SaleCheck:
    """Check the sale as ordering would, writing nothing."""
    result = SaleCheck(errors=_field_errors(form, context))
    offering = _offering(context, form.offering)
    if result.errors or offering is None:
        return result
    if form.number:
        try:
            info = find_number(session, principal, normalise_number(form.number))
        except OpenBSSError as exc:
            if exc.status in PASSED_ON:
                raise
            result.errors["number"] = "This number is not of the chosen local network."
            return result
        if info is None or not info.free:
            result.errors["number"] = "This number is not free; choose another."
            return result
        kind = offering.number_kind
        if kind is None or info.kind is not kind or info.area_code != form.city:
            result.errors["number"] = "This number is not of the chosen local network."
            return result
        result.number = info
    result.body = order_body(form, context, offering)
    try:
        captured = check_product_order(session, principal, result.body)
    except OpenBSSError as exc:
        if exc.status in PASSED_ON:
            raise
        result.errors.update(errors_from(exc, language, FIELD_OF_CODE))
        return result
    if captured.missing:
        result.errors[FORM_ERROR] = "; ".join(captured.missing)
        return result
    result.capture = captured
    return result


def submit_sale(
    session: Session, principal: Principal, context: SaleContext, form: SaleForm, language: str
) -> tuple[SaleCheck, Order | None]:
    """Check, then submit the order as the API does; the order, or the field errors."""
    offering = _offering(context, form.offering)
    placed = by_external_id(session, context.customer.province or "", form.external_id)
    if placed is not None and offering is not None:
        # The same form sent again: ordering answers the order it placed the first time
        # (or refuses a changed sale under the same key), whatever has changed since.
        checked = SaleCheck(body=order_body(form, context, offering))
    else:
        checked = check_sale(session, principal, context, form, language)
        if not checked.ok:
            return checked, None
    try:
        # A refusal half-way (a number taken a moment ago) leaves nothing written.
        with session.begin_nested():
            order, _ = submit_product_order(session, principal, checked.body)
    except OpenBSSError as exc:
        if exc.status in PASSED_ON:
            raise
        checked.errors.update(errors_from(exc, language, FIELD_OF_CODE))
        return checked, None
    return checked, order
