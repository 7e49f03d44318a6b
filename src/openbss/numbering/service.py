"""Number resources (号码资源): pools, selection (选号), reservation, assignment, quarantine.

Life of a number::

    available ──reserve──► reserved ──assign──► assigned ──retire──► quarantined
        ▲                     │  (hold passes: free again)               │
        └──────release────────┘                   (quarantine ends: free again)

- A sale reserves a number for a holder (``reservation:<id>`` from the retail hall API,
  ``order:<id>`` from ordering), with a hold that lapses (``hold_minutes``) or none (an
  order keeps its numbers for its lifetime). A lapsed hold or an ended quarantine is free at
  once — "free" is computed against :func:`openbss.kit.clock.now`, so nothing depends on a
  sweeper; :func:`release_expired` only tidies the stored state.
- A pre-reservation is handed to an order with ``transfer_from``: the order reserves what
  the reservation holds, atomically, so nobody can slip in between.
- Automatic selection takes the lowest free ordinary number; golden numbers (靓号) are only
  ever reserved when asked for by number, and carry their one-time price in the hold.
- Every state change is a compare-and-set UPDATE (repository.py); two sessions racing for
  the same number cannot both win, and a loser of an automatic selection tries the next.
- Numbers belong to a province. Writing (pools, reservations) needs a province principal; a
  group principal reads across provinces and may assign, release and retire (internal jobs).

Services flush, never commit: the entry point owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from openbss.audit import service as audit
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, Forbidden, Unprocessable
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.numbering import repository as repo
from openbss.numbering.calculations import (
    KIND_LABELS,
    MAX_HOLDER_LENGTH,
    MAX_POOL_NAME_LENGTH,
    GoldenLevel,
    NumberKind,
    NumberStatus,
    check_area_code,
    check_pool_range,
    check_quarantine_days,
    check_text,
    classify_national,
    hold_deadline,
    normalise_number,
    parse_kind,
    pool_network,
    range_size,
    search_like,
    to_e164,
    to_national,
)
from openbss.numbering.errors import (
    DuplicatePool,
    GoldenNotAllowed,
    InvalidNumberRequest,
    NoFreeNumber,
    NumberNotAssigned,
    NumberNotHeld,
    NumberUnavailable,
    PoolOverlap,
    UnknownNumber,
)
from openbss.numbering.models import NumberPool, NumberResource
from openbss.refdata.numbering import area_code_outside_province

__all__ = [
    "GoldenLevel",
    "NumberHold",
    "NumberInfo",
    "NumberKind",
    "NumberPool",
    "NumberStatus",
    "PoolInfo",
    "assign",
    "create_pool",
    "find_number",
    "list_pools",
    "offers_network",
    "release",
    "release_expired",
    "reserve",
    "retire",
    "search",
    "seed_number_pools",
]

READERS = frozenset({Role.CSR, Role.ADMIN, Role.ANALYST})
HOLDERS = frozenset({Role.CSR, Role.ADMIN})  # reserve, release, assign, retire
POOL_ADMINS = frozenset({Role.ADMIN})

MAX_SEARCH_LIMIT = 200
# Automatic selection: candidates fetched per round, and rounds before giving up when every
# candidate keeps being taken by concurrent sales (each round re-reads committed state).
CANDIDATES_PER_ROUND = 8
MAX_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class NumberHold:
    """A number reserved for a holder: what a sale shows and charges."""

    number: str  # E.164, e.g. "+862083001234": the key everywhere
    national: str  # "02083001234"
    kind: NumberKind
    area_code: str | None  # "020"; None for mobile
    golden_level: str | None
    golden_price_fen: int  # 0 when not golden
    holder: str
    held_until: datetime | None  # None: held until released or assigned


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """One number as a caller sees it now. ``status`` is effective: a lapsed hold or an
    ended quarantine reads as available (and carries no holder or product)."""

    number: str
    national: str
    kind: NumberKind
    area_code: str | None
    golden_level: str | None
    golden_price_fen: int
    province: str
    pool_id: str
    status: NumberStatus
    holder: str | None
    held_until: datetime | None
    product_id: str | None
    assigned_at: datetime | None
    quarantine_until: datetime | None

    @property
    def free(self) -> bool:
        return self.status is NumberStatus.AVAILABLE


@dataclass(frozen=True, slots=True)
class PoolInfo:
    pool: NumberPool
    counts: Mapping[str, int]  # effective status → numbers

    def count(self, status: NumberStatus) -> int:
        return self.counts.get(status.value, 0)


# ----- checks -----------------------------------------------------------------------------


def _check_overlap(
    session: Session, principal: Principal, network: str, first: str, last: str
) -> None:
    """Numbers are unique nationwide, so every province's pools are compared."""
    low, high = int(network + first), int(network + last)
    length = len(network) + len(first)
    for other in repo.pools(session, None):
        other_network = other.area_code or other.prefix or ""
        if len(other_network) + len(other.first) != length:
            continue
        other_low = int(other_network + other.first)
        other_high = int(other_network + other.last)
        if low <= other_high and other_low <= high:
            where = (
                f"pool {other.name!r} ({other_network} {other.first}–{other.last})"
                if principal.can_see(other.province)
                else "a pool of another province"
            )
            raise PoolOverlap(f"{network} {first}–{last} overlaps the numbers of {where}")


