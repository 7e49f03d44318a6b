"""Pydantic shapes of the TMF629 customer (shared parts in resources/schemas.py).

They check types and mandatory attributes only; references are checked against the store and
the business rules applied in the service. The contact-medium shape is declared here rather
than imported from the party domain so that the two domains' schemas evolve independently.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openbss.resources.schemas import Characteristic, RelatedParty, TimePeriod, TmfModel


class MediumCharacteristic(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

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
    mediumType: str
    preferred: bool | None = None
    characteristic: MediumCharacteristic
    validFor: TimePeriod | None = None


class CreditProfile(TmfModel):
    # creditProfileDate is mandatory in TMF629; the service stamps it when a client omits it.
    creditProfileDate: str | None = None
    creditRiskRating: int | None = None
    creditScore: int | None = None
    validFor: TimePeriod


class AccountRef(TmfModel):
    """TMF629 makes ``name`` the mandatory part; every other TMF API references by ``id``.

    Either is accepted so that references written by the account domain (id only) validate.
    """

    id: str | None = None
    href: str | None = None
    name: str | None = None
    description: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")

    @model_validator(mode="after")
    def _id_or_name(self) -> AccountRef:
        if self.id is None and self.name is None:
            raise ValueError("an account reference needs an id or a name")
        return self


class PaymentMethodRef(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class AgreementRef(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class CustomerSchema(TmfModel):
    # ``name`` is mandatory on create in TMF629; when a client omits it the service names the
    # customer after its engaged party, so every stored customer has one.
    name: str | None = Field(default=None, min_length=1, max_length=256)
    engagedParty: RelatedParty
    status: str | None = None
    statusReason: str | None = None
    validFor: TimePeriod | None = None
    account: list[AccountRef] | None = None
    agreement: list[AgreementRef] | None = None
    characteristic: list[Characteristic] | None = None
    contactMedium: list[ContactMedium] | None = None
    creditProfile: list[CreditProfile] | None = None
    paymentMethod: list[PaymentMethodRef] | None = None
    relatedParty: list[RelatedParty] | None = None
