"""Money is conserved: random sequences of bills, payments (one at a time and through a bank
result file's bulk path), reversals, refunds, late fees and write-offs, with the invariants
checked after every step — every account's balance is the sum of its postings in the open-item
view and in the journal, every business day's journal balances, no item is matched beyond its
amount or below zero, and every bill's settled amount is what its item has matched.

Hypothesis on SQLite; a smaller run on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import CustomerBill
from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import OpenBSSError
from openbss.kit.ids import new_id
from openbss.payments import bulk, chart, ledger, repository
from openbss.payments import public as payments
from openbss.payments.collection_models import LineOutcome
from openbss.payments.models import ItemKind, LedgerItem, LedgerMatch, Side
from openbss.payments.public import PaymentRequest
from tests import payments_support

ACCOUNTS = 3
_months = count(12 * 2001)  # every bill step bills a period of its own

account_no = st.integers(0, ACCOUNTS - 1)
fen = st.integers(1, 30_000)
steps = st.one_of(
    st.tuples(st.just("bill"), st.lists(st.tuples(account_no, fen), min_size=1, max_size=3)),
    st.tuples(st.just("pay"), account_no, fen, st.sampled_from(["cash", "online"]), st.booleans()),
    st.tuples(st.just("collect"), st.lists(st.tuples(account_no, fen), min_size=1, max_size=3)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("refund"), st.integers(0, 20), fen),
    st.tuples(st.just("late_fee"), account_no, st.integers(1, 2_000)),
    st.tuples(st.just("write_off"), account_no),
)


@dataclass
class World:
    accounts: list[str]
    payments: list[str] = field(default_factory=list)


def _apply(session: Session, world: World, step: tuple[Any, ...]) -> None:
    kind = step[0]
    if kind == "bill":
        month = next(_months)
        period = f"{month // 12:04d}-{month % 12 + 1:02d}"
        bills = {world.accounts[a]: (amount, amount // 10) for a, amount in step[1]}
        payments_support.final_period(
            session, period, [(acc, f, t) for acc, (f, t) in bills.items()]
        )
        payments.post_final_bills(session, "GD")
    elif kind == "pay":
        _, a, amount, method, named = step
        bill_id = None
        if named:  # the account's newest bill, if it has one
            bill_id = session.scalar(
                select(LedgerItem.source_id)
                .where(
                    LedgerItem.billing_account_id == world.accounts[a], LedgerItem.kind == "bill"
                )
                .order_by(LedgerItem.business_date.desc(), LedgerItem.id)
                .limit(1)
            )
        payment, _ = payments.take_payment(
            session,
            PaymentRequest(province="GD", billing_account_id=world.accounts[a], amount_fen=amount,
                           method=method, reference=f"P-{new_id()}", bill_id=bill_id),
        )  # fmt: skip
        world.payments.append(payment.id)
    elif kind == "collect":
        _collect(session, world, step[1])
    elif kind in ("reverse", "refund") and world.payments:
        payment_id = world.payments[step[1] % len(world.payments)]
        if kind == "reverse":
            payments.reverse_payment(session, "GD", payment_id, "bounced")
        else:
            payments.refund_payment(
                session, "GD", payment_id, step[2], "refund", reference=new_id()
            )
    elif kind == "late_fee":
        account = world.accounts[step[1]]
        repository.lock_account(session, account, "GD")
        ledger.post_item(
            session, province="GD", billing_account_id=account, kind=ItemKind.LATE_FEE,
            amount_fen=step[2], source_id=new_id(), lines=chart.late_fee_lines(step[2]),
            due_date=date(2026, 1, 1),
        )  # fmt: skip
        ledger.settle_account(session, account)
    elif kind == "write_off":
        account = world.accounts[step[1]]
        repository.lock_account(session, account, "GD")
        owed = sum(left for _, left in repository.open_items(session, account, Side.DEBIT))
        if owed > 0:
            credit = ledger.post_item(
                session, province="GD", billing_account_id=account, kind=ItemKind.WRITE_OFF,
                amount_fen=owed, source_id=new_id(), lines=chart.write_off_lines(owed),
            )  # fmt: skip
            ledger.spend(session, credit, owed)


def _collect(session: Session, world: World, lines: list[tuple[int, int]]) -> None:
    """Collected payments through the bulk path (as a bank result file's chunk applies them)."""
    import_id = new_id()
    stamp = now()
    rows = []
    for position, (a, amount) in enumerate(lines):
        payment_id, credit_id = bulk.new_ids(2)
        rows.append(
            {"import_id": import_id, "position": position, "file_line": position + 2,
             "batch_line": position + 1, "billing_account_id": world.accounts[a],
             "outcome": LineOutcome.PAID.value, "asked_fen": amount, "paid_fen": amount,
             "reason_code": None, "reason": None, "bank_txn_id": None,
             "reference": f"B-{import_id}/{position}", "payment_id": payment_id,
             "credit_item_id": credit_id, "request_hash": "x" * 64, "created_at": stamp}
        )  # fmt: skip
        world.payments.append(payment_id)
    bulk.apply_chunk(
        session, province="GD", import_id=import_id, lo=0, hi=len(rows), rows=rows,
        channel="ICBC", stamp=stamp, day=ledger.business_day(stamp),
    )  # fmt: skip


def _check(session: Session, world: World) -> None:
    for account in world.accounts:
        items = session.scalars(
            select(LedgerItem).where(
                LedgerItem.billing_account_id == account, LedgerItem.control == "1122"
            )
        ).all()
        posted = sum(i.amount_fen if i.side == Side.DEBIT else -i.amount_fen for i in items)
        assert payments.balance(session, account) == posted
        matched = dict(
            session.execute(
                select(LedgerMatch.debit_item_id, func.sum(LedgerMatch.amount_fen))
                .where(LedgerMatch.billing_account_id == account)
                .group_by(LedgerMatch.debit_item_id)
            ).all()
        )
        matched.update(
            session.execute(
                select(LedgerMatch.credit_item_id, func.sum(LedgerMatch.amount_fen))
                .where(LedgerMatch.billing_account_id == account)
                .group_by(LedgerMatch.credit_item_id)
            ).all()
        )
        open_view = 0
        for item in items:
            done = int(matched.get(item.id, 0))
            assert 0 <= done <= item.amount_fen, (item.kind, item.amount_fen, done)
            left = item.amount_fen - done
            open_view += left if item.side == Side.DEBIT else -left
            if item.kind == ItemKind.BILL:
                bill = session.get(CustomerBill, item.source_id)
                assert bill is not None
                session.refresh(bill)
                assert bill.settled_fen == done
        assert open_view == posted  # matches move nothing between the two sides' totals
    for day, total in repository.trial_balance(session, "GD"):
        assert total == 0, day


def _run(factory: sessionmaker[Session], examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(steps, min_size=1, max_size=10))
    def conserved(sequence: list[tuple[Any, ...]]) -> None:
        with unit_of_work(factory) as session:
            world = World([payments_support.account(session) for _ in range(ACCOUNTS)])
        for step in sequence:
            try:
                with unit_of_work(factory) as session:
                    _apply(session, world, step)
            except OpenBSSError:
                pass  # a refusal (a refund above what was paid…) writes nothing
            with factory() as session:
                _check(session, world)

    conserved()


def test_money_is_conserved(session_factory: sessionmaker[Session]) -> None:
    postgres = session_factory.kw["bind"].dialect.name == "postgresql"
    _run(session_factory, 8 if postgres else 30)
