"""The engine's queries (sessions, their rating groups, the finished ones to write out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from openbss.charging.calculations import Owner, Unit
from openbss.charging.engine.models import ChargingService, ChargingSession, SessionStatus
from openbss.charging.models import BalanceBucket


def session_for_update(session: Session, session_id: str) -> ChargingSession | None:
    """The session, its row locked on PostgreSQL until the transaction ends (two requests of
    one session never interleave; SQLite's write unit of work serialises them anyway)."""
    return session.scalars(
        select(ChargingSession)
        .where(ChargingSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def service_of(session: Session, session_id: str, rating_group: int) -> ChargingService | None:
    return session.get(ChargingService, (session_id, rating_group), populate_existing=True)


def services_of(session: Session, session_id: str) -> Sequence[ChargingService]:
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
    return int(session.scalar(statement) or 0)
