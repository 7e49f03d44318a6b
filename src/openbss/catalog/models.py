"""Product catalog (TMF620) rows.

Each resource is a TMF document row (resources/models.py) plus typed columns for what is
filtered and joined on. Rows with province NULL are the group's master catalog (集团); a
province may add local rows carrying its code. Two tables are not TMF resources:

- ``catalog_price_version``: the dated amounts of a product offering price, in integer fen
  (charges) or li (usage rates); the document's ``price`` is rendered from it.
- ``catalog_reference``: which catalog resource references which, kept in step with the
  documents so that "is this still in use?" is one indexed query.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openbss.db.base import Base
from openbss.kit.clock import now
from openbss.resources.models import TmfResourceMixin

COMMON_FILTERS: dict[str, str] = {
    "id": "id",
    "name": "name",
    "lifecycleStatus": "lifecycle_status",
    "version": "version",
    "code": "code",
}


class CatalogColumns:
    """Typed columns every catalog resource has."""

    name: Mapped[str | None] = mapped_column(String(256), index=True)
    lifecycle_status: Mapped[str | None] = mapped_column(String(16), index=True)
    version: Mapped[str | None] = mapped_column(String(32))
    # Stable external code (extension attribute ``code``), e.g. "CT-PO-ADSL-2M": how seeds,
    # imports and other systems recognise a row whatever its id or (editable) name.
    code: Mapped[str | None] = mapped_column(String(64), unique=True)


class Catalog(TmfResourceMixin, CatalogColumns, Base):
    __tablename__ = "catalog_catalog"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = dict(COMMON_FILTERS)


class Category(TmfResourceMixin, CatalogColumns, Base):
    __tablename__ = "catalog_category"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        **COMMON_FILTERS,
        "parentId": "parent_id",
    }

    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)


class ProductSpecification(TmfResourceMixin, CatalogColumns, Base):
    __tablename__ = "catalog_product_specification"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        **COMMON_FILTERS,
        "serviceType": "service_type",
    }

    service_type: Mapped[str | None] = mapped_column(String(16), index=True)
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)


class ProductOffering(TmfResourceMixin, CatalogColumns, Base):
    __tablename__ = "catalog_product_offering"
    # isBundle is not a SQL filter: query strings say "true"/"false", the column is boolean;
    # the document filter compares it correctly.
    FILTER_COLUMNS: ClassVar[dict[str, str]] = dict(COMMON_FILTERS)

    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    product_specification_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # postpaid (billed monthly) | prepaid (charged online against a balance)
    payment_mode: Mapped[str] = mapped_column(
        String(16), default="postpaid", server_default="postpaid"
    )


class ProductOfferingPrice(TmfResourceMixin, CatalogColumns, Base):
    __tablename__ = "catalog_product_offering_price"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        **COMMON_FILTERS,
        "priceType": "price_type",
    }

    price_type: Mapped[str | None] = mapped_column(String(16), index=True)
    # selectin: rendering a page of prices loads all their versions in one query.
    versions: Mapped[list[PriceVersion]] = relationship(
        back_populates="price",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="PriceVersion.version",
    )


class PriceVersion(Base):
    """One dated amount of a price; exactly one of ``amount_fen`` / ``rate_li`` is set."""

    __tablename__ = "catalog_price_version"
    __table_args__ = (
        UniqueConstraint("price_id", "version"),
        Index("ix_catalog_price_version_price_from", "price_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    price_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("catalog_product_offering_price.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    # Recurring and one-time charges in fen; usage rates in li (per unitOfMeasure).
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    rate_li: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    effective_from: Mapped[datetime] = mapped_column()
    effective_to: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)

    price: Mapped[ProductOfferingPrice] = relationship(back_populates="versions", lazy="raise")

    @property
    def amount(self) -> int:
        """The integer amount in this version's unit (fen or li)."""
        value = self.amount_fen if self.amount_fen is not None else self.rate_li
        assert value is not None
        return value


class CatalogReference(Base):
    """``source_id`` references ``target_id`` through ``attribute`` (e.g. parentId)."""

    __tablename__ = "catalog_reference"

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    attribute: Mapped[str] = mapped_column(String(48), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    source_type: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str] = mapped_column(String(48))
