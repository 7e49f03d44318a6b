"""Catalog queries that other domains need, behind the catalog's public face."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.catalog.models import (
    CatalogReference,
    PriceVersion,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
)
from openbss.catalog.pricing import PriceSpan

PRICE_ATTRIBUTE = "productOfferingPrice"  # catalog reference: offering → its prices


def get_offering(session: Session, offering_id: str) -> ProductOffering | None:
    return session.get(ProductOffering, offering_id)


def get_price(session: Session, price_id: str) -> ProductOfferingPrice | None:
    return session.get(ProductOfferingPrice, price_id)


def get_prices(session: Session, price_ids: Iterable[str]) -> dict[str, ProductOfferingPrice]:
    """The prices with these ids (those that exist), with their versions: two queries for
    all of them, not two per price."""
    wanted = sorted(set(price_ids))
    if not wanted:
        return {}
    rows = session.scalars(select(ProductOfferingPrice).where(ProductOfferingPrice.id.in_(wanted)))
    return {row.id: row for row in rows}


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


def offerings(session: Session, offering_ids: Iterable[str]) -> list[ProductOffering]:
    """The offerings with these ids, by id."""
    wanted = sorted(set(offering_ids))
    return list(
        session.scalars(
            select(ProductOffering)
            .where(ProductOffering.id.in_(wanted))
            .order_by(ProductOffering.id)
        )
    )


def prices_of_type(
    session: Session, price_ids: Iterable[str], price_type: str
) -> list[ProductOfferingPrice]:
    """Those of the prices with this ``priceType``, by id."""
    return list(
        session.scalars(
            select(ProductOfferingPrice)
            .where(
                ProductOfferingPrice.id.in_(sorted(set(price_ids))),
                ProductOfferingPrice.price_type == price_type,
            )
            .order_by(ProductOfferingPrice.id)
        )
    )


def price_spans(session: Session, price_id: str, *, no_amount: int) -> tuple[PriceSpan, ...]:
    """Every dated version of a price as spans in fen (``no_amount`` where a version has no
    amount in fen: a usage rate)."""
    versions = session.scalars(select(PriceVersion).where(PriceVersion.price_id == price_id))
    return tuple(
        PriceSpan(
            v.version,
            no_amount if v.amount_fen is None else v.amount_fen,
            v.effective_from,
            v.effective_to,
        )
        for v in versions
    )


def payment_modes(session: Session, offering_ids: Iterable[str]) -> dict[str, str]:
    """Offering id → its payment mode (postpaid | prepaid), for the offerings that exist."""
    rows = session.execute(
        select(ProductOffering.id, ProductOffering.payment_mode).where(
            ProductOffering.id.in_(sorted(set(offering_ids)))
        )
    )
    return {str(offering_id): str(mode) for offering_id, mode in rows}
