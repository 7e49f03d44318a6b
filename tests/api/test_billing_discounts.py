"""Discounts, caps, minimum spend and enterprise discounts from data, through the bill run.

The world of tests/billing_support.py (April 2026), with terms added to its offerings and a
parent account, every amount worked out by hand:

- the fixed line's offering takes 50 % off usage only;
- the ADSL offering takes a fixed 100.00 yuan off (more than its rental);
- the PHS offering has a minimum spend of 10.00 yuan a month (rentals and usage);
- the fixed + ADSL bundle caps its rentals at 100.00 yuan a month;
- a parent account gives 10 % (enterpriseDiscountPercent) to its children: A has none of its
  own and inherits it, B has its own 0 % and gets nothing.

Customer A (fixed 25.00, ADSL 1–15 April 60.00, PHS 10 days 1.80, calls 1.10):
1. product discounts: usage 110 × 50 % = −55; ADSL −6000 (bounded by the 60.00 rental);
2. enterprise 10 % of what is left: fixed rental −250, PHS −18, usage 55 × 10 % = 5.5 → −6
   (half-up); nothing of the ADSL's 0;
3. minimum spend of the PHS: 1000 − (180 − 18) = 838 topped up.
Total 2500 + 6000 + 180 + 110 − 55 − 6000 − 250 − 18 − 6 + 838 = 3299.

Customer B: the bundle's 108.00 (after its own 10 % price alteration) capped at 100.00:
−800; members' own offering terms do not apply (the bundle's replace them). Total 10000.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.service import billing_accounts
from openbss.billing import repository as repo
from openbss.billing.runs import run_bills
from openbss.catalog.service import product_offering_prices, product_offerings
from openbss.db.uow import unit_of_work
from openbss.kit.security import SYSTEM
from tests.billing_support import APRIL, World, build_world
from tests.ordering_support import GD

Item = tuple[str, str | None, str, str, int]  # charge type, product, source kind, id, fen


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    return build_world(session_factory, tmp_path)


def _add_term(session: Session, catalog: dict[str, str], offering_code: str, body: Any) -> str:
    """A billing discount price on the offering; returns the price id."""
    price = product_offering_prices.create(
        session,
        SYSTEM,
        {"validFor": {"startDateTime": "2026-01-01T00:00:00Z"}, "lifecycleStatus": "active"} | body,
    )
    offering_id = catalog[offering_code]
    offering = product_offerings.get(session, SYSTEM, offering_id)
    refs = [*offering.doc["productOfferingPrice"], {"id": price.id}]
    product_offerings.patch(session, SYSTEM, offering_id, {"productOfferingPrice": refs})
    return price.id


def _money(value: str) -> dict[str, str]:
    return {"unit": "CNY", "value": value}


def _items(factory: sessionmaker[Session], run_id: str) -> dict[str, tuple[int, list[Item]]]:
    """account → (bill amount, its items)."""
    with factory() as session:
        return {
            bill.billing_account_id: (
                bill.amount_fen,
                [
                    (i.charge_type, i.product_id, i.source_kind, i.source_id, i.amount_fen)
                    for i in repo.bill_items(session, bill.id)
                ],
            )
            for bill in repo.run_bills(session, run_id)
        }


def test_offering_terms_and_an_inherited_enterprise_discount_make_the_bill(
    world: World,
) -> None:
    factory, catalog = world.factory, world.a.catalog
    with unit_of_work(factory) as session:
        usage_off = _add_term(
            session,
            catalog,
            "CT-PO-FIXED-LOCAL",
            {
                "name": "通话五折",
                "priceType": "discount",
                "percentage": 50,
                "chargeType": ["usage"],
            },
        )
        adsl_off = _add_term(
            session,
            catalog,
            "CT-PO-ADSL-2M",
            {"name": "宽带立减100元", "priceType": "discount", "price": _money("100.00")},
        )
        minimum = _add_term(
            session,
            catalog,
            "CT-PO-PHS",
            {"name": "小灵通保底", "priceType": "minimumSpend", "price": _money("10.00")},
        )
        cap = _add_term(
            session,
            catalog,
            "CT-PO-BUNDLE-FIXED-ADSL",
            {
                "name": "套餐封顶",
                "priceType": "cap",
                "price": _money("100.00"),
                "chargeType": ["recurring"],
            },
        )
        a_account = billing_accounts.get(session, GD, world.a.account_id)
        parent = billing_accounts.create(
            session,
            GD,
            {
                "name": "集团帐户",
                "state": "active",
                "relatedParty": a_account.doc["relatedParty"],
                "enterpriseDiscountPercent": 10,
            },
        )
        link = [{"relationshipType": "parent", "account": {"id": parent.id}}]
        billing_accounts.patch(session, GD, world.a.account_id, {"accountRelationship": link})
        billing_accounts.patch(
            session,
            GD,
            world.b.account_id,
            {"accountRelationship": link, "enterpriseDiscountPercent": 0},
        )

    run = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    bills = _items(factory, run.id)
    a_total, a_items = bills[world.a.account_id]
    fixed, adsl, phs = world.fixed_id, world.adsl_id, world.phs_id
    discounts = [i for i in a_items if i[0] in ("discount", "minimumSpendTopUp")]
    assert sorted(discounts, key=lambda i: (i[2], i[4])) == sorted(
        [
            ("discount", fixed, "discount", usage_off, -55),  # usage only, 50 %
            ("discount", adsl, "discount", adsl_off, -6000),  # 100.00 off a 60.00 rental
            ("discount", fixed, "discount", parent.id, -250),  # inherited 10 %
            ("discount", phs, "discount", parent.id, -18),
            ("discount", fixed, "discount", parent.id, -6),  # 10 % of 55, half-up
            ("minimumSpendTopUp", phs, "minimumSpend", minimum, 838),
        ],
        key=lambda i: (i[2], i[4]),
    )
    assert a_total == 3299
    b_total, b_items = bills[world.b.account_id]
    assert [i for i in b_items if i[0] == "discount"] == [
        ("discount", world.bundle_id, "cap", cap, -800)
    ]
    assert b_total == 10000


def test_the_seed_catalog_has_an_illustrative_capped_phs_plan(world: World) -> None:
    offering_id = world.a.catalog["CT-PO-PHS-CAPPED"]
    with world.factory() as session:
        terms = repo.offering_prices(session, [offering_id])[offering_id].discounts
    assert [
        (t.terms.kind, t.terms.charge_types, t.amount_at(t.versions[0].effective_from))
        for t in terms
    ] == [("cap", ("recurring", "usage"), 3000)]
