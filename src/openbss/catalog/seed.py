"""Seeding the group master catalog (ct2005.py) through the catalog services.

Idempotent: rows are recognised by their stable ``code``; a code already present is reused
as it is, so a second run creates nothing (and never overwrites what a product manager has
changed since). Everything goes through the services as the SYSTEM principal (group admin),
so the seeded data obeys the same rules, is audited and emits the same events.

The returned map holds every code → id, plus the keys the CTK harness and the demo use:
``productSpecification`` (the fixed-voice specification: the CTK's offering POST references
a specification, whose id the harness rewrites to this one), ``productOffering``,
``productOfferingPrice``, ``category`` and ``catalog``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.catalog import ct2005
from openbss.catalog.service import (
    CatalogService,
    catalogs,
    categories,
    product_offering_prices,
    product_offerings,
    product_specifications,
)
from openbss.kit.security import SYSTEM

ACTIVE = "active"
_INTERNAL_KEYS = ("specRef", "priceRefs", "categoryRefs", "bundleRefs")


def _ensure(
    session: Session, service: CatalogService[Any], body: dict[str, Any], ids: dict[str, str]
) -> str:
    code = body["code"]
    existing = session.scalar(select(service.model.id).where(service.model.code == code))
    if existing is None:
        payload = {k: v for k, v in body.items() if k not in _INTERNAL_KEYS}
        payload["lifecycleStatus"] = ACTIVE
        existing = service.create(session, SYSTEM, payload).id
    ids[code] = existing
    return str(existing)


def _refs(ids: dict[str, str], codes: list[str]) -> list[dict[str, str]]:
    return [{"id": ids[code]} for code in codes]


def seed_catalog(session: Session) -> dict[str, str]:
    """Create the master catalog if missing; return code → id (see the module docstring)."""
    ids: dict[str, str] = {}
    for spec in ct2005.SPECIFICATIONS:
        _ensure(session, product_specifications, spec, ids)
    for category in ct2005.CATEGORIES:
        _ensure(session, categories, category, ids)
    for catalog in ct2005.CATALOGS:
        body = {**catalog, "category": _refs(ids, catalog["categoryRefs"])}
        _ensure(session, catalogs, body, ids)
    for price in ct2005.PRICES:
        _ensure(session, product_offering_prices, price, ids)
    for offering in ct2005.OFFERINGS:
        body = {
            **offering,
            "productSpecification": {"id": ids[offering["specRef"]]},
            "productOfferingPrice": _refs(ids, offering["priceRefs"]),
            "category": _refs(ids, offering["categoryRefs"]),
        }
        _ensure(session, product_offerings, body, ids)
    for bundle in ct2005.BUNDLES:
        body = {
            **bundle,
            "bundledProductOffering": _refs(ids, bundle["bundleRefs"]),
            "productOfferingPrice": _refs(ids, bundle["priceRefs"]),
            "category": _refs(ids, bundle["categoryRefs"]),
        }
        _ensure(session, product_offerings, body, ids)
    ids["productSpecification"] = ids["CT-PS-FIXED-VOICE"]
    ids["productOffering"] = ids["CT-PO-FIXED-LOCAL"]
    ids["productOfferingPrice"] = ids["CT-POP-LOCAL-FIRST3"]
    ids["category"] = ids["CT-CAT-FIXED"]
    ids["catalog"] = ids["CT-CATALOG-GROUP"]
    return ids
