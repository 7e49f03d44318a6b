"""The read functions behind the managers' dashboards, on the domains' public faces: lines in
service by offering and local network, orders by channel and state, billed revenue by line."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.public import revenue_by_line
from openbss.db.uow import unit_of_work
from openbss.inventory.public import subscriber_counts
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.public import order_counts
from openbss.ordering.service import product_orders
from tests.ordering_support import GD, bundle_order, sales_ready
from tests.payments_support import final_period


def test_the_dashboards_figures(session_factory: sessionmaker[Session]) -> None:
    sales = sales_ready(session_factory)
    with unit_of_work(session_factory) as session:
        product_orders.create(session, GD, bundle_order(sales))
    work_until_idle(session_factory)
    with unit_of_work(session_factory) as session:
        final_period(session, "2026-03", [(sales.account_id, 1000, 0)], due=date(2026, 4, 20))
        final_period(session, "2026-04", [(sales.account_id, 3001, 0)], due=date(2026, 5, 20))
    with session_factory() as session:
        fixed = sales.catalog["CT-PO-FIXED-LOCAL"]
        adsl = sales.catalog["CT-PO-ADSL-2M"]
        # the bundle counts through its members, each a line of the 020 local network
        assert sorted(subscriber_counts(session, "GD")) == sorted(
            [(fixed, "020", 1), (adsl, "020", 1)]
        )
        assert subscriber_counts(session, "SH") == []
        assert order_counts(session, "GD") == [("retailHall", "completed", 1)]
        assert order_counts(session, None) == [("retailHall", "completed", 1)]
        assert revenue_by_line(session, "GD", 1) == [
            ("2026-04", "recurring", 1501),
            ("2026-04", "usage", 1500),
        ]
        assert revenue_by_line(session, None, 6) == [
            ("2026-03", "recurring", 500),
            ("2026-03", "usage", 500),
            ("2026-04", "recurring", 1501),
            ("2026-04", "usage", 1500),
        ]
