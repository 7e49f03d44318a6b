"""Two orders racing for the last free number, on PostgreSQL with real concurrent sessions.

Each order is submitted in its own thread, session and transaction, as two API requests
would be. The race is forced to overlap: the first order to reserve the number waits, with
its transaction open and the row locked, until the second has reached its own reservation;
only then does it commit. Exactly one order may get the number; the other must fail with a
clear error and leave nothing behind.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import openbss.ordering.service as ordering_service
from openbss.db.engine import make_session_factory
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.errors import OpenBSSError
from openbss.numbering.service import NumberKind, create_pool
from openbss.ordering.models import ProductOrder
from openbss.ordering.service import product_orders
from tests.ordering_support import GD, installation, new_customer, sales_ready


@pytest.fixture
def pg(postgres_engine: Engine) -> Engine:
    from tests.conftest import _empty_all_tables

    _empty_all_tables(postgres_engine)
    return postgres_engine


def test_two_orders_race_for_the_last_free_number(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = make_session_factory(pg)
    sales = sales_ready(factory, pools=False)
    with unit_of_work(factory) as session:
        create_pool(
            session, GD, kind=NumberKind.FIXED, name="广州 last one", area_code="020",
            first="83016294", last="83016294",
        )  # fmt: skip
        rival = new_customer(session, 2, "黄", "丽")
    offering = sales.catalog["CT-PO-FIXED-LOCAL"]

    reached = threading.Barrier(2, timeout=2.0)
    real_reserve = ordering_service.reserve

    def reserve_then_wait(*args: Any, **kwargs: Any) -> Any:
        # The winner holds its lock here until the loser is blocked on the same row (the
        # barrier then times out) or has already lost (both arrive): a genuine overlap.
        try:
            return real_reserve(*args, **kwargs)
        finally:
            with contextlib.suppress(threading.BrokenBarrierError):
                reached.wait()

    monkeypatch.setattr(ordering_service, "reserve", reserve_then_wait)

    def order_for(customer_id: str, street: str) -> dict[str, Any]:
        return {
            "relatedParty": [{"id": customer_id, "@referredType": "Customer"}],
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "productOffering": {"id": offering},
                    "product": {"place": installation(street=street)},
                }
            ],
        }

    outcomes: dict[str, Any] = {}
    start = threading.Barrier(2)

    def submit(name: str, body: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            try:
                with unit_of_work(factory) as session:
                    row = product_orders.create(session, GD, body)
                    outcomes[name] = row.id
            except OpenBSSError as exc:
                outcomes[name] = exc

        return run

    threads = [
        threading.Thread(target=submit("a", order_for(sales.customer_id, "中山一路 1 号"))),
        threading.Thread(target=submit("b", order_for(rival[1], "中山一路 2 号"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [v for v in outcomes.values() if isinstance(v, str)]
    losers = [v for v in outcomes.values() if isinstance(v, OpenBSSError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].status == 409
    assert losers[0].code in ("NO_FREE_NUMBER", "NUMBER_UNAVAILABLE")
    assert "020" in losers[0].message
    with Session(pg) as session:
        orders = session.scalars(select(ProductOrder.id)).all()
        assert orders == winners
        assert session.scalar(select(func.count()).select_from(Product)) == 1
