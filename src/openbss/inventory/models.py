"""Product inventory (TMF637) rows: product instances and their status history.

A product is one subscription: a fixed line, a broadband access, a PHS handset line, or the
bundle (套餐) that groups them. The typed columns carry what ordering and billing select on;
the TMF document carries the rest. ``inventory_product_status`` is the dated history that
billing prorates from: every status or offering change is one row, effective at the instant
the network change was confirmed.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openbss.db.base import Base
from openbss.kit.clock import now
from openbss.resources.models import TmfResourceMixin


class Product(TmfResourceMixin, Base):
    __tablename__ = "inventory_product"
    __table_args__ = (
        # "one broadband per installation address" and "a fixed line at this address" are
        # lookups by (service type, address) among live products.
        Index("ix_inventory_product_address", "installation_address_key", "service_type"),
    )
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "status": "status",
        "productOffering.id": "product_offering_id",
        "billingAccount.id": "billing_account_id",
        "relatedParty.id": "customer_id",
        "productSerialNumber": "service_id",
    }

    name: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(24), index=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    product_offering_id: Mapped[str] = mapped_column(String(64), index=True)
    # fixedVoice | broadband | phs | vas | mobile, or "bundle" for a 套餐 parent.
    service_type: Mapped[str] = mapped_column(String(16))
    parent_product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    product_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # What the network knows the product by: the phone number (E.164) or broadband account.
    service_id: Mapped[str | None] = mapped_column(String(64), index=True)
    area_code: Mapped[str | None] = mapped_column(String(8))
    installation_address_key: Mapped[str | None] = mapped_column(String(256))
    start_date: Mapped[datetime | None] = mapped_column()
    termination_date: Mapped[datetime | None] = mapped_column()

    history: Mapped[list[ProductStatusChange]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ProductStatusChange.sequence",
    )


class ProductStatusChange(Base):
    """From ``effective_at`` on, the product had ``status`` under ``product_offering_id``."""

    __tablename__ = "inventory_product_status"
    __table_args__ = (UniqueConstraint("product_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("inventory_product.id", ondelete="CASCADE")
    )
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    product_offering_id: Mapped[str] = mapped_column(String(64))
    effective_at: Mapped[datetime] = mapped_column()
    product_order_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(256))
    recorded_at: Mapped[datetime] = mapped_column(default=now)

    product: Mapped[Product] = relationship(back_populates="history", lazy="raise")
