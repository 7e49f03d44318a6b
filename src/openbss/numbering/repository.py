"""Every query of the numbering domain.

Number state changes are conditional UPDATEs (compare-and-set): the WHERE clause states the
condition under which the change is allowed — "free now", "reserved by this holder" — and
the row count says whether it happened. On PostgreSQL a second writer waits for the first
and then re-checks the condition against the committed row (so it finds it false); on
SQLite writers are serialised. Either way exactly one of two racing callers wins, without
a SELECT … FOR UPDATE. "Free" is computed against the caller's clock, so an expired hold or
an ended quarantine is free the moment it passes; :func:`release_expired` only tidies up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from openbss.numbering.calculations import E164_PREFIX, NumberKind, NumberStatus
from openbss.numbering.models import NumberPool, NumberResource

N = NumberResource
INSERT_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class Scope:
    """Which numbers a query is about. ``province`` None: every province (group readers)."""

    province: str | None
    kind: NumberKind
    area_code: str | None = None
    national_prefix: str | None = None  # leading digits of the national number


def _changed(session: Session, statement: Any) -> int:
    """Run an UPDATE without touching the identity map; the number of rows it changed."""
    result = cast(
        CursorResult[Any],
        session.execute(statement.execution_options(synchronize_session=False)),
    )
    return result.rowcount


def free_condition(at: datetime) -> ColumnElement[bool]:
    """A number is free when available, or its hold has passed, or its quarantine ended."""
    return or_(
        N.status == NumberStatus.AVAILABLE,
        _lapsed(at),
    )


def _lapsed(at: datetime) -> ColumnElement[bool]:
    """Stored as reserved or quarantined, but free by now."""
    return or_(*_lapsed_states(at))


def _lapsed_states(at: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        and_(N.status == NumberStatus.RESERVED, N.held_until <= at),
        and_(N.status == NumberStatus.QUARANTINED, N.quarantine_until <= at),
    )


def _in_province(province: str | None) -> list[ColumnElement[bool]]:
    return [] if province is None else [N.province == province]


def _scope_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    conditions = [*_in_province(scope.province), N.kind == scope.kind.value]
    if scope.kind is NumberKind.MOBILE:
        conditions.append(N.area_code.is_(None))  # keeps the pick index's prefix usable
    elif scope.area_code is not None:
        conditions.append(N.area_code == scope.area_code)
    if scope.national_prefix:
        conditions.extend(_national_prefix_range(scope.national_prefix))
    return conditions


def _national_prefix_range(national_prefix: str) -> list[ColumnElement[bool]]:
    """Numbers whose national form starts with the prefix, as an index-friendly key range:
    ``0208300`` → ``+862083 00 ≤ number < +862083 01``. Digit strings compare the same way
    under every collation, so this is exact on SQLite and PostgreSQL alike."""
    digits = national_prefix.removeprefix("0")
    if not digits:
        return []
    upper = str(int(digits) + 1).zfill(len(digits))
    return [N.number >= E164_PREFIX + digits, N.number < E164_PREFIX + upper]


# ----- pools ------------------------------------------------------------------------------


def pool(session: Session, pool_id: str) -> NumberPool | None:
    return session.get(NumberPool, pool_id)


def pool_named(session: Session, province: str, name: str) -> NumberPool | None:
    statement = select(NumberPool).where(NumberPool.province == province, NumberPool.name == name)
    return session.scalar(statement)


def pools(session: Session, province: str | None) -> Sequence[NumberPool]:
    statement = select(NumberPool).order_by(
        NumberPool.province,
        NumberPool.kind,
        NumberPool.area_code,
        NumberPool.prefix,
        NumberPool.first,
    )
    if province is not None:
        statement = statement.where(NumberPool.province == province)
    return session.scalars(statement).all()


def pool_exists(session: Session, province: str, kind: NumberKind, area_code: str) -> bool:
    statement = select(NumberPool.id).where(
        NumberPool.province == province,
        NumberPool.kind == kind.value,
        NumberPool.area_code == area_code,
    )
    return session.scalar(statement.limit(1)) is not None


def add_pool(session: Session, row: NumberPool) -> None:
    session.add(row)
    session.flush()


def insert_numbers(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Bulk insert: a Core executemany (multi-row VALUES on PostgreSQL) per batch, which
    skips the ORM's per-row bookkeeping; batches bound memory for million-number pools.
    Columns absent from the rows (holder, held_until …) are NULL."""
    statement = insert(cast(Table, N.__table__))
    total = 0
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            session.execute(statement, batch)
            total += len(batch)
            batch = []
    if batch:
        session.execute(statement, batch)
        total += len(batch)
    return total


def status_counts(
    session: Session, pool_ids: Sequence[str], at: datetime
) -> dict[str, dict[str, int]]:
    """pool id → effective status → count, where lapsed holds and quarantines count as
    available (what a caller would be able to reserve right now)."""
    if not pool_ids:
        return {}
    effective = case((_lapsed(at), NumberStatus.AVAILABLE.value), else_=N.status)
    statement = (
        select(N.pool_id, effective, func.count())
        .where(N.pool_id.in_(pool_ids))
        .group_by(N.pool_id, effective)
    )
    counts: dict[str, dict[str, int]] = {}
    for pool_id, status, count in session.execute(statement):
        counts.setdefault(pool_id, {})[status] = count
    return counts


