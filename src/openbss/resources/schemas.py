"""Pydantic shapes shared by every TMF resource: base model, references, periods.

They validate incoming JSON (strict types, mandatory attributes); the stored document is the
JSON itself, so ``extra="allow"`` keeps TMF polymorphic extension attributes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TmfModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True)

    at_type: str | None = Field(default=None, alias="@type")
    at_base_type: str | None = Field(default=None, alias="@baseType")
    at_schema_location: str | None = Field(default=None, alias="@schemaLocation")


class TimePeriod(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    startDateTime: str | None = None
    endDateTime: str | None = None


class Characteristic(TmfModel):
    name: str
    valueType: str | None = None
    value: object = None


class RelatedParty(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class EntityRef(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class Money(BaseModel):
    model_config = ConfigDict(extra="allow", strict=False)

    unit: str | None = None
    value: float | int | None = None


class ContactMediumCharacteristic(TmfModel):
    city: str | None = None
    contactType: str | None = None
    country: str | None = None
    emailAddress: str | None = None
    faxNumber: str | None = None
    phoneNumber: str | None = None
    postCode: str | None = None
    stateOrProvince: str | None = None
    street1: str | None = None
    street2: str | None = None


class ContactMedium(TmfModel):
    mediumType: str | None = None
    preferred: bool | None = None
    characteristic: ContactMediumCharacteristic | None = None
    validFor: TimePeriod | None = None
