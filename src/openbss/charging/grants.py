"""Grants against balances — ``reserve``, ``debit``, ``release`` — on SQLAlchemy Core.

These run for every credit-control request, so they avoid the ORM's unit of work: a fixed,
small number of statements per call (read the reservation, lock the owners' buckets, then one
executemany per table), each bucket's new values computed from the values its row lock read.
Rules (see balances.py and calculations.py): buckets are locked in id order; a grant takes
buckets by priority, earliest expiry, age; nothing goes below zero; every change is a balance
transaction row. ORM objects of the rows changed here that the session already holds are
expired, so a later ORM read sees the new values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, Table, and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from openbss.charging.calculations import Owner, Slot, Unit, split, usable
from openbss.charging.errors import InvalidAmount, UnknownReservation
from openbss.charging.models import (
    BalanceBucket,
    BalanceTransaction,
    Reservation,
    ReservationHold,
    ReservationStep,
)
from openbss.kit.clock import now

BUCKETS = cast(Table, BalanceBucket.__table__)
RESERVATIONS = cast(Table, Reservation.__table__)
HOLDS = cast(Table, ReservationHold.__table__)
STEPS = cast(Table, ReservationStep.__table__)
TRANSACTIONS = cast(Table, BalanceTransaction.__table__)


@dataclass(slots=True)
class _Bucket:
    id: str
    province: str
    owner_kind: str
    owner_id: str
    unit: str
    priority: int
    remaining: int
    reserved: int
    valid_from: datetime
    valid_to: datetime | None
    status: str
    created_at: datetime
    changed: bool = False


class _Changes:
    """What one call changes: the buckets' new values and the transaction rows."""

    def __init__(self, at: datetime, reservation_id: str) -> None:
        self.at = at
        self.written = now()  # when the rows were written (``at`` is when usage happened)
        self.reservation_id = reservation_id
        self.rows: list[dict[str, Any]] = []

    def record(self, bucket: _Bucket, kind: str, *, amount: int = 0, reserved: int = 0) -> None:
        bucket.remaining += amount
        bucket.reserved += reserved
        bucket.changed = True
        self.rows.append(
            {
                "province": bucket.province,
                "bucket_id": bucket.id,
                "owner_kind": bucket.owner_kind,
                "owner_id": bucket.owner_id,
                "unit": bucket.unit,
                "kind": kind,
                "amount": amount,
                "reserved": reserved,
                "uncovered": 0,
                "remaining_after": bucket.remaining,
                "reservation_id": self.reservation_id,
                "reason": None,
                "reference": None,
                "idempotency_key": None,
                "at": self.at,
                "created_at": self.written,
            }
        )

    def write(self, session: Session, buckets: Iterable[_Bucket]) -> None:
        changed = [b for b in buckets if b.changed]
        if changed:
            session.execute(
                update(BUCKETS)
                .where(BUCKETS.c.id == bindparam("b_id"))
                .values(
                    remaining=bindparam("b_remaining"),
                    reserved=bindparam("b_reserved"),
                    updated_at=bindparam("b_at"),
                ),
                [
                    {"b_id": b.id, "b_remaining": b.remaining, "b_reserved": b.reserved,
                     "b_at": self.at}
                    for b in changed
                ],
            )  # fmt: skip
            _expire(session, BalanceBucket, [b.id for b in changed])
        if self.rows:
            session.execute(insert(TRANSACTIONS), self.rows)


def _expire(session: Session, model: type[Any], keys: Iterable[Any]) -> None:
    for key in keys:
        held = session.identity_map.get(identity_key(model, key))
        if held is not None:
            session.expire(held)


def _lock(
    session: Session, owners: Sequence[Owner], unit: str, also: Iterable[str] = ()
) -> dict[str, _Bucket]:
    """The owners' active buckets of a unit (and those ``also`` names), locked in id order."""
    pairs = sorted({(o.kind, o.id) for o in owners})
    extra = sorted(set(also))
    if not pairs and not extra:
        return {}
    conditions = []
    if pairs:
        conditions.append(
            and_(
                tuple_(BUCKETS.c.owner_kind, BUCKETS.c.owner_id).in_(pairs),
                BUCKETS.c.unit == unit,
                BUCKETS.c.status == "active",
            )
        )
    if extra:
        conditions.append(BUCKETS.c.id.in_(extra))
    statement = (
        select(*(BUCKETS.c[name] for name in _Bucket.__slots__ if name != "changed"))
        .where(or_(*conditions))
        .order_by(BUCKETS.c.id)
        .with_for_update()
    )
    return {row.id: _Bucket(*row) for row in session.execute(statement)}


