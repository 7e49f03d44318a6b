"""Delivering outbox events to hub subscribers after commit.

Two steps, each in its own short transaction so that a slow listener never holds locks:
fan-out (one delivery row per matching subscription) and delivery (HTTP POST with
exponential backoff; after ``event_max_attempts`` failures a delivery is ``dead``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import on_after_commit, remove_after_commit, unit_of_work
from openbss.events.models import DeliveryStatus, EventDelivery, HubSubscription, OutboxEvent
from openbss.events.outbox import wants
from openbss.kit.clock import now
from openbss.kit.settings import get_settings
from openbss.kit.worker import BackgroundWorker, WakeSource

log = logging.getLogger(__name__)

Poster = Callable[[str, dict[str, Any]], int]


def http_post(url: str, body: dict[str, Any]) -> int:
    timeout = get_settings().event_delivery_timeout_seconds
    return httpx.post(url, json=body, timeout=timeout).status_code


def fan_out(session: Session, batch: int = 500) -> int:
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.fanned_out.is_(False))
        .order_by(OutboxEvent.created_at)
        .limit(batch)
    ).all()
    if not events:
        return 0
    subscriptions = session.scalars(select(HubSubscription)).all()
    created = 0
    for event in events:
        for sub in subscriptions:
            if sub.api == event.api and wants(sub, event):
                session.add(
                    EventDelivery(event_id=event.id, subscription_id=sub.id, callback=sub.callback)
                )
                created += 1
        event.fanned_out = True
    return created


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=get_settings().event_retry_base_seconds * 2 ** (attempts - 1))


def deliver_due(session: Session, post: Poster = http_post, batch: int = 100) -> int:
    """Attempt every due pending delivery once; returns how many were delivered."""
    settings = get_settings()
    due = session.scalars(
        select(EventDelivery)
        .where(
            EventDelivery.status == DeliveryStatus.PENDING, EventDelivery.next_attempt_at <= now()
        )
        .order_by(EventDelivery.next_attempt_at)
        .limit(batch)
    ).all()
    delivered = 0
    for delivery in due:
        event = session.get(OutboxEvent, delivery.event_id)
        assert event is not None
        delivery.attempts += 1
        try:
            status = post(delivery.callback, event.payload)
            error = None if 200 <= status < 300 else f"listener answered HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now()
            delivery.last_error = None
            delivered += 1
        elif delivery.attempts >= settings.event_max_attempts:
            delivery.status = DeliveryStatus.DEAD
            delivery.last_error = error
            log.warning(
                "event delivery %s is dead after %d attempts", delivery.id, delivery.attempts
            )
        else:
            delivery.last_error = error
            delivery.next_attempt_at = now() + backoff(delivery.attempts)
    return delivered


def dispatch_once(factory: sessionmaker[Session], post: Poster = http_post) -> int:
    with unit_of_work(factory) as session:
        fan_out(session)
    with unit_of_work(factory) as session:
        return deliver_due(session, post)


def background_dispatcher(
    factory: sessionmaker[Session], interval: float | None = None
) -> BackgroundWorker:
    """Runs :func:`dispatch_once` in a thread: after every commit and on a timer for retries.

    A failed round leaves the rows pending for the next one.
    """

    def run_once() -> bool:
        dispatch_once(factory)
        return False  # one round per wake; retries wait for their backoff

    return BackgroundWorker(
        "outbox-dispatcher",
        run_once,
        interval=interval or get_settings().event_dispatch_interval_seconds,
        join_timeout=10,
        wake_on=WakeSource(on_after_commit, remove_after_commit),
    )
