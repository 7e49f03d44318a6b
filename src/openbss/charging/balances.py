"""Balance primitives: grant, debit and release quota; top up and adjust buckets.

Every function flushes and never commits: the caller's unit of work owns the transaction, and
must be a write unit of work (``unit_of_work(factory, writes=True)``) so that on SQLite it holds
the database's write lock from its first statement. On PostgreSQL the buckets are locked row by
row (``SELECT … FOR UPDATE``, in bucket id order), so charging instances sharing one database
serialise only on the buckets they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from openbss.account.public import get_billing_account
from openbss.catalog.public import PREPAID, payment_modes
from openbss.charging import repository as repo
from openbss.charging.calculations import Owner, Slot, Unit, split, usable
from openbss.charging.errors import InvalidAmount, UnknownOwner, UnknownReservation
from openbss.charging.models import (
    BalanceBucket,
    BalanceTransaction,
    Reservation,
    ReservationHold,
    ReservationStep,
)
from openbss.inventory.public import by_service_ids, get_product

MAIN_BUCKET = "main"  # the money bucket top-ups go to
MAIN_PRIORITY = 100


@dataclass(frozen=True)
class PrepaidLine:
    """A prepaid product as the network knows it: by its service number."""

    product_id: str
    account_id: str | None
    province: str | None
    number: str
    offering_id: str
    status: str


@dataclass(frozen=True)
class TopUp:
    """What a top-up or an adjustment did: the bucket, the change and the bucket afterwards."""

    transaction_id: int
    bucket_id: str
    unit: str
    amount: int
    remaining_after: int
    valid_to: datetime | None
    replayed: bool = False


# ----- who owns a balance ---------------------------------------------------------------------


def owners_of(session: Session, product_id: str) -> tuple[Owner, ...]:
    """The product, then its billing account (whose buckets its products share)."""
    product = get_product(session, product_id)
    if product is None:
        return ()
    owners = [Owner("product", product.id)]
    if product.billing_account_id:
        owners.append(Owner("account", product.billing_account_id))
    return tuple(owners)


def number_candidates(number: str) -> list[str]:
    """The forms a network may send a number in, as the inventory stores them (E.164 with +):
    E.164 without +, national with a trunk 0 (fixed: 02012345678), an 11-digit mobile."""
    digits = number.strip().removeprefix("+")
    found = [number.strip(), "+" + digits]
    if digits.startswith("0"):
        found.append("+86" + digits[1:])
    elif len(digits) == 11 and digits.startswith("1"):
        found.append("+86" + digits)
    return list(dict.fromkeys(found))


def subscriber_product(
    session: Session, number: str, at: datetime, *, statuses: Iterable[str] = ("active",)
) -> PrepaidLine | None:
    """The prepaid product holding that service number in one of ``statuses`` (active by
    default: only an active line is granted quota), or None."""
    del at  # the product's current status is what counts
    products = by_service_ids(session, number_candidates(number), statuses)
    if not products:
        return None
    modes = payment_modes(session, [p.product_offering_id for p in products])
    for product in products:
        if modes.get(product.product_offering_id) == PREPAID:
            return PrepaidLine(
                product_id=product.id,
                account_id=product.billing_account_id,
                province=product.province,
                number=product.service_id or number,
                offering_id=product.product_offering_id,
                status=product.status,
            )
    return None


def province_of(session: Session, owner: Owner) -> str:
    """The province an owner belongs to; UnknownOwner when it does not exist."""
    if owner.kind == "product":
        product = get_product(session, owner.id)
        if product is not None and product.province:
            return product.province
    else:
        account = get_billing_account(session, owner.id)
        if account is not None and account.province:
            return account.province
    raise UnknownOwner(f"no {owner.kind} {owner.id!r}")


# ----- reading ----------------------------------------------------------------------------------


def available(session: Session, owners: Sequence[Owner], unit: Unit | str, at: datetime) -> int:
    """What can still be granted: the owners' usable buckets less what reservations hold."""
    return repo.free_total(session, owners, str(unit), at)


# ----- grants -----------------------------------------------------------------------------------


def _record(
    session: Session,
    bucket: BalanceBucket,
    kind: str,
    at: datetime,
    *,
    amount: int = 0,
    reserved: int = 0,
    reservation_id: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
    key: str | None = None,
) -> BalanceTransaction:
    bucket.remaining += amount
    bucket.reserved += reserved
    bucket.updated_at = at
    row = BalanceTransaction(
        province=bucket.province,
        bucket_id=bucket.id,
        owner_kind=bucket.owner_kind,
        owner_id=bucket.owner_id,
        unit=bucket.unit,
        kind=kind,
        amount=amount,
        reserved=reserved,
        remaining_after=bucket.remaining,
        reservation_id=reservation_id,
        reason=reason,
        reference=reference,
        idempotency_key=key,
        at=at,
    )
    session.add(row)
    return row


