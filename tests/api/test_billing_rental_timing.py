"""Rentals as the price says: in advance or in arrears, and whether a suspended line pays.

Worked by hand on the April 2026 province of ``tests/billing_support.py``: customer A's fixed
line (25 yuan a month) has been in service since March; its PHS line (0.18 yuan a day) from
21 April.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import BillItem, CustomerBill
from openbss.billing.runs import run_bills
from openbss.catalog.public import get_price, price_ids_by_code
from openbss.db.uow import unit_of_work
from tests.billing_support import APRIL, MAY, World, build_world, order, rate
from tests.ordering_support import action_order

FIXED_RENTAL = "CT-POP-FIXED-RENTAL"
PHS_RENTAL = "CT-POP-PHS-RENTAL"


def _set_price(factory: sessionmaker[Session], code: str, **attributes: object) -> None:
    with unit_of_work(factory) as session:
        price = get_price(session, price_ids_by_code(session, [code])[code])
        assert price is not None
        price.doc = {**price.doc, **attributes}


def _lines(factory: sessionmaker[Session], run_id: str, product_id: str) -> list[tuple[str, int]]:
    with factory() as session:
        rows = session.execute(
            select(BillItem.description_key, BillItem.amount_fen, BillItem.first_day)
            .join(CustomerBill, CustomerBill.id == BillItem.bill_id)
            .where(CustomerBill.run_id == run_id, BillItem.product_id == product_id)
            .where(BillItem.charge_type.in_(["recurring", "credit"]))
            .order_by(BillItem.sequence)
        ).all()
    return [(key, amount) for key, amount, _ in rows]


def test_a_rental_in_advance_is_billed_a_month_ahead_and_settled_on_the_next_bill(
    session_factory: sessionmaker[Session], tmp_path: object
) -> None:
    world: World = build_world(session_factory, tmp_path)  # type: ignore[arg-type]
    factory = world.factory
    _set_price(factory, FIXED_RENTAL, chargeTiming="inAdvance")

    april = run_bills(factory, world.data_dir, "GD", APRIL, trial=False)
    # April as prorated (all 30 days: 2500), and May ahead as the line stands at the end of
    # April (all 31 days: 2500).
    assert _lines(factory, april.id, world.fixed_id) == [
        ("rental.monthly", 2500),
        ("rental.inAdvance", 2500),
    ]

    # Ceased at 10:00 on 11 May: May's real rental is 10 of 31 days, round(2500 × 10 / 31) =
    # 806; the 2500 charged ahead is credited; nothing is charged ahead for June.
    order(
        factory,
        action_order(world.a, "delete", world.fixed_id),
        datetime(2026, 5, 11, 2, 0, tzinfo=UTC),
    )
    rate(factory, world.data_dir, MAY)
    may = run_bills(factory, world.data_dir, "GD", MAY, trial=False)
    assert _lines(factory, may.id, world.fixed_id) == [
        ("rental.monthly", 806),
        ("rental.advanceSettled", -2500),
    ]


def test_a_trial_never_counts_as_charged_in_advance(
    session_factory: sessionmaker[Session], tmp_path: object
) -> None:
    world: World = build_world(session_factory, tmp_path)  # type: ignore[arg-type]
    factory = world.factory
    _set_price(factory, FIXED_RENTAL, chargeTiming="inAdvance")
    run_bills(factory, world.data_dir, "GD", APRIL, trial=True)  # reviewed, never finalised
    rate(factory, world.data_dir, MAY)
    # April is still open, so May's bill cannot be made before it: bill April for real first.
    april = run_bills(factory, world.data_dir, "GD", APRIL, trial=False)
    assert ("rental.inAdvance", 2500) in _lines(factory, april.id, world.fixed_id)
    may = run_bills(factory, world.data_dir, "GD", MAY, trial=True)
    # Exactly one settlement of what April's final bill charged ahead.
    assert _lines(factory, may.id, world.fixed_id) == [
        ("rental.monthly", 2500),
        ("rental.advanceSettled", -2500),
        ("rental.inAdvance", 2500),
    ]


def test_a_suspended_line_pays_its_rental_only_when_the_price_says_so(
    session_factory: sessionmaker[Session], tmp_path: object
) -> None:
    world: World = build_world(session_factory, tmp_path)  # type: ignore[arg-type]
    factory = world.factory
    # Suspended at 10:00 on 26 April: 21–25 April charged (5 days × 18 = 90 fen) by default.
    order(
        factory,
        action_order(world.a, "suspend", world.phs_id),
        datetime(2026, 4, 26, 2, 0, tzinfo=UTC),
    )
    trial = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    assert _lines(factory, trial.id, world.phs_id) == [("rental.daily", 90)]

    from openbss.billing.runs import discard_run

    with unit_of_work(factory) as session:
        discard_run(session, trial.id)
    # With chargeWhenSuspended the suspended days pay too: 21–30 April, 10 × 18 = 180.
    _set_price(factory, PHS_RENTAL, chargeWhenSuspended=True)
    again = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    assert _lines(factory, again.id, world.phs_id) == [("rental.daily", 180)]
