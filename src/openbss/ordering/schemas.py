"""Request shapes of TMF622 (what a submitted order must at least look like)."""

from __future__ import annotations

from pydantic import Field

from openbss.resources.schemas import EntityRef, RelatedParty, TmfModel


class ChannelRef(TmfModel):
    id: str
    name: str | None = None
    role: str | None = None


class ProductOrderItemSchema(TmfModel):
    id: str
    action: str
    quantity: int | None = None
    productOffering: EntityRef | None = None
    productOrderItem: list[ProductOrderItemSchema] | None = None


class ProductOrderSchema(TmfModel):
    productOrderItem: list[ProductOrderItemSchema] = Field(min_length=1)
    relatedParty: list[RelatedParty] | None = None
    billingAccount: EntityRef | None = None
    channel: list[ChannelRef] | None = None
    externalId: str | None = None
    description: str | None = None
    category: str | None = None
    priority: str | None = None


class CancelProductOrderSchema(TmfModel):
    productOrder: EntityRef
    cancellationReason: str | None = None
    requestedCancellationDate: str | None = None
