"""Rating in the database: tariffs as data, their attachment to the catalog, runs and counters.

The rated records themselves live in Parquet beside the usage store (``runs.py``); the
database keeps what decides a rating (tariff versions, destination sets, allowances and the
product offering prices they are attached to) and what a run did (counts per batch, the
allowance counters it left per cycle, per-account differences and billing adjustments).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base, JSONDocument
from openbss.kit.clock import now


class DestinationSet(Base):
    """A named table of destination prefixes; tariffs refer to it by id."""

    __tablename__ = "rating_destination_set"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefixes: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the sorted prefix rows
    created_at: Mapped[datetime] = mapped_column(default=now)


class DestinationPrefix(Base):
    __tablename__ = "rating_destination"

    set_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("rating_destination_set.id", ondelete="CASCADE"), primary_key=True
    )
    prefix: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    zone: Mapped[str | None] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(String(8))


class TariffVersion(Base):
    """One version of a tariff. A correction is a new version; versions are never edited.

    ``document`` holds the rules, bands, calendar and tiers (``documents.TariffDocument``);
    the columns beside it are what is searched on.
    """

    __tablename__ = "rating_tariff"
    __table_args__ = (UniqueConstraint("tariff_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tariff_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    province: Mapped[str | None] = mapped_column(String(8), index=True)  # None: group-wide
    effective_from: Mapped[datetime] = mapped_column()
    effective_to: Mapped[datetime | None] = mapped_column()
    destination_set_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("rating_destination_set.id")
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    reason: Mapped[str | None] = mapped_column(Text)  # why this version exists
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class AllowanceDefinition(Base):
    """Units included per cycle (``model.Allowance``)."""

    __tablename__ = "rating_allowance"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    service: Mapped[str] = mapped_column(String(8))
    zones: Mapped[list[str] | None] = mapped_column(JSONDocument)
    units_per_cycle: Mapped[int] = mapped_column(BigInteger)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    carry_over_cycles: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now)


class PriceBinding(Base):
    """Attaches a tariff and/or allowances to a product offering price of the catalog.

    A product is rated under the tariff bound to a usage price of its offering; its
    allowances are those bound to its offering's prices and to its bundle's prices.
    """

    __tablename__ = "rating_price_binding"

    price_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tariff_id: Mapped[str | None] = mapped_column(String(64), index=True)
    allowance_ids: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(default=now)


class RatingPeriod(Base):
    """A province's cycle: which run is current, and whether billing has taken it."""

    __tablename__ = "rating_period"

    province: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # 'YYYY-MM'
    current_run_id: Mapped[str | None] = mapped_column(String(64))
    billed_run_id: Mapped[str | None] = mapped_column(String(64))
    billed_at: Mapped[datetime | None] = mapped_column()


class RunStatus(StrEnum):
    """A rating run: running → done | failed; a run left running by a dead process is
    abandoned by the next run of its period."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ABANDONED = "abandoned"


class AdjustmentStatus(StrEnum):
    """A rating adjustment: open until the bill run that carries it marks it billed."""

    OPEN = "open"
    BILLED = "billed"


class RatingRun(Base):
    """One rating of a province's period; the newest finished one is the period's current."""

    __tablename__ = "rating_run"
    __table_args__ = (Index("ix_rating_run_period", "province", "period"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))  # RunStatus
    previous_run_id: Mapped[str | None] = mapped_column(String(64))
    plan_fingerprint: Mapped[str | None] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    rated: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[dict[str, int]] = mapped_column(JSONDocument, default=dict)
    amount_li: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_records: Mapped[int | None] = mapped_column(BigInteger)
    delta_li: Mapped[int | None] = mapped_column(BigInteger)
    output_dir: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class RunBatchCount(Base):
    """Per mediation batch, what a run made of its records (for the reconcile)."""

    __tablename__ = "rating_run_batch"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("rating_run.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)


class AllowanceCounter(Base):
    """A pool's balance at the end of a cycle, as the period's current run left it."""

    __tablename__ = "rating_allowance_counter"

    province: Mapped[str] = mapped_column(String(8), primary_key=True)
    cycle: Mapped[str] = mapped_column(String(7), primary_key=True)
    allowance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    fresh: Mapped[int] = mapped_column(BigInteger)
    carried: Mapped[int] = mapped_column(BigInteger)
    run_id: Mapped[str] = mapped_column(String(64))


class AccountDelta(Base):
    """Per account, how a run changed the amounts of the run it replaced."""

    __tablename__ = "rating_account_delta"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("rating_run.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)  # records whose amount changed
    before_li: Mapped[int] = mapped_column(BigInteger)
    after_li: Mapped[int] = mapped_column(BigInteger)
    delta_li: Mapped[int] = mapped_column(BigInteger)


class RatingAdjustment(Base):
    """A difference found by rerating a billed period: billed later, never silently."""

    __tablename__ = "rating_adjustment"
    __table_args__ = (UniqueConstraint("run_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    period: Mapped[str] = mapped_column(String(7))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_li: Mapped[int] = mapped_column(BigInteger)
    run_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AdjustmentStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=now)
