"""Customer management (TMF629): a party engaged as a customer of the operator in a province.

Rules beyond the generic resource machinery:

- ``engagedParty`` must name an individual or organization the caller can see (422
  ``UNKNOWN_REFERENCE``); its ``@referredType``, when given, must say which one it is (422
  ``REFERRED_TYPE_MISMATCH``) and is filled in when absent. It cannot be re-pointed later.
- one customer per engaged party per province (409 ``DUPLICATE_CUSTOMER``);
- ``status`` follows :data:`CUSTOMER_STATES`; moving to ``suspended`` or ``closed`` needs a
  ``statusReason`` given in the same request, and a status change without one drops the
  previous reason so that a stale explanation never describes the new status;
- the category (residential / business / government) travels as the characteristic
  ``customerCategory`` — a plain TMF characteristic, so generic TMF clients read and write it
  without a schema extension — and is mirrored in the typed ``category`` column;
- the credit class (信用度等级, A–D) is derived from the current ``creditProfile`` on every
  write (see calculations.py), kept in ``credit_class`` and shown as the server-maintained
  characteristic ``creditClass`` (a client-supplied value is replaced, never trusted);
- ``account``, ``contactMedium``, ``paymentMethod`` and ``agreement`` are kept as given
  (accounts live in their own domain, which this one does not import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from openbss.customer.calculations import (
    RISK_RATING_RANGE,
    SCORE_RANGE,
    credit_class,
)
from openbss.customer.models import Customer
from openbss.customer.schemas import CustomerSchema
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, Conflict, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, format_datetime
from openbss.party.public import Individual, Organization, find_party
from openbss.resources.service import ResourceService
from openbss.resources.validation import check_contact_media, check_period, check_transition

API = "customerManagement"
API_PATH = "/tmf-api/customerManagement/v4"
CUSTOMER_READERS = frozenset(
    {Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN}
)
CUSTOMER_WRITERS = frozenset({Role.CSR, Role.ADMIN})

# prospective: registered, not yet vetted; approved: vetted (identity, credit), no service
# yet; active: holds service; suspended: service barred (arrears, fraud, request); closed:
# the relationship has ended. A closed customer may be re-engaged, but only through the
# prospective state, because the one-customer-per-party rule means the old row is reused.
CUSTOMER_STATES: dict[str | None, frozenset[str]] = {
    None: frozenset({"prospective", "approved", "active"}),
    "prospective": frozenset({"approved", "active", "closed"}),
    "approved": frozenset({"active", "closed"}),
    "active": frozenset({"suspended", "closed"}),
    "suspended": frozenset({"active", "closed"}),
    "closed": frozenset({"prospective"}),
}
REASON_REQUIRED = frozenset({"suspended", "closed"})
# While a customer holds (or may resume) service, deleting it would orphan its products and
# bills: it must be closed first.
UNDELETABLE_STATES = frozenset({"active", "suspended"})

CATEGORY_CHARACTERISTIC = "customerCategory"
CREDIT_CLASS_CHARACTERISTIC = "creditClass"
# Which categories each kind of party may take; the first is the default. An individual may
# be a business customer (个体工商户, a sole trader); only organizations can be government.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Individual": ("residential", "business"),
    "Organization": ("business", "government"),
}
ALL_CATEGORIES = frozenset(c for allowed in CATEGORIES.values() for c in allowed)


def _party_type(party: Individual | Organization) -> str:
    return "Individual" if isinstance(party, Individual) else "Organization"


def _party_name(party: Individual | Organization) -> str:
    doc = party.doc
    if isinstance(party, Individual):
        # Chinese order: family name first, no space (张伟).
        full = doc.get("fullName") or f"{doc.get('familyName', '')}{doc.get('givenName', '')}"
        return str(full)
    return str(doc.get("name") or doc.get("tradingName") or party.id)


def _characteristic(doc: Mapping[str, Any], name: str) -> Any:
    for item in doc.get("characteristic") or []:
        if item.get("name") == name:
            return item.get("value")
    return None


def _set_characteristic(doc: JSON, name: str, value: str | None) -> None:
    """Replace (or, with None, remove) one named characteristic, keeping the others' order."""
    others = [c for c in doc.get("characteristic") or [] if c.get("name") != name]
    if value is not None:
        others.append({"name": name, "valueType": "string", "value": value})
    if others:
        doc["characteristic"] = others
    else:
        doc.pop("characteristic", None)


