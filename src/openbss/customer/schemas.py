"""Pydantic shapes of the TMF629 customer (shared parts in resources/schemas.py).

They check types and mandatory attributes only; references are checked against the store and
the business rules applied in the service.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from openbss.resources.schemas import (
    Characteristic,
    ContactMediumCharacteristic,
    RelatedParty,
    TimePeriod,
    TmfModel,
)
from openbss.resources.schemas import ContactMedium as BaseContactMedium


class ContactMedium(BaseContactMedium):
    """TMF629 makes the medium type and its characteristic mandatory."""

    mediumType: str
    characteristic: ContactMediumCharacteristic


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
