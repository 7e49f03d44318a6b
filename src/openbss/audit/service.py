"""Recording and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
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


def history(
    session: Session,
    principal: Principal,
    entity_ids: Iterable[str],
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest changes to these entities that the caller's province may see (the group
    sees every province), newest first. The caller checks the role that may read them."""
    ids = sorted(set(entity_ids))
    if not ids:
        return []
    query = select(AuditEntry).where(AuditEntry.entity_id.in_(ids))
    if principal.province is not None:
        query = query.where(
            or_(AuditEntry.province == principal.province, AuditEntry.province.is_(None))
        )
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(query))
