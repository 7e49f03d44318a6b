"""Billing rows: bill runs, bills (TMF678 customerBill), bill items (appliedCustomerBillingRate),
the run's exception report, manual adjustments and bills on demand.

A bill run is a batch like a rating run: it claims the province's period, writes bills a chunk
of accounts at a time (each chunk one transaction, a bill unique per run and account, so a
restarted run skips what is written and never bills an account twice), and becomes final in
one transaction that also closes the rating period. ``billing_period`` holds, per province and
period, the one finalised run: a period is billed once.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now
from openbss.resources.models import TmfResourceMixin


class RunStatus(StrEnum):
    RUNNING = "running"  # claimed; bills being written (a killed run stays here and resumes)
    TRIAL = "trial"  # every account done; bills reviewable, nothing final
    FINALISED = "finalised"  # bills final, rating period closed
    DISCARDED = "discarded"  # a trial thrown away; its bills deleted
    FAILED = "failed"
    # Not a bill run: the record of one bill on demand (see ``billing.on_demand``).
    ON_DEMAND = "onDemand"


class BillState(StrEnum):
    """TMF678 ``StateValue`` plus ``trial`` (a bill of a run not yet finalised)."""

    TRIAL = "trial"
    NEW = "new"  # finalised
    ON_HOLD = "onHold"
    APPROVED = "approved"
    SENT = "sent"
    PARTIALLY_PAID = "partiallyPaid"
    SETTLED = "settled"
    # A snapshot of the open cycle asked for through TMF678 customerBillOnDemand: shown,
    # never owed, sent or paid; the period's bill comes from its bill run.
    ON_DEMAND = "onDemand"


class AdjustmentStatus(StrEnum):
    PENDING = "pending"  # above the approval threshold: waits for a second person
    APPROVED = "approved"  # goes on the account's next bill
    REJECTED = "rejected"
    BILLED = "billed"


class BillingPeriod(Base):
    """A province's period once billed: the run whose bills are final."""

    __tablename__ = "billing_period"

    province: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    finalised_at: Mapped[datetime] = mapped_column(default=now)


class BillRun(Base):
    __tablename__ = "billing_run"
    __table_args__ = (Index("ix_billing_run_period", "province", "period"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    # The rating run whose usage the bills carry (the period's current run when claimed).
    rating_run_id: Mapped[str | None] = mapped_column(String(64))
    # host:pid of the process working the run, and when it last wrote: a run whose owner is
    # gone is resumed by the next `billing run` of the period.
    owner: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    accounts_due: Mapped[int] = mapped_column(Integer, default=0)
    bills: Mapped[int] = mapped_column(Integer, default=0)
    exceptions: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()
    finalised_at: Mapped[datetime | None] = mapped_column()


class CustomerBill(TmfResourceMixin, Base):
    """One account's bill of a period (TMF678 customerBill); amounts in fen, tax-inclusive."""

    __tablename__ = "billing_bill"
    __table_args__ = (
        UniqueConstraint("run_id", "billing_account_id"),
        Index("ix_billing_bill_account_period", "billing_account_id", "period"),
    )
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "billNo": "bill_no",
        "state": "state",
        "billingAccount.id": "billing_account_id",
    }

    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("billing_run.id"), index=True)
    bill_no: Mapped[str] = mapped_column(String(32), unique=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    state: Mapped[str] = mapped_column(String(16))
    bill_date: Mapped[date] = mapped_column(Date)
    payment_due_date: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # tax included, what the account owes
    # How much of it payments have settled, kept in step by the receivables ledger.
    settled_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    business_tax_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    items: Mapped[int] = mapped_column(Integer, default=0)


class BillItem(TmfResourceMixin, Base):
    """One line of a bill (TMF678 appliedCustomerBillingRate), with what produced it."""

    __tablename__ = "billing_bill_item"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "type": "charge_type",
        "isBilled": "is_billed",
        "bill.id": "bill_id",
        "billingAccount.id": "billing_account_id",
        "product.id": "product_id",
    }

    bill_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("billing_bill.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    # The account the line belongs to: the bill's own, or a consolidated child's.
    billing_account_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str | None] = mapped_column(String(64))
    charge_type: Mapped[str] = mapped_column(String(24))
    tax_category: Mapped[str] = mapped_column(String(16))
    source_kind: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[str] = mapped_column(String(64))
    description_key: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    is_billed: Mapped[bool] = mapped_column(Boolean, default=False)


class BillException(Base):
    """An account a run skipped, and why; the run completes for every other account."""

    __tablename__ = "billing_exception"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("billing_run.id", ondelete="CASCADE"), primary_key=True
    )
    billing_account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)


class ManualAdjustment(Base):
    """A debit (> 0) or credit (< 0) an operator puts on an account's next bill.

    Amounts above the approval threshold wait for a second person (maker-checker): the one
    who asked cannot approve.
    """

    __tablename__ = "billing_adjustment"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(128))
    approved_by: Mapped[str | None] = mapped_column(String(128))
    bill_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    decided_at: Mapped[datetime | None] = mapped_column()


class BillOnDemand(TmfResourceMixin, Base):
    """TMF678 customerBillOnDemand: the open cycle's charges so far, asked for by a client."""

    __tablename__ = "billing_on_demand"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "state": "state",
        "billingAccount.id": "billing_account_id",
    }

    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