def _scope(
    province: str | None,
    kind: NumberKind,
    area_code: str | None,
    prefix: str | None,
    *,
    need_network: bool,
) -> repo.Scope:
    """Which numbers a selection or search is about.

    Mobile: ``prefix`` is the leading digits of the number (189, 18902). Fixed and PHS:
    ``area_code`` names the local network; ``prefix`` is either the leading subscriber
    digits within it (8300) or a national prefix with the trunk 0 (0208300).
    """
    if prefix is not None and (not prefix.isascii() or not prefix.isdigit() or len(prefix) > 11):
        raise InvalidNumberRequest(f"prefix must be up to 11 digits, got {prefix!r}")
    if kind is NumberKind.MOBILE:
        if area_code is not None:
            raise InvalidNumberRequest("mobile numbers have no area code; give a prefix instead")
        if prefix and not prefix.startswith("1"):
            raise InvalidNumberRequest(f"a mobile prefix starts with 1, got {prefix!r}")
        return repo.Scope(province, kind, None, prefix or None)
    if area_code is not None:
        check_area_code(area_code)
    elif need_network:
        raise InvalidNumberRequest(
            f"choosing a {KIND_LABELS[kind]} number needs the area code of its local network"
        )
    national_prefix = None
    if prefix:
        if prefix.startswith("0"):
            if area_code is not None and not prefix.startswith(area_code):
                raise InvalidNumberRequest(f"prefix {prefix} is outside area code {area_code}")
            national_prefix = prefix
        elif area_code is None:
            raise InvalidNumberRequest("a subscriber-number prefix needs the area code")
        else:
            national_prefix = area_code + prefix
    return repo.Scope(province, kind, area_code, national_prefix)


def _describe(scope: repo.Scope) -> str:
    label = KIND_LABELS[scope.kind]
    where = []
    if scope.area_code is not None:
        where.append(f"in local network {scope.area_code}")
    if scope.national_prefix:
        where.append(f"starting {scope.national_prefix}")
    if not where and scope.province is not None:
        where.append(f"in province {scope.province}")
    return " ".join([label, "number", *where])


def _holder(value: str, attribute: str) -> str:
    return check_text(value, attribute, MAX_HOLDER_LENGTH)


# ----- shapes -----------------------------------------------------------------------------


class _NumberFacts(TypedDict):
    """What a hold and an info both say of a number, whatever its status."""

    number: str
    national: str
    kind: NumberKind
    area_code: str | None
    golden_level: str | None
    golden_price_fen: int


def _facts(row: NumberResource) -> _NumberFacts:
    return _NumberFacts(
        number=row.number,
        national=to_national(row.number),
        kind=NumberKind(row.kind),
        area_code=row.area_code,
        golden_level=row.golden_level,
        golden_price_fen=row.golden_price_fen,
    )


def _hold(row: NumberResource, holder: str, held_until: datetime | None) -> NumberHold:
    return NumberHold(**_facts(row), holder=holder, held_until=held_until)


