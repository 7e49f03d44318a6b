"""Balance primitives on SQLite and PostgreSQL: grants by priority and expiry, debits within and
beyond a grant, releases, idempotency, top-ups, and the transaction log adding up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.charging import public as charging
from openbss.charging.models import BalanceBucket, BalanceTransaction, Reservation
from openbss.charging.public import Owner, Unit
from openbss.db.uow import unit_of_work
from tests.charging_support import T0, line

LATER = T0 + timedelta(minutes=5)


def bucket_sums(session: Session, bucket_id: str) -> tuple[int, int]:
    """(sum of amounts, sum of reserved deltas) of a bucket's transactions."""
    amount, reserved = session.execute(
        select(
            func.coalesce(func.sum(BalanceTransaction.amount), 0),
            func.coalesce(func.sum(BalanceTransaction.reserved), 0),
        ).where(BalanceTransaction.bucket_id == bucket_id)
    ).one()
    return int(amount), int(reserved)


def assert_log_matches(session: Session) -> None:
    for bucket in session.scalars(select(BalanceBucket)):
        assert bucket_sums(session, bucket.id) == (bucket.remaining, bucket.reserved)
        assert 0 <= bucket.reserved <= bucket.remaining


def test_subscriber_product_finds_active_prepaid_lines_only(session: Session) -> None:
    prepaid = line(session, "+8613300000001")
    line(session, "+8613300000002", mode="postpaid")
    line(session, "+8613300000003", status="suspended")
    fixed = line(session, "+862012345678", product_id="P-FIXED")

    found = charging.subscriber_product(session, "8613300000001", T0)
    assert found == charging.PrepaidLine(
        product_id=prepaid.product_id,
        account_id="ACC-1",
        province="GD",
        number="+8613300000001",
        offering_id="T-PREPAID",
        status="active",
    )
    assert charging.subscriber_product(session, "13300000001", T0) == found
    assert charging.subscriber_product(session, "02012345678", T0).product_id == fixed.product_id  # type: ignore[union-attr]
    assert charging.subscriber_product(session, "8613300000002", T0) is None  # postpaid
    assert charging.subscriber_product(session, "8613300000003", T0) is None  # suspended
    barred = charging.subscriber_product(
        session, "8613300000003", T0, statuses=("active", "suspended")
    )
    assert barred is not None and barred.status == "suspended"
    assert charging.subscriber_product(session, "8613399999999", T0) is None
    assert charging.owners_of(session, prepaid.product_id) == (
        Owner("product", prepaid.product_id),
        Owner("account", "ACC-1"),
    )
    assert charging.owners_of(session, "no-such-product") == ()


def test_grants_follow_priority_then_expiry_and_never_exceed_the_balance(session: Session) -> None:
    sub = line(session)
    product, account = sub.owners
    late = charging.create_bucket(
        session, owner=account, unit=Unit.LI, amount=5_000, at=T0, valid_to=T0 + timedelta(days=30)
    )
    soon = charging.create_bucket(
        session, owner=product, unit=Unit.LI, amount=3_000, at=T0, valid_to=T0 + timedelta(days=2)
    )
    bonus = charging.create_bucket(
        session, owner=product, unit=Unit.LI, amount=1_000, at=T0, priority=10, name="bonus"
    )
    charging.create_bucket(session, owner=product, unit=Unit.SECOND, amount=600, at=T0)
    assert charging.available(session, sub.owners, Unit.LI, T0) == 9_000
    # once the 2-day bucket has expired it is not granted from
    assert charging.available(session, sub.owners, Unit.LI, T0 + timedelta(days=3)) == 6_000

    granted = charging.reserve(
        session,
        reservation_id="r1",
        owners=sub.owners,
        unit=Unit.LI,
        amount=4_500,
        at=T0,
        expires_at=LATER,
    )
    assert granted == 4_500
    held = {
        b.id: b.reserved
        for b in session.scalars(select(BalanceBucket).where(BalanceBucket.unit == "li"))
    }
    # priority 10 first, then the bucket expiring first, then the later one
    assert held == {bonus.bucket_id: 1_000, soon.bucket_id: 3_000, late.bucket_id: 500}
    assert charging.available(session, sub.owners, Unit.LI, T0) == 4_500
    # the same id again: the first grant, nothing more held
    again = charging.reserve(
        session,
        reservation_id="r1",
        owners=sub.owners,
        unit=Unit.LI,
        amount=9_999,
        at=T0,
        expires_at=LATER,
    )
    assert again == 4_500
    assert charging.available(session, sub.owners, Unit.LI, T0) == 4_500
    # only what is left is granted, then nothing
    assert (
        charging.reserve(
            session,
            reservation_id="r2",
            owners=sub.owners,
            unit=Unit.LI,
            amount=10_000,
            at=T0,
            expires_at=LATER,
        )
        == 4_500
    )
    assert (
        charging.reserve(
            session,
            reservation_id="r3",
            owners=sub.owners,
            unit=Unit.LI,
            amount=1,
            at=T0,
            expires_at=LATER,
        )
        == 0
    )
    assert charging.available(session, sub.owners, Unit.LI, T0) == 0
    assert charging.available(session, sub.owners, Unit.SECOND, T0) == 600
    assert_log_matches(session)


