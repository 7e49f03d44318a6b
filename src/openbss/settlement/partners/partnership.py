"""TMF668 Partnership Management: partnership specifications (the kinds of partnership and the
roles their partners play) and partnerships.

The v4 API names the kind of partnership ``partnershipSpecification`` with a list of
``roleSpecification``; the older R18 API named it ``partnershipType`` with ``roleType``. Both
paths serve the same rows: a type written through the older path is stored as a specification
(``roleType`` becomes ``roleSpecification``) and rendered back in the older shape there.

The specifications openbss seeds name one role per partner kind (carrier, sp, cp, roaming,
agent, retail, province), matching the ``partnerKind`` characteristic of TMF669 party roles.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from openbss.kit.errors import Unprocessable
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON
from openbss.resources.service import ResourceService
from openbss.settlement.partners import repository
from openbss.settlement.partners.models import Partnership, PartnershipSpecification
from openbss.settlement.partners.schemas import (
    PartnershipSchema,
    PartnershipSpecificationSchema,
    PartnershipTypeSchema,
)
from openbss.settlement.partners.service import PARTNER_READERS, PARTNER_WRITERS

API = "partnership"
API_PATH = "/tmf-api/partnershipManagement/v4"
SPECIFICATION = "PartnershipSpecification"


def _unique_role_names(roles: list[dict[str, Any]]) -> None:
    names = [role.get("name") for role in roles]
    repeated = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
    if repeated:
        raise Unprocessable(
            f"role names must be unique within a partnership: {', '.join(repeated)}",
            code="DUPLICATE_ROLE",
        )


class PartnershipSpecificationService(ResourceService[PartnershipSpecification]):
    model = PartnershipSpecification
    api = API
    api_path = API_PATH
    path = "partnershipSpecification"
    resource_type = SPECIFICATION
    schema: ClassVar[type[BaseModel] | None] = PartnershipSpecificationSchema
    read_roles = PARTNER_READERS
    write_roles = PARTNER_WRITERS
    province_owned = False

    def validate(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: PartnershipSpecification | None,
    ) -> JSON:
        doc = self.check_schema(doc)
        _unique_role_names(list(doc.get("roleSpecification") or []))
        return doc


class PartnershipTypeService(PartnershipSpecificationService):
    """The R18 shape of the same rows: ``partnershipType`` with ``roleType``."""

    path = "partnershipType"
    resource_type = "PartnershipType"
    schema = PartnershipTypeSchema

    def validate(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: PartnershipSpecification | None,
    ) -> JSON:
        doc = dict(doc)
        if doc.get("@type") == self.resource_type:
            doc["@type"] = SPECIFICATION
        roles = doc.pop("roleType", None)
        if roles is None:
            roles = doc.pop("roleSpecification", None)
        else:
            doc.pop("roleSpecification", None)
        self.check_schema(doc if roles is None else {**doc, "roleType": roles})
        if roles is not None:
            doc["roleSpecification"] = roles
        _unique_role_names(list(roles or []))
        return doc

    def render(self, row: PartnershipSpecification, base_url: str | None = None) -> JSON:
        body = super().render(row, base_url)
        roles = body.pop("roleSpecification", None)
        if roles is not None:
            body["roleType"] = roles
        body["@type"] = self.resource_type
        return body

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Any
    ) -> PartnershipSpecification:
        changes = dict(patch)
        if changes.get("@type") == self.resource_type:
            changes.pop("@type")
        if "roleType" in changes:
            changes["roleSpecification"] = changes.pop("roleType")
        return super().patch(session, principal, resource_id, changes)


class PartnershipService(ResourceService[Partnership]):
    model = Partnership
    api = API
    api_path = API_PATH
    path = "partnership"
    resource_type = "Partnership"
    schema = PartnershipSchema
    read_roles = PARTNER_READERS
    write_roles = PARTNER_WRITERS
    province_owned = False

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: Partnership | None
    ) -> JSON:
        doc = self.check_schema(doc)
        spec_id = doc["specification"]["id"]
        spec = session.get(PartnershipSpecification, spec_id)
        if spec is None or not principal.can_see(spec.province):
            raise Unprocessable(
                f"specification {spec_id!r} is not a partnership specification you can see",
                code="UNKNOWN_SPECIFICATION",
            )
        roles = {r.get("name") for r in spec.doc.get("roleSpecification") or []}
        for partner in doc.get("partner") or []:
            partner_id = partner.get("id")
            if partner_id is None:
                continue
            row = repository.get_partner(session, partner_id)
            if row is None or not principal.can_see(row.province):
                raise Unprocessable(
                    f"partner {partner_id!r} is not a party role (TMF669) you can see",
                    code="UNKNOWN_PARTNER",
                )
            if row.kind is not None and roles and row.kind not in roles:
                raise Unprocessable(
                    f"partner {partner_id!r} is a {row.kind}; specification {spec_id!r} has "
                    f"roles {', '.join(sorted(str(r) for r in roles))}",
                    code="ROLE_MISMATCH",
                )
        return doc

    def apply_columns(self, row: Partnership, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.specification_id = doc["specification"]["id"]


partnership_specifications = PartnershipSpecificationService()
partnership_types = PartnershipTypeService()
partnerships = PartnershipService()
