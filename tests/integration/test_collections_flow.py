"""Collections end to end, on SQLite and PostgreSQL: a fixed line + ADSL bundle sold through
the real order flow with a deposit, an April bill left unpaid → 30 days past due the daily job
places a suspend order that the orchestration completes (the product's history shows it); a
payment resumes the lines; the June bill left unpaid → suspended again, and 60 days later
ceased, the deposit applied and a write-off proposed, which finance approves. Every run of the
job is repeated for the same day and changes nothing the second time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product, ProductStatusChange
from openbss.kit.clock import frozen_at
from openbss.ordering.models import ProductOrder
from openbss.ordering.public import work_until_idle
from openbss.payments import public as payments
from openbss.payments.models import JournalLine
from tests import payments_support
from tests.billing_support import order
from tests.conftest import KeyMaker
from tests.ordering_support import bundle_order, sales_ready

BASE = "/api/v1/receivables"
SOLD = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
APRIL_DUE = date(2026, 5, 20)
JUNE_DUE = date(2026, 7, 20)
BILL_FEN = 14_500


def at(day: date) -> datetime:
    """09:00 in Beijing on ``day``."""
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def run_job(factory: sessionmaker[Session], day: date) -> payments.RunReport:
    """The daily job, twice (the second must do nothing), then the orchestration."""
    with frozen_at(at(day)):
        first = payments.run_dunning(factory, "GD", day)
        again = payments.run_dunning(factory, "GD", day)
        work_until_idle(factory)
    quiet = (again.late_fees, again.reminders, again.suspended, again.resumed, again.ceased)
    assert quiet == (0, 0, 0, 0, 0), again
    assert again.write_off_proposals == 0
    assert first.refused == [] and again.refused == []
    return first


def statuses(factory: sessionmaker[Session], product_id: str) -> list[tuple[str, str | None]]:
    with factory() as session:
        rows = session.scalars(
            select(ProductStatusChange)
            .where(ProductStatusChange.product_id == product_id)
            .order_by(ProductStatusChange.sequence)
        )
        return [(row.status, row.reason) for row in rows]


def dunning_orders(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with factory() as session:
        rows = session.execute(
            select(ProductOrder.external_id, ProductOrder.state)
            .where(ProductOrder.external_id.like("dunning:%"))
            .order_by(ProductOrder.order_date, ProductOrder.external_id)
        )
        return [(str(e), str(s)) for e, s in rows]


def test_unpaid_bill_suspends_payment_resumes_and_60_days_later_the_line_is_ceased(
    session_factory: sessionmaker[Session], client: TestClient, auth: KeyMaker
) -> None:
    factory = session_factory
    sales = sales_ready(factory)
    order(factory, bundle_order(sales), SOLD)
    account = sales.account_id
    with factory() as s:
        bundle = s.scalars(
            select(Product).where(
                Product.billing_account_id == account, Product.parent_product_id.is_(None)
            )
        ).one()
        bundle_id = bundle.id
    csr, operator = auth("csr", "GD"), auth("billing_operator", "GD")
    finance, other_finance = auth("finance", "GD"), auth("finance", "GD")

    deposit = {
        "billingAccountId": account,
        "amountFen": 5_000,
        "method": "cash",
        "reference": "DEP-0001",
    }
    taken = client.post(f"{BASE}/deposits", json=deposit, headers=csr)
    assert taken.status_code == 201, taken.text
    assert client.post(f"{BASE}/deposits", json=deposit, headers=csr).status_code == 200
    sh_key = auth("csr", "SH")
    assert client.post(f"{BASE}/deposits", json=deposit, headers=sh_key).status_code == 422

    with unit_of_work(factory) as s:
        payments_support.final_period(s, "2026-04", [(account, BILL_FEN, 1_200)], due=APRIL_DUE)
        payments.post_final_bills(s, "GD")

    # A reminder on the first day past due, no suspension yet.
    early = run_job(factory, APRIL_DUE + timedelta(days=1))
    assert (early.reminders, early.suspended, early.late_fees) == (1, 0, 1)

    # 30 days past due: 停机 through a suspend order, with the late fees of 30 days caught up.
    day30 = APRIL_DUE + timedelta(days=30)
    report = run_job(factory, day30)
    assert report.suspended == 1 and report.late_fees == 29
    # 3‰ of 14,500 fen = 43.5 → 44 fen a day, for 30 days.
    with factory() as s:
        assert payments.balance(s, account) == BILL_FEN + 30 * 44
    assert [state for _, state in dunning_orders(factory)] == ["completed"]
    assert ("suspended", "欠费停机 / Suspended for arrears") in statuses(factory, bundle_id)
    seen = client.get(f"{BASE}/dunning/accounts/{account}", headers=csr)
    assert seen.status_code == 200 and seen.json()["stage"] == "suspended", seen.text
    assert client.get(f"{BASE}/dunning/accounts/{account}", headers=sh_key).status_code == 404

    # The same day through the API: nothing new.
    rerun = client.post(f"{BASE}/dunning/runs", json={"date": day30.isoformat()}, headers=operator)
    assert rerun.status_code == 200, rerun.text
    assert rerun.json()["suspended"] == 0 and rerun.json()["lateFees"] == 0
    assert client.post(f"{BASE}/dunning/runs", json={}, headers=csr).status_code == 403

    # Paying everything resumes the lines at once.
    with frozen_at(at(day30 + timedelta(days=1))), unit_of_work(factory) as s:
        owed = payments.balance(s, account)
        request = payments.PaymentRequest("GD", account, owed, "cash", "HALL-20260620-1")
        payments.take_payment(s, request)
    with frozen_at(at(day30 + timedelta(days=1))):
        work_until_idle(factory)
    steps = [external.split(":")[2] for external, _ in dunning_orders(factory)]
    assert steps == ["suspend", "resume"]
    assert all(state == "completed" for _, state in dunning_orders(factory))
    assert statuses(factory, bundle_id)[-1] == ("active", "缴费复机 / Resumed after payment")
    again = run_job(factory, day30 + timedelta(days=1))
    assert again.resumed == 0 and again.suspended == 0

    # The June bill is never paid: suspended 30 days past due, ceased 60 days after that.
    with unit_of_work(factory) as s:
        payments_support.final_period(s, "2026-06", [(account, BILL_FEN, 1_200)], due=JUNE_DUE)
        payments.post_final_bills(s, "GD")
    suspended_on = JUNE_DUE + timedelta(days=30)
    assert run_job(factory, suspended_on).suspended == 1
    assert run_job(factory, suspended_on + timedelta(days=59)).ceased == 0
    ceased = run_job(factory, suspended_on + timedelta(days=60))
    assert (ceased.ceased, ceased.write_off_proposals) == (1, 1)
    steps = [external.split(":")[2] for external, _ in dunning_orders(factory)]
    assert steps == ["suspend", "resume", "suspend", "cease"]
    assert all(state == "completed" for _, state in dunning_orders(factory))
    assert statuses(factory, bundle_id)[-1] == ("terminated", "欠费拆机 / Ceased for arrears")

    # The deposit paid part of the debt; the rest is proposed for write-off.
    with factory() as s:
        owed = payments.balance(s, account)
        assert payments.position(s, account, date(2026, 12, 1)).deposit_held_fen == 0
    proposals = client.get(f"{BASE}/dunning/write-offs?status=requested", headers=finance).json()
    assert [(p["billingAccountId"], p["proposedFen"]) for p in proposals] == [(account, owed)]
    proposal = proposals[0]["id"]
    refused = client.post(f"{BASE}/dunning/write-offs/{proposal}/approve", headers=csr)
    assert refused.status_code == 403
    approved = client.post(f"{BASE}/dunning/write-offs/{proposal}/approve", headers=other_finance)
    assert approved.status_code == 200 and approved.json()["writtenOffFen"] == owed
    twice = client.post(f"{BASE}/dunning/write-offs/{proposal}/approve", headers=finance)
    assert twice.status_code == 200 and twice.json()["writtenOffFen"] == owed
    with factory() as s:
        assert payments.balance(s, account) == 0
        assert s.scalar(select(func.sum(JournalLine.amount_fen))) == 0
