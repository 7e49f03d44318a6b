"""The engine's queries (sessions, their rating groups, the finished ones to write out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from openbss.charging.calculations import Owner, Unit
from openbss.charging.engine.models import ChargingService, ChargingSession, SessionStatus
from openbss.charging.models import BalanceBucket
from openbss.charging.repository import flush_balances

_LOADED = "openbss.charging.engine.services"
# Built once: every request of a session reads it (building a statement costs more than
# SQLite takes to run it).
_SESSION_WITH_SERVICES = (
    select(ChargingSession, ChargingService)
    .outerjoin(ChargingService, ChargingService.session_id == ChargingSession.id)
    .where(ChargingSession.id == bindparam("session_id"))
    .execution_options(populate_existing=True)
)


def session_for_update(session: Session, session_id: str) -> ChargingSession | None:
    """The session, its row locked on PostgreSQL until the transaction ends (two requests of
    one session never interleave; SQLite's write unit of work serialises them anyway)."""
    if session.get_bind().dialect.name == "sqlite":
        # One statement for the session and its rating groups, which ``service_of`` then
        # finds in the identity map: the write unit of work holds the database's write lock,
        # so nothing changes between reads. (PostgreSQL reads the rating groups after the
        # session's row lock is granted, so they are what the last writer committed.)
        rows = session.execute(_SESSION_WITH_SERVICES, {"session_id": session_id}).all()
        if not rows:
            return None
        # Held here: the identity map keeps only weak references to unchanged rows.
        _loaded(session)[session_id] = {s.rating_group: s for _, s in rows if s is not None}
        return rows[0][0]
    return session.scalars(
        select(ChargingSession)
        .where(ChargingSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _loaded(session: Session) -> dict[str, dict[int, ChargingService]]:
    """Rating groups read with their session in this transaction, by session id."""
    loaded: dict[str, dict[int, ChargingService]] = session.info.setdefault(_LOADED, {})
    return loaded


def service_of(session: Session, session_id: str, rating_group: int) -> ChargingService | None:
    """A rating group of a session: from what ``session_for_update`` read with the session
    (every request has a transaction of its own, read after the session's lock), else read."""
    known = _loaded(session).get(session_id)
    if known is not None:
        return known.get(rating_group)
    return session.get(ChargingService, (session_id, rating_group), populate_existing=True)


def add_service(session: Session, service: ChargingService) -> None:
    session.add(service)
    known = _loaded(session).get(service.session_id)
    if known is not None:
        known[service.rating_group] = service


def services_of(session: Session, session_id: str) -> Sequence[ChargingService]:
    known = _loaded(session).get(session_id)
    if known is not None:
        return [known[group] for group in sorted(known)]
    return session.scalars(
        select(ChargingService)
        .where(ChargingService.session_id == session_id)
        .order_by(ChargingService.rating_group)
    ).all()


def silent_sessions(session: Session, now: datetime, limit: int) -> list[str]:
    """Open sessions whose Tcc ran out before ``now``, oldest first."""
    return list(
        session.scalars(
            select(ChargingSession.id)
            .where(ChargingSession.status == SessionStatus.OPEN, ChargingSession.expires_at < now)
            .order_by(ChargingSession.expires_at)
            .limit(limit)
        )
    )


def finished_unwritten(
    session: Session, province: str, limit: int
) -> Sequence[tuple[ChargingSession, Sequence[ChargingService]]]:
    """Ended sessions whose usage records are not in the usage store yet, oldest first."""
    rows = session.scalars(
        select(ChargingSession)
        .where(
            ChargingSession.usage_written.is_(False),
            ChargingSession.status != SessionStatus.OPEN,
            ChargingSession.province == province,
        )
        .order_by(ChargingSession.ended_at, ChargingSession.id)
        .limit(limit)
    ).all()
    return [(row, services_of(session, row.id)) for row in rows]


def provinces_with_unwritten(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(ChargingSession.province)
            .where(
                ChargingSession.usage_written.is_(False),
                ChargingSession.status != SessionStatus.OPEN,
            )
            .distinct()
        )
    )


def mark_written(session: Session, session_ids: Sequence[str], batch_id: str) -> None:
    for session_id in session_ids:
        row = session.get(ChargingSession, session_id)
        if row is not None:
            row.usage_written = True
            row.usage_batch_id = batch_id


def money_remaining(session: Session, owners: Sequence[Owner], at: datetime) -> int:
    """The owners' money in usable buckets, what reservations hold included: the balance
    itself, which is zero only when nothing is left and nothing is held."""
    if not owners:
        return 0
    flush_balances(session)  # the engine's own rows wait for the request's one flush
    owned = or_(
        *(and_(BalanceBucket.owner_kind == o.kind, BalanceBucket.owner_id == o.id) for o in owners)
    )
    statement = select(func.coalesce(func.sum(BalanceBucket.remaining), 0)).where(
        owned,
        BalanceBucket.unit == Unit.LI.value,
        BalanceBucket.status == "active",
        BalanceBucket.valid_from <= at,
        or_(BalanceBucket.valid_to.is_(None), BalanceBucket.valid_to > at),
    )
    with session.no_autoflush:
        return int(session.scalar(statement) or 0)
