"""The hub of one TMF API: who may listen to which events, and the audit of hub changes.

A listener receives the same resources it could read: subscribing needs the read role of at
least one resource of the API, and the subscription receives the events of exactly those
resources whose read roles include the subscriber's (an API's resources may differ: a partner
reads organizations but not individuals). Province scope applies as on reads: a province's
subscription receives its province's events and the group's, a group subscription all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from openbss.audit import service as audit
from openbss.events import outbox
from openbss.kit.errors import Forbidden
from openbss.kit.security import SYSTEM, Principal, Role
from openbss.resources.service import ResourceService

ENTITY = "HubSubscription"


class Hub:
    def __init__(self, api: str, services: Iterable[ResourceService[Any]]) -> None:
        self.api = api
        self.readers: dict[str, frozenset[Role]] = {}
        for service in services:
            if service.api != api:
                raise ValueError(f"{service.resource_type} is not a resource of the {api} API")
            self.readers[service.event_name] = service.read_roles

    def readable_by(self, role: Role) -> list[str]:
        return sorted(name for name, roles in self.readers.items() if role in roles)

    def subscribe(
        self, session: Session, principal: Principal, callback: str, query: str | None
    ) -> outbox.NewSubscription:
        resources = self.readable_by(principal.role)
        if not resources:
            allowed = ", ".join(sorted({r.value for roles in self.readers.values() for r in roles}))
            raise Forbidden(
                f"role '{principal.role.value}' may not read the {self.api} API's resources, "
                f"so it may not listen to their events (allowed: {allowed})"
            )
        created = outbox.subscribe(session, principal, self.api, callback, query, resources)
        row = created.row
        attributes = ["api", "callback", "resources"] + (["query"] if row.query else [])
        audit.record(session, principal, "create", ENTITY, row.id, row.province, attributes)
        return created

    def unsubscribe(self, session: Session, principal: Principal, subscription_id: str) -> None:
        row = outbox.unsubscribe(session, principal, self.api, subscription_id)
        audit.record(session, principal, "delete", ENTITY, row.id, row.province)


def remove_listeners_of(session: Session, key_id: str) -> int:
    """Remove the subscriptions of a revoked key, so its listeners receive nothing more."""
    rows = outbox.remove_subscriptions_of(session, key_id)
    for row in rows:
        audit.record(session, SYSTEM, "delete", ENTITY, row.id, row.province)
    return len(rows)
