"""Pydantic shapes of the TMF641 service order (shared parts in resources/schemas.py).

Service orders are written only by the product order orchestration, never by API clients, so
these shapes check the documents the service builds (types, mandatory attributes, the TMF
enumerations) and describe the resource in OpenAPI.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openbss.resources.schemas import Characteristic, TmfModel

OrderStateType = Literal[
    "acknowledged",
    "rejected",
    "pending",
    "held",
    "inProgress",
    "cancelled",
    "completed",
    "failed",
    "partial",
    "assessingCancellation",
    "pendingCancellation",
]
OrderItemActionType = Literal["add", "modify", "delete", "noChange"]
ServiceStateType = Literal[
    "feasibilityChecked", "designed", "reserved", "inactive", "active", "terminated"
]


class ServiceSpecificationRef(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    version: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class RelatedEntityRefOrValue(TmfModel):
    id: str | None = None
    href: str | None = None
    name: str | None = None
    role: str
    referredType: str | None = Field(default=None, alias="@referredType")


class ServiceRefOrValue(TmfModel):
    id: str | None = None
    href: str | None = None
    name: str | None = None
    serviceType: str | None = None
    state: ServiceStateType | None = None
    serviceSpecification: ServiceSpecificationRef | None = None
    serviceCharacteristic: list[Characteristic] | None = None
    relatedEntity: list[RelatedEntityRefOrValue] | None = None


class ServiceOrderItem(TmfModel):
    id: str
    action: OrderItemActionType
    service: ServiceRefOrValue
    state: OrderStateType | None = None
    quantity: int | None = None


class ExternalReference(TmfModel):
    name: str
    id: str | None = None
    href: str | None = None
    externalReferenceType: str | None = None


class ServiceOrderRelationship(TmfModel):
    id: str
    relationshipType: str
    href: str | None = None
    referredType: str | None = Field(default=None, alias="@referredType")


class Note(TmfModel):
    text: str
    id: str | None = None
    author: str | None = None
    date: str | None = None


class ServiceOrderErrorMessage(TmfModel):
    code: str | None = None
    message: str | None = None
    reason: str | None = None
    status: str | None = None
    timestamp: str | None = None


class ServiceOrderSchema(TmfModel):
    category: str | None = None
    description: str | None = None
    externalId: str | None = None
    priority: str | None = None
    orderDate: str | None = None
    startDate: str | None = None
    completionDate: str | None = None
    cancellationDate: str | None = None
    cancellationReason: str | None = None
    state: OrderStateType | None = None
    serviceOrderItem: list[ServiceOrderItem] = Field(min_length=1)
    externalReference: list[ExternalReference] | None = None
    orderRelationship: list[ServiceOrderRelationship] | None = None
    note: list[Note] | None = None
    errorMessage: list[ServiceOrderErrorMessage] | None = None
