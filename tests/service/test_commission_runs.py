"""Monthly commission runs on SQLite and PostgreSQL, from real orders, inventory and final bills.

Agent GD-AG-001 (commission contract from 1 January 2026: 50 yuan per bundle activated, 10 %
of each bundle's bills for its first three bill periods, the activation commission clawed back
when the bundle ceases within three months) sells:

- customer A's bundle, in service from 20 September 2026;
- customer B's bundle, in service from 12 October 2026, ceased on 5 November 2026;

and customer C's bundle is sold in the retail hall by an employee (no commission). October's
final bills charge A's bundle 50.00 + 58.00 yuan on its two lines and B's 33.33 yuan (without
tax). Worked by hand:

| month | lines | total |
|---|---|---|
| 2026-09 | A activation 50.00 | 50.00 |
| 2026-10 | B activation 50.00; A share 10 % × 108.00 = 10.80; B share 10 % × 33.33 = 3.33 | 64.13 |
| 2026-11 | B clawback −50.00 (ceased before 12 January 2027) | −50.00 |
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import BillingPeriod, BillItem, BillRun, CustomerBill, RunStatus
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.errors import BadRequest, Unprocessable
from openbss.kit.ids import new_id
from openbss.settlement.commissions import runs as commission_runs
from openbss.settlement.commissions.models import CommissionLine, CommissionRun
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


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> dict[str, str]:
    factory = session_factory
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


def lines(factory: sessionmaker[Session], period: str) -> list[tuple[str, str, int, int]]:
    with factory() as session:
        run = session.scalars(select(CommissionRun).where(CommissionRun.period == period)).one()
        rows = session.scalars(
            select(CommissionLine)
            .where(CommissionLine.run_id == run.id)
            .order_by(CommissionLine.id)
        )
        return [(r.kind, r.reference, r.basis_amount, r.amount) for r in rows]


def test_three_months_of_commissions(
    session_factory: sessionmaker[Session], world: dict[str, str], tmp_path: Path
) -> None:
    a, b = world["a"], world["b"]
    september = commission_runs.run_commissions(session_factory, "GD", "2026-09", tmp_path)
    assert (september.total_fen, september.line_count) == (5000, 1)
    assert lines(session_factory, "2026-09") == [("activation", a, 0, 5000)]

    october = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path)
    assert october.total_fen == 6413
    assert sorted(lines(session_factory, "2026-10")) == sorted(
        [("activation", b, 0, 5000), ("revenue_share", a, 10800, 1080),
         ("revenue_share", b, 3333, 333)]
    )  # fmt: skip
    (total,) = october.partners
    assert (total.code, total.activation_fen, total.revenue_share_fen, total.total_fen) == (
        "GD-AG-001", 5000, 1413, 6413,
    )  # fmt: skip

    november = commission_runs.run_commissions(session_factory, "GD", "2026-11", tmp_path)
    assert lines(session_factory, "2026-11") == [("clawback", b, 5000, -5000)]
    assert november.total_fen == -5000

    statement = tmp_path / "settlement/commissions/GD/2026-10/GD-AG-001.csv"
    rows = list(csv.DictReader(statement.open(encoding="utf-8")))
    assert sorted((r["kind"], r["reference"], r["amount_fen"], r["amount_yuan"]) for r in rows) == [
        ("activation", b, "5000", "50.00"),
        *sorted([("revenue_share", a, "1080", "10.80"), ("revenue_share", b, "333", "3.33")]),
    ]
    summary = (tmp_path / "settlement/commissions/GD/2026-10/summary.csv").read_text("utf-8")
    assert summary.splitlines()[1].endswith(",5000,0,1413,0,6413,64.13")


def test_a_done_month_runs_again_unchanged(
    session_factory: sessionmaker[Session], world: dict[str, str], tmp_path: Path
) -> None:
    first = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path)
    again = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path)
    assert again.reused and not first.reused
    assert (again.run_id, again.digest, again.total_fen) == (first.run_id, first.digest, 6413)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CommissionLine)) == 3


def test_a_run_killed_before_done_is_redone_identically(
    session_factory: sessionmaker[Session],
    world: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path / "clean")

    def crash(*_args: object, **_kwargs: object) -> str:
        raise KeyboardInterrupt  # as if killed while writing statements

    with session_factory() as session:  # start again from nothing on the same data
        session.query(CommissionLine).delete()
        session.query(CommissionRun).delete()
        session.commit()
    monkeypatch.setattr(commission_runs, "write_statements", crash)
    monkeypatch.setattr(commission_runs, "_alive", lambda owner: False)
    with pytest.raises(KeyboardInterrupt):
        commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path / "rerun")
    with session_factory() as session:
        run = session.scalars(select(CommissionRun)).one()
        assert run.status == "running"
        assert session.scalar(select(func.count()).select_from(CommissionLine)) == 0
    monkeypatch.undo()
    redone = commission_runs.run_commissions(session_factory, "GD", "2026-10", tmp_path / "rerun")
    assert (redone.attempts, redone.total_fen, redone.digest) == (2, 6413, clean.digest)
    for name in ("GD-AG-001.csv", "summary.csv"):
        assert (tmp_path / "rerun/settlement/commissions/GD/2026-10" / name).read_bytes() == (
            tmp_path / "clean/settlement/commissions/GD/2026-10" / name
        ).read_bytes()


@pytest.mark.parametrize(
    ("province", "period", "error"),
    [
        ("GD", "2026-13", Unprocessable),
        ("gd", "2026-11", BadRequest),
        ("GD", "202611", Unprocessable),
    ],
)
def test_bad_input_writes_nothing(
    session_factory: sessionmaker[Session], tmp_path: Path, province: str, period: str,
    error: type[Exception],
) -> None:  # fmt: skip
    with pytest.raises(error):
        commission_runs.run_commissions(session_factory, province, period, tmp_path)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CommissionRun)) == 0
    assert not (tmp_path / "settlement").exists()
