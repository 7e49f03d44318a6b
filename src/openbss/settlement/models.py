"""Settlement rows: runs and their statements, chargebacks, reconciliations with their
differences, disputes and the adjustments agreed disputes post.

A settlement run is a batch like a bill run: it claims the province's period (its owner
``host:pid`` and a heartbeat say who works it), writes its statement files into a directory of
its own, and records the statements and becomes ``done`` in one transaction. A run killed
half-way is taken over by the next run of the period, which clears the directory and writes it
again: the same inputs give byte-identical statements. A period has at most one ``done`` run
that is current; running it again with ``again`` supersedes it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now


class RunStatus(StrEnum):
    RUNNING = "running"  # claimed; files being written (a killed run stays here and is resumed)
    DONE = "done"  # statements recorded; the period's current run
    SUPERSEDED = "superseded"  # a later run of the period replaced it
    FAILED = "failed"


class StatementKind(StrEnum):
    INTERCONNECT = "interconnect"  # per carrier
    REVENUE_SHARE = "revenueShare"  # per SP / CP
    INTERPROVINCE = "interprovince"  # per pair of provinces


class DisputeState(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "underReview"
    AGREED = "agreed"
    SETTLED = "settled"
    REJECTED = "rejected"


class SettlementRun(Base):
    __tablename__ = "settlement_run"
    __table_args__ = (Index("ix_settlement_run_period", "province", "period"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    output_dir: Mapped[str | None] = mapped_column(Text)
    records: Mapped[int] = mapped_column(BigInteger, default=0)  # interconnect records priced
    unpriced: Mapped[int] = mapped_column(BigInteger, default=0)  # of which no rule priced
    statements: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class SettlementStatement(Base):
    """One partner's statement of a run: totals here, lines in ``settlement_statement_line``,
    the CSV and PDF files in the run's directory (their SHA-256 recorded)."""

    __tablename__ = "settlement_statement"
    __table_args__ = (UniqueConstraint("run_id", "kind", "partner"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("settlement_run.id"), index=True)
    province: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    partner: Mapped[str] = mapped_column(String(64))  # carrier / SP code, or "GD>SH"
    partner_name: Mapped[str] = mapped_column(String(200))
    receivable_fen: Mapped[int] = mapped_column(BigInteger)  # the partner pays us
    payable_fen: Mapped[int] = mapped_column(BigInteger)  # we pay the partner
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    csv_file: Mapped[str] = mapped_column(Text)
    csv_sha256: Mapped[str] = mapped_column(String(64))
    pdf_file: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[int] = mapped_column(Integer)


class StatementLine(Base):
    __tablename__ = "settlement_statement_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    statement_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("settlement_statement.id"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))  # in: receivable, out: payable
    service: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(200))
    records: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(16))
    amount_li: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Chargeback(Base):
    """A complaint upheld against an SP's service: taken off the SP's next statement."""

    __tablename__ = "settlement_chargeback"
    __table_args__ = (UniqueConstraint("province", "partner", "complaint_ref"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    partner: Mapped[str] = mapped_column(String(64))
    complaint_ref: Mapped[str] = mapped_column(String(64))
    # refund: the customer was refunded; comes off the shared base (both shares bear it).
    # chargeback: a penalty the SP bears alone, off its share.
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(default=now)
    # The first period whose run took it; a rerun of that period takes it again, no other.
    applied_period: Mapped[str | None] = mapped_column(String(7))


class Reconciliation(Base):
    """A partner's statement imported and matched against ours."""

    __tablename__ = "settlement_reconciliation"
    __table_args__ = (UniqueConstraint("province", "partner", "period", "file_sha256"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    partner: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    statement_id: Mapped[str] = mapped_column(String(64))
    layout: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    tolerance_fen: Mapped[int] = mapped_column(BigInteger)
    matched: Mapped[int] = mapped_column(Integer)
    differences: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now)


class Difference(Base):
    __tablename__ = "settlement_difference"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reconciliation_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("settlement_reconciliation.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # differs | missing | extra
    direction: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(200))
    ours_fen: Mapped[int | None] = mapped_column(BigInteger)
    theirs_fen: Mapped[int | None] = mapped_column(BigInteger)
    delta_fen: Mapped[int] = mapped_column(BigInteger)  # theirs - ours (missing: -ours)


class Dispute(Base):
    __tablename__ = "settlement_dispute"
    __table_args__ = (Index("ix_settlement_dispute_partner", "province", "partner", "period"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    partner: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    difference_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    claimed_fen: Mapped[int] = mapped_column(BigInteger)  # what the difference says
    agreed_fen: Mapped[int | None] = mapped_column(BigInteger)  # + we receive more, - less
    reason: Mapped[str] = mapped_column(String(500))
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class SettlementAdjustment(Base):
    """What an agreed dispute posts to the partner's settlement account: once (unique)."""

    __tablename__ = "settlement_adjustment"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dispute_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("settlement_dispute.id"), unique=True
    )
    province: Mapped[str] = mapped_column(String(8))
    partner: Mapped[str] = mapped_column(String(64))
    settlement_account_id: Mapped[str | None] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    posted_by: Mapped[str] = mapped_column(String(128))
    posted_at: Mapped[datetime] = mapped_column(default=now)
