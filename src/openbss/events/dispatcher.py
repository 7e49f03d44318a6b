"""Delivering outbox events to hub subscribers after commit.

A round has four steps, and no transaction is open while a listener is being called:

1. **fan-out** (one transaction): one delivery row per matching subscription. A subscription
   whose query cannot be evaluated against an event does not get it; the others do.
2. **claim** (one transaction): due deliveries of at most ``event_delivery_concurrency``
   subscribers are leased (a conditional UPDATE of their due time), so that two dispatchers
   never send the same attempt.
3. **send** (no transaction): one lane per subscriber, lanes in parallel, each sending its
   events in order, signed (:mod:`openbss.events.signing`), to an address checked again just
   before (:mod:`openbss.events.callbacks`). A lane stops at its first failure and starts
   nothing once the round is ``event_delivery_timeout_seconds`` old; an attempt still open
   after that timeout is given up. So one hanging listener delays the others by at most
   about one timeout, and any exception — a refused or malformed callback, a connection
   error, an overflow — fails that one attempt only.
4. **record** (one transaction): delivered, retried with exponential backoff, or ``dead``
   after ``event_max_attempts`` attempts; a failed subscriber's untried events wait for its
   retry, and events untried only for lack of time are due again at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import on_after_commit, remove_after_commit, unit_of_work
from openbss.events.callbacks import check_callback
from openbss.events.models import DeliveryStatus, EventDelivery, HubSubscription, OutboxEvent
from openbss.events.outbox import allow_list, wants
from openbss.events.signing import signed_headers
from openbss.kit.clock import now
from openbss.kit.settings import get_settings
from openbss.kit.worker import BackgroundWorker, WakeSource

log = logging.getLogger(__name__)

# url, body, headers, timeout in seconds -> the listener's HTTP status
Poster = Callable[[str, bytes, Mapping[str, str], float], int]

# An attempt still open this long after the timeout is given up: httpx's timeout applies to
# each phase (connect, write, read) separately, so a listener that trickles bytes could
# otherwise hold its lane for several timeouts.
GIVE_UP_GRACE_SECONDS = 0.5


def http_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST to the checked address of ``url``; the response body is never read.

    The connection goes to the address :func:`check_callback` approved (Host header and TLS
    server name keep the callback's host), so a DNS answer that changes between the check and
    the connection cannot redirect it. Redirects are not followed and proxy settings from the
    environment are ignored, for the same reason.
    """
    target = check_callback(url, allow_list())
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST",
            target.pinned_url,
            content=body,
            headers={**headers, "Host": target.host_header, "Content-Type": "application/json"},
            extensions=extensions,
        )
        response = client.send(request, stream=True)
        response.close()
        return response.status_code


def encode(payload: Mapping[str, object]) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
            if sub.api == event.api and _wants(sub, event):
                session.add(
                    EventDelivery(event_id=event.id, subscription_id=sub.id, callback=sub.callback)
                )
                created += 1
        event.fanned_out = True
    return created


def _wants(subscription: HubSubscription, event: OutboxEvent) -> bool:
    # Anything a stored query or an event's values can raise (a timestamp that overflows on
    # conversion, say) must cost that subscriber that event, never the whole fan-out.
    try:
        return wants(subscription, event)
    except Exception as exc:  # isolation is the point
        log.warning(
            "hub subscription %s: event %s not delivered, its query could not be evaluated (%s)",
            subscription.id,
            event.id,
            type(exc).__name__,
        )
        return False


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=get_settings().event_retry_base_seconds * 2 ** (attempts - 1))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One claimed delivery, with everything needed to send it outside a transaction."""

    delivery_id: int
    subscription_id: str
    callback: str
    secret: str
    body: bytes
    due_at: datetime


def claim_due(session: Session, batch: int = 100) -> list[Attempt]:
    """Lease the due deliveries of at most ``event_delivery_concurrency`` subscribers."""
    settings = get_settings()
    due = session.scalars(
        select(EventDelivery)
        .where(
            EventDelivery.status == DeliveryStatus.PENDING, EventDelivery.next_attempt_at <= now()
        )
        .order_by(EventDelivery.next_attempt_at, EventDelivery.id)
        .limit(batch)
    ).all()
    if not due:
        return []
    lanes: list[str] = []
    for delivery in due:
        if delivery.subscription_id not in lanes:
            lanes.append(delivery.subscription_id)
    lanes = lanes[: max(1, settings.event_delivery_concurrency)]
    subscriptions = {
        s.id: s
        for s in session.scalars(select(HubSubscription).where(HubSubscription.id.in_(lanes)))
    }
    events = {
        e.id: e
        for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.id.in_({d.event_id for d in due}))
        )
    }
    lease_until = now() + timedelta(seconds=2 * settings.event_delivery_timeout_seconds + 30)
    claimed: list[Attempt] = []
    for delivery in due:
        if delivery.subscription_id not in lanes:
            continue
        subscription = subscriptions.get(delivery.subscription_id)
        if subscription is None:  # unregistered: nothing to sign with, nobody to tell
            delivery.status = DeliveryStatus.CANCELLED
            continue
        won = session.execute(
            update(EventDelivery)
            .where(
                EventDelivery.id == delivery.id,
                EventDelivery.status == DeliveryStatus.PENDING,
                EventDelivery.next_attempt_at == delivery.next_attempt_at,
            )
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) == 1:  # a CursorResult: the lease was ours
            claimed.append(
                Attempt(
                    delivery_id=delivery.id,
                    subscription_id=delivery.subscription_id,
                    callback=delivery.callback,
                    secret=subscription.secret,
                    body=encode(events[delivery.event_id].payload),
                    due_at=delivery.next_attempt_at,
                )
            )
    return claimed


def send_one(attempt: Attempt, post: Poster, timeout: float) -> str | None:
    """The error of one attempt, or None when the listener accepted it (2xx)."""
    headers = signed_headers(attempt.secret, int(now().timestamp()), attempt.body)
    try:
        status = post(attempt.callback, attempt.body, headers, timeout)
    except httpx.TimeoutException:
        return f"no answer within {timeout:g} s"
    except Exception as exc:  # one attempt fails, whatever the cause
        # A refusal explains itself; other exceptions are named only, since their text may
        # quote the callback URL.
        detail = getattr(exc, "message", None)
        return (f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)[:500]
    return None if 200 <= status < 300 else f"listener answered HTTP {status}"


@dataclass
class _Lane:
    """One subscriber's attempts of this round, sent in order by one thread."""

    attempts: list[Attempt]
    current: Attempt | None = None
    started: float = 0.0
    finished: bool = False
    abandoned: bool = False


