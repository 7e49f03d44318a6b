"""Queries over prepaid balances (private to the charging domain)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import Session

from openbss.charging.calculations import Owner
from openbss.charging.models import (
    BalanceBucket,
    BalanceTransaction,
    Reservation,
    ReservationHold,
    ReservationStep,
)

_BALANCE_ROWS = (BalanceBucket, Reservation, ReservationHold, ReservationStep, BalanceTransaction)


def flush_balances(session: Session) -> None:
    """Flush what the ORM still holds back of the balance tables, so the Core statements here
    see it. Other pending rows (a caller's own, changed several times per call) stay pending
    until the caller's next flush: flushing them at every grant cost more than the grant."""
    pending = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, _BALANCE_ROWS) for row in pending):
        session.flush()


def _owned_by(owners: Iterable[Owner]):  # type: ignore[no-untyped-def]
    pairs = sorted({(o.kind, o.id) for o in owners})
    return tuple_(BalanceBucket.owner_kind, BalanceBucket.owner_id).in_(pairs)


def lock_buckets(
    session: Session, owners: Sequence[Owner], unit: str, also: Iterable[str] = ()
) -> list[BalanceBucket]:
    """The owners' active buckets of a unit (and the buckets ``also`` names, active or not),
    locked in id order so that two writers never wait on each other in a cycle. On SQLite the
    caller's write unit of work holds the database's write lock instead."""
    if not owners:
        return []
    extra = sorted(set(also))
    wanted = and_(_owned_by(owners), BalanceBucket.unit == unit, BalanceBucket.status == "active")
    condition = or_(wanted, BalanceBucket.id.in_(extra)) if extra else wanted
    statement = (
        select(BalanceBucket)
        .where(condition)
        .order_by(BalanceBucket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def lock_bucket(session: Session, bucket_id: str) -> BalanceBucket | None:
    statement = (
        select(BalanceBucket)
        .where(BalanceBucket.id == bucket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(statement)


def expired_buckets(session: Session, at: datetime, limit: int) -> list[BalanceBucket]:
    """Active buckets whose validity ended by ``at``, locked (skipping ones a writer holds)."""
    statement = (
        select(BalanceBucket)
        .where(BalanceBucket.status == "active", BalanceBucket.valid_to <= at)
        .order_by(BalanceBucket.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def buckets_of(
    session: Session, owners: Sequence[Owner], unit: str | None = None
) -> list[BalanceBucket]:
    if not owners:
        return []
    statement = select(BalanceBucket).where(_owned_by(owners))
    if unit is not None:
        statement = statement.where(BalanceBucket.unit == unit)
    return list(session.scalars(statement.order_by(BalanceBucket.created_at, BalanceBucket.id)))


def free_total(session: Session, owners: Sequence[Owner], unit: str, at: datetime) -> int:
    """Sum of remaining − reserved over the owners' buckets usable at ``at``."""
    if not owners:
        return 0
    flush_balances(session)
    params = {"pairs": sorted({(o.kind, o.id) for o in owners}), "unit": unit, "at": at}
    with session.no_autoflush:
        return int(session.scalar(_FREE_TOTAL, params) or 0)


# Built once: it runs for every grant (building a statement costs more than running it).
_FREE_TOTAL = select(
    func.coalesce(func.sum(BalanceBucket.remaining - BalanceBucket.reserved), 0)
).where(
    tuple_(BalanceBucket.owner_kind, BalanceBucket.owner_id).in_(
        bindparam("pairs", expanding=True)
    ),
    BalanceBucket.unit == bindparam("unit"),
    BalanceBucket.status == "active",
    BalanceBucket.valid_from <= bindparam("at"),
    or_(BalanceBucket.valid_to.is_(None), BalanceBucket.valid_to > bindparam("at")),
)


def get_reservation(
    session: Session, reservation_id: str, *, lock: bool = False
) -> Reservation | None:
    statement = select(Reservation).where(Reservation.id == reservation_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.scalar(statement)


def holds_of(session: Session, reservation_id: str) -> list[ReservationHold]:
    statement = (
        select(ReservationHold)
        .where(ReservationHold.reservation_id == reservation_id)
        .order_by(ReservationHold.rank)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def get_step(session: Session, reservation_id: str, sequence: int) -> ReservationStep | None:
    return session.get(ReservationStep, (reservation_id, sequence))


def last_sequence(session: Session, reservation_id: str) -> int:
    statement = select(func.coalesce(func.max(ReservationStep.sequence), 0)).where(
        ReservationStep.reservation_id == reservation_id
    )
    return int(session.scalar(statement) or 0)


def open_reservations_expired(session: Session, at: datetime, limit: int) -> list[str]:
    statement = (
        select(Reservation.id)
        .where(Reservation.status == "open", Reservation.expires_at <= at)
        .order_by(Reservation.expires_at, Reservation.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def transaction_by_key(session: Session, key: str) -> BalanceTransaction | None:
    return session.scalar(
        select(BalanceTransaction).where(BalanceTransaction.idempotency_key == key)
    )


def transactions_of(
    session: Session, owners: Sequence[Owner], unit: str | None = None
) -> list[BalanceTransaction]:
    if not owners:
        return []
    pairs = sorted({(o.kind, o.id) for o in owners})
    statement = select(BalanceTransaction).where(
        tuple_(BalanceTransaction.owner_kind, BalanceTransaction.owner_id).in_(pairs)
    )
    if unit is not None:
        statement = statement.where(BalanceTransaction.unit == unit)
    return list(session.scalars(statement.order_by(BalanceTransaction.id)))


def transactions_of_reservation(session: Session, reservation_id: str) -> list[BalanceTransaction]:
    statement = (
        select(BalanceTransaction)
        .where(BalanceTransaction.reservation_id == reservation_id)
        .order_by(BalanceTransaction.id)
    )
    return list(session.scalars(statement))


def visible_buckets(
    session: Session,
    province: str | None,
    *,
    ids: Sequence[str] = (),
    statuses: Sequence[str] = (),
    units: Sequence[str] = (),
    owners: Sequence[tuple[str, str]] = (),
) -> list[BalanceBucket]:
    """Buckets of a province (every province for None), filtered, oldest first."""
    statement = select(BalanceBucket)
    if province is not None:
        statement = statement.where(BalanceBucket.province == province)
    if ids:
        statement = statement.where(BalanceBucket.id.in_(list(ids)))
    if statuses:
        statement = statement.where(BalanceBucket.status.in_(list(statuses)))
    if units:
        statement = statement.where(BalanceBucket.unit.in_(list(units)))
    if owners:
        statement = statement.where(
            tuple_(BalanceBucket.owner_kind, BalanceBucket.owner_id).in_(list(owners))
        )
    statement = statement.order_by(BalanceBucket.created_at, BalanceBucket.id)
    return list(session.scalars(statement))


def expiring_buckets(
    session: Session, start: datetime, end: datetime, name: str
) -> list[BalanceBucket]:
    """Active buckets of this name with money left whose validity ends in ``[start, end)``."""
    statement = (
        select(BalanceBucket)
        .where(
            BalanceBucket.status == "active",
            BalanceBucket.name == name,
            BalanceBucket.remaining > 0,
            BalanceBucket.valid_to >= start,
            BalanceBucket.valid_to < end,
        )
        .order_by(BalanceBucket.id)
    )
    return list(session.scalars(statement))


def owner_totals(
    session: Session, province: str | None, owners: Sequence[tuple[str, str]], at: datetime
) -> list[tuple[str, str, str, int, list[str]]]:
    """(owner kind, owner id, unit, free total, bucket ids) of usable buckets, by owner and
    unit: what an owner can still spend of each unit."""
    statement = select(BalanceBucket).where(
        BalanceBucket.status == "active",
        BalanceBucket.owner_kind != "none",
        BalanceBucket.valid_from <= at,
        or_(BalanceBucket.valid_to.is_(None), BalanceBucket.valid_to > at),
    )
    if province is not None:
        statement = statement.where(BalanceBucket.province == province)
    if owners:
        statement = statement.where(
            tuple_(BalanceBucket.owner_kind, BalanceBucket.owner_id).in_(list(owners))
        )
    grouped: dict[tuple[str, str, str], tuple[int, list[str]]] = {}
    for bucket in session.scalars(statement.order_by(BalanceBucket.id)):
        key = (bucket.owner_kind, bucket.owner_id, bucket.unit)
        total, ids = grouped.get(key, (0, []))
        grouped[key] = (total + bucket.remaining - bucket.reserved, [*ids, bucket.id])
    return [(k, o, u, t, ids) for (k, o, u), (t, ids) in sorted(grouped.items())]


def action_history(
    session: Session, province: str | None, kinds: Sequence[str], transaction_id: int | None = None
) -> list[BalanceTransaction]:
    statement = select(BalanceTransaction).where(BalanceTransaction.kind.in_(list(kinds)))
    if province is not None:
        statement = statement.where(BalanceTransaction.province == province)
    if transaction_id is not None:
        statement = statement.where(BalanceTransaction.id == transaction_id)
    return list(session.scalars(statement.order_by(BalanceTransaction.id)))


def money_debits_since(
    session: Session, after_id: int, settled_before: datetime
) -> list[tuple[str, int, int]]:
    """(province, li debited, last transaction id) of money debits after ``after_id`` written
    before ``settled_before`` (a debit's transaction has committed by then), by province."""
    statement = (
        select(
            BalanceTransaction.province,
            func.coalesce(func.sum(-BalanceTransaction.amount), 0),
            func.max(BalanceTransaction.id),
        )
        .where(
            BalanceTransaction.id > after_id,
            BalanceTransaction.kind == "debit",
            BalanceTransaction.unit == "li",
            BalanceTransaction.created_at < settled_before,
        )
        .group_by(BalanceTransaction.province)
    )
    return [(str(p), int(li), int(last)) for p, li, last in session.execute(statement)]