def test_debit_within_and_beyond_the_grant_and_release(session: Session) -> None:
    sub = line(session)
    product, _ = sub.owners
    bucket = charging.create_bucket(session, owner=product, unit=Unit.SECOND, amount=1_000, at=T0)
    assert (
        charging.reserve(
            session,
            reservation_id="s1",
            owners=sub.owners,
            unit=Unit.SECOND,
            amount=300,
            at=T0,
            expires_at=LATER,
        )
        == 300
    )
    # an update: 120 used, the rest stays held
    assert (
        charging.debit(
            session, reservation_id="s1", used=120, at=LATER, release_rest=False, sequence=2
        )
        == 120
    )
    assert (
        charging.debit(
            session, reservation_id="s1", used=120, at=LATER, release_rest=False, sequence=2
        )
        == 120
    )  # a retransmission changes nothing
    row = session.get(BalanceBucket, bucket.bucket_id)
    assert row is not None and (row.remaining, row.reserved) == (880, 180)
    # termination: 250 used, 180 held, 70 taken from what is free; nothing left held
    assert (
        charging.debit(
            session, reservation_id="s1", used=250, at=LATER, release_rest=True, sequence=3
        )
        == 250
    )
    session.refresh(row)
    assert (row.remaining, row.reserved) == (630, 0)
    reservation = session.get(Reservation, "s1")
    assert reservation is not None
    assert (reservation.used, reservation.held, reservation.status) == (370, 0, "closed")
    assert charging.release(session, reservation_id="s1", at=LATER) == 0
    assert_log_matches(session)


def test_an_overrun_stops_at_zero_and_logs_the_shortfall(session: Session) -> None:
    sub = line(session)
    product, _ = sub.owners
    bucket = charging.create_bucket(session, owner=product, unit=Unit.BYTE, amount=1_000, at=T0)
    charging.reserve(
        session,
        reservation_id="d1",
        owners=sub.owners,
        unit=Unit.BYTE,
        amount=800,
        at=T0,
        expires_at=LATER,
    )
    assert (
        charging.debit(
            session, reservation_id="d1", used=1_500, at=LATER, release_rest=True, sequence=1
        )
        == 1_000
    )
    row = session.get(BalanceBucket, bucket.bucket_id)
    assert row is not None and (row.remaining, row.reserved) == (0, 0)
    shortfall = session.scalars(
        select(BalanceTransaction).where(BalanceTransaction.kind == "shortfall")
    ).one()
    assert (shortfall.uncovered, shortfall.amount, shortfall.bucket_id) == (500, 0, None)
    reservation = session.get(Reservation, "d1")
    assert reservation is not None and (reservation.used, reservation.shortfall) == (1_000, 500)
    assert_log_matches(session)