@dataclass
class _Round:
    post: Poster
    timeout: float
    lanes: list[_Lane]
    outcomes: dict[int, str | None] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> dict[int, str | None]:
        start_by = time.monotonic() + self.timeout
        for lane in self.lanes:
            threading.Thread(
                target=self._run_lane, args=(lane, start_by), name="event-delivery", daemon=True
            ).start()
        with self.changed:
            while True:
                open_lanes = [lane for lane in self.lanes if not lane.finished]
                if not open_lanes:
                    return dict(self.outcomes)
                clock = time.monotonic()
                limit = self.timeout + GIVE_UP_GRACE_SECONDS
                for lane in open_lanes:
                    if lane.current is not None and clock - lane.started > limit:
                        # The thread stays blocked until its socket gives up; what it
                        # learns then is ignored.
                        self.outcomes[lane.current.delivery_id] = (
                            f"no answer within {self.timeout:g} s"
                        )
                        lane.abandoned = lane.finished = True
                waits = [
                    lane.started + limit - clock
                    for lane in open_lanes
                    if lane.current is not None and not lane.finished
                ]
                self.changed.wait(timeout=max(0.01, min(waits, default=limit)))

    def _run_lane(self, lane: _Lane, start_by: float) -> None:
        try:
            for attempt in lane.attempts:
                with self.changed:
                    if lane.abandoned or time.monotonic() > start_by:
                        return
                    lane.current, lane.started = attempt, time.monotonic()
                    self.changed.notify_all()
                error = send_one(attempt, self.post, self.timeout)
                with self.changed:
                    if lane.abandoned:
                        return
                    self.outcomes[attempt.delivery_id] = error
                    lane.current = None
                    self.changed.notify_all()
                if error is not None:
                    return  # the rest wait for the next round, after this one's backoff
        finally:
            with self.changed:
                lane.finished = True
                self.changed.notify_all()


def send_all(attempts: Sequence[Attempt], post: Poster) -> dict[int, str | None]:
    """Send claimed attempts, one parallel lane per subscriber; the outcome of every attempt
    that was made (an error message, or None when delivered)."""
    by_subscriber: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        by_subscriber.setdefault(attempt.subscription_id, []).append(attempt)
    lanes = [_Lane(list(group)) for group in by_subscriber.values()]
    return _Round(post, get_settings().event_delivery_timeout_seconds, lanes).run()


def record(
    session: Session, attempts: Sequence[Attempt], outcomes: Mapping[int, str | None]
) -> int:
    """Write the outcomes; returns how many were delivered.

    A subscriber whose attempt failed is left alone until that attempt's retry: its events not
    tried this round wait as long, so a dead listener is not called once per event per round.
    Events not tried only because the round ran out of time are due again at once.
    """
    settings = get_settings()
    delivered = 0
    held_until: dict[str, datetime] = {}
    untried: list[tuple[Attempt, EventDelivery]] = []
    for attempt in attempts:
        delivery = session.get(EventDelivery, attempt.delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            continue  # unregistered meanwhile
        if attempt.delivery_id not in outcomes:
            untried.append((attempt, delivery))
            continue
        error = outcomes[attempt.delivery_id]
        delivery.attempts += 1
        if error is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now()
            delivery.last_error = None
            delivered += 1
            continue
        delivery.last_error = error
        retry_at = now() + backoff(delivery.attempts)
        held_until[attempt.subscription_id] = retry_at
        if delivery.attempts >= settings.event_max_attempts:
            delivery.status = DeliveryStatus.DEAD
            log.warning(
                "event delivery %s is dead after %d attempts", delivery.id, delivery.attempts
            )
        else:
            delivery.next_attempt_at = retry_at
    for attempt, delivery in untried:
        delivery.next_attempt_at = held_until.get(attempt.subscription_id, attempt.due_at)
    return delivered


def dispatch_once(factory: sessionmaker[Session], post: Poster = http_post) -> int:
    """One round: fan out, claim, send, record; returns how many were delivered."""
    with unit_of_work(factory) as session:
        fan_out(session)
    with unit_of_work(factory) as session:
        attempts = claim_due(session)
    if not attempts:
        return 0
    outcomes = send_all(attempts, post)
    with unit_of_work(factory) as session:
        return record(session, attempts, outcomes)


# Woken by commits that wrote events or deliveries: nothing else gives it work.
WAKING_TABLES = ("outbox_event", "event_delivery")


def background_dispatcher(
    factory: sessionmaker[Session], interval: float | None = None
) -> BackgroundWorker:
    """Runs :func:`dispatch_once` in a thread: after every commit that wrote events
    (:data:`WAKING_TABLES`) and on a timer for retries.

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
        wake_on=WakeSource(partial(on_after_commit, tables=WAKING_TABLES), remove_after_commit),
    )