def _slots(buckets: Iterable[BalanceBucket], at: datetime) -> list[Slot]:
    return [
        Slot(b.id, b.priority, b.valid_to, b.created_at, b.remaining - b.reserved)
        for b in buckets
        if usable(b.valid_from, b.valid_to, b.status, at) and b.remaining > b.reserved
    ]


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
    existing = repo.get_reservation(session, reservation_id)
    if existing is not None:
        return existing.granted
    buckets = repo.lock_buckets(session, owners, str(unit))
    # Another writer may have created it while this one waited for the locks.
    existing = repo.get_reservation(session, reservation_id)
    if existing is not None:
        return existing.granted
    by_id = {b.id: b for b in buckets}
    taken = split(amount, _slots(buckets, at))
    granted = sum(take for _, take in taken)
    province = buckets[0].province if buckets else None
    session.add(
        Reservation(
            id=reservation_id,
            province=province,
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
    for rank, (bucket_id, take) in enumerate(taken):
        session.add(
            ReservationHold(
                reservation_id=reservation_id, bucket_id=bucket_id, rank=rank, held=take
            )
        )
        _record(
            session, by_id[bucket_id], "reserve", at, reserved=take, reservation_id=reservation_id
        )
    session.flush()
    return granted


def _owners(reservation: Reservation) -> tuple[Owner, ...]:
    return tuple(Owner(kind, owner_id) for kind, owner_id in reservation.owners)


def _release_holds(
    session: Session,
    reservation: Reservation,
    holds: Sequence[ReservationHold],
    by_id: dict[str, BalanceBucket],
    at: datetime,
) -> int:
    released = 0
    for hold in holds:
        if hold.held:
            _record(
                session,
                by_id[hold.bucket_id],
                "release",
                at,
                reserved=-hold.held,
                reservation_id=reservation.id,
            )
            released += hold.held
            hold.held = 0
    reservation.held = 0
    reservation.status = "closed"
    reservation.closed_at = at
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
    reservation = repo.get_reservation(session, reservation_id, lock=True)
    if reservation is None:
        raise UnknownReservation(f"no reservation {reservation_id!r}")
    if sequence is None:
        sequence = repo.last_sequence(session, reservation_id) + 1
    else:
        step = repo.get_step(session, reservation_id, sequence)
        if step is not None:
            return step.result
    holds = repo.holds_of(session, reservation_id)
    buckets = repo.lock_buckets(
        session, _owners(reservation), reservation.unit, also=[h.bucket_id for h in holds]
    )
    by_id = {b.id: b for b in buckets}
    left = used
    for hold in holds:
        take = min(hold.held, left)
        if take > 0:
            _record(
                session,
                by_id[hold.bucket_id],
                "debit",
                at,
                amount=-take,
                reserved=-take,
                reservation_id=reservation_id,
            )
            hold.held -= take
            left -= take
    if left > 0:  # used more than was granted: take it from what is free, never below zero
        for bucket_id, take in split(left, _slots(buckets, at)):
            _record(
                session, by_id[bucket_id], "debit", at, amount=-take, reservation_id=reservation_id
            )
            left -= take
    covered = used - left
    if left > 0:
        first = _owners(reservation)[0] if reservation.owners else Owner("product", "")
        session.add(
            BalanceTransaction(
                province=reservation.province,
                bucket_id=None,
                owner_kind=first.kind,
                owner_id=first.id,
                unit=reservation.unit,
                kind="shortfall",
                amount=0,
                reserved=0,
                uncovered=left,
                remaining_after=None,
                reservation_id=reservation_id,
                reason=f"{left} {reservation.unit} used beyond the balance",
                at=at,
            )
        )
    reservation.used += covered
    reservation.shortfall += left
    reservation.held = sum(h.held for h in holds)
    if release_rest:
        _release_holds(session, reservation, holds, by_id, at)
    session.add(
        ReservationStep(
            reservation_id=reservation_id,
            sequence=sequence,
            kind="debit",
            reported=used,
            result=covered,
            at=at,
        )
    )
    session.flush()
    return covered


def release(session: Session, *, reservation_id: str, at: datetime) -> int:
    """Give back what the reservation still holds; return it (0 when already released)."""
    reservation = repo.get_reservation(session, reservation_id, lock=True)
    if reservation is None:
        raise UnknownReservation(f"no reservation {reservation_id!r}")
    if reservation.status == "closed" and reservation.held == 0:
        return 0
    holds = repo.holds_of(session, reservation_id)
    buckets = repo.lock_buckets(
        session, _owners(reservation), reservation.unit, also=[h.bucket_id for h in holds]
    )
    released = _release_holds(session, reservation, holds, {b.id: b for b in buckets}, at)
    session.flush()
    return released


def release_expired(session: Session, at: datetime, limit: int = 1000) -> int:
    """Release reservations whose time ran out (their session went silent); return how many."""
    count = 0
    for reservation_id in repo.open_reservations_expired(session, at, limit):
        release(session, reservation_id=reservation_id, at=at)
        count += 1
    return count
