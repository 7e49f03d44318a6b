"""Roaming tables: agreements, IMSI ranges, inter-operator tariffs and exchange rates (all data),
file sequence counters, the files written and received, and the records each file carried.

Money: ``sdr_amount`` columns are micro-SDR (10^-6 SDR, the finest TAP allows); ``cny_amount``
columns are fen. Exchange rates are CNY per SDR times 10^6.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now


class FileKind(StrEnum):
    TAP = "tap"
    RAP = "rap"
    ACK = "ack"


class FileDirection(StrEnum):
    OUT = "out"  # we wrote it
    IN = "in"  # a partner sent it


class FileStatus(StrEnum):
    DONE = "done"
    ACKNOWLEDGED = "acknowledged"  # an outbound RAP file the partner acknowledged
    REFUSED = "refused"  # an inbound TAP file refused whole (a fatal return)


class RoamingAgreement(Base):
    """A bilateral roaming agreement: our TADIG code and the partner's."""

    __tablename__ = "settlement_roaming_agreement"
    __table_args__ = (UniqueConstraint("home_tadig", "partner_tadig"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    home_tadig: Mapped[str] = mapped_column(String(5))
    partner_tadig: Mapped[str] = mapped_column(String(5), index=True)
    partner_id: Mapped[str | None] = mapped_column(String(64))  # settlement partner, if known
    name: Mapped[str] = mapped_column(String(128))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=now)


class ImsiRange(Base):
    """An IMSI prefix (MCC + MNC, or longer) and the network (TADIG) it belongs to."""

    __tablename__ = "settlement_roaming_imsi_range"

    prefix: Mapped[str] = mapped_column(String(15), primary_key=True)
    tadig: Mapped[str] = mapped_column(String(5), index=True)


class RoamingTariff(Base):
    """What we charge a partner for its visitors' usage (inter-operator tariff), in li per
    started unit of ``increment`` (seconds for voice, octets for data, 1 for messages).
    ``partner_tadig`` "*" applies to every partner without its own row."""

    __tablename__ = "settlement_roaming_tariff"
    __table_args__ = (UniqueConstraint("partner_tadig", "service", "direction", "valid_from"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_tadig: Mapped[str] = mapped_column(String(5))
    service: Mapped[str] = mapped_column(String(16))  # voice | sms | data
    direction: Mapped[str] = mapped_column(String(8))  # mo | mt
    increment: Mapped[int] = mapped_column(Integer)
    rate_li: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ExchangeRate(Base):
    """CNY per SDR from ``day`` on (until the next row), times 10^6."""

    __tablename__ = "settlement_roaming_exchange_rate"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate_micros: Mapped[int] = mapped_column(BigInteger)


class FileSequence(Base):
    """The last file sequence number used per sender, recipient and kind (TAP / RAP)."""

    __tablename__ = "settlement_roaming_sequence"

    sender: Mapped[str] = mapped_column(String(5), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(5), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)


class RoamingFile(Base):
    """A TAP, RAP or acknowledgement file we wrote or received."""

    __tablename__ = "settlement_roaming_file"
    __table_args__ = (UniqueConstraint("direction", "kind", "sender", "recipient", "sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(5))
    recipient: Mapped[str] = mapped_column(String(5))
    sequence: Mapped[int] = mapped_column(Integer)
    province: Mapped[str] = mapped_column(String(8), index=True)
    file_name: Mapped[str] = mapped_column(String(64))
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    records: Mapped[int] = mapped_column(Integer)
    returned: Mapped[int] = mapped_column(Integer)  # inbound records refused (RAP)
    sdr_amount: Mapped[int] = mapped_column(BigInteger)  # micro-SDR, accepted records
    cny_amount: Mapped[int] = mapped_column(BigInteger)  # fen
    answers_file_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)


class TapRecord(Base):
    """A usage record sent in an outbound TAP file: never sent twice to the same partner."""

    __tablename__ = "settlement_roaming_tap_record"

    recipient: Mapped[str] = mapped_column(String(5), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(40), index=True)
    sdr_amount: Mapped[int] = mapped_column(BigInteger)


class ReturnedRecord(Base):
    """An inbound TAP record we refuse: it goes into exactly one RAP file."""

    __tablename__ = "settlement_roaming_returned_record"

    tap_file_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    error_code: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    event_hex: Mapped[str] = mapped_column(Text)
    sdr_amount: Mapped[int] = mapped_column(BigInteger)
    rap_file_id: Mapped[str | None] = mapped_column(String(40), index=True)
