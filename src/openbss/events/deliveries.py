"""Operating event delivery: which deliveries wait or are dead, and sending dead ones again.

A dead delivery (the dead-letter state) stays until a person decides; retrying it makes it
pending and due now with a fresh attempt budget, so the dispatcher takes it on its next
round and the usual backoff applies from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openbss.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, NotFound

RETRYABLE = (DeliveryStatus.DEAD, DeliveryStatus.PENDING)


@dataclass(frozen=True)
class DeliveryLine:
    """A delivery with the event it carries."""

    id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    callback: str
    subscription_id: str
    event_id: str
    api: str
    event_type: str
    province: str | None
    event_created_at: datetime


def deliveries(
    session: Session,
    status: DeliveryStatus | None = None,
    province: str | None = None,
    limit: int = 1000,
) -> list[DeliveryLine]:
    """Deliveries, oldest event first; only one status or one province's when asked."""
    statement = (
        select(EventDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
        .order_by(OutboxEvent.created_at, EventDelivery.id)
        .limit(limit)
    )
    if status is not None:
        statement = statement.where(EventDelivery.status == status)
    if province is not None:
        statement = statement.where(OutboxEvent.province == province)
    return [
        DeliveryLine(
            id=delivery.id,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            callback=delivery.callback,
            subscription_id=delivery.subscription_id,
            event_id=event.id,
            api=event.api,
            event_type=event.event_type,
            province=event.province,
            event_created_at=event.created_at,
        )
        for delivery, event in session.execute(statement)
    ]


def retry(session: Session, delivery_ids: Sequence[int]) -> int:
    """Make these deliveries due now with a fresh attempt budget. Every id must be a dead
    or pending delivery: a delivered or cancelled one is not sent again."""
    wanted = sorted(set(delivery_ids))
    found = {
        d.id: d for d in session.scalars(select(EventDelivery).where(EventDelivery.id.in_(wanted)))
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"no event delivery {', '.join(map(str, missing))}")
    final = [i for i in wanted if found[i].status not in RETRYABLE]
    if final:
        states = ", ".join(f"{i} is {found[i].status}" for i in final)
        raise Conflict(f"only dead or pending deliveries are sent again ({states})")
    moment = now()
    for delivery in found.values():
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = moment
    session.flush()
    return len(found)


def retry_dead(session: Session, province: str | None = None) -> int:
    """Make every dead delivery (of one province's events, when given) due again."""
    statement = (
        update(EventDelivery)
        .where(EventDelivery.status == DeliveryStatus.DEAD)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now())
    )
    if province is not None:
        events = select(OutboxEvent.id).where(OutboxEvent.province == province)
        statement = statement.where(EventDelivery.event_id.in_(events))
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