def _lapsed(row: NumberResource, at: datetime) -> bool:
    if row.status == NumberStatus.RESERVED:
        return row.held_until is not None and row.held_until <= at
    if row.status == NumberStatus.QUARANTINED:
        return row.quarantine_until is not None and row.quarantine_until <= at
    return False


def _info(row: NumberResource, at: datetime) -> NumberInfo:
    lapsed = _lapsed(row, at)
    free = lapsed or row.status == NumberStatus.AVAILABLE
    return NumberInfo(
        **_facts(row),
        province=row.province,
        pool_id=row.pool_id,
        status=NumberStatus.AVAILABLE if lapsed else NumberStatus(row.status),
        holder=None if free else row.holder,
        held_until=None if free else row.held_until,
        product_id=None if free else row.product_id,
        assigned_at=None if free else row.assigned_at,
        quarantine_until=None if free else row.quarantine_until,
    )


def _unavailable(row: NumberResource | None, e164: str) -> str:
    if row is None:  # pragma: no cover - numbers are never deleted
        return f"{e164} no longer exists"
    if row.status == NumberStatus.RESERVED:
        until = row.held_until
        when = f"until {until:%Y-%m-%d %H:%M} UTC" if until else "for an order in progress"
        return f"{e164} is reserved by another sale {when}"
    if row.status == NumberStatus.ASSIGNED:
        return f"{e164} is in use"
    if row.status == NumberStatus.QUARANTINED and row.quarantine_until is not None:
        return (
            f"{e164} rests in quarantine after its last cease until "
            f"{row.quarantine_until:%Y-%m-%d %H:%M} UTC"
        )
    return f"{e164} was taken by a concurrent sale"


def _visible(session: Session, principal: Principal, e164: str) -> NumberResource | None:
    row = repo.number(session, e164)
    if row is None or not principal.can_see(row.province):
        return None
    return row


def _known(session: Session, principal: Principal, number: str) -> NumberResource:
    e164 = normalise_number(number)
    row = _visible(session, principal, e164)
    if row is None:
        raise UnknownNumber(f"{e164} is not a number of any pool you can see")
    return row


# ----- pools ------------------------------------------------------------------------------


def create_pool(
    session: Session,
    principal: Principal,
    *,
    kind: NumberKind,
    name: str,
    area_code: str | None = None,
    prefix: str | None = None,
    first: str,
    last: str,
    quarantine_days: int = 90,
) -> NumberPool:
    """Create a pool and every number in it (golden ones classified and priced)."""
    principal.require(*POOL_ADMINS)
    province = principal.acting_province("a number pool")
    kind = parse_kind(kind)
    name = check_text(name, "pool name", MAX_POOL_NAME_LENGTH)
    network = pool_network(kind, area_code, prefix)
    if kind is not NumberKind.MOBILE:
        owner = area_code_outside_province(network, province)
        if owner is not None:
            raise Forbidden(
                f"area code {network} is a local network of {owner}, not of province "
                f"{province}: its numbers are not {province}'s to allocate"
            )
    check_pool_range(kind, network, first, last)
    days = check_quarantine_days(quarantine_days)
    if repo.pool_named(session, province, name) is not None:
        raise DuplicatePool(f"province {province} already has a number pool named {name!r}")
    _check_overlap(session, principal, network, first, last)
    at = now()
    row = NumberPool(
        id=new_id(),
        province=province,
        kind=kind.value,
        name=name,
        area_code=None if kind is NumberKind.MOBILE else network,
        prefix=network if kind is NumberKind.MOBILE else None,
        first=first,
        last=last,
        size=range_size(first, last),
        quarantine_days=days,
        created_at=at,
        updated_at=at,
    )
    repo.add_pool(session, row)
    repo.insert_numbers(session, _number_rows(row, network, at))
    audit.record(
        session,
        principal,
        "create",
        "NumberPool",
        row.id,
        province,
        ["name", "kind", "areaCode" if row.area_code else "prefix", "first", "last"],
    )
    return row