def _slots(buckets: Iterable[_Bucket], at: datetime) -> list[Slot]:
    return [
        Slot(b.id, b.priority, b.valid_to, b.created_at, b.remaining - b.reserved)
        for b in buckets
        if usable(b.valid_from, b.valid_to, b.status, at) and b.remaining > b.reserved
    ]


def _granted(session: Session, reservation_id: str) -> int | None:
    return session.execute(
        select(RESERVATIONS.c.granted).where(RESERVATIONS.c.id == reservation_id)
    ).scalar_one_or_none()


def reserve(
    session: Session,
    *,
    reservation_id: str,
    owners: Sequence[Owner],
    unit: Unit | str,
    amount: int,
    at: datetime,
    expires_at: datetime,
) -> int:
    """Grant up to ``amount`` from the owners' buckets (priority, then earliest expiry) and
    hold it for ``reservation_id``; return the grant (0 when nothing is left). Calling again
    with the same id returns the first grant and changes nothing."""
    if amount < 0:
        raise InvalidAmount(f"a reservation cannot ask for a negative amount ({amount})")
    session.flush()  # Core statements below must see what the ORM still holds back
    existing = _granted(session, reservation_id)
    if existing is not None:
        return existing
    buckets = _lock(session, owners, str(unit))
    if session.bind is not None and session.get_bind().dialect.name != "sqlite":
        # Another instance may have made it while this one waited for the locks (on SQLite
        # the write unit of work already excluded every other writer).
        existing = _granted(session, reservation_id)
        if existing is not None:
            return existing
    taken = split(amount, _slots(buckets.values(), at))
    granted = sum(take for _, take in taken)
    changes = _Changes(at, reservation_id)
    for bucket_id, take in taken:
        changes.record(buckets[bucket_id], "reserve", reserved=take)
    first = next(iter(buckets.values()), None)
    session.execute(
        insert(RESERVATIONS).values(
            id=reservation_id,
            province=first.province if first is not None else None,
            unit=str(unit),
            owners=[[o.kind, o.id] for o in owners],
            requested=amount,
            granted=granted,
            held=granted,
            used=0,
            shortfall=0,
            status="open" if granted else "closed",
            created_at=at,
            expires_at=expires_at,
            closed_at=None if granted else at,
        )
    )
    if taken:
        session.execute(
            insert(HOLDS),
            [
                {"reservation_id": reservation_id, "bucket_id": bucket_id, "rank": rank,
                 "held": take}
                for rank, (bucket_id, take) in enumerate(taken)
            ],
        )  # fmt: skip
    changes.write(session, buckets.values())
    return granted


def _owners(owners: Any) -> tuple[Owner, ...]:
    return tuple(Owner(kind, owner_id) for kind, owner_id in owners or ())