def test_release_gives_back_the_hold_and_expired_reservations_are_released(
    session: Session,
) -> None:
    sub = line(session)
    product, _ = sub.owners
    charging.create_bucket(session, owner=product, unit=Unit.MESSAGE, amount=10, at=T0)
    charging.reserve(
        session,
        reservation_id="m1",
        owners=sub.owners,
        unit=Unit.MESSAGE,
        amount=4,
        at=T0,
        expires_at=LATER,
    )
    charging.reserve(
        session,
        reservation_id="m2",
        owners=sub.owners,
        unit=Unit.MESSAGE,
        amount=4,
        at=T0,
        expires_at=LATER + timedelta(hours=1),
    )
    assert charging.available(session, sub.owners, Unit.MESSAGE, T0) == 2
    assert charging.release(session, reservation_id="m1", at=T0) == 4
    assert charging.release(session, reservation_id="m1", at=T0) == 0
    assert charging.release_expired(session, LATER + timedelta(hours=1)) == 1
    assert charging.available(session, sub.owners, Unit.MESSAGE, T0) == 10
    with pytest.raises(charging.UnknownReservation):
        charging.release(session, reservation_id="nope", at=T0)
    with pytest.raises(charging.InvalidAmount):
        charging.reserve(
            session,
            reservation_id="m3",
            owners=sub.owners,
            unit=Unit.MESSAGE,
            amount=-1,
            at=T0,
            expires_at=LATER,
        )
    assert_log_matches(session)


def test_top_up_credits_the_main_bucket_once_per_key_and_extends_validity(
    session: Session,
) -> None:
    sub = line(session)
    product, _ = sub.owners
    first = charging.top_up(
        session,
        owner=product,
        amount_li=50_000,
        at=T0,
        reason="voucher",
        reference="V1",
        extend_to=T0 + timedelta(days=30),
        idempotency_key="topup:V1",
    )
    assert (first.amount, first.remaining_after, first.valid_to) == (
        50_000,
        50_000,
        T0 + timedelta(days=30),
    )
    replay = charging.top_up(
        session,
        owner=product,
        amount_li=50_000,
        at=T0,
        reason="voucher",
        reference="V1",
        idempotency_key="topup:V1",
    )
    assert replay.replayed and replay.transaction_id == first.transaction_id
    second = charging.top_up(
        session,
        owner=product,
        amount_li=20_000,
        at=LATER,
        reason="cash",
        reference="R2",
        extend_to=T0 + timedelta(days=60),
    )
    assert second.bucket_id == first.bucket_id
    assert (second.remaining_after, second.valid_to) == (70_000, T0 + timedelta(days=60))
    adjusted = charging.adjust(
        session, bucket_id=first.bucket_id, amount=-5_000, at=LATER, reason="goodwill reversal"
    )
    assert adjusted.remaining_after == 65_000
    with pytest.raises(charging.InsufficientBalance):
        charging.adjust(session, bucket_id=first.bucket_id, amount=-65_001, at=LATER, reason="x")
    with pytest.raises(charging.InvalidAmount):
        charging.top_up(session, owner=product, amount_li=0, at=T0, reason="x", reference=None)
    with pytest.raises(charging.UnknownOwner):
        charging.top_up(
            session,
            owner=Owner("product", "ghost"),
            amount_li=1,
            at=T0,
            reason="x",
            reference=None,
        )
    assert_log_matches(session)


