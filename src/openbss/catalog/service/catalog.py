"""Catalogs and categories: how offerings are grouped and published."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.catalog.errors import InvalidReference
from openbss.catalog.models import Catalog, Category
from openbss.catalog.schemas import CatalogSchema, CategorySchema
from openbss.catalog.service.base import CatalogService
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON


class CatalogResourceService(CatalogService[Catalog]):
    model = Catalog
    path = "catalog"
    resource_type = "Catalog"
    schema = CatalogSchema


class CategoryService(CatalogService[Category]):
    model = Category
    path = "category"
    resource_type = "Category"
    schema = CategorySchema

    def check_rules(
        self, session: Session, principal: Principal, doc: JSON, existing: Category | None
    ) -> None:
        if doc.get("isRoot") is True and doc.get("parentId"):
            raise InvalidReference("a root category (isRoot: true) has no parentId")

    def check_graph(self, session: Session, doc: JSON, existing: Category | None) -> None:
        """Walking up from the new parent must never come back to this category."""
        if existing is None:
            return
        parent = doc.get("parentId")
        seen: set[str] = set()
        while isinstance(parent, str) and parent not in seen:
            if parent == existing.id:
                raise InvalidReference(
                    f"parentId: category {existing.id!r} would be its own ancestor"
                )
            seen.add(parent)
            row = session.get(Category, parent)
            parent = row.doc.get("parentId") if row is not None else None


catalogs = CatalogResourceService()
categories = CategoryService()