# ----- numbers: reads ---------------------------------------------------------------------


def number(session: Session, e164: str) -> NumberResource | None:
    """The row as the database holds it now (state changes bypass the identity map)."""
    return session.get(N, e164, populate_existing=True)


def held_by(session: Session, holder: str, scope: Scope) -> Sequence[NumberResource]:
    statement = (
        select(N)
        .where(*_scope_conditions(scope), N.status == NumberStatus.RESERVED, N.holder == holder)
        .order_by(N.number)
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).all()


def free_numbers(
    session: Session,
    scope: Scope,
    at: datetime,
    *,
    golden: bool | None,
    like: str | None,
    limit: int,
    claim: bool = False,
) -> list[NumberResource]:
    """The lowest free numbers in scope, at most ``limit``.

    ``claim`` locks the rows returned for the rest of the transaction and passes over those
    another transaction has locked (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite serialises
    writers and ignores it): concurrent sales then each get a different number at once
    instead of all trying the same lowest one and waiting, one after the other, for the
    transaction that holds it to finish.

    One query per stored state rather than one with OR, so that each is an ordered range
    scan of the pick index on (province, kind, area code, status, number) that stops after
    ``limit`` rows, however large the pool: the available numbers, then the reserved and
    the quarantined ones (few) whose time has passed. The lowest ``limit`` of the three
    together are the lowest ``limit`` free numbers.
    """
    conditions = _scope_conditions(scope)
    if golden is not None:
        conditions.append(N.golden_level.is_not(None) if golden else N.golden_level.is_(None))
    if like is not None:
        conditions.append(N.number.like(like))
    rows: list[NumberResource] = []
    for state in (N.status == NumberStatus.AVAILABLE, *_lapsed_states(at)):
        statement = (
            select(N)
            .where(*conditions, state)
            .order_by(N.number)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if claim:
            statement = statement.with_for_update(skip_locked=True)
        rows.extend(session.scalars(statement))
    rows.sort(key=lambda row: row.number)
    return rows[:limit]


# ----- numbers: state changes (compare-and-set) -------------------------------------------


def take(
    session: Session,
    e164: str,
    at: datetime,
    *,
    province: str,
    holder: str,
    held_until: datetime | None,
    current_holders: Sequence[str],
) -> bool:
    """Reserve a number for ``holder`` if it is free now or already reserved by one of
    ``current_holders`` (the holder itself extending its hold, or a hold being handed over).
    True when this call won the number."""
    allowed = free_condition(at)
    if current_holders:
        allowed = or_(
            allowed,
            and_(N.status == NumberStatus.RESERVED, N.holder.in_(list(current_holders))),
        )
    statement = (
        update(N)
        .where(N.number == e164, N.province == province, allowed)
        .values(
            status=NumberStatus.RESERVED.value,
            holder=holder,
            held_until=held_until,
            product_id=None,
            assigned_at=None,
            quarantine_until=None,
            updated_at=at,
        )
    )
    return _changed(session, statement) == 1


def assign(
    session: Session, e164: str, at: datetime, *, province: str | None, holder: str, product_id: str
) -> bool:
    """Reserved by ``holder`` → assigned. A lapsed hold still counts: nobody else has taken
    the number (taking it replaces the holder), so the order that held it may complete."""
    statement = (
        update(N)
        .where(
            N.number == e164,
            *_in_province(province),
            N.status == NumberStatus.RESERVED,
            N.holder == holder,
        )
        .values(
            status=NumberStatus.ASSIGNED.value,
            product_id=product_id,
            assigned_at=at,
            held_until=None,
            updated_at=at,
        )
    )
    return _changed(session, statement) == 1


def release(session: Session, holder: str, at: datetime, *, province: str | None) -> int:
    """Every number reserved by ``holder`` → available; how many."""
    statement = (
        update(N)
        .where(*_in_province(province), N.status == NumberStatus.RESERVED, N.holder == holder)
        .values(status=NumberStatus.AVAILABLE.value, holder=None, held_until=None, updated_at=at)
    )
    return _changed(session, statement)


def quarantine(
    session: Session,
    e164: str,
    at: datetime,
    *,
    province: str | None,
    product_id: str | None,
    until: datetime,
) -> bool:
    """Assigned (to ``product_id`` when given) → quarantined until ``until``. The product id
    stays on the row while it rests, so a reused number can be traced to its last owner."""
    conditions = [N.number == e164, *_in_province(province), N.status == NumberStatus.ASSIGNED]
    if product_id is not None:
        conditions.append(N.product_id == product_id)
    statement = (
        update(N)
        .where(*conditions)
        .values(
            status=NumberStatus.QUARANTINED.value,
            quarantine_until=until,
            holder=None,
            held_until=None,
            updated_at=at,
        )
    )
    return _changed(session, statement) == 1


def release_expired(session: Session, at: datetime) -> int:
    """Lapsed holds and ended quarantines → available (housekeeping; "free" never needs it)."""
    statement = (
        update(N)
        .where(_lapsed(at))
        .values(
            status=NumberStatus.AVAILABLE.value,
            holder=None,
            held_until=None,
            product_id=None,
            assigned_at=None,
            quarantine_until=None,
            updated_at=at,
        )
    )
    return _changed(session, statement)
