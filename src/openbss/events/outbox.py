"""Writing events and hub subscriptions (inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import update
from sqlalchemy.orm import Session

from openbss.events.models import DeliveryStatus, EventDelivery, HubSubscription, OutboxEvent
from openbss.kit.clock import now
from openbss.kit.errors import NotFound, Unprocessable
from openbss.kit.ids import new_id
from openbss.kit.security import Principal
from openbss.kit.tmf import format_datetime, matches


def emit(
    session: Session,
    api: str,
    event_type: str,
    resource_name: str,
    resource: Mapping[str, Any],
    province: str | None,
) -> OutboxEvent:
    """Queue a TMF event; it is delivered only if the surrounding transaction commits."""
    event_id = new_id()
    payload = {
        "eventId": event_id,
        "eventTime": format_datetime(now()),
        "eventType": event_type,
        "event": {resource_name: dict(resource)},
    }
    row = OutboxEvent(
        id=event_id, api=api, event_type=event_type, province=province, payload=payload
    )
    session.add(row)
    return row


def subscribe(
    session: Session, principal: Principal, api: str, callback: str, query: str | None
) -> HubSubscription:
    parts = urlsplit(callback)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unprocessable(f"callback must be an absolute http(s) URL, got {callback!r}")
    row = HubSubscription(
        id=new_id(),
        api=api,
        callback=callback,
        query=query or None,
        province=principal.province,
        created_by=principal.key_id,
    )
    session.add(row)
    session.flush()
    return row


def unsubscribe(session: Session, principal: Principal, api: str, subscription_id: str) -> None:
    row = session.get(HubSubscription, subscription_id)
    if row is None or row.api != api or not principal.can_see(row.province):
        raise NotFound(f"no hub subscription {subscription_id!r}")
    # Deliveries already fanned out to this listener stop too; they stay as history.
    session.execute(
        update(EventDelivery)
        .where(
            EventDelivery.subscription_id == row.id,
            EventDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED)
    )
    session.delete(row)


def wants(subscription: HubSubscription, event: OutboxEvent) -> bool:
    """Province isolation plus the subscriber's TMF query (``eventType=X&event.y.z=v``)."""
    if subscription.province is not None and event.province not in (None, subscription.province):
        return False
    if not subscription.query:
        return True
    filters: dict[str, list[str]] = {}
    for key, value in parse_qsl(subscription.query, keep_blank_values=True):
        filters.setdefault(key, []).append(value)
    return matches(event.payload, filters)