def test_expiry_writes_off_what_is_left_but_waits_for_reservations(session: Session) -> None:
    sub = line(session)
    product, _ = sub.owners
    end = T0 + timedelta(days=1)
    quiet = charging.create_bucket(
        session, owner=product, unit=Unit.SECOND, amount=100, at=T0, valid_to=end
    )
    busy = charging.create_bucket(
        session, owner=product, unit=Unit.LI, amount=100, at=T0, valid_to=end
    )
    charging.reserve(
        session,
        reservation_id="x1",
        owners=sub.owners,
        unit=Unit.LI,
        amount=10,
        at=T0,
        expires_at=end + timedelta(hours=1),
    )
    assert charging.expire_buckets(session, end) == 1
    q = session.get(BalanceBucket, quiet.bucket_id)
    b = session.get(BalanceBucket, busy.bucket_id)
    assert q is not None and b is not None
    assert (q.status, q.remaining) == ("expired", 0)
    assert (b.status, b.remaining) == ("active", 100)
    charging.debit(session, reservation_id="x1", used=10, at=end, release_rest=True, sequence=1)
    assert charging.expire_buckets(session, end) == 1
    session.refresh(b)
    assert (b.status, b.remaining) == ("expired", 0)
    assert_log_matches(session)


def test_concurrent_reservations_on_one_bucket_never_over_grant(
    session_factory: sessionmaker[Session],
) -> None:
    """Threads, each in its own write unit of work, race for one shared account bucket: the
    grants add up to the balance exactly, and the debits to what was reported used."""
    with unit_of_work(session_factory, writes=True) as s:
        sub = line(s)
        account = sub.owners[1]
        bucket = charging.create_bucket(s, owner=account, unit=Unit.LI, amount=1_000, at=T0)
    grants: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    threads_count = 24
    # every grant is made before any is debited, so nothing released is granted again
    all_reserved = threading.Barrier(threads_count, timeout=60)

    def session_of(n: int) -> None:
        try:
            with unit_of_work(session_factory, writes=True) as s:
                got = charging.reserve(
                    s,
                    reservation_id=f"c{n}",
                    owners=sub.owners,
                    unit=Unit.LI,
                    amount=70,
                    at=T0,
                    expires_at=LATER,
                )
            all_reserved.wait()
            with unit_of_work(session_factory, writes=True) as s:
                charging.debit(
                    s,
                    reservation_id=f"c{n}",
                    used=got // 2,
                    at=LATER,
                    release_rest=True,
                    sequence=1,
                )
            with lock:
                grants.append(got)
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=session_of, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(grants) == 1_000  # 24 x 70 asked, 1,000 there: 14 full grants, one of 20, the rest 0
    assert sorted(grants, reverse=True)[:15] == [70] * 14 + [20]
    with unit_of_work(session_factory) as s:
        row = s.get(BalanceBucket, bucket.bucket_id)
        assert row is not None
        assert (row.remaining, row.reserved) == (1_000 - sum(g // 2 for g in grants), 0)
        assert_log_matches(s)


def test_money_used_is_posted_as_revenue_once_with_sub_fen_carried(session: Session) -> None:
    from datetime import UTC, datetime

    from openbss.charging.notices import post_usage_revenue
    from openbss.payments.models import JournalLine

    sub = line(session)
    charging.create_bucket(session, owner=sub.owners[0], unit=Unit.LI, amount=10_000, at=T0)
    for n, used in enumerate((1_234, 2_001)):
        charging.reserve(
            session, reservation_id=f"u{n}", owners=sub.owners, unit=Unit.LI, amount=3_000,
            at=T0, expires_at=LATER,
        )  # fmt: skip
        charging.debit(session, reservation_id=f"u{n}", used=used, at=LATER, release_rest=True)
        later = datetime.now(UTC) + timedelta(minutes=2)
        post_usage_revenue(session, later)
    assert post_usage_revenue(session, later) == 0  # nothing new
    lines = session.execute(
        select(JournalLine.gl_account, JournalLine.amount_fen)
        .where(JournalLine.entry_kind == "prepaidUsage")
        .order_by(JournalLine.id)
    ).all()
    # 1,234 li → 123 fen, 4 li carried; 2,001 + 4 li → 200 fen, 5 li carried
    assert [(str(a), int(f)) for a, f in lines] == [
        ("2203", 123),
        ("6001", -123),
        ("2203", 200),
        ("6001", -200),
    ]