class CustomerService(ResourceService[Customer]):
    model = Customer
    api = API
    api_path = API_PATH
    path = "customer"
    resource_type = "Customer"
    schema = CustomerSchema
    read_roles = CUSTOMER_READERS
    write_roles = CUSTOMER_WRITERS
    state_attribute: ClassVar[str | None] = "status"

    def defaults(self, doc: JSON) -> JSON:
        doc.setdefault("status", "prospective")
        return doc

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> Customer:
        changes = dict(patch)
        if "status" in changes and "statusReason" not in changes:
            # Merge-patch null removes the old reason; validate() then insists on a new one
            # where the target status needs it. Harmless when the status does not change.
            current = self.repo.get(session, principal, resource_id)
            if current is not None and changes["status"] != current.status:
                changes["statusReason"] = None
        return super().patch(session, principal, resource_id, changes)

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: Customer | None
    ) -> JSON:
        self.check_schema(doc)
        party_type = self._check_engaged_party(session, principal, doc, existing)
        status = doc.get("status")
        if status is None:
            raise BadRequest("'status' cannot be removed from a customer", code="INVALID_BODY")
        check_transition(
            "customer", "status", existing.status if existing else None, status, CUSTOMER_STATES
        )
        if status in REASON_REQUIRED and not doc.get("statusReason"):
            raise Unprocessable(
                f"a customer becoming {status!r} needs a statusReason",
                code="STATUS_REASON_REQUIRED",
            )
        check_period(doc.get("validFor"))
        check_contact_media(doc.get("contactMedium"))
        self._check_category(doc, party_type, existing)
        self._check_credit_profiles(doc)
        _set_characteristic(
            doc, CREDIT_CLASS_CHARACTERISTIC, credit_class(doc.get("creditProfile"), now())
        )
        self._check_unique(session, principal, doc, existing)
        return doc

    def _check_engaged_party(
        self, session: Session, principal: Principal, doc: JSON, existing: Customer | None
    ) -> str:
        """Resolve ``engagedParty``; returns "Individual" or "Organization"."""
        reference: JSON = doc["engagedParty"]
        party_id: str = reference["id"]
        if existing is not None:
            if party_id != existing.engaged_party_id:
                raise BadRequest(
                    "'engagedParty' cannot be re-pointed to another party; "
                    "create a customer for that party instead",
                    code="READ_ONLY_ATTRIBUTE",
                )
            kind = existing.engaged_party_type
        else:
            party = find_party(session, principal, party_id)
            if party is None:
                raise Unprocessable(
                    f"engagedParty {party_id!r} is not an individual or organization known "
                    "in this province",
                    code="UNKNOWN_REFERENCE",
                )
            kind = _party_type(party)
            reference.setdefault("name", _party_name(party))
            if not doc.get("name"):
                doc["name"] = _party_name(party)
        referred = reference.get("@referredType")
        if referred is None:
            reference["@referredType"] = kind
        elif referred != kind:
            raise Unprocessable(
                f"engagedParty {party_id!r} is an {kind}, not {referred!r}",
                code="REFERRED_TYPE_MISMATCH",
            )
        if not doc.get("name"):
            # A PATCH setting name to null: the customer is named after its party again.
            doc["name"] = reference.get("name") or party_id
        return kind

    def _check_category(self, doc: JSON, party_type: str, existing: Customer | None) -> None:
        value = _characteristic(doc, CATEGORY_CHARACTERISTIC)
        allowed = CATEGORIES[party_type]
        if value is None:
            # A PATCH that rewrites the characteristic list without the category keeps the
            # customer's category rather than silently resetting it to the default.
            value = existing.category if existing is not None else allowed[0]
        if not isinstance(value, str) or value not in ALL_CATEGORIES:
            raise Unprocessable(
                f"customerCategory {value!r} is unknown; expected one of "
                f"{', '.join(sorted(ALL_CATEGORIES))}",
                code="UNKNOWN_CATEGORY",
            )
        if value not in allowed:
            raise Unprocessable(
                f"a customer engaging an {party_type} cannot be {value!r} "
                f"(allowed: {', '.join(allowed)})",
                code="CATEGORY_NOT_ALLOWED",
            )
        _set_characteristic(doc, CATEGORY_CHARACTERISTIC, value)

    def _check_credit_profiles(self, doc: JSON) -> None:
        for profile in doc.get("creditProfile") or []:
            check_period(profile.get("validFor"), "creditProfile.validFor")
            for attribute, (low, high) in (
                ("creditScore", SCORE_RANGE),
                ("creditRiskRating", RISK_RATING_RANGE),
            ):
                value = profile.get(attribute)
                if value is not None and not low <= value <= high:
                    raise Unprocessable(
                        f"creditProfile.{attribute} must be between {low} and {high}, got {value}",
                        code="INVALID_CREDIT_PROFILE",
                    )
            profile.setdefault("creditProfileDate", format_datetime(now()))

    def _check_unique(
        self, session: Session, principal: Principal, doc: JSON, existing: Customer | None
    ) -> None:
        if existing is not None:
            return  # the engaged party cannot change, so neither can the answer
        party_id = doc["engagedParty"]["id"]
        if customer_for_party(session, principal, party_id) is not None:
            raise Conflict(
                f"party {party_id!r} is already a customer in this province",
                code="DUPLICATE_CUSTOMER",
            )

    def apply_columns(self, row: Customer, doc: JSON) -> None:
        row.name = doc["name"]
        row.status = doc["status"]
        row.engaged_party_id = doc["engagedParty"]["id"]
        row.engaged_party_type = doc["engagedParty"]["@referredType"]
        row.category = _characteristic(doc, CATEGORY_CHARACTERISTIC)
        row.credit_class = _characteristic(doc, CREDIT_CLASS_CHARACTERISTIC)

    def before_delete(self, session: Session, principal: Principal, row: Customer) -> None:
        if row.status in UNDELETABLE_STATES:
            raise Conflict(
                f"customer {row.id!r} is {row.status}; close it before deleting it",
                code="CUSTOMER_IN_USE",
            )
        if row.doc.get("account"):
            raise Conflict(
                f"customer {row.id!r} still has accounts; remove them before deleting it",
                code="CUSTOMER_IN_USE",
            )


customers = CustomerService()


def customer_for_party(session: Session, principal: Principal, party_id: str) -> Customer | None:
    """The caller's province's customer engaging ``party_id`` (the seeder's idempotency key)."""
    found = customers.repo.find_by(
        session, principal, engaged_party_id=party_id, province=principal.province
    )
    return found[0] if found else None
