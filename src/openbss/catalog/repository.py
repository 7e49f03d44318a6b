"""Catalog queries that other domains need, behind the catalog's public face."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.catalog.models import (
    CatalogReference,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
)

PRICE_ATTRIBUTE = "productOfferingPrice"  # catalog reference: offering → its prices


def get_offering(session: Session, offering_id: str) -> ProductOffering | None:
    return session.get(ProductOffering, offering_id)


def get_price(session: Session, price_id: str) -> ProductOfferingPrice | None:
    return session.get(ProductOfferingPrice, price_id)


def get_specification(session: Session, specification_id: str) -> ProductSpecification | None:
    return session.get(ProductSpecification, specification_id)


def offering_ids_by_code(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Offering code → id, for the codes that exist."""
    rows = session.execute(
        select(ProductOffering.code, ProductOffering.id).where(
            ProductOffering.code.in_(list(codes))
        )
    )
    return {str(code): str(id_) for code, id_ in rows}


def price_ids_by_code(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Price code → id, for the codes that exist."""
    rows = session.execute(
        select(ProductOfferingPrice.code, ProductOfferingPrice.id).where(
            ProductOfferingPrice.code.in_(list(codes))
        )
    )
    return {code: price_id for code, price_id in rows if code is not None}


def offering_price_ids(session: Session) -> dict[str, list[str]]:
    """Offering id → the ids of its prices, in catalog order."""
    result: dict[str, list[str]] = {}
    rows = session.execute(
        select(CatalogReference.source_id, CatalogReference.target_id)
        .where(CatalogReference.attribute == PRICE_ATTRIBUTE)
        .order_by(CatalogReference.source_id, CatalogReference.target_id)
    )
    for offering_id, price_id in rows:
        result.setdefault(offering_id, []).append(price_id)
    return result
