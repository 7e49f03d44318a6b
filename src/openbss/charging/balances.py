"""Balance primitives: who owns a balance, what is available; grant, debit and release quota
(grants.py) and release what silent sessions held.

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
from openbss.charging.calculations import Owner, Unit
from openbss.charging.errors import UnknownOwner
from openbss.charging.grants import release
from openbss.charging.models import (
    BalanceBucket,
    BalanceTransaction,
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


def release_expired(session: Session, at: datetime, limit: int = 1000) -> int:
    """Release reservations whose time ran out (their session went silent); return how many."""
    count = 0
    for reservation_id in repo.open_reservations_expired(session, at, limit):
        release(session, reservation_id=reservation_id, at=at)
        count += 1
    return count
