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

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sqlalchemy import (
    RowMapping,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
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
from openbss.charging.repository import flush_balances
from openbss.kit.clock import now

BUCKETS = cast(Table, BalanceBucket.__table__)
RESERVATIONS = cast(Table, Reservation.__table__)
HOLDS = cast(Table, ReservationHold.__table__)
STEPS = cast(Table, ReservationStep.__table__)
TRANSACTIONS = cast(Table, BalanceTransaction.__table__)

# The statements every grant runs, built once: building a statement and its cache key costs
# more than SQLite takes to run it.
_GRANTED = select(RESERVATIONS.c.granted).where(RESERVATIONS.c.id == bindparam("rid"))
_UPDATE_BUCKETS = (
    update(BUCKETS)
    .where(BUCKETS.c.id == bindparam("b_id"))
    .values(
        remaining=bindparam("b_remaining"),
        reserved=bindparam("b_reserved"),
        updated_at=bindparam("b_at"),
    )
)
_INSERT_TRANSACTIONS = insert(TRANSACTIONS)
_INSERT_RESERVATION = insert(RESERVATIONS)
_INSERT_HOLDS = insert(HOLDS)
_INSERT_STEP = insert(STEPS)
_UPDATE_HOLDS = (
    update(HOLDS)
    .where(HOLDS.c.reservation_id == bindparam("h_r"), HOLDS.c.bucket_id == bindparam("h_b"))
    .values(held=bindparam("h_held"))
)
_UPDATE_RESERVATION = (
    update(RESERVATIONS)
    .where(RESERVATIONS.c.id == bindparam("r_id"))
    .values(
        used=bindparam("r_used"),
        shortfall=bindparam("r_shortfall"),
        held=bindparam("r_held"),
        status=bindparam("r_status"),
        closed_at=bindparam("r_closed_at"),
    )
)
_CLOSE_RESERVATION = (
    update(RESERVATIONS)
    .where(RESERVATIONS.c.id == bindparam("r_id"))
    .values(held=0, status="closed", closed_at=bindparam("r_closed_at"))
)


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
                _UPDATE_BUCKETS,
                [
                    {"b_id": b.id, "b_remaining": b.remaining, "b_reserved": b.reserved,
                     "b_at": self.at}
                    for b in changed
                ],
            )  # fmt: skip
            _expire(session, BalanceBucket, [b.id for b in changed])
        if self.rows:
            session.execute(_INSERT_TRANSACTIONS, self.rows)


P = ParamSpec("P")
R = TypeVar("R")


Grant = Callable[Concatenate[Session, P], R]


def _own_flushes(call: Grant[P, R]) -> Grant[P, R]:
    """Run a grant without autoflush: it flushes pending balance rows itself
    (``flush_balances``) and reads nothing else the caller may still hold back."""

    @functools.wraps(call)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with session.no_autoflush:
            return call(session, *args, **kwargs)

    return run


def _expire(session: Session, model: type[Any], keys: Iterable[Any]) -> None:
    for key in keys:
        held = session.identity_map.get(identity_key(model, key))
        if held is not None:
            session.expire(held)


_BUCKET_COLUMNS = [name for name in _Bucket.__slots__ if name != "changed"]


@functools.cache
def _lock_template(by_owner: bool, by_id: bool, with_grant: bool) -> Select[Any]:
    """A bucket lock of one shape, built once (building and keying a statement costs more
    than running it): parameters ``lock_pairs``, ``lock_unit``, ``lock_ids``, ``lock_rid``."""
    conditions = []
    if by_owner:
        conditions.append(
            and_(
                tuple_(BUCKETS.c.owner_kind, BUCKETS.c.owner_id).in_(
                    bindparam("lock_pairs", expanding=True)
                ),
                BUCKETS.c.unit == bindparam("lock_unit"),
                BUCKETS.c.status == "active",
            )
        )
    if by_id:
        conditions.append(BUCKETS.c.id.in_(bindparam("lock_ids", expanding=True)))
    statement = (
        select(*(BUCKETS.c[name] for name in _BUCKET_COLUMNS))
        .where(or_(*conditions))
        .order_by(BUCKETS.c.id)
        .with_for_update()
    )
    if with_grant:
        statement = statement.add_columns(_GRANTED.scalar_subquery())
    return statement


