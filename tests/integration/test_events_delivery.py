"""TMF hub events end to end: register a listener, change data, dispatch, receive over HTTP.

A real HTTP server in a thread plays the listener; the dispatcher runs in the test
(``dispatch_once``) so every step is observable. Retries are driven with a frozen clock.
Runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.events.dispatcher import backoff, dispatch_once
from openbss.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from openbss.kit.clock import frozen_at
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.party.service import individuals
from tests.conftest import KeyMaker

PARTY = "/tmf-api/party/v4"


class Listener:
    """An HTTP listener on a free local port that records every POSTed event."""

    def __init__(self, status: int = 201) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.raw: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                listener.paths.append(self.path)
                listener.raw.append(raw)
                listener.headers.append(dict(self.headers.items()))
                listener.received.append(json.loads(raw))
                self.send_response(listener.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/listener/events"

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener(status=201) as running:
        yield running


@pytest.fixture
def failing_listener() -> Iterator[Listener]:
    with Listener(status=500) as running:
        yield running


def register(
    client: TestClient,
    headers: dict[str, str],
    callback: str,
    query: str | None,
    api_path: str = PARTY,
) -> str:
    body = {"callback": callback} if query is None else {"callback": callback, "query": query}
    response = client.post(f"{api_path}/hub", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["callback"] == callback
    assert created["query"] == query
    assert isinstance(created["id"], str) and created["id"]
    return str(created["id"])


def create_individual(
    client: TestClient, headers: dict[str, str], family: str = "张", given: str = "伟"
) -> dict[str, Any]:
    response = client.post(
        f"{PARTY}/individual", json={"familyName": family, "givenName": given}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(factory: sessionmaker[Session]) -> list[EventDelivery]:
    with factory() as s:
        return list(s.scalars(select(EventDelivery).order_by(EventDelivery.id)))


def count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_listener_receives_exactly_the_subscribed_event(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    listener: Listener,
) -> None:
    admin = auth("admin", "GD")
    register(client, admin, listener.url, "eventType=IndividualCreateEvent")
    person = create_individual(client, auth("csr", "GD"))
    # A change that emits another event type, which the query filters out.
    patched = client.patch(
        f"{PARTY}/individual/{person['id']}", json={"gender": "male"}, headers=admin
    )
    assert patched.status_code == 200

    assert dispatch_once(session_factory) == 1

    assert len(listener.received) == 1
    event = listener.received[0]
    assert listener.paths == ["/listener/events"]
    assert event["eventType"] == "IndividualCreateEvent"
    assert isinstance(event["eventId"], str) and event["eventId"]
    assert event["eventTime"].endswith("Z")
    body = event["event"]["individual"]
    assert body["id"] == person["id"]
    assert (body["familyName"], body["givenName"]) == ("张", "伟")
    assert body["status"] == "initialized"
    assert body["@type"] == "Individual"
    assert body["href"].endswith(f"{PARTY}/individual/{person['id']}")
    (delivery,) = deliveries(session_factory)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.DELIVERED,
        1,
        None,
    )
    assert delivery.delivered_at is not None

    # Nothing is delivered twice.
    assert dispatch_once(session_factory) == 0
    assert len(listener.received) == 1


def test_listener_without_query_gets_every_event_of_its_province_only(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session], listener: Listener
) -> None:
    register(client, auth("admin", "GD"), listener.url, None)
    person = create_individual(client, auth("csr", "GD"))
    create_individual(client, auth("csr", "SC"), "李", "娜")  # another province: not for GD
    deleted = client.delete(f"{PARTY}/individual/{person['id']}", headers=auth("csr", "GD"))
    assert deleted.status_code == 204

    assert dispatch_once(session_factory) == 2

    assert [e["eventType"] for e in listener.received] == [
        "IndividualCreateEvent",
        "IndividualDeleteEvent",
    ]
    assert {e["event"]["individual"]["id"] for e in listener.received} == {person["id"]}


def test_failing_listener_is_retried_with_backoff_then_dead(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    failing_listener: Listener,
) -> None:
    max_attempts = get_settings().event_max_attempts
    assert max_attempts >= 2
    register(client, auth("admin", "GD"), failing_listener.url, "eventType=IndividualCreateEvent")
    create_individual(client, auth("csr", "GD"))

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    at = start
    with frozen_at(at):
        assert dispatch_once(session_factory) == 0
    for attempt in range(1, max_attempts):
        (delivery,) = deliveries(session_factory)
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == attempt
        assert delivery.last_error == "listener answered HTTP 500"
        assert delivery.next_attempt_at == at + backoff(attempt)
        assert len(failing_listener.received) == attempt
        # Not due yet: one second before the backoff ends nothing is attempted.
        with frozen_at(at + backoff(attempt) - timedelta(seconds=1)):
            assert dispatch_once(session_factory) == 0
        assert len(failing_listener.received) == attempt
        at = at + backoff(attempt)
        with frozen_at(at):
            assert dispatch_once(session_factory) == 0

    (delivery,) = deliveries(session_factory)
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == max_attempts
    assert delivery.last_error == "listener answered HTTP 500"
    assert len(failing_listener.received) == max_attempts
    assert all(e["eventType"] == "IndividualCreateEvent" for e in failing_listener.received)
    # The backoff doubles: 2, 4, 8, ... times the configured base.
    base = get_settings().event_retry_base_seconds
    assert [backoff(n).total_seconds() for n in range(1, 4)] == [base, 2 * base, 4 * base]

    # Dead is final: much later, nothing more is attempted.
    with frozen_at(at + timedelta(days=30)):
        assert dispatch_once(session_factory) == 0
    assert len(failing_listener.received) == max_attempts


def test_listener_that_recovers_gets_the_event_on_retry(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    failing_listener: Listener,
) -> None:
    register(client, auth("admin", "GD"), failing_listener.url, None)
    person = create_individual(client, auth("csr", "GD"))
    start = datetime.now(UTC) + timedelta(minutes=1)
    with frozen_at(start):
        assert dispatch_once(session_factory) == 0
    failing_listener.status = 200
    with frozen_at(start + backoff(1)):
        assert dispatch_once(session_factory) == 1
    assert [e["event"]["individual"]["id"] for e in failing_listener.received] == [person["id"]] * 2
    (delivery,) = deliveries(session_factory)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_rolled_back_transaction_emits_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session], listener: Listener
) -> None:
    register(client, auth("admin", "GD"), listener.url, None)
    csr = Principal(key_id="test", role=Role.CSR, province="GD")

    class Abort(Exception):
        pass

    with pytest.raises(Abort), unit_of_work(session_factory) as session:
        individuals.create(session, csr, {"familyName": "王", "givenName": "芳"})
        session.flush()
        raise Abort

    # A request refused by validation rolls back the same way.
    refused = client.post(
        f"{PARTY}/individual",
        json={
            "familyName": "李",
            "givenName": "娜",
            "individualIdentification": [
                {
                    "identificationType": "ResidentIdentityCard",
                    "identificationId": "110105194912310021",
                }
            ],
        },
        headers=auth("csr", "GD"),
    )
    assert refused.status_code == 422

    assert dispatch_once(session_factory) == 0
    assert count(session_factory, OutboxEvent) == 0
    assert count(session_factory, EventDelivery) == 0
    assert listener.received == []


def test_unregistered_listener_gets_no_more_events(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session], listener: Listener
) -> None:
    admin = auth("admin", "GD")
    subscription = register(client, admin, listener.url, None)
    create_individual(client, auth("csr", "GD"))
    assert dispatch_once(session_factory) == 1
    assert len(listener.received) == 1

    assert client.delete(f"{PARTY}/hub/{subscription}", headers=admin).status_code == 204
    assert client.delete(f"{PARTY}/hub/{subscription}", headers=admin).status_code == 404
    create_individual(client, auth("csr", "GD"), "赵", "磊")
    assert dispatch_once(session_factory) == 0
    assert len(listener.received) == 1


def test_another_province_cannot_unregister_a_listener(
    client: TestClient, auth: KeyMaker, listener: Listener
) -> None:
    subscription = register(client, auth("admin", "GD"), listener.url, None)
    other = client.delete(f"{PARTY}/hub/{subscription}", headers=auth("admin", "SC"))
    assert other.status_code == 404
    assert (
        client.delete(f"{PARTY}/hub/{subscription}", headers=auth("admin", "GD")).status_code == 204
    )


def test_bad_hub_registrations_are_refused(client: TestClient, auth: KeyMaker) -> None:
    admin = auth("admin", "GD")
    assert client.post(f"{PARTY}/hub", json={}, headers=admin).status_code == 400
    assert client.post(f"{PARTY}/hub", json={"callback": 5}, headers=admin).status_code == 400
    relative = client.post(f"{PARTY}/hub", json={"callback": "/relative"}, headers=admin)
    assert relative.status_code == 422
    assert client.post(f"{PARTY}/hub", json={"callback": "http://x"}).status_code == 401


def test_unregistering_stops_pending_retries(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    failing_listener: Listener,
) -> None:
    admin = auth("admin", "GD")
    subscription = register(client, admin, failing_listener.url, None)
    create_individual(client, auth("csr", "GD"))
    start = datetime.now(UTC) + timedelta(minutes=1)
    with frozen_at(start):
        dispatch_once(session_factory)
    assert len(failing_listener.received) == 1
    assert client.delete(f"{PARTY}/hub/{subscription}", headers=admin).status_code == 204
    with frozen_at(start + timedelta(hours=1)):
        dispatch_once(session_factory)
    assert len(failing_listener.received) == 1