def _number_rows(pool: NumberPool, network: str, at: datetime) -> Iterator[dict[str, Any]]:
    width = len(pool.first)
    for value in range(int(pool.first), int(pool.last) + 1):
        national = network + str(value).zfill(width)
        golden = classify_national(national)
        yield {
            "number": to_e164(national),
            "pool_id": pool.id,
            "province": pool.province,
            "kind": pool.kind,
            "area_code": pool.area_code,
            "status": NumberStatus.AVAILABLE.value,
            "golden_level": golden.level.value if golden else None,
            "golden_price_fen": golden.price_fen if golden else 0,
            "updated_at": at,
        }


def list_pools(session: Session, principal: Principal) -> list[PoolInfo]:
    """The pools the caller can see, with how many numbers are in each effective state."""
    principal.require(*POOL_ADMINS)
    rows = repo.pools(session, principal.province)
    counts = repo.status_counts(session, [row.id for row in rows], now())
    return [PoolInfo(pool=row, counts=counts.get(row.id, {})) for row in rows]


def offers_network(session: Session, province: str, kind: NumberKind, area_code: str) -> bool:
    """Whether the province has a pool of that kind in that local network — e.g. PHS is
    sold only where the local network offers it."""
    return repo.pool_exists(session, province, parse_kind(kind), area_code)


# ----- selection and reservation ----------------------------------------------------------


def reserve(
    session: Session,
    principal: Principal,
    *,
    kind: NumberKind,
    holder: str,
    area_code: str | None = None,
    prefix: str | None = None,
    number: str | None = None,
    hold_minutes: int | None = 30,
    transfer_from: str | None = None,
    allow_golden: bool = True,
) -> NumberHold:
    """Reserve a number for ``holder``: the one given, the one ``transfer_from`` holds, or
    the lowest free ordinary number in scope. See the module docstring for the rules."""
    principal.require(*HOLDERS)
    province = principal.acting_province("a number reservation")
    kind = parse_kind(kind)
    holder = _holder(holder, "holder")
    if transfer_from is not None:
        transfer_from = _holder(transfer_from, "transfer_from")
    scope = _scope(province, kind, area_code, prefix, need_network=number is None)
    at = now()
    held_until = hold_deadline(at, hold_minutes)
    if number is not None:
        current = (holder,) if transfer_from is None else (holder, transfer_from)
        hold = _reserve_number(
            session, scope, number, at, holder, held_until, current, allow_golden
        )
    elif transfer_from is not None:
        hold = _take_over(session, scope, at, holder, held_until, transfer_from, allow_golden)
    else:
        hold = _reserve_any(session, scope, at, holder, held_until)
    audit.record(session, principal, "reserve", "Number", hold.number, province, ["holder"])
    return hold


def _check_in_scope(row: NumberResource | None, scope: repo.Scope, e164: str) -> NumberResource:
    if row is None or row.province != scope.province:
        raise UnknownNumber(f"{e164} is not a number of any pool of province {scope.province}")
    if row.kind != scope.kind.value:
        raise UnknownNumber(
            f"{e164} is a {KIND_LABELS[NumberKind(row.kind)]} number, "
            f"not a {KIND_LABELS[scope.kind]} one"
        )
    if scope.area_code is not None and row.area_code != scope.area_code:
        raise UnknownNumber(
            f"{e164} belongs to local network {row.area_code}, not {scope.area_code}"
        )
    if scope.national_prefix and not to_national(e164).startswith(scope.national_prefix):
        raise UnknownNumber(f"{e164} does not start with {scope.national_prefix}")
    return row


def _reserve_number(
    session: Session,
    scope: repo.Scope,
    number: str,
    at: datetime,
    holder: str,
    held_until: datetime | None,
    current: tuple[str, ...],
    allow_golden: bool,
) -> NumberHold:
    e164 = normalise_number(number)
    row = _check_in_scope(repo.number(session, e164), scope, e164)
    if row.golden_level is not None and not allow_golden:
        raise GoldenNotAllowed(f"{e164} is a golden number ({row.golden_level}); not allowed here")
    assert scope.province is not None
    won = repo.take(
        session,
        e164,
        at,
        province=scope.province,
        holder=holder,
        held_until=held_until,
        current_holders=current,
    )
    if not won:
        raise NumberUnavailable(_unavailable(repo.number(session, e164), e164))
    return _hold(row, holder, held_until)


