"""What the four account kinds share: lifecycle, money in fen, parties and the hierarchy.

Rules (each refusal writes nothing):

- ``state`` follows :data:`ACCOUNT_STATES` (unknown 422, not allowed 409); new accounts are
  ``active`` unless created ``created`` (e.g. awaiting a credit check); ``closed`` is final,
  and an account cannot close while it has children that are not closed (409);
- money (``creditLimit``, ``accountBalance[].amount``, ``paymentPlan[].totalAmount``) is CNY
  with at most 2 decimals, stored as integer fen and rewritten in canonical form; a credit
  limit, a deposit or a plan total cannot be negative (a balance can: arrears);
- the hierarchy is declared on the child only, by one ``accountRelationship`` of type
  ``parent`` or ``consolidatedBilling`` (the parent also pays the child's bills: 集团统付)
  naming an account of the same kind and province; ``child`` entries are refused because a
  second copy of the link on the parent could disagree with the child's. Unknown parents are
  422, loops (A→B→A) 422, a closed parent 409, deleting an account with children 409;
- ``lastModified`` is stamped by the server.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from sqlalchemy.orm import Session

from openbss.account import repository
from openbss.account.calculations import (
    CHILD,
    CONSOLIDATED,
    HIERARCHY_TYPES,
    MAX_FEN,
    PARENT,
    makes_cycle,
    money_to_fen,
)
from openbss.account.models import AccountColumns
from openbss.account.service.references import check_parties, unknown
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, Unprocessable
from openbss.kit.money import CURRENCY, tmf_money_from_fen
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, format_datetime
from openbss.resources.service import ResourceService
from openbss.resources.validation import check_contact_media, check_period, check_transition

API = "accountManagement"
API_PATH = "/tmf-api/accountManagement/v4"

READERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN})
BILLING_WRITERS = READERS
FINANCE_WRITERS = frozenset({Role.FINANCE, Role.ADMIN})

ACCOUNT_STATES: dict[str | None, frozenset[str]] = {
    None: frozenset({"created", "active"}),
    "created": frozenset({"active", "closed"}),
    "active": frozenset({"suspended", "closed"}),
    "suspended": frozenset({"active", "closed"}),
    "closed": frozenset(),
}
CLOSED = "closed"
DEPOSIT = "deposit"

A = TypeVar("A", bound=AccountColumns)


def hierarchy(doc: JSON) -> tuple[str | None, bool]:
    """``(parent id, consolidated billing)`` from a validated document."""
    for relationship in doc.get("accountRelationship") or []:
        if relationship["relationshipType"] in HIERARCHY_TYPES:
            return relationship["account"]["id"], relationship["relationshipType"] == CONSOLIDATED
    return None, False


def _normalise_relationship_types(doc: JSON) -> list[dict[str, Any]]:
    """Canonical spelling of the hierarchy types; the hierarchy entries, at most one."""
    canonical = {PARENT.lower(): PARENT, CONSOLIDATED.lower(): CONSOLIDATED}
    found = []
    for relationship in doc.get("accountRelationship") or []:
        kind = relationship["relationshipType"].strip()
        if kind.lower() == CHILD:
            raise Unprocessable(
                "declare the hierarchy on the child account, with relationshipType 'parent' or "
                "'consolidatedBilling' naming its parent; 'child' entries are not stored",
                code="CHILD_RELATIONSHIP_NOT_SUPPORTED",
            )
        if kind.lower() in canonical:
            relationship["relationshipType"] = canonical[kind.lower()]
            found.append(relationship)
    if len(found) > 1:
        raise Unprocessable("an account has at most one parent", code="MULTIPLE_PARENTS")
    return found


def deposit_fen(doc: JSON) -> int:
    return sum(
        money_to_fen(balance["amount"], "accountBalance.amount")
        for balance in doc.get("accountBalance") or []
        if balance["balanceType"].strip().lower() == DEPOSIT
    )


def _check_money(doc: JSON) -> None:
    """Validate every amount and rewrite it canonically (``{"unit": "CNY", "value": ...}``)."""
    if doc.get("creditLimit") is not None:
        doc["creditLimit"] = tmf_money_from_fen(money_to_fen(doc["creditLimit"], "creditLimit"))
    for i, balance in enumerate(doc.get("accountBalance") or []):
        is_deposit = balance["balanceType"].strip().lower() == DEPOSIT
        fen = money_to_fen(
            balance["amount"], f"accountBalance[{i}].amount", allow_negative=not is_deposit
        )
        balance["amount"] = tmf_money_from_fen(fen)
        check_period(balance.get("validFor"), f"accountBalance[{i}].validFor")
    if deposit_fen(doc) > MAX_FEN:
        raise Unprocessable("the deposits of one account add up to too much", code="INVALID_AMOUNT")
    for i, plan in enumerate(doc.get("paymentPlan") or []):
        if plan.get("totalAmount") is not None:
            fen = money_to_fen(plan["totalAmount"], f"paymentPlan[{i}].totalAmount")
            plan["totalAmount"] = tmf_money_from_fen(fen)
        check_period(plan.get("validFor"), f"paymentPlan[{i}].validFor")


class AccountService(ResourceService[A]):
    """Base of the billing, party, settlement and financial account services."""

    api = API
    api_path = API_PATH
    read_roles = READERS
    state_attribute: ClassVar[str | None] = "state"
    server_attributes: ClassVar[frozenset[str]] = frozenset({"lastModified"})
    organization_required: ClassVar[bool] = False

    # ----- hooks ---------------------------------------------------------------------------
    def defaults(self, doc: JSON) -> JSON:
        doc.setdefault("state", "active")
        return doc

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: A | None
    ) -> JSON:
        self.check_schema(doc)
        province = existing.province if existing is not None else principal.province
        old_state = existing.state if existing is not None else None
        check_transition(self.path, "state", old_state, doc.get("state"), ACCOUNT_STATES)
        if existing is not None and doc.get("state") == CLOSED != old_state:
            self._check_children_closed(session, existing)
        check_parties(
            session, principal, doc, province, organization_required=self.organization_required
        )
        _check_money(doc)
        for contact in doc.get("contact") or []:
            check_contact_media(contact.get("contactMedium"))
            check_period(contact.get("validFor"), "contact.validFor")
        for exemption in doc.get("taxExemption") or []:
            check_period(exemption.get("validFor"), "taxExemption.validFor")
        self._check_relationships(session, doc, existing, province)
        self.validate_more(session, principal, doc, existing, province)
        doc["lastModified"] = format_datetime(now())
        return doc

    def validate_more(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: A | None,
        province: str | None,
    ) -> None:
        """Rules of one account kind, after the shared ones."""

    def apply_columns(self, row: A, doc: JSON) -> None:
        super().apply_columns(row, doc)
        parties = doc.get("relatedParty") or []
        row.owner_party_id = parties[0]["id"] if parties else None
        parent, consolidated = hierarchy(doc)
        row.parent_account_id = parent  # type: ignore[attr-defined]
        row.consolidated_billing = consolidated
        row.currency = CURRENCY
        limit = doc.get("creditLimit")
        row.credit_limit_amount = money_to_fen(limit, "creditLimit") if limit else None
        row.deposit_amount = deposit_fen(doc)

    def before_delete(self, session: Session, principal: Principal, row: A) -> None:
        if repository.children(session, self.model, row.id):
            raise Conflict(
                f"{self.resource_type} {row.id!r} still has child accounts; move or delete them "
                "first",
                code="ACCOUNT_HAS_CHILDREN",
            )

    # ----- hierarchy -----------------------------------------------------------------------
    def _check_children_closed(self, session: Session, row: A) -> None:
        open_children = [
            child
            for child, state in repository.children(session, self.model, row.id)
            if state != CLOSED
        ]
        if open_children:
            raise Conflict(
                f"{self.resource_type} {row.id!r} cannot close while child accounts "
                f"{', '.join(sorted(open_children))} are open",
                code="ACCOUNT_HAS_CHILDREN",
            )

    def _check_relationships(
        self, session: Session, doc: JSON, existing: A | None, province: str | None
    ) -> None:
        hierarchy_entries = _normalise_relationship_types(doc)
        for relationship in doc.get("accountRelationship") or []:
            check_period(relationship.get("validFor"), "accountRelationship.validFor")
            ref = relationship["account"]
            referred = ref.get("@referredType")
            if referred not in (None, self.resource_type):
                raise Unprocessable(
                    f"accountRelationship: a {self.resource_type} relates only to another "
                    f"{self.resource_type}, not {referred!r}",
                    code="REFERRED_TYPE_MISMATCH",
                )
            other = repository.visible_row(session, self.model, ref["id"], province)
            if other is None:
                raise unknown(self.resource_type, ref["id"])
            ref["@referredType"] = self.resource_type
            if not ref.get("name") and other.name:
                ref["name"] = other.name
        if hierarchy_entries:
            self._check_parent(session, hierarchy_entries[0]["account"]["id"], existing)

    def _check_parent(self, session: Session, parent_id: str, existing: A | None) -> None:
        old_parent = getattr(existing, "parent_account_id", None)
        if parent_id == old_parent:
            return
        child_id = existing.id if existing is not None else None
        if parent_id == child_id:
            raise Unprocessable("an account cannot be its own parent", code="ACCOUNT_CYCLE")
        parent = session.get(self.model, parent_id)
        if parent is not None and parent.state == CLOSED:
            raise Conflict(
                f"{self.resource_type} {parent_id!r} is closed and cannot take child accounts",
                code="PARENT_CLOSED",
            )
        if child_id is None:
            return  # a new account has no children, so it cannot close a loop
        # Lock the child, then each ancestor, so a concurrent re-parenting waits for us.
        repository.parent_of(session, self.model, child_id, lock=True)
        if makes_cycle(
            child_id,
            parent_id,
            lambda account: repository.parent_of(session, self.model, account, lock=True),
        ):
            raise Unprocessable(
                f"making {parent_id!r} the parent of {child_id!r} would create a loop in the "
                "account hierarchy",
                code="ACCOUNT_CYCLE",
            )
