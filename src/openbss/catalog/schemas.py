"""Pydantic shapes of the TMF620 resources (shared parts in resources/schemas.py).

They check types and mandatory attributes (400); business rules — known states, price types,
exact money, existing references — are checked by the services (422/409). Extension
attributes of this project (documented on the attribute):

- ``code`` on every resource: a stable external code, unique in the catalog;
- ``serviceType`` on a product specification: fixedVoice, broadband, phs, vas, mobile;
- on a usage price: ``usageEvent`` (what it rates, e.g. "localCall", "dddCall", "sms"),
  ``usageTier`` ({"from": 0, "to": 3} in unitOfMeasure units: the first three minutes) and
  ``timeBand`` ({"from": "00:00", "to": "07:00"}, province local time);
- ``priceAlteration`` on a price: discounts (percentage or fixed amount off);
- on a recurring price: ``chargeWhenSuspended`` (true: a suspended line still pays the
  rental; false by default) and ``chargeTiming`` (``inArrears``, the default: a cycle's rental
  is on that cycle's bill; ``inAdvance``: on the bill before, corrected on the next);
- ``chargeType`` on a billing discount price (``priceType`` discount, cap, minimumSpend):
  the charge types it acts on (see catalog/billing_discounts.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openbss.resources.schemas import RelatedParty, TimePeriod, TmfModel

NAME = Field(min_length=1, max_length=256)
CODE = Field(default=None, min_length=1, max_length=64)
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"


class CatalogRef(TmfModel):
    """A reference to another catalog resource: ``id`` is what counts."""

    id: str = Field(min_length=1, max_length=64)
    href: str | None = None
    name: str | None = None
    version: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class CatalogItem(TmfModel):
    """Attributes every catalog resource shares."""

    name: str = NAME
    description: str | None = None
    version: str | None = None
    lifecycleStatus: str | None = None
    lastUpdate: str | None = None
    validFor: TimePeriod | None = None
    code: str | None = CODE


class CatalogSchema(CatalogItem):
    catalogType: str | None = None
    category: list[CatalogRef] | None = None
    relatedParty: list[RelatedParty] | None = None


class CategorySchema(CatalogItem):
    isRoot: bool | None = None
    parentId: str | None = Field(default=None, min_length=1, max_length=64)
    subCategory: list[CatalogRef] | None = None
    productOffering: list[CatalogRef] | None = None


class CharacteristicValueSpecification(TmfModel):
    valueType: str | None = None
    isDefault: bool | None = None
    value: object = None
    unitOfMeasure: str | None = None
    valueFrom: int | None = None
    valueTo: int | None = None
    regex: str | None = None
    validFor: TimePeriod | None = None


class ProductSpecCharacteristic(TmfModel):
    name: str = NAME
    description: str | None = None
    valueType: str | None = None
    configurable: bool | None = None
    extensible: bool | None = None
    minCardinality: int | None = Field(default=None, ge=0)
    maxCardinality: int | None = Field(default=None, ge=0)
    regex: str | None = None
    productSpecCharacteristicValue: list[CharacteristicValueSpecification] | None = None
    validFor: TimePeriod | None = None


class SpecificationRelationship(CatalogRef):
    relationshipType: str | None = None


class ProductSpecificationSchema(CatalogItem):
    brand: str | None = None
    productNumber: str | None = None
    isBundle: bool | None = None
    serviceType: str | None = None
    bundledProductSpecification: list[CatalogRef] | None = None
    productSpecCharacteristic: list[ProductSpecCharacteristic] | None = None
    productSpecificationRelationship: list[SpecificationRelationship] | None = None
    relatedParty: list[RelatedParty] | None = None


class BundledProductOfferingOption(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    numberRelOfferDefault: int | None = Field(default=None, ge=0)
    numberRelOfferLowerLimit: int | None = Field(default=None, ge=0)
    numberRelOfferUpperLimit: int | None = Field(default=None, ge=0)


class BundledProductOffering(CatalogRef):
    lifecycleStatus: str | None = None
    bundledProductOfferingOption: BundledProductOfferingOption | None = None


class OfferingRelationship(CatalogRef):
    relationshipType: str | None = None


class ProductOfferingSchema(CatalogItem):
    isBundle: bool | None = None
    isSellable: bool | None = None
    statusReason: str | None = None
    productSpecification: CatalogRef | None = None
    bundledProductOffering: list[BundledProductOffering] | None = None
    productOfferingPrice: list[CatalogRef] | None = None
    category: list[CatalogRef] | None = None
    productOfferingRelationship: list[OfferingRelationship] | None = None


class Amount(BaseModel):
    """TMF Money as accepted on input: a JSON number or a numeric string, in CNY."""

    model_config = ConfigDict(extra="allow", strict=True)

    unit: str | None = None
    value: float | int | str


class Quantity(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    amount: float | int | None = Field(default=None, gt=0)
    units: str = Field(min_length=1)


class PriceAlteration(TmfModel):
    name: str | None = None
    description: str | None = None
    priceType: str | None = None
    percentage: float | int | str | None = None
    price: Amount | None = None
    applicationDuration: int | None = Field(default=None, ge=1)
    priority: int | None = None
    validFor: TimePeriod | None = None


class UsageTier(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    start: int = Field(alias="from", ge=0)
    end: int | None = Field(default=None, alias="to", gt=0)


class TimeBand(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    start: str = Field(alias="from", pattern=HHMM)
    end: str = Field(alias="to", pattern=HHMM)


class PriceRelationship(CatalogRef):
    relationshipType: str | None = None
    role: str | None = None


class ProductOfferingPriceSchema(CatalogItem):
    # Mandatory although TMF makes it optional: every listed price must carry it (CTK).
    priceType: str = Field(min_length=1)
    isBundle: bool | None = None
    price: Amount | None = None
    percentage: float | int | None = None
    recurringChargePeriodType: str | None = None
    recurringChargePeriodLength: int | None = Field(default=None, ge=0)
    unitOfMeasure: Quantity | None = None
    priceAlteration: list[PriceAlteration] | None = None
    bundledPopRelationship: list[CatalogRef] | None = None
    popRelationship: list[PriceRelationship] | None = None
    usageEvent: str | None = Field(default=None, min_length=1, max_length=48)
    usageTier: UsageTier | None = None
    timeBand: TimeBand | None = None
    chargeType: list[str] | None = None
    chargeWhenSuspended: bool | None = None
    chargeTiming: Literal["inAdvance", "inArrears"] | None = None
