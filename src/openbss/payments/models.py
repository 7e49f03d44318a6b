"""Receivables rows: the open-item ledger, its matches, the journal, payments, and the marks of
what has been posted.

The ledger is append-only. An **item** is a debit the customer owes (a bill, a late fee, a
refund paid out) or a credit in the customer's favour (a payment, a deposit, a waiver, a
write-off); it never changes once written. A **match** settles part of a debit with part of a
credit (销帐); undoing it (a bounced collection, a refund) is a new match with a negative amount
that points at the one it undoes. So an item's open amount is its amount less the sum of its
matches, and every change of a balance is a row someone can read back. The **journal** holds the
double-entry lines each posting makes (``payments.chart``); a customer's balance is the sum of
their receivable lines, and the sum of every day's lines is zero.

``ar_account`` has one row per billing account that has a ledger: writers update it first, which
takes a row lock on PostgreSQL and the database's write lock on SQLite, so two payments racing
for one account's bills are serialised and never allocate the same fen twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now
from openbss.resources.models import TmfResourceMixin


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class ItemKind(StrEnum):
    # debits
    BILL = "bill"
    LATE_FEE = "lateFee"
    REFUND = "refund"  # money paid back to the customer
    REVERSAL = "reversal"  # a payment taken back (a bounced collection, a chargeback)
    DEBIT_NOTE = "debitNote"
    # credits
    PAYMENT = "payment"
    DEPOSIT = "deposit"
    WAIVER = "waiver"  # a late fee waived
    WRITE_OFF = "writeOff"  # bad debt
    CREDIT_NOTE = "creditNote"


DEBIT_KINDS = frozenset(
    {ItemKind.BILL, ItemKind.LATE_FEE, ItemKind.REFUND, ItemKind.REVERSAL, ItemKind.DEBIT_NOTE}
)


class PaymentStatus(StrEnum):
    """TMF676 leaves the values open; these are the ones a payment goes through here."""

    RECEIVED = "received"
    REVERSED = "reversed"  # taken back whole (a bounced collection): its items re-opened
    PARTIALLY_REFUNDED = "partiallyRefunded"
    REFUNDED = "refunded"


class LedgerAccount(Base):
    """A billing account's ledger head: the row writers lock."""

    __tablename__ = "ar_account"

    billing_account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now)


class LedgerItem(Base):
    __tablename__ = "ar_item"
    __table_args__ = (
        UniqueConstraint("kind", "source_id"),
        Index("ix_ar_item_account_side", "billing_account_id", "side"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    billing_account_id: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    # The GL control account the item sits in: receivable (1122) or deposits held (2241).
    control: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # > 0 on both sides
    # What the item stands for, unique per kind: a bill id, a payment id, a late fee's
    # bill and day; the ledger posts each fact once however often a job runs.
    source_id: Mapped[str] = mapped_column(String(128))
    due_date: Mapped[date | None] = mapped_column(Date)
    business_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now)


class LedgerMatch(Base):
    """Part of a debit settled by part of a credit; negative when it undoes an earlier one."""

    __tablename__ = "ar_match"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    debit_item_id: Mapped[str] = mapped_column(String(64), index=True)
    credit_item_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    undoes_match_id: Mapped[str | None] = mapped_column(String(64))
    business_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=now)


class JournalLine(Base):
    """One double-entry line; the lines of one posting (``entry_id``) sum to zero."""

    __tablename__ = "ar_journal"
    __table_args__ = (
        Index("ix_ar_journal_day", "province", "business_date"),
        Index("ix_ar_journal_account", "billing_account_id", "gl_account"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    entry_kind: Mapped[str] = mapped_column(String(16))
    business_date: Mapped[date] = mapped_column(Date)
    gl_account: Mapped[str] = mapped_column(String(8))
    dimension: Mapped[str] = mapped_column(String(48), default="")
    billing_account_id: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=now)


class Payment(TmfResourceMixin, Base):
    """A payment received (TMF676); its money is the credit item ``credit_item_id``."""

    __tablename__ = "ar_payment"
    __table_args__ = (UniqueConstraint("province", "reference"),)
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "status": "status",
        "account.id": "billing_account_id",
        "paymentMethod.id": "method",
    }

    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    # The payer's reference (a bank's transaction id, a hall's receipt number): the same
    # reference twice is one payment.
    reference: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(24))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    received_at: Mapped[datetime] = mapped_column()
    # What the request asked for, to tell a retry from a different payment under one reference.
    request_hash: Mapped[str] = mapped_column(String(64))
    credit_item_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(128))


class PostedPeriod(Base):
    """A billed period whose bills are in the ledger (posted in one transaction)."""

    __tablename__ = "ar_posted_period"

    province: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    bills: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[datetime] = mapped_column(default=now)


class MethodKind(StrEnum):
    """TMF670 ``@type`` values openbss keeps, and the payment method each one pays by."""

    CASH = "Cash"
    BANK_ACCOUNT_DEBIT = "BankAccountDebit"  # a direct-debit mandate (托收)
    BANK_ACCOUNT_TRANSFER = "BankAccountTransfer"
    DIGITAL_WALLET = "DigitalWallet"  # an online gateway's wallet (支付宝, 微信支付)
    BANK_CARD = "BankCard"  # a card paid through an online gateway


class StoredPaymentMethod(TmfResourceMixin, Base):
    """A TMF670 payment method, linked to at most one billing account.

    The bank account number is personal data: it is kept in its own column only; the document
    (also what audit entries and events carry) holds it masked."""

    __tablename__ = "ar_payment_method"
    __table_args__ = (Index("ix_ar_payment_method_account", "billing_account_id", "kind"),)
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "@type": "kind",
        "status": "status",
    }

    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    billing_account_id: Mapped[str | None] = mapped_column(String(64))
    bank_code: Mapped[str | None] = mapped_column(String(32))
    account_number: Mapped[str | None] = mapped_column(String(64))
    account_holder: Mapped[str | None] = mapped_column(String(128))
