"""Pydantic shapes of the TMF632 resources (see resources/schemas.py for the shared parts)."""

from __future__ import annotations

from pydantic import Field

from openbss.resources.schemas import (
    Characteristic,
    ContactMedium,
    RelatedParty,
    TimePeriod,
    TmfModel,
)


class IndividualIdentification(TmfModel):
    identificationId: str
    identificationType: str | None = None
    issuingAuthority: str | None = None
    issuingDate: str | None = None
    validFor: TimePeriod | None = None


class OrganizationIdentification(IndividualIdentification):
    """The same shape as an individual's identification (a 统一社会信用代码 here)."""


class IndividualSchema(TmfModel):
    familyName: str = Field(min_length=1, max_length=128)
    givenName: str = Field(min_length=1, max_length=128)
    fullName: str | None = None
    formattedName: str | None = None
    gender: str | None = None
    birthDate: str | None = None
    nationality: str | None = None
    status: str | None = None
    contactMedium: list[ContactMedium] | None = None
    individualIdentification: list[IndividualIdentification] | None = None
    partyCharacteristic: list[Characteristic] | None = None
    relatedParty: list[RelatedParty] | None = None


class OrganizationSchema(TmfModel):
    tradingName: str = Field(min_length=1, max_length=256)
    name: str | None = None
    nameType: str | None = None
    organizationType: str | None = None
    isLegalEntity: bool | None = None
    isHeadOffice: bool | None = None
    status: str | None = None
    contactMedium: list[ContactMedium] | None = None
    organizationIdentification: list[OrganizationIdentification] | None = None
    partyCharacteristic: list[Characteristic] | None = None
    relatedParty: list[RelatedParty] | None = None
