"""Queries of the rating tables (and the catalog and inventory rows rating reads)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from openbss.rating.models import (
    AccountDelta,
    AdjustmentStatus,
    AllowanceCounter,
    AllowanceDefinition,
    DestinationPrefix,
    DestinationSet,
    PriceBinding,
    RatingAdjustment,
    RatingPeriod,
    RatingRun,
    RunBatchCount,
    RunStatus,
    TariffVersion,
)

# --- destination sets ---------------------------------------------------------------------


def destination_set(session: Session, set_id: str) -> DestinationSet | None:
    return session.get(DestinationSet, set_id)


def replace_destinations(
    session: Session, row: DestinationSet, prefixes: Sequence[dict[str, str | None]]
) -> None:
    session.merge(row)
    session.flush()
    session.execute(delete(DestinationPrefix).where(DestinationPrefix.set_id == row.id))
    if prefixes:
        session.execute(insert(DestinationPrefix), [{"set_id": row.id, **p} for p in prefixes])


def stored_destinations(
    session: Session, set_id: str
) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (r.prefix, r.name, r.zone, r.area_code)
        for r in session.execute(
            select(
                DestinationPrefix.prefix,
                DestinationPrefix.name,
                DestinationPrefix.zone,
                DestinationPrefix.area_code,
            )
            .where(DestinationPrefix.set_id == set_id)
            .order_by(DestinationPrefix.prefix)
        )
    ]


def destination_name(session: Session, set_id: str, prefix: str) -> str | None:
    return session.scalar(
        select(DestinationPrefix.name).where(
            DestinationPrefix.set_id == set_id, DestinationPrefix.prefix == prefix
        )
    )


# --- tariffs, allowances, bindings --------------------------------------------------------


def tariff_versions(
    session: Session, province: str | None, tariff_id: str | None = None
) -> list[TariffVersion]:
    """Versions visible to a province (its own and the group's), oldest first."""
    statement = select(TariffVersion).order_by(TariffVersion.tariff_id, TariffVersion.version)
    if province is not None:
        statement = statement.where(
            or_(TariffVersion.province.is_(None), TariffVersion.province == province)
        )
    if tariff_id is not None:
        statement = statement.where(TariffVersion.tariff_id == tariff_id)
    return list(session.scalars(statement))


def tariff_version(session: Session, tariff_id: str, version: int) -> TariffVersion | None:
    return session.scalar(
        select(TariffVersion).where(
            TariffVersion.tariff_id == tariff_id, TariffVersion.version == version
        )
    )


def latest_version(session: Session, tariff_id: str) -> int | None:
    value = session.scalar(
        select(func.max(TariffVersion.version)).where(TariffVersion.tariff_id == tariff_id)
    )
    return None if value is None else int(value)


def allowances(session: Session, ids: Iterable[str] | None = None) -> list[AllowanceDefinition]:
    statement = select(AllowanceDefinition).order_by(AllowanceDefinition.id)
    if ids is not None:
        statement = statement.where(AllowanceDefinition.id.in_(list(ids)))
    return list(session.scalars(statement))


def bindings(session: Session) -> list[PriceBinding]:
    return list(session.scalars(select(PriceBinding).order_by(PriceBinding.price_id)))


def find_period(session: Session, province: str, period_: str) -> RatingPeriod | None:
    return session.get(RatingPeriod, (province, period_))


def period(session: Session, province: str, period_: str, *, lock: bool = False) -> RatingPeriod:
    statement = select(RatingPeriod).where(
        RatingPeriod.province == province, RatingPeriod.period == period_
    )
    if lock:
        statement = statement.with_for_update()
    row = session.scalar(statement)
    if row is None:
        row = RatingPeriod(province=province, period=period_)
        session.add(row)
        session.flush()
    return row


def periods(session: Session, province: str | None) -> list[RatingPeriod]:
    statement = select(RatingPeriod).order_by(RatingPeriod.province, RatingPeriod.period)
    if province is not None:
        statement = statement.where(RatingPeriod.province == province)
    return list(session.scalars(statement))


def runs(session: Session, province: str | None, period_: str | None) -> list[RatingRun]:
    statement = select(RatingRun).order_by(RatingRun.started_at)
    if province is not None:
        statement = statement.where(RatingRun.province == province)
    if period_ is not None:
        statement = statement.where(RatingRun.period == period_)
    return list(session.scalars(statement))


def running(session: Session, province: str, period_: str) -> list[RatingRun]:
    return list(
        session.scalars(
            select(RatingRun).where(
                RatingRun.province == province,
                RatingRun.period == period_,
                RatingRun.status == RunStatus.RUNNING,
            )
        )
    )


def counters(session: Session, province: str, cycle: str) -> list[AllowanceCounter]:
    return list(
        session.scalars(
            select(AllowanceCounter).where(
                AllowanceCounter.province == province, AllowanceCounter.cycle == cycle
            )
        )
    )


def replace_counters(
    session: Session, province: str, cycle: str, rows: Sequence[dict[str, object]]
) -> None:
    session.execute(
        delete(AllowanceCounter).where(
            AllowanceCounter.province == province, AllowanceCounter.cycle == cycle
        )
    )
    if rows:
        session.execute(insert(AllowanceCounter), list(rows))


def add_batch_counts(session: Session, rows: Sequence[dict[str, object]]) -> None:
    if rows:
        session.execute(insert(RunBatchCount), list(rows))


def add_account_deltas(session: Session, rows: Sequence[dict[str, object]]) -> None:
    if rows:
        session.execute(insert(AccountDelta), list(rows))


def account_deltas(session: Session, run_id: str) -> list[AccountDelta]:
    return list(
        session.scalars(
            select(AccountDelta)
            .where(AccountDelta.run_id == run_id)
            .order_by(AccountDelta.account_id)
        )
    )


def add_adjustments(session: Session, rows: Sequence[dict[str, object]]) -> None:
    if rows:
        session.execute(insert(RatingAdjustment), list(rows))


def adjustments(session: Session, province: str, period_: str | None) -> list[RatingAdjustment]:
    statement = (
        select(RatingAdjustment)
        .where(RatingAdjustment.province == province)
        .order_by(RatingAdjustment.created_at, RatingAdjustment.account_id)
    )
    if period_ is not None:
        statement = statement.where(RatingAdjustment.period == period_)
    return list(session.scalars(statement))


def batch_counts(session: Session, run_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Batch id → (records rated, of which errors) over the given runs."""
    result: dict[str, tuple[int, int]] = {}
    if not run_ids:
        return result
    rows = session.execute(
        select(RunBatchCount.batch_id, RunBatchCount.records, RunBatchCount.errors).where(
            RunBatchCount.run_id.in_(list(run_ids))
        )
    )
    for batch_id, records, errors in rows:
        before = result.get(batch_id, (0, 0))
        result[batch_id] = (before[0] + records, before[1] + errors)
    return result


def open_adjustments_before(
    session: Session, province: str, period_: str, account_ids: Iterable[str]
) -> list[RatingAdjustment]:
    """Open adjustments of periods before ``period_`` (rerating after the bill)."""
    return list(
        session.scalars(
            select(RatingAdjustment)
            .where(
                RatingAdjustment.province == province,
                RatingAdjustment.period < period_,
                RatingAdjustment.account_id.in_(list(account_ids)),
                RatingAdjustment.status == AdjustmentStatus.OPEN,
            )
            .order_by(RatingAdjustment.period, RatingAdjustment.created_at, RatingAdjustment.id)
        )
    )


def mark_adjustments_billed(session: Session, adjustment_ids: Iterable[str]) -> int:
    """Open adjustments among these become billed; how many did (one billed elsewhere first
    does not count)."""
    result = session.execute(
        update(RatingAdjustment)
        .where(
            RatingAdjustment.id.in_(sorted(set(adjustment_ids))),
            RatingAdjustment.status == AdjustmentStatus.OPEN,
        )
        .values(status=AdjustmentStatus.BILLED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def lock_period(session: Session, province: str, period_: str) -> None:
    """Serialise work on a period (a row lock on PostgreSQL)."""
    period(session, province, period_, lock=True)
