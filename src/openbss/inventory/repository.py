"""Queries over the product inventory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.inventory.calculations import LIVE_STATUSES
from openbss.inventory.models import Product


def live_at_address(
    session: Session, province: str | None, address_key: str, service_types: Iterable[str]
) -> Sequence[Product]:
    """Products not terminated or cancelled at an installation address, of these types."""
    statement = select(Product).where(
        Product.installation_address_key == address_key,
        Product.service_type.in_(list(service_types)),
        Product.status.in_(LIVE_STATUSES),
        Product.province == province,
    )
    return session.scalars(statement).all()


def of_order(session: Session, product_order_id: str) -> Sequence[Product]:
    statement = (
        select(Product)
        .where(Product.product_order_id == product_order_id)
        .order_by(Product.created_at, Product.id)
    )
    return session.scalars(statement).all()


def children_of(session: Session, parent_id: str) -> Sequence[Product]:
    statement = (
        select(Product).where(Product.parent_product_id == parent_id).order_by(Product.created_at)
    )
    return session.scalars(statement).all()
