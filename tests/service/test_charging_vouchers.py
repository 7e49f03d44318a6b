"""Vouchers on SQLite and PostgreSQL: PINs kept as keyed hashes, states, exactly-once
redemption (also when two race), wrong-PIN lockout, refusals with their reasons, the ledger."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.charging import vouchers
from openbss.charging.models import BalanceBucket, Voucher
from openbss.db.uow import unit_of_work
from openbss.kit.settings import get_settings
from openbss.payments.models import JournalLine
from tests.charging_support import T0, line

UNTIL = T0 + timedelta(days=365)
NUMBER = "+8613300000001"


@pytest.fixture(autouse=True)
def pin_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENBSS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENBSS_VOUCHER_MAX_FAILURES", "10")
    monkeypatch.setenv("OPENBSS_VOUCHER_LOCKOUT_MINUTES", "30")
    get_settings.cache_clear()


def batch(session: Session, count: int = 3, active: bool = True) -> list[vouchers.Card]:
    cards = vouchers.generate_batch(
        session, batch_id="B1", province="GD", count=count, face_value_li=50_000,
        valid_until=UNTIL, at=T0,
    )  # fmt: skip
    if active:
        assert vouchers.change_state(session, action="activate", at=T0, batch_id="B1") == count
    return cards


def journal(session: Session, kind: str) -> dict[str, int]:
    rows = session.execute(
        select(JournalLine.gl_account, func.sum(JournalLine.amount_fen))
        .where(JournalLine.entry_kind == kind)
        .group_by(JournalLine.gl_account)
    )
    return {str(account): int(total) for account, total in rows}


def main_balance(session: Session, product_id: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(BalanceBucket.remaining), 0)).where(
                BalanceBucket.owner_id == product_id
            )
        )
        or 0
    )


def test_pins_are_hashed_and_a_card_tops_up_once(session: Session) -> None:
    sub = line(session, NUMBER)
    cards = batch(session)
    assert len({c.pin for c in cards}) == 3 and all(len(c.pin) == 18 for c in cards)
    stored = session.scalars(select(Voucher).order_by(Voucher.serial)).all()
    assert [v.serial for v in stored] == ["B100000001", "B100000002", "B100000003"]
    assert all(v.pin_hash not in {c.pin for c in cards} and len(v.pin_hash) == 64 for v in stored)
    assert journal(session, "voucherSale") == {"1001": 15_000, "2204": -15_000}

    done = vouchers.redeem(session, number="13300000001", pin=cards[0].pin, at=T0)
    assert done.serial == "B100000001"
    assert (done.topped_up.amount_li, done.topped_up.balance_li) == (50_000, 50_000)
    assert done.topped_up.valid_to == T0 + timedelta(days=30)  # the offering's validity
    with pytest.raises(vouchers.VoucherUsed, match="already been used"):
        vouchers.redeem(session, number=NUMBER, pin=cards[0].pin, at=T0)
    assert main_balance(session, sub.product_id) == 50_000
    assert journal(session, "voucherRedeem") == {"2204": 5_000, "2203": -5_000}
    used = session.get(Voucher, "B100000001")
    assert used is not None and (used.state, used.redeemed_product_id) == ("used", sub.product_id)


def test_refusals_say_why(session: Session) -> None:
    line(session, NUMBER)
    cards = batch(session, count=3, active=False)
    with pytest.raises(vouchers.VoucherNotActive, match="not been sold"):
        vouchers.redeem(session, number=NUMBER, pin=cards[0].pin, at=T0)
    vouchers.change_state(session, action="activate", at=T0, serials=[cards[0].serial])
    vouchers.change_state(session, action="activate", at=T0, serials=[cards[1].serial])
    vouchers.change_state(session, action="freeze", at=T0, serials=[cards[0].serial])
    with pytest.raises(vouchers.VoucherFrozen, match="frozen"):
        vouchers.redeem(session, number=NUMBER, pin=cards[0].pin, at=T0)
    vouchers.change_state(session, action="unfreeze", at=T0, serials=[cards[0].serial])
    vouchers.redeem(session, number=NUMBER, pin=cards[0].pin, at=T0)
    with pytest.raises(vouchers.VoucherExpired, match="expired on"):
        vouchers.redeem(session, number=NUMBER, pin=cards[1].pin, at=UNTIL + timedelta(seconds=1))
    assert vouchers.expire(session, UNTIL) == 2
    assert vouchers.batch_states(session, "B1") == {"used": 1, "expired": 2}
    with pytest.raises(vouchers.VoucherExpired):
        vouchers.redeem(session, number=NUMBER, pin=cards[1].pin, at=T0)
    with pytest.raises(vouchers.BadRequest):
        vouchers.redeem(session, number=NUMBER, pin="12ab", at=T0)
    with pytest.raises(vouchers.NotFound):
        vouchers.redeem(session, number="+8613399999999", pin=cards[1].pin, at=T0)
    with pytest.raises(vouchers.Conflict):
        batch(session)


def test_ten_wrong_pins_lock_the_subscriber_and_the_source_out(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory, writes=True) as s:
        line(s, NUMBER)
        line(s, "+8613300000002", product_id="P-OTHER")
        cards = batch(s)

    def attempt(number: str, pin: str, at_minutes: int, source: str = "10.0.0.1") -> str:
        at = T0 + timedelta(minutes=at_minutes)
        try:
            with unit_of_work(session_factory, writes=True) as s:
                vouchers.redeem(s, number=number, pin=pin, at=at, source=source)
        except vouchers.WrongPin:
            with unit_of_work(session_factory, writes=True) as s:
                vouchers.note_wrong_pin(s, number=number, source=source, at=at)
            return "wrong"
        except vouchers.RedeemLocked:
            return "locked"
        return "ok"

    results = [attempt(NUMBER, f"{n:018d}", 0) for n in range(10)]
    assert results == ["wrong"] * 10
    # the subscriber is locked out, even with a right PIN, from another address too
    assert attempt(NUMBER, cards[0].pin, 1, source="10.9.9.9") == "locked"
    # the address is locked out for another subscriber
    assert attempt("+8613300000002", cards[0].pin, 1) == "locked"
    # after the lockout both may try again
    assert attempt(NUMBER, cards[0].pin, 31, source="10.9.9.9") == "ok"
    assert attempt("+8613300000002", cards[1].pin, 31) == "ok"


def test_two_redemptions_of_one_pin_top_up_once(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory, writes=True) as s:
        first = line(s, NUMBER)
        second = line(s, "+8613300000002", product_id="P-OTHER")
        card = batch(s, count=1)[0]
    outcomes: list[str] = []
    start = threading.Barrier(2, timeout=30)

    def redeem(number: str) -> None:
        start.wait()
        try:
            with unit_of_work(session_factory, writes=True) as s:
                vouchers.redeem(s, number=number, pin=card.pin, at=T0)
            outcomes.append("ok")
        except vouchers.VoucherUsed:
            outcomes.append("used")

    threads = [threading.Thread(target=redeem, args=(n,)) for n in (NUMBER, "+8613300000002")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "used"]
    with unit_of_work(session_factory) as s:
        total = main_balance(s, first.product_id) + main_balance(s, second.product_id)
        assert total == 50_000
        assert journal(s, "voucherRedeem") == {"2204": 5_000, "2203": -5_000}
