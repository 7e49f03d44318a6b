"""Writing events and hub subscriptions (inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openbss.events.callbacks import AllowList, check_callback
from openbss.events.models import DeliveryStatus, EventDelivery, HubSubscription, OutboxEvent
from openbss.events.signing import new_secret
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, Forbidden, NotFound
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import filter_values, format_datetime, matches, parse_datetime


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


MAX_QUERY_LENGTH = 2048
MAX_QUERY_FILTERS = 20


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A subscription just created, with its signing secret: the only time it is visible."""

    row: HubSubscription
    secret: str


def parse_query(query: str) -> dict[str, list[str]]:
    """A hub ``query`` as attribute filters, refused (400) unless fan-out can evaluate it.

    Fan-out runs for every event, long after the subscriber has gone: a filter that raises
    there would stop delivery, so everything that could raise is found here instead.
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise BadRequest(f"'query' is longer than {MAX_QUERY_LENGTH} characters")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise BadRequest("'query' must read like attr=value&attr2=value2") from None
    if len(pairs) > MAX_QUERY_FILTERS:
        raise BadRequest(f"'query' may hold at most {MAX_QUERY_FILTERS} filters")
    filters: dict[str, list[str]] = {}
    for key, value in pairs:
        if not key or key.startswith(".") or key.endswith(".") or ".." in key:
            raise BadRequest(f"'query' names an invalid attribute {key!r}")
        for candidate in filter_values([value]):
            _check_instant(key, candidate)
        filters.setdefault(key, []).append(value)
    return filters


def _check_instant(attribute: str, value: str) -> None:
    """Fan-out compares a value with event timestamps as instants, converting it to UTC: a
    value that parses must also convert; an ``eventTime`` value must parse."""
    try:
        parse_datetime(value, attribute)
    except BadRequest as exc:
        if exc.code == "DATE_OUT_OF_RANGE":
            raise BadRequest(f"'query' {attribute} {value!r} is out of range") from None
        if attribute == "eventTime":
            raise BadRequest(f"'query' eventTime {value!r} is not an ISO 8601 date-time") from None
    except (OverflowError, ValueError):
        raise BadRequest(f"'query' {attribute} {value!r} is out of range") from None


def subscribe(
    session: Session,
    principal: Principal,
    api: str,
    callback: str,
    query: str | None,
    resources: Iterable[str],
    allow: AllowList | None = None,
) -> NewSubscription:
    """Register a listener for the events of ``resources`` (those the caller's role may read).

    The callback must pass :func:`callbacks.check_callback` now (and passes it again before
    every delivery); the query must pass :func:`parse_query`.
    """
    check_callback(callback, allow if allow is not None else allow_list())
    if query:
        parse_query(query)
    secret = new_secret()
    row = HubSubscription(
        id=new_id(),
        api=api,
        callback=callback,
        query=query or None,
        province=principal.province,
        resources=sorted(set(resources)),
        secret=secret,
        created_by=principal.key_id,
    )
    session.add(row)
    session.flush()
    return NewSubscription(row, secret)


def allow_list() -> AllowList:
    return AllowList.parse(get_settings().webhook_allow)


def in_scope(principal: Principal, subscription: HubSubscription) -> bool:
    """A province key's scope is its province; a group key's is everything."""
    return principal.is_group or subscription.province == principal.province


def unsubscribe(
    session: Session, principal: Principal, api: str, subscription_id: str
) -> HubSubscription:
    """Remove a subscription: the key that registered it may (whichever province it acts
    for), and so may an admin whose scope holds it.

    Outside the caller's scope it does not exist (404); inside it, another key that is not an
    admin gets 403.
    """
    row = session.get(HubSubscription, subscription_id)
    missing = NotFound(f"no hub subscription {subscription_id!r}")
    if row is None or row.api != api:
        raise missing
    if row.created_by != principal.key_id:
        if not in_scope(principal, row):
            raise missing
        if principal.role is not Role.ADMIN:
            raise Forbidden("only the key that registered a listener, or an admin, may remove it")
    _remove(session, row)
    session.flush()
    return row


def remove_subscriptions_of(session: Session, key_id: str) -> list[HubSubscription]:
    """Remove every subscription a key registered (when the key is revoked)."""
    rows = list(
        session.scalars(select(HubSubscription).where(HubSubscription.created_by == key_id))
    )
    for row in rows:
        _remove(session, row)
    session.flush()
    return rows


def _remove(session: Session, row: HubSubscription) -> None:
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


def event_resource(event: OutboxEvent) -> str | None:
    """The resource an event carries: the one key of its ``event`` object."""
    body = event.payload.get("event")
    if isinstance(body, Mapping) and len(body) == 1:
        return str(next(iter(body)))
    return None


def wants(subscription: HubSubscription, event: OutboxEvent) -> bool:
    """Read role, province isolation, then the subscriber's TMF query
    (``eventType=X&event.y.z=v``)."""
    if event_resource(event) not in subscription.resources:
        return False
    if subscription.province is not None and event.province not in (None, subscription.province):
        return False
    if not subscription.query:
        return True
    filters: dict[str, list[str]] = {}
    for key, value in parse_qsl(subscription.query, keep_blank_values=True):
        filters.setdefault(key, []).append(value)
    return matches(event.payload, filters)