def _lock_statement(
    owners: Sequence[Owner], unit: str, also: Iterable[str] = (), *, with_grant: bool = False
) -> tuple[Select[Any], dict[str, Any]] | None:
    pairs = sorted({(o.kind, o.id) for o in owners})
    extra = sorted(set(also))
    if not pairs and not extra:
        return None
    params: dict[str, Any] = {}
    if pairs:
        params.update(lock_pairs=pairs, lock_unit=unit)
    if extra:
        params["lock_ids"] = extra
    return _lock_template(bool(pairs), bool(extra), with_grant), params


def _lock(
    session: Session, owners: Sequence[Owner], unit: str, also: Iterable[str] = ()
) -> dict[str, _Bucket]:
    """The owners' active buckets of a unit (and those ``also`` names), locked in id order."""
    lock = _lock_statement(owners, unit, also)
    if lock is None:
        return {}
    return {row.id: _Bucket(*row) for row in session.execute(*lock)}


def _lock_unless_granted(
    session: Session, owners: Sequence[Owner], unit: str, reservation_id: str
) -> tuple[dict[str, _Bucket], int | None]:
    """SQLite: the owners' buckets of a unit and the grant of ``reservation_id`` if it was
    made already, in one statement (the write unit of work holds the write lock, so the two
    reads cannot disagree). A second read only when no bucket row carried the answer."""
    lock = _lock_statement(owners, unit, with_grant=True)
    existing: int | None = None
    buckets: dict[str, _Bucket] = {}
    if lock is not None:
        statement, params = lock
        for row in session.execute(statement, {**params, "rid": reservation_id}):
            buckets[row[0]] = _Bucket(*row[:-1])
            existing = row[-1]
    if not buckets:
        existing = _granted(session, reservation_id)
    return buckets, existing


def _slots(buckets: Iterable[_Bucket], at: datetime) -> list[Slot]:
    return [
        Slot(b.id, b.priority, b.valid_to, b.created_at, b.remaining - b.reserved)
        for b in buckets
        if usable(b.valid_from, b.valid_to, b.status, at) and b.remaining > b.reserved
    ]


def _granted(session: Session, reservation_id: str) -> int | None:
    return session.execute(_GRANTED, {"rid": reservation_id}).scalar_one_or_none()


