"""Collections services on SQLite and PostgreSQL: exemptions, promises to pay, late-fee
waivers (maker-checker), credit control's 单停 / 双停 orders and their lifting on payment,
deposits (idempotent, refunded at cease) and bad input refused with nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from openbss.customer.models import Customer
from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at
from openbss.kit.errors import Conflict, Forbidden, OpenBSSError
from openbss.kit.security import Principal, Role
from openbss.ordering.models import ProductOrder
from openbss.ordering.public import work_until_idle
from openbss.payments import public as payments
from openbss.payments.dunning.deposits import settle_at_cease
from openbss.payments.models import ItemKind, JournalLine, LedgerItem
from openbss.provisioning.models import SimulatedService
from tests import payments_support
from tests.billing_support import order
from tests.ordering_support import Sales, bundle_order, sales_ready

DUE = date(2026, 5, 20)
SOLD = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
CSR = Principal("csr-1", Role.CSR, "GD")
FINANCE = Principal("fin-1", Role.FINANCE, "GD")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def sold_line(factory: sessionmaker[Session]) -> Sales:
    sales = sales_ready(factory)
    order(factory, bundle_order(sales), SOLD)
    return sales


def billed(factory: sessionmaker[Session], account: str, fen: int, due: date = DUE) -> None:
    with unit_of_work(factory) as s:
        period = f"{due.year}-{due.month - 1:02d}"
        payments_support.final_period(s, period, [(account, fen, 0)], due=due)
        payments.post_final_bills(s, "GD")


def job(factory: sessionmaker[Session], day: date) -> payments.RunReport:
    with frozen_at(at(day)):
        report = payments.run_dunning(factory, "GD", day)
        work_until_idle(factory)
    return report


def orders_of(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        ids = s.scalars(
            select(ProductOrder.external_id)
            .where(ProductOrder.external_id.like("dunning:%"), ProductOrder.state == "completed")
            .order_by(ProductOrder.order_date)
        )
        return [str(external).split(":")[2] for external in ids]


def test_a_government_customer_is_reminded_but_never_suspended(
    session_factory: sessionmaker[Session],
) -> None:
    sales = sold_line(session_factory)
    with unit_of_work(session_factory) as s:
        customer = s.get(Customer, sales.customer_id)
        assert customer is not None
        customer.category = "government"
    billed(session_factory, sales.account_id, 10_000)
    report = job(session_factory, DUE + timedelta(days=40))
    assert (report.suspended, report.exempt, report.reminders) == (0, 1, 2)  # SMS + e-mail
    assert orders_of(session_factory) == []


def test_a_promise_holds_suspension_and_a_broken_one_lets_it_go_on(
    session_factory: sessionmaker[Session],
) -> None:
    sales = sold_line(session_factory)
    billed(session_factory, sales.account_id, 10_000)
    day30 = DUE + timedelta(days=30)
    with frozen_at(at(day30 - timedelta(days=1))), unit_of_work(session_factory) as s:
        payments.promise_to_pay(s, CSR, sales.account_id, day30 + timedelta(days=3), 10_000)
        with pytest.raises(Conflict):
            payments.promise_to_pay(s, CSR, sales.account_id, day30, 10_000)
    with (
        frozen_at(at(day30)),
        unit_of_work(session_factory) as s,
        pytest.raises(OpenBSSError),  # further ahead than the policy allows
    ):
        payments.promise_to_pay(s, CSR, sales.account_id, day30 + timedelta(days=60), 1)
    assert job(session_factory, day30).held_by_promise == 1
    assert job(session_factory, day30 + timedelta(days=3)).suspended == 0
    broken = job(session_factory, day30 + timedelta(days=4))
    assert broken.suspended == 1
    assert orders_of(session_factory) == ["suspend"]
    with session_factory() as s:
        shown = payments.treatment_of(s, sales.account_id, day30 + timedelta(days=4))
        assert [p["status"] for p in shown.promises] == ["broken"]


def test_a_late_fee_waiver_needs_another_approver_and_reverses_the_income(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        account = payments_support.account(s)
    billed(session_factory, account, 10_000)
    job(session_factory, DUE + timedelta(days=2))  # two fees of 30 fen
    with session_factory() as s:
        fees = s.scalars(select(LedgerItem).where(LedgerItem.kind == ItemKind.LATE_FEE)).all()
        assert sorted(f.amount_fen for f in fees) == [30, 30]
        fee_id = fees[0].id
    with unit_of_work(session_factory) as s:
        with pytest.raises(OpenBSSError):  # more than the fee
            payments.request_waiver(s, CSR, fee_id, 31, "goodwill")
        waiver = payments.request_waiver(s, CSR, fee_id, 30, "bill delivered late")
        waiver_id = waiver.id
    with unit_of_work(session_factory) as s:
        own = Principal("csr-1", Role.FINANCE, "GD")  # the same key, now as finance
        with pytest.raises(Forbidden):
            payments.decide_waiver(s, own, waiver_id, approve=True)
        with pytest.raises(Forbidden):
            payments.decide_waiver(s, CSR, waiver_id, approve=True)
    with unit_of_work(session_factory) as s:
        assert payments.decide_waiver(s, FINANCE, waiver_id, approve=True).status == "approved"
    with unit_of_work(session_factory) as s:
        assert payments.decide_waiver(s, FINANCE, waiver_id, approve=True).status == "approved"
        with pytest.raises(Conflict):
            payments.decide_waiver(s, FINANCE, waiver_id, approve=False)
    with session_factory() as s:
        assert payments.balance(s, account) == 10_030
        income = s.scalar(
            select(func.sum(JournalLine.amount_fen)).where(JournalLine.gl_account == "6301")
        )
        assert income == -30
        assert s.scalar(select(func.sum(JournalLine.amount_fen))) == 0


def test_credit_control_bars_outgoing_then_fully_and_lifts_on_payment(
    session_factory: sessionmaker[Session],
) -> None:
    sales = sold_line(session_factory)
    with unit_of_work(session_factory) as s:
        row = s.get(BillingAccount, sales.account_id)
        assert row is not None
        row.credit_limit_amount = 10_000
    # A bill not yet due: arrears only, no dunning; 110 % of the limit → 单停.
    billed(session_factory, sales.account_id, 11_000, due=date(2026, 6, 20))
    first = job(session_factory, date(2026, 6, 1))
    assert (first.barred, first.suspended) == (1, 0)
    assert job(session_factory, date(2026, 6, 1)).barred == 0  # the same day again
    with session_factory() as s:
        barred = s.scalars(select(SimulatedService.characteristics)).all()
        assert barred and all(c.get("barring") == "outgoing" for c in barred)
    billed(session_factory, sales.account_id, 2_000, due=date(2026, 7, 20))  # 130 %
    assert job(session_factory, date(2026, 6, 2)).barred == 1
    with session_factory() as s:
        barred = s.scalars(select(SimulatedService.characteristics)).all()
        assert all(c.get("barring") == "full" for c in barred)
        assert payments.treatment_of(s, sales.account_id, date(2026, 6, 2)).barring == "full"
    with frozen_at(at(date(2026, 6, 3))), unit_of_work(session_factory) as s:
        request = payments.PaymentRequest("GD", sales.account_id, 13_000, "cash", "PAY-CC-1")
        payments.take_payment(s, request)
    with frozen_at(at(date(2026, 6, 3))):
        work_until_idle(session_factory)
    assert orders_of(session_factory) == ["bar-outgoing", "bar-full", "unbar"]
    with session_factory() as s:
        lifted = s.scalars(select(SimulatedService)).all()
        assert all(r.state == "active" and "barring" not in r.characteristics for r in lifted)


def test_deposits_are_idempotent_refused_when_wrong_and_refunded_at_cease(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        account = payments_support.account(s)
    request = payments.DepositRequest("GD", account, 20_000, "cash", "DEP-1")
    with unit_of_work(session_factory) as s:
        first, new = payments.take_deposit(s, request)
        again, new_again = payments.take_deposit(s, request)
        assert new and not new_again and again.id == first.id
    with unit_of_work(session_factory) as s:
        for bad in (
            payments.DepositRequest("GD", account, -5, "cash", "DEP-2"),
            payments.DepositRequest("GD", account, 5, "cheque", "DEP-2"),
            payments.DepositRequest("SH", account, 5, "cash", "DEP-2"),
            payments.DepositRequest("GD", account, 21_000, "cash", "DEP-1"),
        ):
            with pytest.raises(OpenBSSError):
                payments.take_deposit(s, bad)
    with unit_of_work(session_factory) as s:
        assert payments.position(s, account, DUE).deposit_held_fen == 20_000
        settle_at_cease(s, account, DUE)
    with session_factory() as s:
        position = payments.position(s, account, DUE)
        assert (position.deposit_held_fen, position.balance_fen) == (0, 0)
        refunds = s.scalars(select(LedgerItem).where(LedgerItem.kind == ItemKind.REFUND)).all()
        assert [(r.amount_fen, r.control) for r in refunds] == [(20_000, "2241")]
        assert s.scalar(select(func.sum(JournalLine.amount_fen))) == 0
        assert s.scalar(select(func.count()).select_from(LedgerItem)) == 2
