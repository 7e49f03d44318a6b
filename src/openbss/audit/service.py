"""Recording and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from openbss.audit.models import AuditEntry
from openbss.kit.security import Principal


def record(
    session: Session,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    province: str | None,
    attributes: Iterable[str] = (),
) -> None:
    """Append an audit entry in the caller's transaction (it commits or rolls back with it)."""
    session.add(
        AuditEntry(
            actor_key_id=principal.key_id,
            actor_role=principal.role.value,
            province=province,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changed_attributes={"names": sorted(set(attributes))},
        )
    )