def _take_over(
    session: Session,
    scope: repo.Scope,
    at: datetime,
    holder: str,
    held_until: datetime | None,
    transfer_from: str,
    allow_golden: bool,
) -> NumberHold:
    """The lowest number ``transfer_from`` holds in scope, handed to ``holder``. A holder
    that holds nothing (released, or its lapsed hold taken by another sale) is an error,
    not a reason to hand out some other number the customer never saw."""
    assert scope.province is not None
    for row in repo.held_by(session, transfer_from, scope):
        if row.golden_level is not None and not allow_golden:
            raise GoldenNotAllowed(
                f"{row.number} held by {transfer_from} is a golden number; not allowed here"
            )
        won = repo.take(
            session,
            row.number,
            at,
            province=scope.province,
            holder=holder,
            held_until=held_until,
            current_holders=(transfer_from,),
        )
        if won:
            return _hold(row, holder, held_until)
    raise NumberNotHeld(f"{transfer_from} holds no {_describe(scope)}")


def _reserve_any(
    session: Session, scope: repo.Scope, at: datetime, holder: str, held_until: datetime | None
) -> NumberHold:
    assert scope.province is not None
    for _round in range(MAX_ROUNDS):
        # First the lowest free number no concurrent sale is taking (locked for this one, so
        # one is enough and taking it cannot wait); when every free number is being taken,
        # the lowest ones all the same, waiting for those sales: one may yet roll back.
        candidates = repo.free_numbers(
            session, scope, at, golden=False, like=None, limit=1, claim=True
        ) or repo.free_numbers(
            session, scope, at, golden=False, like=None, limit=CANDIDATES_PER_ROUND
        )
        if not candidates:
            raise NoFreeNumber(f"no free {_describe(scope)} is left")
        for row in candidates:
            won = repo.take(
                session,
                row.number,
                at,
                province=scope.province,
                holder=holder,
                held_until=held_until,
                current_holders=(),
            )
            if won:
                return _hold(row, holder, held_until)
    raise Conflict(
        f"every free {_describe(scope)} tried was taken by concurrent sales; retry",
        code="NUMBER_CONTENTION",
    )


def assign(
    session: Session, principal: Principal, number: str, *, holder: str, product_id: str
) -> None:
    """Reserved by ``holder`` → assigned to ``product_id`` (the order completed). Repeating
    the same assignment is a no-op, so a retried completion does not fail."""
    principal.require(*HOLDERS)
    holder = _holder(holder, "holder")
    product_id = check_text(product_id, "product id", 64)
    row = _known(session, principal, number)
    if (
        row.status == NumberStatus.ASSIGNED
        and row.holder == holder
        and row.product_id == product_id
    ):
        return
    if not repo.assign(
        session,
        row.number,
        now(),
        province=principal.province,
        holder=holder,
        product_id=product_id,
    ):
        raise NumberNotHeld(f"{row.number} is not reserved by {holder}")
    audit.record(session, principal, "assign", "Number", row.number, row.province, ["productId"])


def release(session: Session, principal: Principal, *, holder: str) -> int:
    """Every number reserved by ``holder`` → available; how many were released."""
    principal.require(*HOLDERS)
    holder = _holder(holder, "holder")
    count = repo.release(session, holder, now(), province=principal.province)
    if count:
        audit.record(session, principal, "release", "NumberHolder", holder, principal.province)
    return count


def retire(
    session: Session, principal: Principal, number: str, *, product_id: str | None = None
) -> datetime:
    """Assigned → quarantined (after a cease) for the pool's quarantine days; returns the
    instant the number becomes free again. With ``product_id``, only that product's number
    is retired, and retiring it again returns the same instant."""
    principal.require(*HOLDERS)
    row = _known(session, principal, number)
    if (
        product_id is not None
        and row.status == NumberStatus.QUARANTINED
        and row.product_id == product_id
        and row.quarantine_until is not None
    ):
        return row.quarantine_until
    pool = repo.pool(session, row.pool_id)
    assert pool is not None
    at = now()
    until = at + timedelta(days=pool.quarantine_days)
    if not repo.quarantine(
        session, row.number, at, province=principal.province, product_id=product_id, until=until
    ):
        owner = f" by product {product_id}" if product_id is not None else ""
        raise NumberNotAssigned(f"{row.number} is not in use{owner}")
    audit.record(session, principal, "retire", "Number", row.number, row.province, ["status"])
    return until


