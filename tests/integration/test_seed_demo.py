"""The demo seed goes through the services, obeys their rules and is idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from openbss.customer.models import Customer
from openbss.db.uow import unit_of_work
from openbss.party.models import Individual, Organization
from openbss.seed.demo import seed_demo


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Individual, Organization, Customer, BillingAccount)
        }


def test_seed_creates_once_and_is_idempotent(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        first = seed_demo(session, "GD", customer_count=20, enterprise_count=4)
    expected = {"Individual": 20, "Organization": 4, "Customer": 24, "BillingAccount": 20 + 4 * 3}
    assert _counts(session_factory) == expected
    assert first.created["customer"] == 24
    with unit_of_work(session_factory) as session:
        second = seed_demo(session, "GD", customer_count=20, enterprise_count=4)
    assert _counts(session_factory) == expected
    assert "customer" not in second.created
    assert second.existing["individual"] == 20
    with session_factory() as s:
        branches = s.scalars(
            select(BillingAccount).where(BillingAccount.parent_account_id.is_not(None))
        ).all()
        assert len(branches) == 8
        assert all(b.consolidated_billing for b in branches)
        assert {c.province for c in s.scalars(select(Customer))} == {"GD"}
