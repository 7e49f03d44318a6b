"""Create / read / list / patch / delete for a TMF resource, with the product's rules.

Domain services subclass :class:`ResourceService`, name their model, API and roles, and
override :meth:`ResourceService.validate` for their business rules. The base class owns what
every resource shares: role checks, province ownership, read-only attributes, merge-patch,
audit entries and outbox events. It flushes; the entry point commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from openbss.audit import service as audit
from openbss.events import outbox
from openbss.kit.clock import now
from openbss.kit.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
)
from openbss.kit.ids import new_id
from openbss.kit.pagination import Page, PageRequest
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import (
    JSON,
    entity_tag,
    format_datetime,
    if_match_satisfied,
    merge_patch,
)
from openbss.resources.models import TmfResourceMixin
from openbss.resources.repository import ResourceRepository

M = TypeVar("M", bound=TmfResourceMixin)

ALL_ROLES = frozenset(Role)
READ_ONLY_ATTRIBUTES = frozenset({"id", "href"})


def validation_message(error: ValidationError) -> str:
    """A one-line, client-facing summary of a pydantic validation error."""
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


class ResourceService(Generic[M]):
    model: ClassVar[type[Any]]
    api: ClassVar[str]  # e.g. "party"; also the hub and event channel name
    api_path: ClassVar[str]  # e.g. "/tmf-api/party/v4"
    path: ClassVar[str]  # e.g. "individual"
    resource_type: ClassVar[str]  # e.g. "Individual"
    schema: ClassVar[type[BaseModel] | None] = None
    read_roles: ClassVar[frozenset[Role]] = ALL_ROLES
    write_roles: ClassVar[frozenset[Role]] = frozenset({Role.ADMIN})
    # Province-owned resources need a province; others may be group-owned (province NULL).
    province_owned: ClassVar[bool] = True
    state_attribute: ClassVar[str | None] = None
    stamp_last_update: ClassVar[bool] = False
    server_attributes: ClassVar[frozenset[str]] = frozenset()
    # Whether list filters on untyped attributes match the rendered JSON (a resource rendered
    # from its columns) rather than the stored document.
    filters_match_rendered: ClassVar[bool] = False

    def __init__(self) -> None:
        self.repo: ResourceRepository[M] = ResourceRepository(self.model)

    # ----- hooks for subclasses -------------------------------------------------------
    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: M | None
    ) -> JSON:
        """Check and normalise a complete document before it is stored. Default: schema."""
        return self.check_schema(doc)

    def defaults(self, doc: JSON) -> JSON:
        """Server-filled attributes on create."""
        return doc

    def apply_columns(self, row: M, doc: JSON) -> None:
        """Copy queryable attributes from the document into typed columns."""
        for attribute, column in self.model.FILTER_COLUMNS.items():
            if column != "id":
                setattr(row, column, doc.get(attribute))

    def before_delete(self, session: Session, principal: Principal, row: M) -> None:
        """Refuse deletion when other data still depends on the row."""

    # ----- shared behaviour ------------------------------------------------------------
    def check_schema(self, doc: JSON) -> JSON:
        if self.schema is None:
            return doc
        try:
            self.schema.model_validate(doc)
        except ValidationError as exc:
            raise BadRequest(
                f"invalid {self.resource_type}: {validation_message(exc)}", code="INVALID_BODY"
            ) from None
        return doc

    def href(self, resource_id: str, base_url: str | None = None) -> str:
        base = (base_url or get_settings().public_url).rstrip("/")
        return f"{base}{self.api_path}/{self.path}/{resource_id}"

    def render(self, row: M, base_url: str | None = None) -> JSON:
        body: JSON = {"id": row.id, "href": self.href(row.id, base_url)}
        body.update(row.doc)
        body.setdefault("@type", self.resource_type)
        return body

    def etag(self, row: M) -> str:
        """The entity tag of the row's representation (``ETag``; compared by ``If-Match``)."""
        return entity_tag(self.render(row))

    def check_precondition(
        self, session: Session, principal: Principal, resource_id: str, if_match: str
    ) -> None:
        """Refuse (412) a write whose ``If-Match`` names a representation that is no longer
        current. The row is locked first, so the check and the write see the same state."""
        row = self._writable(session, principal, resource_id)
        if not if_match_satisfied(if_match, self.etag(row)):
            raise PreconditionFailed(
                f"{self.resource_type} {resource_id!r} has changed since it was read "
                "(If-Match does not match its ETag); read it again"
            )

    def check_type_unchanged(self, row: M, patch: Mapping[str, Any]) -> None:
        """``@type`` says what a resource is: an Individual cannot become an Organization."""
        current = row.doc.get("@type", self.resource_type)
        if "@type" in patch and patch["@type"] != current:
            raise BadRequest(
                f"'@type' cannot be changed (this resource is a {current})",
                code="IMMUTABLE_TYPE",
            )

    def get(self, session: Session, principal: Principal, resource_id: str) -> M:
        principal.require(*self.read_roles)
        row = self.repo.get(session, principal, resource_id)
        if row is None:
            raise NotFound(f"{self.resource_type} {resource_id!r} not found")
        return row

    def list(
        self,
        session: Session,
        principal: Principal,
        filters: Mapping[str, list[str]],
        page: PageRequest,
    ) -> Page[M]:
        principal.require(*self.read_roles)
        document = self.render if self.filters_match_rendered else None
        return self.repo.list(session, principal, filters, page, document)

    def _owning_province(self, principal: Principal) -> str | None:
        if principal.province is None and self.province_owned:
            raise Unprocessable(
                f"a {self.resource_type} belongs to a province: a group-level key must name it "
                "with the X-Province header",
                code="PROVINCE_REQUIRED",
            )
        return principal.province

    def create(self, session: Session, principal: Principal, body: Mapping[str, Any]) -> M:
        principal.require(*self.write_roles)
        if "id" in body:
            raise BadRequest("'id' is assigned by the server and cannot be supplied on create")
        doc: JSON = {k: v for k, v in body.items() if k not in READ_ONLY_ATTRIBUTES}
        doc.setdefault("@type", self.resource_type)
        doc = self.defaults(doc)
        if self.stamp_last_update:
            doc["lastUpdate"] = format_datetime(now())
        province = self._owning_province(principal)
        doc = self.validate(session, principal, doc, None)
        row = self.model(id=new_id(), province=province, doc=doc)
        self.apply_columns(row, doc)
        session.add(row)
        session.flush()
        audit.record(session, principal, "create", self.resource_type, row.id, province, doc)
        self.emit(session, "CreateEvent", row)
        return row  # type: ignore[no-any-return]

    def _writable(self, session: Session, principal: Principal, resource_id: str) -> M:
        principal.require(*self.write_roles)
        row = self.repo.get(session, principal, resource_id, lock=True)
        if row is None:
            raise NotFound(f"{self.resource_type} {resource_id!r} not found")
        if row.province is None and principal.province is not None:
            raise Forbidden(
                f"{self.resource_type} {resource_id!r} is owned by the group; "
                "a province may not change it"
            )
        return row

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> M:
        row = self._writable(session, principal, resource_id)
        # A client may send back what it read; only an attempt to *change* a read-only value
        # is an error. ``href`` depends on the host the client used, so it is just ignored.
        for attribute in ("id", *self.server_attributes):
            current = row.id if attribute == "id" else row.doc.get(attribute)
            if attribute in patch and patch[attribute] != current:
                raise BadRequest(f"'{attribute}' is read-only and cannot be patched")
        self.check_type_unchanged(row, patch)
        changes = {k: v for k, v in patch.items() if k not in READ_ONLY_ATTRIBUTES}
        old_doc = dict(row.doc)
        doc: JSON = merge_patch(old_doc, changes)
        if doc == old_doc:
            # Nothing changes (``PATCH {}``, or values the resource already has): no write,
            # no audit entry, no event, and ``lastUpdate`` keeps telling the last change.
            return row
        if self.stamp_last_update:
            doc["lastUpdate"] = format_datetime(now())
        doc = self.validate(session, principal, doc, row)
        row.doc = doc
        self.apply_columns(row, doc)
        session.flush()
        changed = [k for k in set(doc) | set(old_doc) if doc.get(k) != old_doc.get(k)]
        audit.record(
            session, principal, "update", self.resource_type, row.id, row.province, changed
        )
        self.emit(session, "AttributeValueChangeEvent", row)
        state = self.state_attribute
        if state is not None and doc.get(state) != old_doc.get(state):
            self.emit(session, "StateChangeEvent", row)
        return row

    def delete(self, session: Session, principal: Principal, resource_id: str) -> None:
        row = self._writable(session, principal, resource_id)
        self.before_delete(session, principal, row)
        self.emit(session, "DeleteEvent", row)
        audit.record(session, principal, "delete", self.resource_type, row.id, row.province)
        session.delete(row)
        session.flush()

    def emit(self, session: Session, kind: str, row: M) -> None:
        """Queue the TMF event ``<ResourceType><kind>`` (e.g. ProductStateChangeEvent) for
        this row in the caller's transaction; domain code outside the service uses it too."""
        outbox.emit(
            session,
            self.api,
            f"{self.resource_type}{kind}",
            self.event_name,
            self.render(row),
            row.province,
        )

    @property
    def event_name(self) -> str:
        """The key of this resource in its events' ``event`` object (``individual``)."""
        return self.resource_type[0].lower() + self.resource_type[1:]
