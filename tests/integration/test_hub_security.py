"""Hubs end to end: read roles, province scope, who may unregister, callback checks, signed
deliveries, audit, and delivery that one bad or hanging subscriber cannot stop.

Real HTTP listeners on loopback (allowed by the suite's OPENBSS_WEBHOOK_ALLOW); the
dispatcher runs in the test (``dispatch_once``). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.db.uow import unit_of_work
from openbss.events import signing
from openbss.events.dispatcher import dispatch_once
from openbss.events.models import DeliveryStatus, HubSubscription
from openbss.events.signing import new_secret
from openbss.kit.settings import get_settings
from tests.conftest import KeyMaker
from tests.integration.test_events_delivery import (
    PARTY,
    Listener,
    create_individual,
    deliveries,
    register,
)

ACCOUNT = "/tmf-api/accountManagement/v4"
ORDERING = "/tmf-api/productOrderingManagement/v4"
CUSTOMER = "/tmf-api/customerManagement/v4"


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener(status=200) as running:
        yield running


def set_env(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def create_organization(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        f"{PARTY}/organization", json={"tradingName": "深圳测试有限公司"}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def subscription(factory: sessionmaker[Session], subscription_id: str) -> HubSubscription | None:
    with factory() as s:
        return s.get(HubSubscription, subscription_id)


# ----- read roles ---------------------------------------------------------------------------


def test_a_role_that_cannot_read_an_api_cannot_listen_to_it(
    client: TestClient, auth: KeyMaker
) -> None:
    analyst = auth("analyst", "GD")
    assert client.get(f"{PARTY}/individual", headers=analyst).status_code == 403
    refused = client.post(f"{PARTY}/hub", json={"callback": "http://127.0.0.1:9/"}, headers=analyst)
    assert refused.status_code == 403
    partner = auth("partner", "GD")
    assert client.get(f"{CUSTOMER}/customer", headers=partner).status_code == 403
    refused = client.post(
        f"{CUSTOMER}/hub", json={"callback": "http://127.0.0.1:9/"}, headers=partner
    )
    assert refused.status_code == 403
    finance = auth("finance", "GD")
    assert client.get(f"{ORDERING}/productOrder", headers=finance).status_code == 403
    refused = client.post(
        f"{ORDERING}/hub", json={"callback": "http://127.0.0.1:9/"}, headers=finance
    )
    assert refused.status_code == 403


def test_a_listener_receives_only_the_resources_its_role_reads(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    listener: Listener,
) -> None:
    # A partner reads organizations but not individuals (身份证 live there).
    partner = auth("partner", "GD")
    assert client.get(f"{PARTY}/individual", headers=partner).status_code == 403
    register(client, partner, listener.url, None)
    create_individual(client, auth("csr", "GD"))
    organization = create_organization(client, auth("csr", "GD"))

    dispatch_once(session_factory)

    assert [e["eventType"] for e in listener.received] == ["OrganizationCreateEvent"]
    assert listener.received[0]["event"]["organization"]["id"] == organization["id"]


def test_an_analyst_listens_to_account_reference_data_only(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    analyst = auth("analyst", "GD")
    assert client.get(f"{ACCOUNT}/billingAccount", headers=analyst).status_code == 403
    sub_id = register(client, analyst, "http://127.0.0.1:9/", None, api_path=ACCOUNT)
    row = subscription(session_factory, sub_id)
    assert row is not None
    assert "billingAccount" not in row.resources
    assert "partyAccount" not in row.resources
    assert row.resources  # the reference data every role reads
    admin_sub = register(client, auth("admin", "GD"), "http://127.0.0.1:9/", None, ACCOUNT)
    admin_row = subscription(session_factory, admin_sub)
    assert admin_row is not None and "billingAccount" in admin_row.resources


def test_a_province_listener_never_receives_another_provinces_events(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    listener: Listener,
) -> None:
    register(client, auth("csr", "GD"), listener.url, None)
    create_individual(client, auth("csr", "SH"), "李", "娜")
    mine = create_individual(client, auth("csr", "GD"))
    dispatch_once(session_factory)
    assert [e["event"]["individual"]["id"] for e in listener.received] == [mine["id"]]


# ----- unregistering ------------------------------------------------------------------------


def test_only_the_owner_or_an_admin_of_its_scope_unregisters(
    client: TestClient, auth: KeyMaker
) -> None:
    owner = auth("csr", "GD")
    sub_id = register(client, owner, "http://127.0.0.1:9/", None)
    url = f"{PARTY}/hub/{sub_id}"
    assert client.delete(url, headers=auth("csr", "GD")).status_code == 403  # same province
    assert client.delete(url, headers=auth("admin", "SH")).status_code == 404  # other scope
    assert client.delete(url, headers=owner).status_code == 204

    again = register(client, owner, "http://127.0.0.1:9/", None)
    assert client.delete(f"{PARTY}/hub/{again}", headers=auth("admin", "GD")).status_code == 204

    group = auth("admin", None)
    group_sub = register(client, group, "http://127.0.0.1:9/", None)
    url = f"{PARTY}/hub/{group_sub}"
    assert client.delete(url, headers=auth("analyst", "GD")).status_code == 404
    assert client.delete(url, headers=auth("admin", "GD")).status_code == 404
    assert client.delete(url, headers=auth("csr", None)).status_code == 403
    assert client.delete(url, headers=auth("admin", None)).status_code == 204

    # A group key acting for a province owns what it registered there, whatever it acts for.
    group_csr = auth("csr", None)
    for_gd = register(client, {**group_csr, "X-Province": "GD"}, "http://127.0.0.1:9/", None)
    url = f"{PARTY}/hub/{for_gd}"
    assert client.delete(url, headers={**group_csr, "X-Province": "SH"}).status_code == 204


def test_hub_changes_are_audited_without_the_callback(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    owner = auth("csr", "GD")
    callback = "http://127.0.0.1:9/hooks?token=abc"
    sub_id = register(client, owner, callback, "eventType=IndividualCreateEvent")
    assert client.delete(f"{PARTY}/hub/{sub_id}", headers=owner).status_code == 204
    with session_factory() as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.entity_id == sub_id).order_by("id"))
        )
    assert [(e.action, e.entity_type, e.province) for e in entries] == [
        ("create", "HubSubscription", "GD"),
        ("delete", "HubSubscription", "GD"),
    ]
    assert entries[0].actor_role == "csr"
    assert "callback" in entries[0].changed_attributes["names"]
    assert "token=abc" not in json.dumps([e.changed_attributes for e in entries])


# ----- callbacks and queries ------------------------------------------------------------------


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1:8000/health",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://192.168.1.1/hook",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "http://localhost:8000/hook",
        "http://admin:secret@93.184.216.34/hook",
        "ftp://93.184.216.34/hook",
        "http://93.184.216.34/" + "a" * 65_536,
        "http://93.184.216.34:99999/hook",
    ],
)
def test_callbacks_to_private_addresses_or_with_credentials_are_refused(
    client: TestClient,
    auth: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    callback: str,
) -> None:
    set_env(monkeypatch, "OPENBSS_WEBHOOK_ALLOW", "")  # public addresses only
    response = client.post(f"{PARTY}/hub", json={"callback": callback}, headers=auth())
    # A callback longer than any string the API takes is refused by the input limits (400)
    # before the hub reads it; every other one by the hub's callback rules (422).
    expected = 400 if len(callback) > 10_000 else 422
    assert response.status_code == expected, response.text
    assert "secret" not in response.text
    with session_factory() as s:
        assert s.scalars(select(HubSubscription)).first() is None


def test_an_allow_list_admits_a_private_network(
    client: TestClient, auth: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, "OPENBSS_WEBHOOK_ALLOW", "10.20.0.0/16")
    admin = auth()
    ok = client.post(f"{PARTY}/hub", json={"callback": "http://10.20.3.4/h"}, headers=admin)
    assert ok.status_code == 201
    outside = client.post(f"{PARTY}/hub", json={"callback": "http://10.21.3.4/h"}, headers=admin)
    assert outside.status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        "eventTime=9999-12-31T23:59:59-14:00",
        "eventTime=0001-01-01T00:00:00%2B14:00",
        "eventTime=yesterday",
        "event.individual.validFor.startDateTime=99991231T235959-1400",
        "a=1&" * 30,
        "eventType=" + "x" * 5000,
        "=x",
    ],
)
def test_queries_fan_out_could_not_evaluate_are_refused(
    client: TestClient, auth: KeyMaker, query: str
) -> None:
    body = {"callback": "http://127.0.0.1:9/", "query": query}
    assert client.post(f"{PARTY}/hub", json=body, headers=auth()).status_code == 400


# ----- signing --------------------------------------------------------------------------------


def test_deliveries_are_signed_with_the_secret_shown_once(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    listener: Listener,
) -> None:
    created = client.post(f"{PARTY}/hub", json={"callback": listener.url}, headers=auth())
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    create_individual(client, auth("csr", "GD"))
    assert dispatch_once(session_factory) == 1

    (headers,) = listener.headers
    (raw,) = listener.raw
    timestamp = headers["X-Openbss-Timestamp"]
    scheme, _, signature = headers["X-Openbss-Signature"].partition("=")
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    assert (scheme, signature) == ("v1", expected)
    assert abs(int(timestamp) - time.time()) < 3600
    assert signing.verify(secret, timestamp, headers["X-Openbss-Signature"], raw, int(timestamp))
    assert not signing.verify(
        new_secret(), timestamp, headers["X-Openbss-Signature"], raw, int(timestamp)
    )
    assert "Authorization" not in headers


# ----- delivery isolation ---------------------------------------------------------------------


def add_raw_subscription(
    factory: sessionmaker[Session], callback: str, query: str | None = None
) -> str:
    """A subscription as rows registered before the checks may hold them."""
    with unit_of_work(factory) as s:
        row = HubSubscription(
            id=f"raw-{len(callback)}-{len(query or '')}",
            api="party",
            callback=callback,
            query=query,
            province="GD",
            resources=["individual", "organization"],
            secret=new_secret(),
            created_by="legacy",
        )
        s.add(row)
    return row.id


def test_one_bad_subscription_stops_no_one_else(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    listener: Listener,
) -> None:
    huge = add_raw_subscription(session_factory, "http://127.0.0.1/" + "a" * 65_536)
    overflow = add_raw_subscription(
        session_factory, listener.url + "?x", "eventTime=9999-12-31T23:59:59-14:00"
    )
    register(client, auth(), listener.url, None)
    first = create_individual(client, auth("csr", "GD"))

    assert dispatch_once(session_factory) == 1
    assert [e["event"]["individual"]["id"] for e in listener.received] == [first["id"]]
    by_subscription = {d.subscription_id: d for d in deliveries(session_factory)}
    assert overflow not in by_subscription  # its query cannot match anything: no delivery
    failed = by_subscription[huge]
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 1)
    assert failed.last_error is not None and "CallbackRefused" in failed.last_error

    # The next rounds go on: a second event reaches the good listener once, and only once.
    second = create_individual(client, auth("csr", "GD"), "赵", "磊")
    assert dispatch_once(session_factory) == 1
    assert dispatch_once(session_factory) == 0
    assert [e["event"]["individual"]["id"] for e in listener.received] == [
        first["id"],
        second["id"],
    ]


def test_a_name_rebound_to_a_private_address_is_refused_at_delivery(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    listener: Listener,
) -> None:
    set_env(monkeypatch, "OPENBSS_WEBHOOK_ALLOW", "")
    port = listener.server.server_address[1]
    answers = {"hooks.example.com": "93.184.216.34"}

    def fake_getaddrinfo(host: str, *_: Any, **__: Any) -> list[Any]:
        address = answers[host]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr("openbss.events.callbacks.socket.getaddrinfo", fake_getaddrinfo)
    register(client, auth(), f"http://hooks.example.com:{port}/events", None)
    create_individual(client, auth("csr", "GD"))
    answers["hooks.example.com"] = "127.0.0.1"  # the attacker's DNS now answers loopback

    assert dispatch_once(session_factory) == 0
    assert listener.received == []
    (delivery,) = deliveries(session_factory)
    assert delivery.last_error is not None and "CallbackRefused" in delivery.last_error


class HangingListener:
    """A listener that accepts a request and answers only when the test releases it."""

    def __init__(self) -> None:
        self.entered = 0
        self.release = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                listener.entered += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                listener.release.wait(timeout=60)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def __enter__(self) -> HangingListener:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_a_hanging_listener_delays_no_other_subscriber(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_env(monkeypatch, "OPENBSS_EVENT_DELIVERY_TIMEOUT_SECONDS", "3")
    set_env(monkeypatch, "OPENBSS_EVENT_RETRY_BASE_SECONDS", "600")  # no retry in this test
    admin = auth()
    with HangingListener() as slow, Listener(status=200) as fast:
        seen_by_fast: list[int] = []  # how many requests the slow one had taken meanwhile
        original = fast.server.RequestHandlerClass.do_POST  # type: ignore[attr-defined]

        def recording(handler: BaseHTTPRequestHandler) -> None:
            seen_by_fast.append(slow.entered)
            original(handler)

        fast.server.RequestHandlerClass.do_POST = recording  # type: ignore[attr-defined]
        slow_id = register(client, admin, slow.url, None)  # registered first: served first
        register(client, admin, fast.url, None)
        people = [create_individual(client, auth("csr", "GD"), "张", g) for g in "伟芳磊"]

        delivered = 0
        for _ in range(5):  # a loaded machine may need more than one round for all three
            delivered += dispatch_once(session_factory)
            # Each round ended although the slow listener still holds its first request.
            assert not slow.release.is_set()
            if delivered == 3:
                break

    assert [e["event"]["individual"]["id"] for e in fast.received] == [p["id"] for p in people]
    # The fast listener got all three while the slow one had been sent one, and no more: its
    # other events wait for the retry of the first.
    assert seen_by_fast and max(seen_by_fast) <= 1
    assert slow.entered == 1
    slow_deliveries = [d for d in deliveries(session_factory) if d.subscription_id == slow_id]
    assert sorted(d.attempts for d in slow_deliveries) == [0, 0, 1]
    (timed_out,) = [d for d in slow_deliveries if d.attempts == 1]
    assert timed_out.status == DeliveryStatus.PENDING
    assert timed_out.last_error == "no answer within 3 s"
    assert {d.next_attempt_at for d in slow_deliveries} == {timed_out.next_attempt_at}


def test_any_exception_fails_one_delivery_and_lanes_are_bounded(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_env(monkeypatch, "OPENBSS_EVENT_DELIVERY_CONCURRENCY", "2")
    admin = auth()
    broken, first, second = (
        register(client, admin, f"http://127.0.0.1:9/{name}", None)
        for name in ("broken", "first", "second")
    )
    create_individual(client, auth("csr", "GD"))
    sent: list[str] = []

    def post(url: str, body: bytes, headers: Any, timeout: float) -> int:
        sent.append(url.rsplit("/", 1)[1])
        if url.endswith("/broken"):
            raise OverflowError("date value out of range")
        return 204

    delivered = dispatch_once(session_factory, post)
    assert len(sent) == 2  # two lanes this round; the third subscriber waits its turn
    delivered += dispatch_once(session_factory, post)
    assert sorted(sent) == ["broken", "first", "second"]
    assert delivered == 2
    by_subscription = {d.subscription_id: d for d in deliveries(session_factory)}
    assert by_subscription[broken].last_error == "OverflowError"
    assert by_subscription[broken].status == DeliveryStatus.PENDING
    assert by_subscription[first].status == by_subscription[second].status == "delivered"
