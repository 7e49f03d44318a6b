"""Party management (TMF632): individuals and organizations with Chinese identifications."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from openbss.kit.errors import Conflict, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON
from openbss.party.identity import resident_id_problem, uscc_problem
from openbss.party.models import Individual, Organization
from openbss.party.schemas import IndividualSchema, OrganizationSchema
from openbss.resources.service import ResourceService
from openbss.resources.validation import check_contact_media, check_transition

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


class IndividualService(ResourceService[Individual]):
    model = Individual
    api = API
    api_path = API_PATH
    path = "individual"
    resource_type = "Individual"
    schema = IndividualSchema
    read_roles = PARTY_READERS
    write_roles = PARTY_WRITERS
    state_attribute: ClassVar[str | None] = "status"

    def defaults(self, doc: JSON) -> JSON:
        doc.setdefault("status", "initialized")
        return doc

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: Individual | None
    ) -> JSON:
        self.check_schema(doc)
        check_transition(
            "individual",
            "status",
            existing.status if existing else None,
            doc.get("status"),
            PARTY_STATES,
        )
        check_contact_media(doc.get("contactMedium"))
        number = None
        for identification in doc.get("individualIdentification") or []:
            if identification.get("identificationType") in RESIDENT_ID_TYPES:
                value = identification["identificationId"].strip().upper()
                problem = resident_id_problem(value)
                if problem:
                    raise Unprocessable(problem, code="INVALID_RESIDENT_ID")
                identification["identificationId"] = value
                number = value
        if number is not None:
            province = existing.province if existing else principal.province
            for other in self.repo.find_by(
                session, principal, resident_id_number=number, province=province
            ):
                if existing is None or other.id != existing.id:
                    raise Conflict(
                        "an individual with this resident identity number is already registered",
                        code="DUPLICATE_RESIDENT_ID",
                    )
        return doc

    def apply_columns(self, row: Individual, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.resident_id_number = next(
            (
                i["identificationId"]
                for i in doc.get("individualIdentification") or []
                if i.get("identificationType") in RESIDENT_ID_TYPES
            ),
            None,
        )


class OrganizationService(ResourceService[Organization]):
    model = Organization
    api = API
    api_path = API_PATH
    path = "organization"
    resource_type = "Organization"
    schema = OrganizationSchema
    read_roles = PARTY_READERS | {Role.PARTNER}
    write_roles = PARTY_WRITERS
    state_attribute: ClassVar[str | None] = "status"

    def defaults(self, doc: JSON) -> JSON:
        doc.setdefault("status", "initialized")
        return doc

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: Organization | None
    ) -> JSON:
        self.check_schema(doc)
        check_transition(
            "organization",
            "status",
            existing.status if existing else None,
            doc.get("status"),
            PARTY_STATES,
        )
        check_contact_media(doc.get("contactMedium"))
        code = None
        for identification in doc.get("organizationIdentification") or []:
            if identification.get("identificationType") in CREDIT_CODE_TYPES:
                value = identification["identificationId"].strip().upper()
                problem = uscc_problem(value)
                if problem:
                    raise Unprocessable(problem, code="INVALID_CREDIT_CODE")
                identification["identificationId"] = value
                code = value
        if code is not None:
            province = existing.province if existing else principal.province
            for other in self.repo.find_by(session, principal, credit_code=code, province=province):
                if existing is None or other.id != existing.id:
                    raise Conflict(
                        "an organization with this unified social credit code is already "
                        "registered",
                        code="DUPLICATE_CREDIT_CODE",
                    )
        return doc

    def apply_columns(self, row: Organization, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.credit_code = next(
            (
                i["identificationId"]
                for i in doc.get("organizationIdentification") or []
                if i.get("identificationType") in CREDIT_CODE_TYPES
            ),
            None,
        )


individuals = IndividualService()
organizations = OrganizationService()


def find_party(
    session: Session, principal: Principal, party_id: str
) -> Individual | Organization | None:
    """An individual or organization visible to the caller, for references from other domains."""
    return individuals.repo.get(session, principal, party_id) or organizations.repo.get(
        session, principal, party_id
    )
