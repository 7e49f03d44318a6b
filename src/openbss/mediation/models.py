"""The batch manifest: one row per file (or pushed batch) that entered mediation.

The records themselves live in Parquet (store.py); the database keeps, per batch, what came
in and where every record went, so that revenue assurance can prove that nothing was lost:
``records_in = normalised + rejected + duplicates`` for every batch, and a recycled reject
moves from ``rejected`` to ``recycled`` without changing the identity.
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


class BatchStatus(StrEnum):
    """A mediation batch (a file, a push, a recycle run): processing → done | rejected (the
    whole file)."""

    PROCESSING = "processing"
    DONE = "done"
    REJECTED = "rejected"


class UsageStatus(StrEnum):
    """TMF635 UsageStatusType of a pushed usage: received → guided | rejected; rating makes
    a guided usage rated (then rerated when a correction changes it)."""

    RECEIVED = "received"
    GUIDED = "guided"
    REJECTED = "rejected"
    RATED = "rated"
    RERATED = "rerated"


class MediationBatch(Base):
    __tablename__ = "mediation_batch"
    # A file is the same file when its content is: the same bytes under another name, or
    # delivered twice, are processed once.
    __table_args__ = (
        UniqueConstraint("source", "checksum"),
        Index("ix_mediation_batch_source_day", "source", "day"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    source: Mapped[str] = mapped_column(String(64))  # e.g. "GZ-SW01", "radius", "tap:CHNCT"
    file_name: Mapped[str] = mapped_column(String(256))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the content
    file_format: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # records.FileKind
    status: Mapped[str] = mapped_column(String(16))  # BatchStatus
    day: Mapped[date] = mapped_column(Date)  # the day it was received, in the province's zone
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    records_in: Mapped[int] = mapped_column(BigInteger, default=0)
    normalised: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    recycled: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class UsageSpecification(TmfResourceMixin, Base):
    """TMF635 usage specification: a kind of usage a partner may push (e.g. voice, SMS)."""

    __tablename__ = "mediation_usage_specification"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {"id": "id", "name": "name"}

    name: Mapped[str] = mapped_column(String(256), index=True)


class PushedUsage(TmfResourceMixin, Base):
    """TMF635 usage pushed through the API: kept as received, then mediated in batches."""

    __tablename__ = "mediation_usage"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "status": "status",
        "usageType": "usage_type",
        "usageSpecification.id": "specification_id",
    }

    # received → guided | rejected (TMF635 UsageStatusType); rating makes a guided usage
    # rated (then rerated when a correction changes it); billing makes it billed.
    status: Mapped[str] = mapped_column(String(16), index=True)
    usage_type: Mapped[str | None] = mapped_column(String(32))
    specification_id: Mapped[str | None] = mapped_column(String(64), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    record_no: Mapped[int | None] = mapped_column(BigInteger)  # its record in the batch
