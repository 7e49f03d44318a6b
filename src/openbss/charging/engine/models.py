"""Credit-control sessions, their rating groups and every request answered.

``ocs_request`` makes a request idempotent: its primary key is (session id, request number),
inserted first in the request's transaction, so a retransmission (or the same request arriving
at a second engine) either waits for the first and then reads its stored answer, or finds it
already there. Balances are not here: they belong to the balance primitives
(``openbss.charging.public``); a session only names the reservation that holds its grant.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now


class SessionStatus(StrEnum):
    OPEN = "open"
    TERMINATED = "terminated"  # the client ended it (CCR-T)
    RELEASED = "released"  # supervision ended it: no request within Tcc


class ChargingSession(Base):
    __tablename__ = "ocs_session"
    __table_args__ = (
        Index("ix_ocs_session_supervision", "status", "expires_at"),
        Index("ix_ocs_session_usage", "usage_written", "status"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Session-Id
    province: Mapped[str] = mapped_column(String(8))
    subscriber: Mapped[str] = mapped_column(String(32))  # the line's service number
    product_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64))
    offering_id: Mapped[str | None] = mapped_column(String(64))  # whose tariff prices it
    called: Mapped[str | None] = mapped_column(String(40))  # E.164 with '+'
    area_code: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.OPEN)
    started_at: Mapped[datetime]  # event time of the first request: the call's start
    last_request_number: Mapped[int] = mapped_column(Integer)
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # last_seen_at + Tcc: supervision releases it after this
    ended_at: Mapped[datetime | None]
    origin: Mapped[str] = mapped_column(String(255), default="")
    # The usage records of a finished session went to the usage store (mediation batch id).
    usage_written: Mapped[bool] = mapped_column(Boolean, default=False)
    usage_batch_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class ChargingService(Base):
    """One rating group of a session: what it used, what was debited, what it holds."""

    __tablename__ = "ocs_service"

    session_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("ocs_session.id"), primary_key=True
    )
    rating_group: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[str] = mapped_column(String(16))
    # Units reported used, in total, from the balance in money and from unit buckets.
    used_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    used_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    used_messages: Mapped[int] = mapped_column(BigInteger, default=0)
    # Of those, the units a unit bucket paid (the rest is priced in money).
    bucket_units: Mapped[int] = mapped_column(BigInteger, default=0)
    # Money debited so far: the price of the money-paid units (li).
    charged_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The reservation holding the current grant, its unit ("li" or a bucket unit) and size.
    reservation_id: Mapped[str | None] = mapped_column(String(320))
    reservation_unit: Mapped[str | None] = mapped_column(String(8))
    granted_units: Mapped[int] = mapped_column(BigInteger, default=0)
    final_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    # How many reservations this rating group has had: the next one's sequence.
    rounds: Mapped[int] = mapped_column(Integer, default=0)


class ChargingRequestRow(Base):
    """A request answered: its stored answer is what a retransmission gets back."""

    __tablename__ = "ocs_request"

    session_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_type: Mapped[int] = mapped_column(Integer)
    answer: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=now)
