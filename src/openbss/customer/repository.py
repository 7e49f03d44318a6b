"""Customer queries other domains need beyond the generic resource repository."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.customer.models import Customer


def customer_of_party(session: Session, party_id: str, province: str | None) -> Customer | None:
    """The customer engaging ``party_id`` in ``province`` (at most one: a unique key)."""
    return session.scalar(
        select(Customer).where(Customer.engaged_party_id == party_id, Customer.province == province)
    )
