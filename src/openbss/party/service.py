"""Party management (TMF632): individuals and organizations with Chinese identifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from sqlalchemy.orm import Session

from openbss.kit.errors import Conflict, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON
from openbss.party.identity import normalise_identifier, resident_id_problem, uscc_problem
from openbss.party.models import Individual, Organization
from openbss.party.schemas import IndividualSchema, OrganizationSchema
from openbss.resources.service import ResourceService
from openbss.resources.validation import check_contact_media, check_period, check_transition

API = "party"
API_PATH = "/tmf-api/party/v4"
PARTY_WRITERS = frozenset({Role.CSR, Role.ADMIN})
PARTY_READERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN})

# Identification types that carry a checksum we verify.
RESIDENT_ID_TYPES = frozenset({"ResidentIdentityCard", "身份证", "居民身份证", "nationalId"})
CREDIT_CODE_TYPES = frozenset({"UnifiedSocialCreditCode", "统一社会信用代码", "USCC"})

PARTY_STATES: dict[str | None, frozenset[str]] = {
    None: frozenset({"initialized", "validated"}),
    "initialized": frozenset({"validated", "closed", "deceased"}),
    "validated": frozenset({"initialized", "closed", "deceased"}),
    "closed": frozenset({"validated"}),
    "deceased": frozenset(),
}


@dataclass(frozen=True, slots=True)
class IdentityRule:
    """A checksummed national identifier that registers a party once per province."""

    attribute: str  # "individualIdentification" or "organizationIdentification"
    types: frozenset[str]  # identificationType values that carry this identifier
    column: str  # the typed column holding it, unique per province
    problem: Callable[[str], str | None]
    invalid_code: str
    duplicate_code: str
    duplicate_message: str

    def value_in(self, doc: JSON) -> str | None:
        return next(
            (
                i["identificationId"]
                for i in doc.get(self.attribute) or []
                if i.get("identificationType") in self.types
            ),
            None,
        )


RESIDENT_ID = IdentityRule(
    "individualIdentification",
    RESIDENT_ID_TYPES,
    "resident_id_number",
    resident_id_problem,
    "INVALID_RESIDENT_ID",
    "DUPLICATE_RESIDENT_ID",
    "an individual with this resident identity number is already registered",
)
CREDIT_CODE = IdentityRule(
    "organizationIdentification",
    CREDIT_CODE_TYPES,
    "credit_code",
    uscc_problem,
    "INVALID_CREDIT_CODE",
    "DUPLICATE_CREDIT_CODE",
    "an organization with this unified social credit code is already registered",
)

P = TypeVar("P", bound=Individual | Organization)


class PartyService(ResourceService[P]):
    """What individuals and organizations share: status lifecycle, contacts, identifier."""

    api = API
    api_path = API_PATH
    read_roles = PARTY_READERS
    write_roles = PARTY_WRITERS
    state_attribute: ClassVar[str | None] = "status"
    identity: ClassVar[IdentityRule]

    def defaults(self, doc: JSON) -> JSON:
        doc.setdefault("status", "initialized")
        return doc

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: P | None
    ) -> JSON:
        self.check_schema(doc)
        check_transition(
            self.resource_type.lower(),
            "status",
            existing.status if existing else None,
            doc.get("status"),
            PARTY_STATES,
        )
        check_contact_media(doc.get("contactMedium"))
        check_period(doc.get("validFor"))
        rule = self.identity
        for identification in doc.get(rule.attribute) or []:
            if identification.get("identificationType") in rule.types:
                raw = identification.get("identificationId")
                if not isinstance(raw, str):
                    raise Unprocessable("identificationId must be a string", code=rule.invalid_code)
                number = normalise_identifier(raw)
                problem = rule.problem(number)
                if problem:
                    raise Unprocessable(problem, code=rule.invalid_code)
                identification["identificationId"] = number
        value = rule.value_in(doc)
        if value is not None:
            province = existing.province if existing else principal.province
            lookup = {rule.column: value, "province": province}
            for other in self.repo.find_by(session, principal, **lookup):
                if existing is None or other.id != existing.id:
                    raise Conflict(rule.duplicate_message, code=rule.duplicate_code)
        return doc

    def apply_columns(self, row: P, doc: JSON) -> None:
        super().apply_columns(row, doc)
        setattr(row, self.identity.column, self.identity.value_in(doc))


class IndividualService(PartyService[Individual]):
    model = Individual
    path = "individual"
    resource_type = "Individual"
    schema = IndividualSchema
    identity = RESIDENT_ID


class OrganizationService(PartyService[Organization]):
    model = Organization
    path = "organization"
    resource_type = "Organization"
    schema = OrganizationSchema
    read_roles = PARTY_READERS | {Role.PARTNER}
    identity = CREDIT_CODE


individuals = IndividualService()
organizations = OrganizationService()


def find_party(
    session: Session, principal: Principal, party_id: str
) -> Individual | Organization | None:
    """An individual or organization visible to the caller, for references from other domains."""
    return individuals.repo.get(session, principal, party_id) or organizations.repo.get(
        session, principal, party_id
    )


def parties_with_identity_number(
    session: Session, principal: Principal, number: str
) -> list[Individual | Organization]:
    """The individuals with this 身份证 number and the organizations with this 统一社会信用代码
    that the caller may see (one per province at most: a unique key)."""
    found: list[Individual | Organization] = []
    found += individuals.repo.find_by(session, principal, resident_id_number=number)
    found += organizations.repo.find_by(session, principal, credit_code=number)
    return found
