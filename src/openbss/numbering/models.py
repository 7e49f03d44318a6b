"""Number pools and the numbers in them.

A pool is a contiguous range of subscriber numbers under one area code (fixed, PHS) or
mobile prefix, owned by a province. Every number of a pool is a row, keyed by its E.164 form,
so reservation is a single-row compare-and-set and the database's primary key guarantees
that no number exists twice. Number state changes only through UPDATE statements in
repository.py, never by mutating loaded objects.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base, TimestampMixin
from openbss.kit.clock import now
from openbss.numbering.calculations import NumberStatus


class NumberPool(TimestampMixin, Base):
    __tablename__ = "numbering_pool"
    __table_args__ = (UniqueConstraint("province", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Numbers are always a province's resource; there are no group-owned pools.
    province: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    area_code: Mapped[str | None] = mapped_column(String(8))  # fixed and PHS
    prefix: Mapped[str | None] = mapped_column(String(8))  # mobile
    # Subscriber-number range, inclusive, digits of equal length (e.g. 83000000–83009999).
    first: Mapped[str] = mapped_column(String(16))
    last: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column()
    quarantine_days: Mapped[int] = mapped_column()


class NumberResource(Base):
    """One number (号码资源) and its allocation state."""

    __tablename__ = "numbering_number"
    __table_args__ = (
        # "The lowest free non-golden number of this kind in this local network": an ordered
        # range scan for the available ones. Reserved and quarantined numbers are few, so the
        # expired ones among them are found through the same index's status prefix.
        Index(
            "ix_numbering_number_pick",
            "province",
            "kind",
            "area_code",
            "status",
            "number",
        ),
    )

    number: Mapped[str] = mapped_column(String(16), primary_key=True)  # E.164
    pool_id: Mapped[str] = mapped_column(ForeignKey("numbering_pool.id"), index=True)
    province: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=NumberStatus.AVAILABLE)
    # Who holds a reservation ("reservation:<id>", "order:<id>"); kept on assignment.
    holder: Mapped[str | None] = mapped_column(String(64), index=True)
    held_until: Mapped[datetime | None] = mapped_column()  # None: until released or assigned
    product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column()
    quarantine_until: Mapped[datetime | None] = mapped_column()
    golden_level: Mapped[str | None] = mapped_column(String(16))
    golden_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