@_own_flushes
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
    flush_balances(session)  # Core statements below must see what the ORM still holds back
    if session.get_bind().dialect.name == "sqlite":
        buckets, existing = _lock_unless_granted(session, owners, str(unit), reservation_id)
        if existing is not None:
            return existing
    else:
        existing = _granted(session, reservation_id)
        if existing is not None:
            return existing
        buckets = _lock(session, owners, str(unit))
        # Another instance may have made it while this one waited for the locks.
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
        _INSERT_RESERVATION,
        {
            "id": reservation_id,
            "province": first.province if first is not None else None,
            "unit": str(unit),
            "owners": [[o.kind, o.id] for o in owners],
            "requested": amount,
            "granted": granted,
            "held": granted,
            "used": 0,
            "shortfall": 0,
            "status": "open" if granted else "closed",
            "created_at": at,
            "expires_at": expires_at,
            "closed_at": None if granted else at,
        },
    )
    if taken:
        session.execute(
            _INSERT_HOLDS,
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


def _debit_reads(
    session: Session, reservation_id: str, sequence: int | None
) -> tuple[RowMapping, list[list[Any]], int | None]:
    """The reservation (locked), its holds and either its last debit sequence (``sequence``
    None) or the result of the debit numbered ``sequence`` (None when not done yet)."""
    params = {"rid": reservation_id, "seq": sequence}
    if session.get_bind().dialect.name == "sqlite":
        # One statement: the write unit of work holds the database's write lock, so nothing
        # can change between the reads. (PostgreSQL reads the holds and the steps after the
        # reservation's row lock is granted, so they are what the last writer committed.)
        rows = session.execute(_debit_read(sequence is not None, joined=True), params).all()
        if not rows:
            raise UnknownReservation(f"no reservation {reservation_id!r}")
        holds = [[r.hold_bucket, r.hold_held, r.hold_held] for r in rows if r.hold_bucket]
        return rows[0]._mapping, holds, rows[0].step_value
    reservation = _locked_reservation(session, reservation_id)
    value = session.execute(_debit_read(sequence is not None, joined=False), params).scalar()
    return reservation, _holds(session, reservation_id), value


@functools.cache
def _debit_read(by_sequence: bool, *, joined: bool) -> Select[Any]:
    """What a debit reads, built once: the last step's sequence (or the result of step
    ``seq``), with the reservation and its holds when ``joined``. Parameters ``rid``, ``seq``."""
    steps = STEPS.c.reservation_id == RESERVATIONS.c.id
    step = (
        select(STEPS.c.result).where(steps, STEPS.c.sequence == bindparam("seq"))
        if by_sequence
        else select(func.coalesce(func.max(STEPS.c.sequence), 0)).where(steps)
    ).scalar_subquery()
    if not joined:
        return select(step).where(RESERVATIONS.c.id == bindparam("rid"))
    return (
        select(
            RESERVATIONS,
            HOLDS.c.bucket_id.label("hold_bucket"),
            HOLDS.c.held.label("hold_held"),
            step.label("step_value"),
        )
        .select_from(RESERVATIONS.outerjoin(HOLDS, HOLDS.c.reservation_id == RESERVATIONS.c.id))
        .where(RESERVATIONS.c.id == bindparam("rid"))
        .order_by(HOLDS.c.rank)
    )


def _write_holds(session: Session, reservation_id: str, holds: list[list[Any]]) -> None:
    changed = [h for h in holds if h[1] != h[2]]
    if changed:
        session.execute(
            _UPDATE_HOLDS,
            [
                {"h_r": reservation_id, "h_b": bucket_id, "h_held": held}
                for bucket_id, held, _ in changed
            ],
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


@_own_flushes
def debit(
    session: Session,
    *,
    reservation_id: str,
    used: int,
    at: datetime,
    release_rest: bool,
    sequence: int | None = None,
    on_balance: Callable[[int], None] | None = None,
) -> int:
    """Debit ``used`` units: first from what the reservation holds, then (an overrun) from the
    owners' available balance down to zero; what even that cannot cover is logged as the
    reservation's shortfall. Releases the held rest when ``release_rest``. Returns the units
    actually debited. ``sequence`` (e.g. the request number) makes a repeated call a no-op that
    returns the first result; without it every call is a new debit. ``on_balance`` is called
    with what the owners' usable buckets of the unit hold after the debit (held units
    included) — read from the rows the debit locked, so the caller needs no query of its own."""
    if used < 0:
        raise InvalidAmount(f"used units cannot be negative ({used})")
    flush_balances(session)
    reservation, holds, step = _debit_reads(session, reservation_id, sequence)
    if sequence is None:
        sequence = int(step or 0) + 1
    elif step is not None:
        return int(step)
    owners = _owners(reservation["owners"])
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
    closes_now = closing and reservation["status"] != "closed"
    session.execute(
        _UPDATE_RESERVATION,
        {
            "r_id": reservation_id,
            "r_used": reservation["used"] + covered,
            "r_shortfall": reservation["shortfall"] + left,
            "r_held": sum(h[1] for h in holds),
            "r_status": "closed" if closes_now else reservation["status"],
            "r_closed_at": at if closes_now else reservation["closed_at"],
        },
    )
    _expire(session, Reservation, [reservation_id])
    _write_holds(session, reservation_id, holds)
    session.execute(
        _INSERT_STEP,
        {"reservation_id": reservation_id, "sequence": sequence, "kind": "debit",
         "reported": used, "result": covered, "at": at},
    )  # fmt: skip
    changes.write(session, buckets.values())
    if on_balance is not None:
        pairs = {(o.kind, o.id) for o in owners}
        on_balance(
            sum(
                b.remaining
                for b in buckets.values()
                if (b.owner_kind, b.owner_id) in pairs
                and b.unit == reservation["unit"]
                and usable(b.valid_from, b.valid_to, b.status, at)
            )
        )
    return covered


@_own_flushes
def release(session: Session, *, reservation_id: str, at: datetime) -> int:
    """Give back what the reservation still holds; return it (0 when already released)."""
    flush_balances(session)
    reservation = _locked_reservation(session, reservation_id)
    if reservation["status"] == "closed" and reservation["held"] == 0:
        return 0
    holds = _holds(session, reservation_id)
    buckets = _lock(
        session, _owners(reservation["owners"]), reservation["unit"], also=[h[0] for h in holds]
    )
    changes = _Changes(at, reservation_id)
    released = _release(changes, holds, buckets)
    session.execute(_CLOSE_RESERVATION, {"r_id": reservation_id, "r_closed_at": at})
    _expire(session, Reservation, [reservation_id])
    _write_holds(session, reservation_id, holds)
    changes.write(session, buckets.values())
    return released
