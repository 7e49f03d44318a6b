"""Customer queries other domains need beyond the generic resource repository."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openbss.customer.models import Customer
from openbss.kit.security import Principal
from openbss.kit.tmf import LIKE_ESCAPE, like_pattern


def customer_of_party(session: Session, party_id: str, province: str | None) -> Customer | None:
    """The customer engaging ``party_id`` in ``province`` (at most one: a unique key)."""
    return session.scalar(
        select(Customer).where(Customer.engaged_party_id == party_id, Customer.province == province)
    )


def customers_named(
    session: Session, principal: Principal, pattern: str, limit: int
) -> Sequence[Customer]:
    """Up to ``limit`` customers the caller may see whose name matches ``pattern`` (``*`` any
    run, case-insensitive), by name. No count: a search asks for one more row than it shows."""
    statement = select(Customer).where(
        Customer.name.ilike(like_pattern(pattern), escape=LIKE_ESCAPE)
    )
    if not principal.is_group:
        statement = statement.where(
            or_(Customer.province.is_(None), Customer.province == principal.province)
        )
    return session.scalars(statement.order_by(Customer.name, Customer.id).limit(limit)).all()
