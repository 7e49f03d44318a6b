"""Pydantic shapes of the TMF666 resources (shared parts in resources/schemas.py).

They check types and mandatory attributes only (a wrong type is a 400); business rules —
amounts in fen, references, the hierarchy, the lifecycle — are the service's (422 / 409).
Where TMF marks an attribute of a sub-object mandatory but real clients omit it (``validFor``
on a balance or a relationship), the schema is lenient on input.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from openbss.resources.schemas import ContactMedium, RelatedParty, TimePeriod, TmfModel


class Money(BaseModel):
    # Strict: a string or a boolean amount is a malformed request, not something to coerce.
    # Extra members (e.g. "@type") are tolerated; the service rewrites Money canonically.
    model_config = ConfigDict(extra="ignore", strict=True)

    unit: str | None = None
    value: float | int


class AccountRef(TmfModel):
    id: str = Field(min_length=1)
    href: str | None = None
    name: str | None = None
    description: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class AccountRelationship(TmfModel):
    relationshipType: str = Field(min_length=1)
    account: AccountRef
    validFor: TimePeriod | None = None


class AccountBalance(TmfModel):
    balanceType: str = Field(min_length=1)
    amount: Money
    validFor: TimePeriod | None = None


class AccountTaxExemption(TmfModel):
    issuingJurisdiction: str
    certificateNumber: str | None = None
    reason: str | None = None
    validFor: TimePeriod | None = None


class Contact(TmfModel):
    contactType: str
    contactName: str | None = None
    partyRoleType: str | None = None
    contactMedium: list[ContactMedium] | None = None
    relatedParty: RelatedParty | None = None
    validFor: TimePeriod | None = None


class PaymentMethodRef(TmfModel):
    id: str = Field(min_length=1)
    href: str | None = None
    name: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class PaymentPlan(TmfModel):
    numberOfPayments: int | None = Field(default=None, ge=1)
    paymentFrequency: str | None = None
    planType: str | None = None
    priority: int | None = Field(default=None, ge=0)
    status: str | None = None
    paymentMethod: PaymentMethodRef | None = None
    totalAmount: Money | None = None
    validFor: TimePeriod | None = None


class FinancialAccountRef(TmfModel):
    id: str = Field(min_length=1)
    href: str | None = None
    name: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class RefOrValue(TmfModel):
    """``...RefOrValue``: a reference when ``id`` is given, otherwise an inline value."""

    id: str | None = Field(default=None, min_length=1)
    href: str | None = None
    name: str | None = None
    description: str | None = None
    isRef: bool | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class BillFormatRefOrValue(RefOrValue):
    language: str | None = None
    maskCalledNumbers: bool | None = None


class BillingCycleSpecificationRefOrValue(RefOrValue):
    billingDateShift: int | None = None
    dateShift: int | None = None
    billingPeriod: str | None = None
    frequency: str | None = None
    chargeDateOffset: int | None = None
    creditDateOffset: int | None = None
    mailingDateOffset: int | None = None
    paymentDueDateOffset: int | None = None
    validFor: TimePeriod | None = None


class BillStructure(TmfModel):
    cycleSpecification: BillingCycleSpecificationRefOrValue | None = None
    format: BillFormatRefOrValue | None = None
    presentationMedia: list[RefOrValue] | None = None


class AccountSchema(TmfModel):
    """What every account kind has (TMF ``Account``)."""

    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    accountType: str | None = Field(default=None, max_length=64)
    state: str | None = None
    lastModified: str | None = None
    accountBalance: list[AccountBalance] | None = None
    accountRelationship: list[AccountRelationship] | None = None
    contact: list[Contact] | None = None
    creditLimit: Money | None = None
    taxExemption: list[AccountTaxExemption] | None = None


class FinancialAccountSchema(AccountSchema):
    relatedParty: list[RelatedParty] | None = None


class PartyAccountSchema(AccountSchema):
    """TMF ``PartyAccount``: billing, party and settlement accounts share this shape."""

    relatedParty: list[RelatedParty] = Field(min_length=1)
    paymentStatus: str | None = Field(default=None, max_length=32)
    billStructure: BillStructure | None = None
    defaultPaymentMethod: PaymentMethodRef | None = None
    financialAccount: FinancialAccountRef | None = None
    paymentPlan: list[PaymentPlan] | None = None


class BillFormatSchema(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    # Extension attribute (TMF has none): the language bills in this format are printed in.
    language: str | None = None
    # Extension attribute: the itemised detail hides part of the other party's number.
    maskCalledNumbers: bool | None = None


class BillPresentationMediaSchema(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None


class BillingCycleSpecificationSchema(TmfModel):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    billingDateShift: int | None = None
    billingPeriod: str | None = None
    frequency: str | None = Field(default=None, max_length=32)
    chargeDateOffset: int | None = None
    creditDateOffset: int | None = None
    mailingDateOffset: int | None = None
    paymentDueDateOffset: int | None = None
    validFor: TimePeriod | None = None
