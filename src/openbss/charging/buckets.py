"""Putting units into balances and taking them out by hand: top-ups, adjustments, new buckets,
expiry. Each change is one balance transaction; a caller's idempotency key applies it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from openbss.charging import repository as repo
from openbss.charging.balances import MAIN_BUCKET, MAIN_PRIORITY, TopUp, _record, province_of
from openbss.charging.calculations import Owner, Unit
from openbss.charging.errors import InsufficientBalance, InvalidAmount, UnknownBucket
from openbss.charging.models import BalanceBucket, BalanceTransaction
from openbss.kit.ids import new_id

UNASSIGNED = "none"


def _required(province: str | None) -> str:
    if province is None:
        raise InvalidAmount("an unassigned bucket needs a province", code="PROVINCE_REQUIRED")
    return province


def _replay(session: Session, key: str | None) -> TopUp | None:
    if key is None:
        return None
    row = repo.transaction_by_key(session, key)
    if row is None or row.bucket_id is None:
        return None
    bucket = session.get(BalanceBucket, row.bucket_id)
    return TopUp(
        transaction_id=row.id,
        bucket_id=row.bucket_id,
        unit=row.unit,
        amount=row.amount,
        remaining_after=row.remaining_after or 0,
        valid_to=bucket.valid_to if bucket is not None else None,
        replayed=True,
    )


def _done(row: BalanceTransaction, bucket: BalanceBucket) -> TopUp:
    return TopUp(
        transaction_id=row.id,
        bucket_id=bucket.id,
        unit=bucket.unit,
        amount=row.amount,
        remaining_after=bucket.remaining,
        valid_to=bucket.valid_to,
    )


def create_bucket(
    session: Session,
    *,
    owner: Owner | None,
    unit: Unit | str,
    amount: int,
    at: datetime,
    province: str | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    priority: int = MAIN_PRIORITY,
    name: str | None = None,
    reason: str = "bucket created",
    reference: str | None = None,
    idempotency_key: str | None = None,
    bucket_id: str | None = None,
) -> TopUp:
    """A new bucket holding ``amount`` (an allowance of minutes, a data pack, a bonus).

    A bucket without an owner (``owner=None``, in ``province``) is unassigned: it is kept and
    can be topped up, but no grant draws on it."""
    if amount < 0:
        raise InvalidAmount(f"a bucket cannot start below zero ({amount})")
    if valid_to is not None and valid_to <= (valid_from or at):
        raise InvalidAmount("a bucket's validity must end after it starts")
    replay = _replay(session, idempotency_key)
    if replay is not None:
        return replay
    bucket = BalanceBucket(
        id=bucket_id or new_id(),
        province=province_of(session, owner) if owner is not None else _required(province),
        owner_kind=owner.kind if owner is not None else UNASSIGNED,
        owner_id=owner.id if owner is not None else "",
        unit=str(Unit(unit)),
        name=name,
        priority=priority,
        remaining=0,
        reserved=0,
        valid_from=valid_from or at,
        valid_to=valid_to,
        status="active",
        created_at=at,
        updated_at=at,
    )
    session.add(bucket)
    row = _record(
        session,
        bucket,
        "topUp",
        at,
        amount=amount,
        reason=reason,
        reference=reference,
        key=idempotency_key,
    )
    session.flush()
    return _done(row, bucket)


def _main_bucket(session: Session, owner: Owner, at: datetime) -> BalanceBucket | None:
    for bucket in repo.lock_buckets(session, (owner,), Unit.LI.value):
        if bucket.name == MAIN_BUCKET and (bucket.valid_to is None or at < bucket.valid_to):
            return bucket
    return None


def top_up(
    session: Session,
    *,
    owner: Owner,
    amount_li: int,
    at: datetime,
    reason: str,
    reference: str | None,
    extend_to: datetime | None = None,
    idempotency_key: str | None = None,
) -> TopUp:
    """Credit money to the owner's main bucket (a new one when it has none in force), and
    push its validity out to ``extend_to`` when that is later (as the offering says)."""
    if amount_li <= 0:
        raise InvalidAmount(f"a top-up must be positive ({amount_li} li)")
    replay = _replay(session, idempotency_key)
    if replay is not None:
        return replay
    bucket = _main_bucket(session, owner, at)
    if bucket is None:
        return create_bucket(
            session,
            owner=owner,
            unit=Unit.LI,
            amount=amount_li,
            at=at,
            valid_to=extend_to,
            name=MAIN_BUCKET,
            reason=reason,
            reference=reference,
            idempotency_key=idempotency_key,
        )
    if extend_to is not None and bucket.valid_to is not None and extend_to > bucket.valid_to:
        bucket.valid_to = extend_to
    row = _record(
        session,
        bucket,
        "topUp",
        at,
        amount=amount_li,
        reason=reason,
        reference=reference,
        key=idempotency_key,
    )
    session.flush()
    return _done(row, bucket)


def adjust(
    session: Session,
    *,
    bucket_id: str,
    amount: int,
    at: datetime,
    reason: str,
    reference: str | None = None,
    idempotency_key: str | None = None,
    kind: str = "adjust",
    extend_to: datetime | None = None,
) -> TopUp:
    """Add (positive) or take away (negative) units of one bucket; never below what is
    reserved. ``kind`` names the change in the log (``adjust``, or ``topUp`` for a top-up of
    a chosen bucket); ``extend_to`` pushes the bucket's validity out as a top-up does."""
    if amount == 0:
        raise InvalidAmount("a change of zero changes nothing")
    replay = _replay(session, idempotency_key)
    if replay is not None:
        return replay
    bucket = repo.lock_bucket(session, bucket_id)
    if bucket is None:
        raise UnknownBucket(f"no bucket {bucket_id!r}")
    if bucket.status != "active":
        raise InsufficientBalance(f"bucket {bucket_id} is {bucket.status}", code="BUCKET_CLOSED")
    if bucket.remaining - bucket.reserved + amount < 0:
        raise InsufficientBalance(
            f"bucket {bucket_id} has {bucket.remaining - bucket.reserved} {bucket.unit} free; "
            f"cannot take {-amount}"
        )
    if extend_to is not None and bucket.valid_to is not None and extend_to > bucket.valid_to:
        bucket.valid_to = extend_to
    row = _record(
        session,
        bucket,
        kind,
        at,
        amount=amount,
        reason=reason,
        reference=reference,
        key=idempotency_key,
    )
    session.flush()
    return _done(row, bucket)


@dataclass(frozen=True)
class Expired:
    """Buckets closed by :func:`expire_due`, and the money (li) they wrote off per province."""

    buckets: int
    money_li: dict[str, int]


def expire_due(session: Session, at: datetime, limit: int = 1000) -> Expired:
    """Close buckets whose validity ended: what is left and not reserved is written off (an
    ``expire`` transaction); a bucket still holding reservations waits for their release."""
    count = 0
    money: dict[str, int] = {}
    for bucket in repo.expired_buckets(session, at, limit):
        if bucket.reserved:
            continue
        if bucket.remaining:
            if bucket.unit == Unit.LI.value and bucket.owner_kind != UNASSIGNED:
                money[bucket.province] = money.get(bucket.province, 0) + bucket.remaining
            _record(
                session, bucket, "expire", at, amount=-bucket.remaining, reason="validity ended"
            )
        bucket.status = "expired"
        count += 1
    session.flush()
    return Expired(count, money)


def expire_buckets(session: Session, at: datetime, limit: int = 1000) -> int:
    """:func:`expire_due`, counting the buckets closed."""
    return expire_due(session, at, limit).buckets
