"""What other domains may use of customer (TMF629)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.customer.models import Customer
from openbss.customer.repository import customer_of_party, customers_named
from openbss.customer.service import CUSTOMER_READERS, customer_for_party, customers


def get_customer(session: Session, customer_id: str) -> Customer | None:
    return session.get(Customer, customer_id)


__all__ = [
    "CUSTOMER_READERS",
    "Customer",
    "customer_for_party",
    "customer_of_party",
    "customers",
    "customers_named",
    "get_customer",
]
