"""What every TMF620 resource service shares: lifecycle, codes, references, ownership.

Reference validation. Every reference to a resource this API serves (productSpecification,
bundledProductOffering, productOfferingPrice, category, bundledPopRelationship, …; see
calculations.REFERENCE_ATTRIBUTES) must name an existing row in the owner's scope — the
group catalog plus, for a province row, that province's own rows; a group row may only
reference group rows, since every province sees it. Otherwise the write is refused with 422
``UNKNOWN_REFERENCE`` and nothing is written. References to other APIs (service and resource
specifications, parties, channels, places) are accepted as given.

The official TMF620 CTK POSTs a productOffering whose productSpecification id is "9881", which
does not exist here: the CTK harness must first rewrite that id to a seeded specification id
(``seed_catalog()["productSpecification"]``). Accepting dangling references instead would let
the group catalog publish offerings that provinces cannot sell.

Ownership: the group (a key without province) owns the master catalog (province NULL); a
province key may add local rows and cannot change group rows (403, from the base class).
Everyone reads the catalog; only ``admin`` (the product manager) writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openbss.catalog import calculations as calc
from openbss.catalog.errors import (
    DuplicateCode,
    InUse,
    InvalidReference,
    ReferenceNotSellable,
    UnknownReference,
)
from openbss.catalog.models import (
    CatalogReference,
    Category,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
)
from openbss.kit.errors import Conflict
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON
from openbss.resources.models import TmfResourceMixin
from openbss.resources.service import ResourceService
from openbss.resources.validation import check_period, check_transition

API = "productCatalogManagement"
API_PATH = "/tmf-api/productCatalogManagement/v4"

M = TypeVar("M", bound=TmfResourceMixin)

TARGET_MODELS: dict[str, type[TmfResourceMixin]] = {
    calc.SPECIFICATION: ProductSpecification,
    calc.OFFERING: ProductOffering,
    calc.PRICE: ProductOfferingPrice,
    calc.CATEGORY: Category,
}

# Attributes the server computes on output and ignores on input.
RENDERED_ONLY = ("priceVersion",)


class CatalogService(ResourceService[M]):
    api = API
    api_path = API_PATH
    province_owned = False
    stamp_last_update = True
    state_attribute: ClassVar[str | None] = "lifecycleStatus"
    # References whose targets must be sellable when this resource is (e.g. a bundle's parts).
    sellable_references: ClassVar[frozenset[str]] = frozenset()
    # Whether the resource may be a bundle of its own kind (TMF620 ``isBundle``, false unless said).
    bundles: ClassVar[bool] = False

    # ----- hooks for the resource services ----------------------------------------------
    def check_rules(
        self, session: Session, principal: Principal, doc: JSON, existing: M | None
    ) -> None:
        """Resource-specific rules, run after the schema and lifecycle checks."""

    def check_graph(self, session: Session, doc: JSON, existing: M | None) -> None:
        """Checks that need the referenced rows (cycles), run after references resolve."""

    # ----- shared rules ------------------------------------------------------------------
    def defaults(self, doc: JSON) -> JSON:
        if self.bundles:
            doc.setdefault("isBundle", False)
        doc["lifecycleStatus"] = calc.normalise_lifecycle(
            doc.get("lifecycleStatus") or calc.DEFAULT_LIFECYCLE
        )
        return doc

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: M | None
    ) -> JSON:
        for attribute in RENDERED_ONLY:
            doc.pop(attribute, None)
        if "lifecycleStatus" in doc:
            doc["lifecycleStatus"] = calc.normalise_lifecycle(doc["lifecycleStatus"])
        self.check_schema(doc)
        old_state = existing.doc.get("lifecycleStatus") if existing is not None else None
        check_transition(
            self.path, "lifecycleStatus", old_state, doc.get("lifecycleStatus"), calc.LIFECYCLE
        )
        check_period(doc.get("validFor"))
        self._check_code(session, doc.get("code"), existing)
        self.check_rules(session, principal, doc, existing)
        owner = existing.province if existing is not None else principal.province
        targets = self._resolve(session, doc, existing, owner)
        self.check_graph(session, doc, existing)
        self._check_sellable(doc, existing, targets)
        return doc

    def _check_code(self, session: Session, code: Any, existing: M | None) -> None:
        if code is None:
            return
        statement = select(self.model.id).where(self.model.code == code)
        for other_id in session.scalars(statement):
            if existing is None or other_id != existing.id:
                raise DuplicateCode(f"the code {code!r} is already used by {self.path} {other_id}")

    def _resolve(
        self, session: Session, doc: JSON, existing: M | None, owner: str | None
    ) -> dict[calc.Reference, TmfResourceMixin]:
        refs = calc.references(self.resource_type, doc)
        own_id = existing.id if existing is not None else None
        for ref in calc.self_references(own_id, refs):
            raise InvalidReference(f"{ref.attribute}: a {self.path} cannot reference itself")
        for attribute in {r.attribute for r in refs}:
            repeated = calc.duplicate_ids(refs, attribute)
            if repeated:
                raise InvalidReference(f"{attribute}: {repeated[0]!r} is listed twice")
        found: dict[calc.Reference, TmfResourceMixin] = {}
        for ref in refs:
            row = session.get(TARGET_MODELS[ref.target], ref.id)
            # A group row may only use group rows; a province row also its own province's.
            if row is None or row.province not in (None, owner):
                raise UnknownReference(
                    f"{ref.attribute} references {ref.target} {ref.id!r}, which does not exist "
                    "in the catalog"
                )
            found[ref] = row
        return found

    def _check_sellable(
        self, doc: JSON, existing: M | None, targets: Mapping[calc.Reference, TmfResourceMixin]
    ) -> None:
        if doc.get("lifecycleStatus") not in calc.SELLABLE or not self.sellable_references:
            return
        watched = {r for r in targets if r.attribute in self.sellable_references}
        if existing is not None and existing.doc.get("lifecycleStatus") in calc.SELLABLE:
            before = calc.references(self.resource_type, existing.doc)
            if watched <= set(before):
                return  # already sellable and nothing new to sell
        for ref in sorted(watched, key=lambda r: (r.attribute, r.id)):
            status = targets[ref].doc.get("lifecycleStatus")
            if status not in calc.SELLABLE:
                raise ReferenceNotSellable(
                    f"a {doc['lifecycleStatus']} {self.path} cannot use {ref.target} {ref.id!r} "
                    f"({ref.attribute}), whose lifecycleStatus is {status!r}; activate it first"
                )

    # ----- writes keep the reference index in step ---------------------------------------
    def create(self, session: Session, principal: Principal, body: Mapping[str, Any]) -> M:
        row = super().create(session, principal, body)
        self._index_references(session, row)
        return row

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> M:
        row = super().patch(session, principal, resource_id, patch)
        self._index_references(session, row)
        return row

    def before_delete(self, session: Session, principal: Principal, row: M) -> None:
        status = row.doc.get("lifecycleStatus")
        if status in calc.UNDELETABLE:
            raise Conflict(
                f"{self.path} {row.id!r} is {status}; retire it instead of deleting it",
                code="SELLABLE_NOT_DELETABLE",
            )
        users = session.scalars(
            select(CatalogReference)
            .where(CatalogReference.target_id == row.id, CatalogReference.source_id != row.id)
            .order_by(CatalogReference.source_type, CatalogReference.source_id)
        ).all()
        if users:
            names = ", ".join(f"{u.source_type} {u.source_id} ({u.attribute})" for u in users[:5])
            raise InUse(f"{self.path} {row.id!r} is still referenced by {names}")

    def delete(self, session: Session, principal: Principal, resource_id: str) -> None:
        super().delete(session, principal, resource_id)
        session.execute(delete(CatalogReference).where(CatalogReference.source_id == resource_id))

    def _index_references(self, session: Session, row: M) -> None:
        session.execute(delete(CatalogReference).where(CatalogReference.source_id == row.id))
        for ref in calc.references(self.resource_type, row.doc):
            session.add(
                CatalogReference(
                    source_id=row.id,
                    attribute=ref.attribute,
                    target_id=ref.id,
                    source_type=self.path,
                    target_type=ref.target,
                )
            )
        session.flush()
