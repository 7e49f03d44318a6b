"""Prepaid balances: buckets, reservations and the balance transaction log.

A **bucket** holds an amount of one unit (money in li, seconds, messages, bytes) for one owner
(a prepaid product or a billing account shared by its products), valid over
``[valid_from, valid_to)``. ``remaining`` is what the owner has; ``reserved`` is the part of it
promised to reservations (quota granted to network sessions, not yet used), so what can still be
granted is ``remaining - reserved``, never below zero.

A **reservation** is one grant, spread over one or more buckets (``charging_reservation_hold``).
Debiting it turns held units into used ones; releasing it gives the held rest back.

Every change of a bucket is one **balance transaction** row, never updated afterwards: its
``amount`` moves ``remaining``, its ``reserved`` moves ``reserved``. A bucket's remaining is
the sum of its transactions' amounts, and its reserved the sum of their reserved deltas.

Writers lock the buckets they change (``SELECT … FOR UPDATE`` in bucket id order on
PostgreSQL; the write lock of a write unit of work on SQLite), so two grants never promise the
same unit twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base, JSONDocument
from openbss.kit.clock import now
from openbss.resources.models import TmfResourceMixin


class BalanceBucket(Base):
    __tablename__ = "charging_bucket"
    __table_args__ = (
        Index("ix_charging_bucket_owner", "owner_kind", "owner_id", "unit", "status"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("remaining >= reserved", name="reserved_within_remaining"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    owner_kind: Mapped[str] = mapped_column(String(8))  # product | account
    owner_id: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(8))  # li | s | msg | byte
    name: Mapped[str | None] = mapped_column(String(128))
    # Lower numbers are used first; among equal priorities the bucket that expires first.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    remaining: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_from: Mapped[datetime] = mapped_column()
    valid_to: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | expired
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class Reservation(Base):
    __tablename__ = "charging_reservation"
    __table_args__ = (
        Index("ix_charging_reservation_open", "status", "expires_at"),
        CheckConstraint("held >= 0", name="held_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    province: Mapped[str | None] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(8))
    # The owners asked for, in order: [[kind, id], ...]; an overrun is taken from them.
    owners: Mapped[list[Any]] = mapped_column(JSONDocument)
    requested: Mapped[int] = mapped_column(BigInteger)
    granted: Mapped[int] = mapped_column(BigInteger)
    held: Mapped[int] = mapped_column(BigInteger)  # granted, not yet debited nor released
    used: Mapped[int] = mapped_column(BigInteger, default=0)  # debited
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)  # reported, not covered
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()


class ReservationHold(Base):
    """The part of a reservation held in one bucket."""

    __tablename__ = "charging_reservation_hold"
    __table_args__ = (CheckConstraint("held >= 0", name="held_not_negative"),)

    reservation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    bucket_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    rank: Mapped[int] = mapped_column(Integer)  # the order the grant took the buckets in
    held: Mapped[int] = mapped_column(BigInteger)


class ReservationStep(Base):
    """One debit or release of a reservation, by its sequence: a repeated call (a
    retransmitted request) finds its step and changes nothing."""

    __tablename__ = "charging_reservation_step"

    reservation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # debit | release
    reported: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column()


class BalanceTransaction(Base):
    """One immutable change of one bucket (or, for a shortfall, of none)."""

    __tablename__ = "charging_balance_transaction"
    __table_args__ = (
        Index("ix_charging_balance_transaction_bucket", "bucket_id", "id"),
        Index("ix_charging_balance_transaction_owner", "owner_kind", "owner_id", "id"),
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    province: Mapped[str | None] = mapped_column(String(8), index=True)
    bucket_id: Mapped[str | None] = mapped_column(String(64))
    owner_kind: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(8))
    # topUp | adjust | reserve | release | debit | shortfall | expire | transfer
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # change of remaining
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)  # change of reserved
    # A shortfall: units reported used that no bucket could cover (no bucket changes).
    uncovered: Mapped[int] = mapped_column(BigInteger, default=0)
    remaining_after: Mapped[int | None] = mapped_column(BigInteger)
    reservation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    reason: Mapped[str | None] = mapped_column(String(256))
    reference: Mapped[str | None] = mapped_column(String(128), index=True)
    # A caller's key for a top-up or an adjustment: the same key is applied once.
    idempotency_key: Mapped[str | None] = mapped_column(String(160))
    at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)


# ----- TMF654 balance actions ----------------------------------------------------------------


class BalanceActionColumns(TmfResourceMixin):
    """A TMF654 balance action (top-up, adjustment, reservation) as its document, plus what it
    is filtered on. The balance change itself is in the transaction log (``reference`` = id)."""

    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "status": "status",
        "usageType": "usage_type",
        "bucket.id": "bucket_id",
    }

    status: Mapped[str | None] = mapped_column(String(16), index=True)
    usage_type: Mapped[str | None] = mapped_column(String(16))
    bucket_id: Mapped[str | None] = mapped_column(String(64), index=True)


class TopupBalanceAction(BalanceActionColumns, Base):
    __tablename__ = "charging_topup_balance"


class AdjustBalanceAction(BalanceActionColumns, Base):
    __tablename__ = "charging_adjust_balance"


class ReserveBalanceAction(BalanceActionColumns, Base):
    __tablename__ = "charging_reserve_balance"


# ----- top-up vouchers (充值卡) ----------------------------------------------------------------


class VoucherBatch(Base):
    __tablename__ = "charging_voucher_batch"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the batch code
    province: Mapped[str] = mapped_column(String(8), index=True)
    count: Mapped[int] = mapped_column(Integer)
    face_value_li: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(128))
    # Sale (activation for sale) of the batch: when and how it was paid, posted to the GL once.
    sold_at: Mapped[datetime | None] = mapped_column()
    sale_method: Mapped[str | None] = mapped_column(String(24))


class Voucher(Base):
    """One card: its serial is printed on it; its PIN, under the scratch panel, is kept only
    as a keyed hash. generated → active → used, or frozen / expired."""

    __tablename__ = "charging_voucher"
    __table_args__ = (UniqueConstraint("pin_hash"),)

    serial: Mapped[str] = mapped_column(String(48), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(32), index=True)
    province: Mapped[str] = mapped_column(String(8))
    pin_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    face_value_li: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime] = mapped_column()
    state_at: Mapped[datetime] = mapped_column()
    redeemed_product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    redeemed_transaction_id: Mapped[int | None] = mapped_column(BigInteger)


class RedeemGuard(Base):
    """Wrong PINs counted per subscriber and per source address, and the lockout they earn."""

    __tablename__ = "charging_redeem_guard"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()


class RevenueMark(Base):
    """How far a province's money debits have been posted as revenue: the last balance
    transaction posted and the sub-fen rest carried to the next posting."""

    __tablename__ = "charging_revenue_mark"

    province: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_transaction_id: Mapped[int] = mapped_column(BigInteger, default=0)
    carried_li: Mapped[int] = mapped_column(BigInteger, default=0)
    posted_at: Mapped[datetime | None] = mapped_column()
