"""Pydantic shapes of TMF669 PartyRole and TMF668 PartnershipSpecification / Partnership."""

from __future__ import annotations

from pydantic import Field

from openbss.resources.schemas import (
    Characteristic,
    ContactMedium,
    EntityRef,
    RelatedParty,
    TimePeriod,
    TmfModel,
)


class PartyRoleSchema(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    status: str | None = None
    statusReason: str | None = None
    engagedParty: EntityRef | None = None
    partyRoleSpecification: EntityRef | None = None
    characteristic: list[Characteristic] | None = None
    account: list[EntityRef] | None = None
    agreement: list[EntityRef] | None = None
    contactMedium: list[ContactMedium] | None = None
    paymentMethod: list[EntityRef] | None = None
    relatedParty: list[RelatedParty] | None = None
    validFor: TimePeriod | None = None


class RoleSpecification(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    requiresBilling: bool | None = None
    requiresSettlement: bool | None = None
    agreementSpecification: list[EntityRef] | None = None


class PartnershipSpecificationSchema(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    roleSpecification: list[RoleSpecification] | None = None


class PartnerRef(TmfModel):
    """A partner of a partnership: a reference to a party role, or an inline party role."""

    id: str | None = None
    href: str | None = None
    name: str | None = None


class PartnershipSchema(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    specification: EntityRef
    partner: list[PartnerRef] | None = None


class PartnershipTypeSchema(TmfModel):
    """The R18 shape: ``roleType`` entries each need a name."""

    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    roleType: list[RoleSpecification] | None = None
