"""Factories for bill run tests: a province with lines in and out of service in April 2026
(a 30-day month), usage mediated and rated, so that every bill can be worked out by hand.

Customer A: a fixed line (25 yuan a month) and an ADSL line (120 yuan a month) in service
since March, the ADSL ceased on 16 April (charged 1–15 April: 15/30); a PHS line activated
on 21 April (0.18 yuan a day: 10 days); two calls from the fixed line on 3 April (local
0.33, DDD 0.77). Customer B: the fixed line + ADSL bundle since March (108 yuan a month
after its 10 % off), whose members' rentals it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.clock import frozen_at
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.service import product_orders
from openbss.rating.runs import rate_period
from tests.ordering_support import GD, Sales, action_order, bundle_order, installation, single_order
from tests.rating_support import call, line, mediate, national, rating_ready

APRIL = "2026-04"
MAY = "2026-05"
IN_MARCH = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # 10:00 on 20 March in Guangzhou
CEASED = datetime(2026, 4, 16, 2, 0, tzinfo=UTC)  # 10:00 on 16 April
PHS_ON = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)  # 10:00 on 21 April
CALLS = datetime(2026, 4, 3, 2, 0, tzinfo=UTC)  # 10:00 on 3 April


@dataclass(frozen=True)
class World:
    factory: sessionmaker[Session]
    data_dir: Path
    a: Sales
    b: Sales
    fixed: str  # A's fixed line number (E.164)
    fixed_id: str
    adsl_id: str
    phs_id: str
    bundle_id: str


def second_customer(factory: sessionmaker[Session], sales: Sales, serial: int = 2) -> Sales:
    from tests.ordering_support import new_customer

    with unit_of_work(factory) as session:
        party_id, customer_id, account_id = new_customer(session, serial, "李", "华")
    return Sales(sales.catalog, customer_id, party_id, account_id)


def product_of_number(factory: sessionmaker[Session], number: str) -> str:
    with factory() as session:
        product = session.query(Product).filter(Product.service_id == number).one()
        return product.id


def order(factory: sessionmaker[Session], body: dict[str, object], at: datetime) -> str:
    with frozen_at(at):
        with factory() as session:
            created = product_orders.create(session, GD, body)
            session.commit()
            order_id = created.id
        work_until_idle(factory)
    with factory() as session:
        done = product_orders.get(session, GD, order_id)
        assert done.state == "completed", done.doc.get("stateReason")
        return order_id


def products_of(factory: sessionmaker[Session], account_id: str) -> dict[str, str]:
    """service type → product id of an account's products (one each)."""
    with factory() as session:
        rows = session.query(Product).filter(Product.billing_account_id == account_id).all()
        return {p.service_type: p.id for p in rows}


def build_world(factory: sessionmaker[Session], data_dir: Path) -> World:
    a = rating_ready(factory)
    b = second_customer(factory, a)
    fixed = line(factory, a, at=IN_MARCH, street="天河路 1 号")
    order(
        factory,
        single_order(a, "CT-PO-ADSL-2M", place=installation("天河路 1 号")),
        IN_MARCH,
    )
    order(factory, bundle_order(b), IN_MARCH)
    line(factory, a, "CT-PO-PHS", at=PHS_ON, street="天河路 1 号")
    owned = products_of(factory, a.account_id)
    order(factory, action_order(a, "delete", owned["broadband"]), CEASED)
    bundle = products_of(factory, b.account_id)["bundle"]
    rows = [
        call(0, national(fixed), CALLS, "02087654321", 200),  # local: 220 + 110 li
        call(1, national(fixed), CALLS + timedelta(minutes=5), "01062345678", 61),  # 11 × 70
    ]
    mediate(factory, data_dir, rows, "GZ-SW01_0001.csv")
    rate(factory, data_dir, APRIL)
    return World(
        factory=factory,
        data_dir=data_dir,
        a=a,
        b=b,
        fixed=fixed,
        fixed_id=owned["fixedVoice"],
        adsl_id=owned["broadband"],
        phs_id=owned["phs"],
        bundle_id=bundle,
    )


def rate(factory: sessionmaker[Session], data_dir: Path, period: str) -> None:
    rate_period(factory, data_dir, "GD", period, workers=1, partitions=1)
