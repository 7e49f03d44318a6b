"""Product offerings: single offerings (one specification) and bundles (套餐) of offerings."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.orm import Session

from openbss.catalog.calculations import PAYMENT_MODES, POSTPAID
from openbss.catalog.errors import InvalidCharacteristic, InvalidReference, MissingAttribute
from openbss.catalog.models import ProductOffering
from openbss.catalog.schemas import ProductOfferingSchema
from openbss.catalog.service.base import CatalogService
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON


def _bundled_ids(doc: dict[str, Any]) -> list[str]:
    return [item["id"] for item in doc.get("bundledProductOffering") or [] if "id" in item]


class ProductOfferingService(CatalogService[ProductOffering]):
    model = ProductOffering
    path = "productOffering"
    resource_type = "ProductOffering"
    schema = ProductOfferingSchema
    sellable_references: ClassVar[frozenset[str]] = frozenset(
        {"productSpecification", "bundledProductOffering", "productOfferingPrice"}
    )
    bundles = True

    def check_rules(
        self, session: Session, principal: Principal, doc: JSON, existing: ProductOffering | None
    ) -> None:
        mode = doc.get("paymentMode")
        if mode is not None and mode not in PAYMENT_MODES:
            raise InvalidCharacteristic(
                f"paymentMode must be one of {', '.join(sorted(PAYMENT_MODES))}, not {mode!r}"
            )
        bundled = doc.get("bundledProductOffering") or []
        if doc.get("isBundle") is True:
            if not bundled:
                raise MissingAttribute("a bundle (isBundle: true) needs bundledProductOffering")
        else:
            # An offering sells exactly one specification (and the CTK requires it on reads).
            if not doc.get("productSpecification"):
                raise MissingAttribute("a single offering needs its productSpecification")
            if bundled:
                raise InvalidReference("only a bundle (isBundle: true) has bundledProductOffering")
        for item in bundled:
            option = item.get("bundledProductOfferingOption") or {}
            low = option.get("numberRelOfferLowerLimit")
            high = option.get("numberRelOfferUpperLimit")
            if isinstance(low, int) and isinstance(high, int) and low > high:
                raise InvalidReference(
                    f"bundledProductOffering {item.get('id')!r}: lower limit is above upper limit"
                )

    def check_graph(self, session: Session, doc: JSON, existing: ProductOffering | None) -> None:
        """A bundle may contain bundles, but never (transitively) itself."""
        if existing is None:
            return  # a new offering cannot be inside anything yet
        pending = _bundled_ids(doc)
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            if current == existing.id:
                raise InvalidReference(
                    f"bundledProductOffering: offering {existing.id!r} would contain itself"
                )
            if current in seen:
                continue
            seen.add(current)
            row = session.get(ProductOffering, current)
            if row is not None:
                pending.extend(_bundled_ids(row.doc))

    def apply_columns(self, row: ProductOffering, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.is_bundle = doc.get("isBundle") is True
        specification = doc.get("productSpecification") or {}
        row.product_specification_id = specification.get("id")
        # Extension attribute: "prepaid" lines are charged online against a balance
        # (openbss.charging); absent or "postpaid" means billed monthly.
        row.payment_mode = doc.get("paymentMode") or POSTPAID


product_offerings = ProductOfferingService()
