"""Commission test data: agent GD-AG-001 with a commission contract, three bundles sold (two by
the agent), one ceased early, and October 2026's final bills (see
tests/service/test_commission_runs.py for the amounts worked by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import BillingPeriod, BillItem, BillRun, CustomerBill, RunStatus
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.ids import new_id
from openbss.settlement.partners import public as partners
from tests.billing_support import order, second_customer
from tests.ordering_support import Sales, action_order, bundle_order, installation, sales_ready
from tests.settlement_partner_support import GD_FINANCE, agent

A_ON = datetime(2026, 9, 20, 2, 0, tzinfo=UTC)
B_ON = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
C_ON = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)
B_OFF = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
TERMS = {
    "activation_fen": 5000,
    "service_types": ["bundle"],
    "revenue_share_bp": 1000,
    "revenue_share_months": 3,
    "clawback_months": 3,
}


def sold_by(sales: Sales, seller_id: str, street: str) -> dict[str, object]:
    body = bundle_order(sales)
    body["channel"] = [{"id": "agent", "role": "salesChannel"}]
    body["relatedParty"] = [
        {"id": sales.customer_id, "role": "customer", "@referredType": "Customer"},
        {"id": seller_id, "role": "salesAgent", "@referredType": "PartyRole"},
    ]
    body["productOrderItem"][0]["product"] = {"place": installation(street)}  # type: ignore[index]
    return body


def bundle_of(factory: sessionmaker[Session], account_id: str) -> tuple[str, list[str]]:
    with factory() as session:
        rows = session.scalars(select(Product).where(Product.billing_account_id == account_id))
        products = list(rows)
    bundle = next(p.id for p in products if p.service_type == "bundle")
    return bundle, sorted(p.id for p in products if p.parent_product_id == bundle)


def finalise(session: Session, period: str, bills: dict[str, list[tuple[str, int, int]]]) -> None:
    """A finalised bill run of ``period``: per account, (product, amount with tax, tax) items."""
    run_id = new_id()
    session.add(
        BillRun(
            id=run_id,
            province="GD",
            period=period,
            status=RunStatus.FINALISED,
            started_at=datetime.now(UTC),
        )
    )
    session.flush()
    for n, (account_id, items) in enumerate(sorted(bills.items())):
        bill_id = new_id()
        session.add(
            CustomerBill(
                id=bill_id,
                province="GD",
                doc={},
                run_id=run_id,
                bill_no=f"B{n}{bill_id[:6]}",
                billing_account_id=account_id,
                period=period,
                state="new",
                bill_date=date(2026, 11, 1),
                payment_due_date=date(2026, 11, 20),
                amount_fen=sum(i[1] for i in items),
                tax_fen=sum(i[2] for i in items),
            )
        )
        session.flush()
        for sequence, (product_id, amount, tax) in enumerate(items):
            session.add(
                BillItem(
                    id=new_id(),
                    province="GD",
                    doc={},
                    bill_id=bill_id,
                    sequence=sequence,
                    billing_account_id=account_id,
                    product_id=product_id,
                    charge_type="recurring",
                    tax_category="basic",
                    source_kind="test",
                    source_id=f"{bill_id}-{sequence}",
                    description_key="recurring",
                    amount_fen=amount,
                    tax_fen=tax,
                    tax_rate_bp=900,
                )
            )
    session.add(BillingPeriod(province="GD", period=period, run_id=run_id))


def build_world(factory: sessionmaker[Session]) -> dict[str, str]:
    """The agent, its contract, three customers' bundles and October's final bills."""
    a = sales_ready(factory)
    b = second_customer(factory, a, 2)
    c = second_customer(factory, a, 3)
    with unit_of_work(factory) as session:
        seller = agent(session, "GD-AG-001")
        partners.create_contract(
            session, GD_FINANCE, seller.id, "commission", TERMS, date(2026, 1, 1)
        )
    order(factory, sold_by(a, seller.id, "天河路 1 号"), A_ON)
    order(factory, sold_by(b, seller.id, "天河路 2 号"), B_ON)
    order(factory, bundle_order(c, **{}), C_ON)
    a_bundle, a_lines = bundle_of(factory, a.account_id)
    b_bundle, _ = bundle_of(factory, b.account_id)
    order(factory, action_order(b, "delete", b_bundle), B_OFF)
    with unit_of_work(factory) as session:
        finalise(
            session,
            "2026-10",
            {
                a.account_id: [
                    (a_lines[0], 5450, 450),  # 50.00 yuan without tax
                    (a_lines[1], 6322, 522),  # 58.00 yuan without tax
                ],
                b.account_id: [(b_bundle, 3633, 300)],  # 33.33 yuan without tax
            },
        )
    return {"agent": seller.id, "a": a_bundle, "b": b_bundle}
