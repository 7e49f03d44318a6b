"""Queries of the ordering domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openbss.ordering.models import (
    Fulfilment,
    OrderFallout,
    OrderItem,
    OrderLogEntry,
    ProductOrder,
)
from openbss.ordering.statuses import ProductOrderState

# An order still owns the products it acts on until it completes or is cancelled; a failed
# order in fallout still does, because a retry will act on them.
OPEN_STATES = (
    ProductOrderState.ACKNOWLEDGED,
    ProductOrderState.IN_PROGRESS,
    ProductOrderState.FAILED,
)


def items_of(session: Session, order_id: str) -> Sequence[OrderItem]:
    statement = (
        select(OrderItem).where(OrderItem.product_order_id == order_id).order_by(OrderItem.id)
    )
    return session.scalars(statement).all()


def busy_order_for(session: Session, product_id: str, other_than: str | None) -> str | None:
    """The id of an open order already acting on ``product_id``, if any."""
    statement = (
        select(ProductOrder.id)
        .join(OrderItem, OrderItem.product_order_id == ProductOrder.id)
        .where(OrderItem.product_id == product_id, ProductOrder.state.in_(OPEN_STATES))
    )
    if other_than is not None:
        statement = statement.where(ProductOrder.id != other_than)
    return session.scalars(statement.limit(1)).first()


def lock_external_id(session: Session, province: str | None, external_id: str) -> None:
    """Serialise submissions that carry the same externalId, until the transaction ends, so
    the second one finds the first one's order instead of racing it to the unique index.
    PostgreSQL takes a transaction-scoped advisory lock; SQLite needs none, since a writing
    request holds the database's write lock from its start."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = f"productOrder.externalId:{province}:{external_id}"
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def by_external_id(session: Session, province: str | None, external_id: str) -> ProductOrder | None:
    statement = select(ProductOrder).where(
        ProductOrder.external_id == external_id, ProductOrder.province == province
    )
    return session.scalars(statement).first()


def orders_in(session: Session, state: str, phase: str | None, limit: int) -> Sequence[str]:
    statement = select(ProductOrder.id).where(ProductOrder.state == state)
    if phase is not None:
        statement = statement.where(ProductOrder.phase == phase)
    statement = statement.order_by(ProductOrder.order_date, ProductOrder.id).limit(limit)
    return session.scalars(statement).all()


def open_fallout(session: Session, province: str | None) -> Sequence[OrderFallout]:
    statement = select(OrderFallout).where(OrderFallout.resolved_at.is_(None))
    if province is not None:
        statement = statement.where(OrderFallout.province == province)
    return session.scalars(statement.order_by(OrderFallout.created_at)).all()


def open_fallout_of(session: Session, order_id: str) -> Sequence[OrderFallout]:
    statement = select(OrderFallout).where(
        OrderFallout.product_order_id == order_id, OrderFallout.resolved_at.is_(None)
    )
    return session.scalars(statement).all()


def log_of(session: Session, order_id: str) -> Sequence[OrderLogEntry]:
    statement = (
        select(OrderLogEntry)
        .where(OrderLogEntry.product_order_id == order_id)
        .order_by(OrderLogEntry.at, OrderLogEntry.id)
    )
    return session.scalars(statement).all()


def fulfilments(session: Session, order_id: str, round_: int, purpose: str) -> Sequence[Fulfilment]:
    statement = (
        select(Fulfilment)
        .where(
            Fulfilment.product_order_id == order_id,
            Fulfilment.round == round_,
            Fulfilment.purpose == purpose,
        )
        .order_by(Fulfilment.sequence)
    )
    return session.scalars(statement).all()


def all_fulfilments(session: Session, order_id: str) -> Sequence[Fulfilment]:
    statement = (
        select(Fulfilment)
        .where(Fulfilment.product_order_id == order_id)
        .order_by(Fulfilment.round, Fulfilment.purpose.desc(), Fulfilment.sequence)
    )
    return session.scalars(statement).all()


def count_completed_with_external_prefix(session: Session, province: str, prefix: str) -> int:
    """How many of a province's completed orders have an ``externalId`` starting ``prefix``."""
    statement = select(func.count()).where(
        ProductOrder.province == province,
        ProductOrder.state == ProductOrderState.COMPLETED,
        ProductOrder.external_id.like(f"{prefix}%"),
    )
    return int(session.scalar(statement) or 0)


def completed_between(
    session: Session, province: str, start: datetime, end: datetime
) -> Sequence[ProductOrder]:
    """A province's orders completed in ``[start, end)``, in completion order."""
    statement = (
        select(ProductOrder)
        .where(
            ProductOrder.province == province,
            ProductOrder.state == ProductOrderState.COMPLETED,
            ProductOrder.completion_date >= start,
            ProductOrder.completion_date < end,
        )
        .order_by(ProductOrder.completion_date, ProductOrder.id)
    )
    return session.scalars(statement).all()


def order_counts(session: Session, province: str | None) -> list[tuple[str | None, str, int]]:
    """(sales channel, state, orders) of a province's product orders (None: every
    province's)."""
    statement = (
        select(ProductOrder.channel, ProductOrder.state, func.count())
        .group_by(ProductOrder.channel, ProductOrder.state)
        .order_by(ProductOrder.channel, ProductOrder.state)
    )
    if province is not None:
        statement = statement.where(ProductOrder.province == province)
    return [(c, str(s), int(n)) for c, s, n in session.execute(statement)]