def release_expired(session: Session) -> int:
    """Housekeeping: store lapsed holds and ended quarantines as available; how many."""
    return repo.release_expired(session, now())


# ----- reading ----------------------------------------------------------------------------


def find_number(session: Session, principal: Principal, number: str) -> NumberInfo | None:
    """One number's state, or None when unknown or another province's."""
    principal.require(*READERS)
    row = _visible(session, principal, normalise_number(number))
    return None if row is None else _info(row, now())


def search(
    session: Session,
    principal: Principal,
    *,
    kind: NumberKind,
    area_code: str | None = None,
    prefix: str | None = None,
    golden: bool | None = None,
    pattern: str | None = None,
    limit: int = 20,
) -> list[NumberInfo]:
    """Free numbers to choose from (选号), lowest first. ``golden`` True: only golden
    numbers, False: only ordinary ones, None: both. ``pattern`` e.g. ``88`` (ends in 88)."""
    principal.require(*READERS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise InvalidNumberRequest(f"limit must be 1 to {MAX_SEARCH_LIMIT}, got {limit!r}")
    scope = _scope(principal.province, parse_kind(kind), area_code, prefix, need_network=False)
    at = now()
    rows = repo.free_numbers(
        session, scope, at, golden=golden, like=search_like(pattern), limit=limit
    )
    return [_info(row, at) for row in rows]


# ----- seed -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedPool:
    name: str
    kind: NumberKind
    network: str  # area code or mobile prefix
    first: str
    last: str


# Demo pools per province. Guangzhou and Shenzhen offer PHS; other local networks (0757
# Foshan …) have no PHS pool, so PHS is not sold there. 189 0220 is a Guangzhou segment.
SEED_POOLS: dict[str, tuple[SeedPool, ...]] = {
    "GD": (
        SeedPool("fixed-020", NumberKind.FIXED, "020", "83000000", "83009999"),
        SeedPool("fixed-0755", NumberKind.FIXED, "0755", "26000000", "26004999"),
        SeedPool("phs-020", NumberKind.PHS, "020", "31000000", "31004999"),
        SeedPool("phs-0755", NumberKind.PHS, "0755", "28000000", "28001999"),
        # The other demo local networks have fixed lines only: no PHS in 佛山 0757 and the
        # rest, so PHS orders there are refused as ineligible.
        SeedPool("fixed-0757", NumberKind.FIXED, "0757", "82000000", "82001999"),
        SeedPool("fixed-0769", NumberKind.FIXED, "0769", "22000000", "22001999"),
        SeedPool("fixed-0756", NumberKind.FIXED, "0756", "2210000", "2211999"),
        SeedPool("fixed-0754", NumberKind.FIXED, "0754", "88100000", "88101999"),
        SeedPool("mobile-189", NumberKind.MOBILE, "189", "02200000", "02204999"),
    ),
}


def seed_number_pools(session: Session, province: str = "GD") -> dict[str, int]:
    """Create the demo pools of a province if missing (idempotent by pool name); returns
    pool name → numbers in the pool."""
    seeds = SEED_POOLS.get(province)
    if seeds is None:
        known = ", ".join(sorted(SEED_POOLS))
        raise Unprocessable(
            f"no demo number pools are defined for province {province!r} (defined: {known})"
        )
    acting = Principal(key_id="system", role=Role.ADMIN, province=province)
    sizes: dict[str, int] = {}
    for seed in seeds:
        existing = repo.pool_named(session, province, seed.name)
        if existing is None:
            mobile = seed.kind is NumberKind.MOBILE
            existing = create_pool(
                session,
                acting,
                kind=seed.kind,
                name=seed.name,
                area_code=None if mobile else seed.network,
                prefix=seed.network if mobile else None,
                first=seed.first,
                last=seed.last,
            )
        sizes[seed.name] = existing.size
    return sizes
