"""Bank collection (托收) rows: what was asked of a bank, and what its result files answered.

A **batch** is one debit file sent to one bank: its lines are the amounts asked of each account
(the request is what the result file is reconciled against, and an amount in an open batch is
not asked again). An **import** is one result file, recognised by the SHA-256 of its content
(the same file twice is one import); it is applied in chunks, each one transaction that moves
``lines_done`` forward, so a killed import resumes where it stopped. Each result line is kept
(paid, refused with the bank's reason, partial, or rejected as malformed): dunning reads the
refusals, and the reconciliation report is built from them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now


class BatchStatus(StrEnum):
    OPEN = "open"  # the file is at the bank; its amounts are not asked again
    RESULTED = "resulted"  # its result file has been applied


class ImportStatus(StrEnum):
    APPLYING = "applying"  # claimed; chunks up to ``lines_done`` are applied
    DONE = "done"


class LineOutcome(StrEnum):
    PAID = "paid"
    REFUSED = "refused"
    PARTIAL = "partial"
    REJECTED = "rejected"  # malformed, or not a line of the batch: nothing applied
    DUPLICATE = "duplicate"  # its payment reference was already taken: nothing applied


class CollectionBatch(Base):
    __tablename__ = "ar_collection_batch"
    __table_args__ = (UniqueConstraint("province", "bank", "collection_date", "sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # ICBC-GD-20261203-01
    province: Mapped[str] = mapped_column(String(8))
    bank: Mapped[str] = mapped_column(String(16))
    layout: Mapped[str] = mapped_column(String(32))
    collection_date: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(128))
    lines: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now)
    resulted_at: Mapped[datetime | None] = mapped_column()


class CollectionLine(Base):
    """One amount asked of the bank. The bank account number is kept (masked in every
    report) because the result must be matched to what was asked."""

    __tablename__ = "ar_collection_line"

    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    billing_account_id: Mapped[str] = mapped_column(String(64), index=True)
    bank_account_no: Mapped[str] = mapped_column(String(40))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class CollectionImport(Base):
    __tablename__ = "ar_collection_import"
    __table_args__ = (UniqueConstraint("province", "digest"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(256))
    batch_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(16))
    lines: Mapped[int] = mapped_column(Integer)  # record lines in the file
    lines_done: Mapped[int] = mapped_column(Integer, default=0)  # the resume mark
    report: Mapped[str | None] = mapped_column(Text)  # the reconciliation (JSON) once done
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class CollectionResult(Base):
    """One line of a result file and what became of it (``position`` is its 0-based place
    among the file's record lines: the order chunks are applied in)."""

    __tablename__ = "ar_collection_result"
    __table_args__ = (Index("ix_ar_collection_result_account", "billing_account_id", "outcome"),)

    import_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_line: Mapped[int] = mapped_column(Integer)  # 1-based line number in the file
    batch_line: Mapped[int | None] = mapped_column(Integer)
    billing_account_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    asked_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    reason_code: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(256))
    bank_txn_id: Mapped[str | None] = mapped_column(String(64))
    # The payment's fingerprint, as ``PaymentRequest.fingerprint`` makes it: a later retry of
    # the same reference through the API is recognised as this payment.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(128))
    payment_id: Mapped[str | None] = mapped_column(String(64))
    credit_item_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
