"""Queries over the product inventory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from openbss.inventory.calculations import LIVE_STATUSES
from openbss.inventory.models import Product, ProductStatusChange


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


def top_products_of_account(
    session: Session, billing_account_id: str, statuses: Iterable[str]
) -> Sequence[Product]:
    """The account's products that are not bundle members (a bundle is acted on whole), of
    these statuses, oldest first."""
    statement = (
        select(Product)
        .where(
            Product.billing_account_id == billing_account_id,
            Product.parent_product_id.is_(None),
            Product.status.in_(list(statuses)),
        )
        .order_by(Product.created_at, Product.id)
    )
    return session.scalars(statement).all()


def children_of(session: Session, parent_id: str) -> Sequence[Product]:
    statement = (
        select(Product).where(Product.parent_product_id == parent_id).order_by(Product.created_at)
    )
    return session.scalars(statement).all()


def status_history(
    session: Session, province: str, product_ids: Iterable[str] | None = None
) -> Sequence[Row[str, str | None, str, str | None, str, str, datetime]]:
    """(product, service id, customer, account, status, offering, effective at) of every
    status change of a province's products (or of these products), each product's in
    sequence order."""
    statement = (
        select(
            Product.id,
            Product.service_id,
            Product.customer_id,
            Product.billing_account_id,
            ProductStatusChange.status,
            ProductStatusChange.product_offering_id,
            ProductStatusChange.effective_at,
        )
        .join(ProductStatusChange, ProductStatusChange.product_id == Product.id)
        .where(Product.province == province)
        .order_by(Product.id, ProductStatusChange.sequence)
    )
    if product_ids is not None:
        statement = statement.where(Product.id.in_(list(product_ids)))
    return session.execute(statement).all()


def get_product(session: Session, product_id: str) -> Product | None:
    return session.get(Product, product_id)


def offerings_of_products(session: Session, province: str) -> list[tuple[str, str, str | None]]:
    """(product id, offering id, parent product id) of a province's products."""
    return [
        (r.id, r.product_offering_id, r.parent_product_id)
        for r in session.execute(
            select(Product.id, Product.product_offering_id, Product.parent_product_id).where(
                Product.province == province
            )
        )
    ]


def account_of_product(session: Session, product_id: str) -> str | None:
    return session.scalar(select(Product.billing_account_id).where(Product.id == product_id))


def live_phone_lines(session: Session, province: str) -> list[tuple[str, str | None, str]]:
    """(E.164 number, area code, service type) of a province's active or suspended lines."""
    rows = session.execute(
        select(Product.service_id, Product.area_code, Product.service_type)
        .where(
            Product.province == province,
            Product.status.in_(("active", "suspended")),
            Product.service_id.like("+%"),
        )
        .order_by(Product.service_id)
    ).all()
    return [(str(number), area, str(kind)) for number, area, kind in rows]


def product_summaries(
    session: Session, province: str
) -> list[tuple[str, str | None, str, str | None]]:
    """(product id, billing account, service type, parent product) of a province's products."""
    rows = session.execute(
        select(
            Product.id, Product.billing_account_id, Product.service_type, Product.parent_product_id
        ).where(Product.province == province)
    )
    return [(str(a), b, str(c), d) for a, b, c, d in rows]


def product_lifecycles(
    session: Session, province: str
) -> list[tuple[str, str | None, str | None, str, datetime | None, datetime | None]]:
    """(product id, parent product, creating order, service type, start, termination) of a
    province's products that have started, by id (channel commissions read it)."""
    rows = session.execute(
        select(
            Product.id,
            Product.parent_product_id,
            Product.product_order_id,
            Product.service_type,
            Product.start_date,
            Product.termination_date,
        )
        .where(Product.province == province, Product.start_date.is_not(None))
        .order_by(Product.id)
    )
    return [(str(a), b, c, str(d), e, f) for a, b, c, d, e, f in rows]


def accounts_of_products(session: Session, product_ids: Iterable[str]) -> dict[str, str | None]:
    """Product id → its billing account, for the products that exist."""
    rows = session.execute(
        select(Product.id, Product.billing_account_id).where(Product.id.in_(sorted(product_ids)))
    )
    return {str(product_id): account_id for product_id, account_id in rows}
