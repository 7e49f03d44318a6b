"""Collections rows: each account's treatment, the steps taken, the notification outbox,
promises to pay, late-fee waivers, write-off proposals and deposits.

Money moves only through the receivables ledger (``payments.models``); these rows record the
decisions around it — who asked, who approved, which order was placed — and make each daily
step idempotent (``dun_step.key`` is unique).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now


class Stage(StrEnum):
    CLEAR = "clear"  # nothing in force (reminders may still have gone out)
    SUSPENDED = "suspended"  # 停机 for arrears
    CEASED = "ceased"  # 拆机


class DunningCase(Base):
    """Where an account stands in collections; one row per account ever treated."""

    __tablename__ = "dun_case"
    __table_args__ = (Index("ix_dun_case_province_stage", "province", "stage"),)

    billing_account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str] = mapped_column(String(16), default=Stage.CLEAR)
    # 信用度 barring in force: none | outgoing (单停) | full (双停).
    barring: Mapped[str] = mapped_column(String(16), default="none")
    # The due date of the oldest overdue bill of the episode reminders were sent for.
    episode_due: Mapped[date | None] = mapped_column(Date)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    ceased_on: Mapped[date | None] = mapped_column(Date)
    # The last day late fees were charged through (the next run catches up from the day after).
    fees_through: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class DunningStep(Base):
    """One step taken for an account (a reminder, an order, a proposal), once per key."""

    __tablename__ = "dun_step"
    __table_args__ = (Index("ix_dun_step_account", "billing_account_id", "business_date"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # ``dunning:<account>:<step>:<date>``: also the externalId of the order the step placed.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    province: Mapped[str] = mapped_column(String(8))
    billing_account_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    product_order_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """A message waiting for (or given to) its sender. The recipient is named by the account
    and the customer only; the sender looks the contact medium up, so no number is stored."""

    __tablename__ = "dun_notification"
    __table_args__ = (Index("ix_dun_notification_status", "status", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    province: Mapped[str] = mapped_column(String(8))
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None] = mapped_column()


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class PromiseToPay(Base):
    """承诺缴费: the customer will pay by ``promised_date``; treatment waits until then."""

    __tablename__ = "dun_promise"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    promised_date: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default=PromiseStatus.OPEN)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now)
    closed_on: Mapped[date | None] = mapped_column(Date)


class ApprovalStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class LateFeeWaiver(Base):
    """A request to waive (part of) a late fee; approved by someone else (maker-checker)."""

    __tablename__ = "dun_waiver"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    late_fee_item_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=ApprovalStatus.REQUESTED)
    requested_by: Mapped[str] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column()
    credit_item_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class WriteOffProposal(Base):
    """Bad debt of a ceased account, proposed by the daily job, approved by finance."""

    __tablename__ = "dun_write_off"
    __table_args__ = (UniqueConstraint("billing_account_id", "ceased_on"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    ceased_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # open when proposed
    status: Mapped[str] = mapped_column(String(12), default=ApprovalStatus.REQUESTED)
    proposed_by: Mapped[str] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column()
    written_off_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_item_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class DepositStatus(StrEnum):
    HELD = "held"
    SETTLED = "settled"  # applied to the debts at cease, the rest refunded


class Deposit(Base):
    """押金 taken (at order time); its money is the credit item in 2241."""

    __tablename__ = "dun_deposit"
    __table_args__ = (UniqueConstraint("province", "reference"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str] = mapped_column(String(128))
    product_order_id: Mapped[str | None] = mapped_column(String(64))
    credit_item_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=DepositStatus.HELD)
    applied_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now)
