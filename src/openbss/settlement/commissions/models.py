"""Commission runs and their lines.

A run is one province's month. It is claimed (status ``running``, its owner ``host:pid``),
computed from the public faces of ordering, inventory and billing, its statements written
atomically, and its lines inserted in the same transaction that makes it ``done``: a run
killed at any point has no lines, and running it again redoes it under the same id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now


class CommissionRun(Base):
    __tablename__ = "settlement_commission_run"
    __table_args__ = (UniqueConstraint("province", "period"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))  # running | done
    owner: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    partner_count: Mapped[int] = mapped_column(Integer, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # fen
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    statements_digest: Mapped[str | None] = mapped_column(String(64))


class CommissionLine(Base):
    __tablename__ = "settlement_commission_line"
    __table_args__ = (
        Index("ix_settlement_commission_line_run", "run_id", "partner_id"),
        Index("ix_settlement_commission_line_reference", "reference", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("settlement_commission_run.id"))
    partner_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # activation | recharge | revenue_share | clawback
    reference: Mapped[str] = mapped_column(String(64))  # product or top-up
    contract_id: Mapped[str | None] = mapped_column(String(64))
    basis_amount: Mapped[int] = mapped_column(BigInteger)  # fen
    amount: Mapped[int] = mapped_column(BigInteger)  # fen; negative for a clawback
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
