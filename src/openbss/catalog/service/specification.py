"""Product specifications: what is sold, per line of business (serviceType)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from openbss.catalog.calculations import check_characteristics, check_service_type
from openbss.catalog.errors import InvalidReference, MissingAttribute
from openbss.catalog.models import ProductSpecification
from openbss.catalog.schemas import ProductSpecificationSchema
from openbss.catalog.service.base import CatalogService
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON


class ProductSpecificationService(CatalogService[ProductSpecification]):
    model = ProductSpecification
    path = "productSpecification"
    resource_type = "ProductSpecification"
    schema = ProductSpecificationSchema
    sellable_references: ClassVar[frozenset[str]] = frozenset({"bundledProductSpecification"})
    bundles = True

    def check_rules(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: ProductSpecification | None,
    ) -> None:
        check_service_type(doc.get("serviceType"))
        check_characteristics(doc.get("productSpecCharacteristic"))
        bundled = doc.get("bundledProductSpecification") or []
        if doc.get("isBundle") is True and not bundled:
            raise MissingAttribute("a bundle specification needs bundledProductSpecification")
        if doc.get("isBundle") is not True and bundled:
            raise InvalidReference("only a bundle (isBundle: true) has bundledProductSpecification")

    def apply_columns(self, row: ProductSpecification, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.is_bundle = doc.get("isBundle") is True


product_specifications = ProductSpecificationService()