def _locked_reservation(session: Session, reservation_id: str) -> RowMapping:
    row = session.execute(
        select(RESERVATIONS).where(RESERVATIONS.c.id == reservation_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise UnknownReservation(f"no reservation {reservation_id!r}")
    return row._mapping


def _holds(session: Session, reservation_id: str) -> list[list[Any]]:
    """[bucket id, held, held before] of a reservation's holds, in the order taken."""
    rows = session.execute(
        select(HOLDS.c.bucket_id, HOLDS.c.held)
        .where(HOLDS.c.reservation_id == reservation_id)
        .order_by(HOLDS.c.rank)
    )
    return [[bucket_id, held, held] for bucket_id, held in rows]


def _write_holds(session: Session, reservation_id: str, holds: list[list[Any]]) -> None:
    changed = [h for h in holds if h[1] != h[2]]
    if changed:
        session.execute(
            update(HOLDS)
            .where(HOLDS.c.reservation_id == reservation_id, HOLDS.c.bucket_id == bindparam("h_b"))
            .values(held=bindparam("h_held")),
            [{"h_b": bucket_id, "h_held": held} for bucket_id, held, _ in changed],
        )
        _expire(session, ReservationHold, [(reservation_id, h[0]) for h in changed])


def _release(changes: _Changes, holds: list[list[Any]], buckets: Mapping[str, _Bucket]) -> int:
    released = 0
    for hold in holds:
        if hold[1]:
            changes.record(buckets[hold[0]], "release", reserved=-hold[1])
            released += hold[1]
            hold[1] = 0
    return released


def debit(
    session: Session,
    *,
    reservation_id: str,
    used: int,
    at: datetime,
    release_rest: bool,
    sequence: int | None = None,
) -> int:
    """Debit ``used`` units: first from what the reservation holds, then (an overrun) from the
    owners' available balance down to zero; what even that cannot cover is logged as the
    reservation's shortfall. Releases the held rest when ``release_rest``. Returns the units
    actually debited. ``sequence`` (e.g. the request number) makes a repeated call a no-op that
    returns the first result; without it every call is a new debit."""
    if used < 0:
        raise InvalidAmount(f"used units cannot be negative ({used})")
    session.flush()
    reservation = _locked_reservation(session, reservation_id)
    if sequence is None:
        last = session.execute(
            select(func.coalesce(func.max(STEPS.c.sequence), 0)).where(
                STEPS.c.reservation_id == reservation_id
            )
        ).scalar_one()
        sequence = int(last) + 1
    else:
        done = session.execute(
            select(STEPS.c.result).where(
                STEPS.c.reservation_id == reservation_id, STEPS.c.sequence == sequence
            )
        ).scalar_one_or_none()
        if done is not None:
            return int(done)
    owners = _owners(reservation["owners"])
    holds = _holds(session, reservation_id)
    buckets = _lock(session, owners, reservation["unit"], also=[h[0] for h in holds])
    changes = _Changes(at, reservation_id)
    left = used
    for hold in holds:
        take = min(hold[1], left)
        if take > 0:
            changes.record(buckets[hold[0]], "debit", amount=-take, reserved=-take)
            hold[1] -= take
            left -= take
    if left > 0:  # used more than was granted: take it from what is free, never below zero
        for bucket_id, take in split(left, _slots(buckets.values(), at)):
            changes.record(buckets[bucket_id], "debit", amount=-take)
            left -= take
    covered = used - left
    if left > 0:
        first = owners[0] if owners else Owner("product", "")
        changes.rows.append(
            {
                **{k: None for k in ("bucket_id", "remaining_after", "reference",
                                     "idempotency_key")},
                "province": reservation["province"],
                "owner_kind": first.kind,
                "owner_id": first.id,
                "unit": reservation["unit"],
                "kind": "shortfall",
                "amount": 0,
                "reserved": 0,
                "uncovered": left,
                "reservation_id": reservation_id,
                "reason": f"{left} {reservation['unit']} used beyond the balance",
                "at": at,
                "created_at": changes.written,
            }
        )  # fmt: skip
    closing = release_rest or reservation["status"] == "closed"
    if release_rest:
        _release(changes, holds, buckets)
    values: dict[str, Any] = {
        "used": reservation["used"] + covered,
        "shortfall": reservation["shortfall"] + left,
        "held": sum(h[1] for h in holds),
    }
    if closing and reservation["status"] != "closed":
        values.update(status="closed", closed_at=at)
    session.execute(
        update(RESERVATIONS).where(RESERVATIONS.c.id == reservation_id).values(**values)
    )
    _expire(session, Reservation, [reservation_id])
    _write_holds(session, reservation_id, holds)
    session.execute(
        insert(STEPS).values(
            reservation_id=reservation_id, sequence=sequence, kind="debit", reported=used,
            result=covered, at=at,
        )
    )  # fmt: skip
    changes.write(session, buckets.values())
    return covered


def release(session: Session, *, reservation_id: str, at: datetime) -> int:
    """Give back what the reservation still holds; return it (0 when already released)."""
    session.flush()
    reservation = _locked_reservation(session, reservation_id)
    if reservation["status"] == "closed" and reservation["held"] == 0:
        return 0
    holds = _holds(session, reservation_id)
    buckets = _lock(
        session, _owners(reservation["owners"]), reservation["unit"], also=[h[0] for h in holds]
    )
    changes = _Changes(at, reservation_id)
    released = _release(changes, holds, buckets)
    session.execute(
        update(RESERVATIONS)
        .where(RESERVATIONS.c.id == reservation_id)
        .values(held=0, status="closed", closed_at=at)
    )
    _expire(session, Reservation, [reservation_id])
    _write_holds(session, reservation_id, holds)
    changes.write(session, buckets.values())
    return released
