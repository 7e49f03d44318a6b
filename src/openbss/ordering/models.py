"""Product order (TMF622) rows, their items, cancellations, fallout and the order log.

``ordering_product_order`` is a TMF document row with typed columns for what is filtered and
what the orchestration selects on. ``ordering_order_item`` holds one row per leaf or bundle
item as captured (action, product, network identifier), so that decomposition into service
orders and completion never re-derive them from the client's JSON. ``ordering_fallout`` is
the queue of orders that need a person; ``ordering_log`` is the orchestration trace.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now
from openbss.ordering.statuses import OrderPhase
from openbss.resources.models import TmfResourceMixin


class ProductOrder(TmfResourceMixin, Base):
    __tablename__ = "ordering_product_order"
    # Idempotent submission: one order per external id per province.
    __table_args__ = (
        UniqueConstraint("province", "external_id"),
        Index("ix_ordering_product_order_state_phase", "state", "phase"),
    )
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "state": "state",
        "externalId": "external_id",
        "billingAccount.id": "billing_account_id",
        "relatedParty.id": "customer_id",
        "category": "category",
    }

    state: Mapped[str] = mapped_column(String(24))
    # What the orchestration does next: capture → provision → (compensate) → done.
    phase: Mapped[str] = mapped_column(String(16), default=OrderPhase.CAPTURE)
    external_id: Mapped[str | None] = mapped_column(String(128))
    # SHA-256 of the submitted body: the same external id with another body is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    billing_account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    category: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), index=True)
    sales_person_id: Mapped[str | None] = mapped_column(String(64), index=True)
    order_date: Mapped[datetime] = mapped_column()
    completion_date: Mapped[datetime | None] = mapped_column()
    # Each retry from fallout provisions the order again as a new round of service orders.
    round: Mapped[int] = mapped_column(Integer, default=1)
    # Optimistic lock: two workers advancing one order cannot both win.
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 (SQLAlchemy reads it)


class OrderItem(Base):
    """One captured item: what to do to which product, on which network identifier."""

    __tablename__ = "ordering_order_item"
    __table_args__ = (UniqueConstraint("product_order_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_order_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ordering_product_order.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))
    parent_item_id: Mapped[str | None] = mapped_column(String(64))
    # add | modify | delete | suspend | resume | noChange
    action: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    product_offering_id: Mapped[str | None] = mapped_column(String(64))
    # fixedVoice | broadband | phs | vas | mobile | bundle
    service_type: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(24))


class Fulfilment(Base):
    """A service order sent for a product order: which round, to fulfil or to compensate."""

    __tablename__ = "ordering_fulfilment"

    service_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_order_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ordering_product_order.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16))  # fulfil | compensate
    sequence: Mapped[int] = mapped_column(Integer)


class CancelProductOrder(TmfResourceMixin, Base):
    __tablename__ = "ordering_cancel_product_order"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "state": "state",
        "productOrder.id": "product_order_id",
    }

    state: Mapped[str] = mapped_column(String(24))
    product_order_id: Mapped[str] = mapped_column(String(64), index=True)


class OrderFallout(Base):
    """An order the orchestration could not complete, waiting for a person to act."""

    __tablename__ = "ordering_fallout"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str | None] = mapped_column(String(8), index=True)
    product_order_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ordering_product_order.id", ondelete="CASCADE"), index=True
    )
    service_order_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    resolved_at: Mapped[datetime | None] = mapped_column()
    # retried | cancelled
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class OrderLogEntry(Base):
    """One step of an order's orchestration, for ``openbss orders trace``."""

    __tablename__ = "ordering_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_order_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ordering_product_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=now)
    step: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
