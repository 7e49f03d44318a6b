"""Service orders on SQLite and PostgreSQL: creation, execution, retries, leases, adapters.

Time is driven with ``frozen_at``; the only real waits are a few tens of milliseconds in the
timeout and concurrency tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.events.models import OutboxEvent
from openbss.kit.clock import frozen_at
from openbss.kit.errors import NotFound, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.settings import Settings, get_settings
from openbss.provisioning import adapters
from openbss.provisioning.adapters import (
    NetworkElementConfig,
    ProvisioningRequest,
    UnknownAdapterError,
    load_adapter,
)
from openbss.provisioning.calculations import Outcome
from openbss.provisioning.executor import LEASE_EXPIRED, AttemptResult, claim, record, run_due
from openbss.provisioning.models import NetworkElement, ProvisioningAttempt, ServiceOrder
from openbss.provisioning.service import (
    Network,
    ServiceAction,
    ServiceRequestItem,
    attempts_for,
    cancel_pending,
    configure_element,
    create_service_order,
    ensure_network_elements,
    service_orders_for,
    simulated_state,
)

GD = Principal(key_id="orchestration", role=Role.CSR, province="GD")
GROUP = Principal(key_id="system", role=Role.ADMIN, province=None)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE = "+862081234567"
MOBILE = "+8613312345678"
SWITCH = "GD-SWITCH-01"
BRAS = "GD-BRAS-01"

Factory = sessionmaker[Session]


@pytest.fixture(autouse=True)
def provisioning_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The documented defaults, whatever the environment says; tests change them here."""
    settings = get_settings()
    defaults = {
        "provisioning_max_attempts": 4,
        "provisioning_retry_base_seconds": 2.0,
        "provisioning_retry_cap_seconds": 300.0,
        "provisioning_timeout_seconds": 10.0,
        "provisioning_lease_seconds": 60.0,
    }
    for name, value in defaults.items():
        monkeypatch.setattr(settings, name, value)
    return settings


@pytest.fixture
def clock() -> Iterator[None]:
    with frozen_at(T0):
        yield


def voice(
    number: str = PHONE,
    action: ServiceAction = ServiceAction.ACTIVATE,
    item_id: str = "poi-1",
    **characteristics: Any,
) -> ServiceRequestItem:
    return ServiceRequestItem(item_id, action, number, "fixedVoice", "prod-1", characteristics)


def broadband(account: str = "gz_zhangwei@adsl") -> ServiceRequestItem:
    return ServiceRequestItem(
        "poi-2", ServiceAction.ACTIVATE, account, "broadband", "prod-2", {"downstreamMbps": 100}
    )


def new_order(
    factory: Factory,
    items: list[ServiceRequestItem] | None = None,
    *,
    network: Network = Network.SWITCH,
    po: str = "po-1",
    sequence: int = 1,
    **options: Any,
) -> str:
    with unit_of_work(factory) as session:
        row = create_service_order(
            session,
            GD,
            product_order_id=po,
            network=network,
            items=items if items is not None else [voice()],
            sequence=sequence,
            **options,
        )
        return row.id


def order(factory: Factory, order_id: str) -> ServiceOrder:
    with factory() as session:
        row = session.get(ServiceOrder, order_id)
        assert row is not None
        return row


def trace(factory: Factory, order_id: str) -> list[tuple[int, str | None, str | None, datetime]]:
    with factory() as session:
        return [
            (a.number, a.outcome, a.message, a.started_at) for a in attempts_for(session, order_id)
        ]


def configure(factory: Factory, code: str, **settings: Any) -> None:
    with unit_of_work(factory) as session:
        configure_element(session, code, **settings)


def run_at(factory: Factory, instant: datetime) -> int:
    with frozen_at(instant):
        return run_due(factory)


def state_on(factory: Factory, network: Network = Network.SWITCH) -> dict[str, str]:
    with factory() as session:
        return simulated_state(session, network, "GD")


def events(factory: Factory) -> list[tuple[str, str]]:
    """The service ordering events as (type, order state), sorted: under a frozen clock they
    share one timestamp, so their order is not observable."""
    with factory() as session:
        payloads = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.api == "serviceOrdering")
        )
        return sorted((p["eventType"], p["event"]["serviceOrder"]["state"]) for p in payloads)


def after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# ----- creation ---------------------------------------------------------------------------


def test_create_builds_the_tmf641_document(session_factory: Factory, clock: None) -> None:
    order_id = new_order(session_factory, [voice(callerId=True)], sequence=2)
    row = order(session_factory, order_id)
    assert row.doc == {
        "@type": "ServiceOrder",
        "externalId": "po-1",
        "category": "switch",
        "priority": "4",
        "description": "fulfil product order po-1 on the switch network (step 2)",
        "orderDate": "2026-03-02T09:00:00.000Z",
        "state": "acknowledged",
        "externalReference": [
            {"id": "po-1", "name": "po-1", "externalReferenceType": "ProductOrder"}
        ],
        "serviceOrderItem": [
            {
                "@type": "ServiceOrderItem",
                "id": "1",
                "action": "add",
                "state": "acknowledged",
                "service": {
                    "@type": "Service",
                    "name": PHONE,
                    "serviceType": "fixedVoice",
                    "state": "active",
                    "serviceSpecification": {
                        "id": "switch-fixedVoice",
                        "name": "switch/fixedVoice",
                        "@referredType": "ServiceSpecification",
                    },
                    "serviceCharacteristic": [
                        {"name": "callerId", "valueType": "boolean", "value": True}
                    ],
                    "relatedEntity": [
                        {"id": "po-1", "role": "productOrder", "@referredType": "ProductOrder"},
                        {
                            "id": "poi-1",
                            "role": "productOrderItem",
                            "@referredType": "ProductOrderItem",
                        },
                        {"id": "prod-1", "role": "product", "@referredType": "Product"},
                    ],
                },
            }
        ],
    }
    columns = (
        row.province,
        row.state,
        row.product_order_id,
        row.network,
        row.sequence,
        row.purpose,
        row.network_element,
        row.attempts,
        row.next_attempt_at,
        row.lease_until,
        row.completed_at,
    )
    assert columns == (
        "GD",
        "acknowledged",
        "po-1",
        "switch",
        2,
        "fulfil",
        SWITCH,
        0,
        T0,
        None,
        None,
    )
    assert events(session_factory) == [("ServiceOrderCreateEvent", "acknowledged")]
    with session_factory() as session:
        payload = session.scalars(select(OutboxEvent.payload)).one()
        codes = [e.code for e in session.scalars(select(NetworkElement).order_by("code"))]
    assert payload["event"]["serviceOrder"]["id"] == order_id
    assert payload["event"]["serviceOrder"]["href"].endswith(
        f"/tmf-api/serviceOrdering/v4/serviceOrder/{order_id}"
    )
    # The province's first order created its whole set of simulated elements.
    assert codes == ["GD-BRAS-01", "GD-HLR-01", "GD-PHS-01", "GD-SWITCH-01", "GD-VAS-01"]


def test_dependency_and_compensation_are_recorded(session_factory: Factory, clock: None) -> None:
    first = new_order(session_factory)
    second = new_order(
        session_factory, [broadband()], network=Network.BRAS, sequence=2, depends_on=first
    )
    undo = new_order(
        session_factory,
        [voice(action=ServiceAction.DEACTIVATE)],
        sequence=3,
        purpose="compensate",
        compensates=first,
    )
    assert order(session_factory, second).doc["orderRelationship"] == [
        {"id": first, "relationshipType": "dependsOn", "@referredType": "ServiceOrder"}
    ]
    compensation = order(session_factory, undo)
    assert (compensation.purpose, compensation.compensates_id) == ("compensate", first)
    assert compensation.doc["priority"] == "1"
    assert compensation.doc["orderRelationship"] == [
        {"id": first, "relationshipType": "compensates", "@referredType": "ServiceOrder"}
    ]
    assert compensation.doc["note"] == [
        {
            "@type": "Note",
            "text": f"compensation: undoes service order {first} because product order po-1 "
            "could not be fulfilled",
            "date": "2026-03-02T09:00:00.000Z",
            "author": "openbss",
        }
    ]
    # The orchestration may compensate a whole round without naming each order it undoes.
    round_undo = order(
        session_factory,
        new_order(
            session_factory, [broadband()], network=Network.BRAS, sequence=4, purpose="compensate"
        ),
    )
    assert (round_undo.compensates_id, "orderRelationship" in round_undo.doc) == (None, False)
    assert round_undo.doc["note"][0]["text"] == (
        "compensation: undoes completed service orders because product order po-1 could not "
        "be fulfilled"
    )
    assert compensation.doc["serviceOrderItem"][0]["action"] == "delete"
    assert compensation.doc["serviceOrderItem"][0]["service"]["state"] == "terminated"
    with session_factory() as session:
        listed = [row.id for row in service_orders_for(session, "po-1")]
    assert listed == [first, second, undo, round_undo.id]


@pytest.mark.parametrize(
    ("principal", "options", "code"),
    [
        (GD, {"network": Network.BRAS}, "NETWORK_MISMATCH"),
        (GD, {"items": [replace(voice(), service_type="iptv")]}, "UNKNOWN_SERVICE_TYPE"),
        (GD, {"items": []}, "EMPTY_ORDER"),
        (GD, {"compensates": "so-1"}, "COMPENSATION_REFERENCE"),
        (GD, {"purpose": "repair"}, "UNKNOWN_PURPOSE"),
        (GD, {"depends_on": "no-such-order"}, "UNKNOWN_REFERENCE"),
        (GROUP, {}, "PROVINCE_REQUIRED"),
    ],
)
def test_invalid_service_orders_are_refused_and_change_nothing(
    session_factory: Factory, principal: Principal, options: dict[str, Any], code: str
) -> None:
    arguments: dict[str, Any] = {
        "product_order_id": "po-1",
        "network": Network.SWITCH,
        "items": [voice()],
        "sequence": 1,
    } | options
    with pytest.raises(Unprocessable) as refused, unit_of_work(session_factory) as session:
        create_service_order(session, principal, **arguments)
    assert refused.value.code == code
    with session_factory() as session:
        assert session.scalars(select(ServiceOrder)).all() == []


def test_prerequisite_must_belong_to_the_same_product_order(session_factory: Factory) -> None:
    other = new_order(session_factory, po="po-other")
    with pytest.raises(Unprocessable, match="not a service order of product order 'po-1'"):
        new_order(session_factory, depends_on=other)


def test_a_group_caller_names_the_province(session_factory: Factory) -> None:
    with unit_of_work(session_factory) as session:
        row = create_service_order(
            session,
            GROUP,
            product_order_id="po-sh",
            network=Network.HLR,
            items=[ServiceRequestItem("i", ServiceAction.ACTIVATE, MOBILE, "mobile", None, {})],
            sequence=1,
            province="SH",
        )
        assert (row.province, row.network_element) == ("SH", "SH-HLR-01")


# ----- execution --------------------------------------------------------------------------


def test_accepting_element_completes_the_order(session_factory: Factory, clock: None) -> None:
    order_id = new_order(session_factory)
    assert run_due(session_factory) == 1
    row = order(session_factory, order_id)
    assert (row.state, row.attempts, row.completed_at, row.lease_until) == (
        "completed",
        1,
        T0,
        None,
    )
    assert row.doc["state"] == "completed"
    assert [item["state"] for item in row.doc["serviceOrderItem"]] == ["completed"]
    assert (row.doc["startDate"], row.doc["completionDate"]) == (
        "2026-03-02T09:00:00.000Z",
        "2026-03-02T09:00:00.000Z",
    )
    assert state_on(session_factory) == {PHONE: "active"}
    assert trace(session_factory, order_id) == [(1, "success", f"{SWITCH}: 1 item(s) applied", T0)]
    assert events(session_factory) == [
        ("ServiceOrderCreateEvent", "acknowledged"),
        ("ServiceOrderStateChangeEvent", "completed"),
        ("ServiceOrderStateChangeEvent", "inProgress"),
    ]
    assert run_due(session_factory) == 0  # nothing left to do


def test_two_transient_failures_then_success(session_factory: Factory) -> None:
    with frozen_at(T0):
        order_id = new_order(session_factory)
    configure(session_factory, SWITCH, fail_next=2)
    assert run_at(session_factory, T0) == 1
    assert run_at(session_factory, after(1.9)) == 0  # the first backoff is 2 s
    assert run_at(session_factory, after(2)) == 1
    assert run_at(session_factory, after(5.9)) == 0  # then 4 s
    assert run_at(session_factory, after(6)) == 1
    unavailable = f"element {SWITCH} unavailable"
    assert trace(session_factory, order_id) == [
        (1, "transient", unavailable, T0),
        (2, "transient", unavailable, after(2)),
        (3, "success", f"{SWITCH}: 1 item(s) applied", after(6)),
    ]
    row = order(session_factory, order_id)
    assert (row.state, row.attempts, row.last_error) == ("completed", 3, None)
    assert [note["text"] for note in row.doc["note"]] == [
        f"attempt 1 on {SWITCH}: transient ({unavailable}); next attempt at "
        "2026-03-02T09:00:02.000Z",
        f"attempt 2 on {SWITCH}: transient ({unavailable}); next attempt at "
        "2026-03-02T09:00:06.000Z",
    ]
    with session_factory() as session:
        element = session.get(NetworkElement, SWITCH)
        assert element is not None
        assert element.settings == {"mode": "accept", "delay_ms": 0, "fail_next": 0}
    assert state_on(session_factory) == {PHONE: "active"}


def test_always_failing_element_fails_the_order_after_max_attempts(
    session_factory: Factory,
) -> None:
    with frozen_at(T0):
        order_id = new_order(session_factory)
    configure(session_factory, SWITCH, mode="fail")
    for instant in (T0, after(2), after(6), after(14)):
        assert run_at(session_factory, instant) == 1
    assert run_at(session_factory, after(10_000)) == 0
    unavailable = f"element {SWITCH} unavailable"
    assert [(n, outcome) for n, outcome, _m, _t in trace(session_factory, order_id)] == [
        (1, "transient"),
        (2, "transient"),
        (3, "transient"),
        (4, "transient"),
    ]
    row = order(session_factory, order_id)
    assert (row.state, row.attempts, row.last_error, row.completed_at) == (
        "failed",
        4,
        unavailable,
        after(14),
    )
    assert row.doc["state"] == "failed"
    assert row.doc["completionDate"] == "2026-03-02T09:00:14.000Z"
    assert row.doc["errorMessage"] == [
        {
            "@type": "ServiceOrderErrorMessage",
            "code": "ATTEMPTS_EXHAUSTED",
            "reason": "Provisioning failed",
            "message": f"gave up after 4 attempts: {unavailable}",
            "timestamp": "2026-03-02T09:00:14.000Z",
        }
    ]
    assert state_on(session_factory) == {}


def test_rejecting_element_fails_the_order_after_one_attempt(
    session_factory: Factory, clock: None
) -> None:
    order_id = new_order(session_factory)
    configure(session_factory, SWITCH, mode="reject")
    assert run_due(session_factory) == 1
    rejected = f"element {SWITCH} rejected the request"
    assert trace(session_factory, order_id) == [(1, "permanent", rejected, T0)]
    row = order(session_factory, order_id)
    assert (row.state, row.last_error) == ("failed", rejected)
    assert row.doc["errorMessage"][0]["code"] == "REJECTED_BY_NETWORK"
    assert row.doc["errorMessage"][0]["message"] == f"rejected by {SWITCH}: {rejected}"
    assert ("ServiceOrderStateChangeEvent", "failed") in events(session_factory)


@pytest.mark.parametrize("setting", [{"mode": "timeout"}, {"delay_ms": 300}])
def test_an_element_that_does_not_answer_in_time_is_retried(
    session_factory: Factory,
    provisioning_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    setting: dict[str, Any],
    clock: None,
) -> None:
    monkeypatch.setattr(provisioning_settings, "provisioning_timeout_seconds", 0.05)
    order_id = new_order(session_factory)
    configure(session_factory, SWITCH, **setting)
    assert run_due(session_factory) == 1
    assert trace(session_factory, order_id) == [
        (1, "timeout", f"element {SWITCH} did not answer within 0.05 s", T0)
    ]
    row = order(session_factory, order_id)
    assert (row.state, row.next_attempt_at, row.lease_until) == ("inProgress", after(2), None)
    assert state_on(session_factory) == {}


def test_latency_within_the_timeout_is_fine(session_factory: Factory, clock: None) -> None:
    order_id = new_order(session_factory)
    configure(session_factory, SWITCH, delay_ms=20)
    assert run_due(session_factory) == 1
    assert order(session_factory, order_id).state == "completed"


# ----- dependencies -----------------------------------------------------------------------


def test_a_dependent_order_runs_only_after_its_prerequisite_completed(
    session_factory: Factory,
) -> None:
    with frozen_at(T0):
        first = new_order(session_factory)
        second = new_order(
            session_factory, [broadband()], network=Network.BRAS, sequence=2, depends_on=first
        )
    configure(session_factory, SWITCH, fail_next=1)
    assert run_at(session_factory, T0) == 1
    assert trace(session_factory, second) == []
    assert order(session_factory, second).state == "acknowledged"
    # Once the prerequisite completes, the dependent runs in the same call.
    assert run_at(session_factory, after(2)) == 2
    assert (order(session_factory, first).state, order(session_factory, second).state) == (
        "completed",
        "completed",
    )
    with session_factory() as session:
        sequence = session.scalars(
            select(ProvisioningAttempt.service_order_id).order_by(ProvisioningAttempt.id)
        ).all()
    assert sequence == [first, first, second]
    assert state_on(session_factory, Network.BRAS) == {"gz_zhangwei@adsl": "active"}


def test_dependents_of_a_failed_order_are_cancelled(session_factory: Factory, clock: None) -> None:
    first = new_order(session_factory)
    second = new_order(
        session_factory, [broadband()], network=Network.BRAS, sequence=2, depends_on=first
    )
    third = new_order(session_factory, [voice("+862081234568")], sequence=3, depends_on=second)
    configure(session_factory, SWITCH, mode="reject")
    assert run_due(session_factory) == 1
    assert order(session_factory, first).state == "failed"
    for dependent, prerequisite in ((second, first), (third, second)):
        row = order(session_factory, dependent)
        ended = order(session_factory, prerequisite).state
        assert (row.state, row.attempts) == ("cancelled", 0)
        assert row.doc["state"] == "cancelled"
        assert row.doc["cancellationReason"] == (
            f"prerequisite service order {prerequisite} ended {ended}"
        )
        assert row.doc["cancellationDate"] == "2026-03-02T09:00:00.000Z"
        assert trace(session_factory, dependent) == []
    assert state_on(session_factory, Network.BRAS) == {}


def test_cancel_pending_leaves_started_orders_alone(session_factory: Factory, clock: None) -> None:
    done = new_order(session_factory)
    assert run_due(session_factory) == 1
    waiting = new_order(session_factory, [broadband()], network=Network.BRAS, depends_on=done)
    later = new_order(session_factory, [voice("+862081234568")], sequence=2)
    new_order(session_factory, po="po-other")
    with unit_of_work(session_factory) as session:
        assert cancel_pending(session, "po-1", "customer withdrew the order") == 2
    with unit_of_work(session_factory) as session:
        assert cancel_pending(session, "po-1", "again") == 0
    assert [order(session_factory, i).state for i in (done, waiting, later)] == [
        "completed",
        "cancelled",
        "cancelled",
    ]
    assert order(session_factory, later).doc["cancellationReason"] == "customer withdrew the order"
    changes = [state for kind, state in events(session_factory) if kind.endswith("ChangeEvent")]
    assert changes == ["cancelled", "cancelled", "completed", "inProgress"]


# ----- crashed workers and concurrent workers ---------------------------------------------


def test_an_expired_lease_lets_another_worker_re_execute(session_factory: Factory) -> None:
    with frozen_at(T0):
        order_id = new_order(session_factory)
        seen = order(session_factory, order_id).attempts
        stale = claim(session_factory, order_id, seen)  # this worker then "dies"
        assert stale is not None
        assert claim(session_factory, order_id, seen) is None  # one claim per attempt
        assert run_due(session_factory) == 0  # the lease holds
    assert run_at(session_factory, after(59)) == 0
    assert run_at(session_factory, after(60)) == 1
    assert trace(session_factory, order_id) == [
        (1, "timeout", LEASE_EXPIRED, T0),
        (2, "success", f"{SWITCH}: 1 item(s) applied", after(60)),
    ]
    # The dead worker comes back with an answer: it no longer owns the order and changes nothing.
    with frozen_at(after(61)):
        record(session_factory, stale, AttemptResult(Outcome.PERMANENT, "late"))
    row = order(session_factory, order_id)
    assert (row.state, row.attempts, row.last_error) == ("completed", 2, None)
    assert [t[1] for t in trace(session_factory, order_id)] == ["timeout", "success"]


def test_a_worker_dying_on_the_last_attempt_fails_the_order(
    session_factory: Factory, provisioning_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provisioning_settings, "provisioning_max_attempts", 1)
    with frozen_at(T0):
        order_id = new_order(session_factory)
        assert claim(session_factory, order_id, 0) is not None
    assert run_at(session_factory, after(61)) == 0
    row = order(session_factory, order_id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.doc["errorMessage"][0]["code"] == "ATTEMPTS_EXHAUSTED"
    assert trace(session_factory, order_id) == [(1, "timeout", LEASE_EXPIRED, T0)]


def test_concurrent_workers_never_run_an_order_twice(session_factory: Factory) -> None:
    ids = [new_order(session_factory, [voice(f"+86208123456{n}")], po=f"po-{n}") for n in range(4)]
    configure(session_factory, SWITCH, delay_ms=30)
    made: list[int] = []
    workers = [
        threading.Thread(target=lambda: made.append(run_due(session_factory))) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sum(made) == 4
    for order_id in ids:
        assert [(n, outcome) for n, outcome, _m, _t in trace(session_factory, order_id)] == [
            (1, "success")
        ]
    assert len(state_on(session_factory)) == 4


# ----- the simulated element --------------------------------------------------------------


def test_simulated_element_is_idempotent(session_factory: Factory, clock: None) -> None:
    def run(*items: ServiceRequestItem, po: str) -> str:
        order_id = new_order(session_factory, list(items), po=po)
        assert run_due(session_factory) == 1
        return order(session_factory, order_id).state

    assert run(voice(speedDial=False), po="po-1") == "completed"
    # Re-executing an activation (a step repeated after a crash) succeeds and changes nothing.
    assert run(voice(speedDial=False), voice(speedDial=False), po="po-2") == "completed"
    with session_factory() as session:
        assert simulated_state(session, Network.SWITCH, "GD") == {PHONE: "active"}
    assert run(voice(action=ServiceAction.SUSPEND), po="po-3") == "completed"
    assert state_on(session_factory) == {PHONE: "suspended"}
    assert run(voice(action=ServiceAction.RESUME), po="po-4") == "completed"
    assert run(voice(action=ServiceAction.RESUME), po="po-5") == "completed"
    assert run(voice(action=ServiceAction.MODIFY, speedDial=True), po="po-6") == "completed"
    assert state_on(session_factory) == {PHONE: "active"}
    # A request is applied entirely or not at all: suspending an unknown line rejects the
    # whole order, including the activation before it.
    other = "+862081234599"
    assert run(voice(other), voice("+862081234500", ServiceAction.SUSPEND), po="po-7") == "failed"
    assert state_on(session_factory) == {PHONE: "active"}
    assert run(voice(action=ServiceAction.DEACTIVATE), po="po-8") == "completed"
    assert run(voice(action=ServiceAction.DEACTIVATE), po="po-9") == "completed"
    assert state_on(session_factory) == {}


def test_simulated_elements_and_their_settings(session_factory: Factory) -> None:
    with unit_of_work(session_factory) as session:
        first = [e.code for e in ensure_network_elements(session, "GD")]
    with unit_of_work(session_factory) as session:
        again = [e.code for e in ensure_network_elements(session, "GD")]
    assert first == again == ["GD-SWITCH-01", "GD-BRAS-01", "GD-PHS-01", "GD-VAS-01", "GD-HLR-01"]
    configure(session_factory, SWITCH, mode="fail", delay_ms=5)
    configure(session_factory, SWITCH, fail_next=3)  # the other settings stay
    with session_factory() as session:
        element = session.get(NetworkElement, SWITCH)
        assert element is not None
        assert (element.adapter, element.settings, element.revision) == (
            "simulated",
            {"mode": "fail", "delay_ms": 5, "fail_next": 3},
            2,
        )
    with pytest.raises(NotFound), unit_of_work(session_factory) as session:
        configure_element(session, "GD-NOPE-01", mode="accept")
    with pytest.raises(Unprocessable, match="mode must be one of"):
        configure(session_factory, SWITCH, mode="sleepy")
    with pytest.raises(Unprocessable, match="fail_next must not be negative"):
        configure(session_factory, SWITCH, fail_next=-1)
    with pytest.raises(Unprocessable, match="province code"), unit_of_work(session_factory) as s:
        ensure_network_elements(s, "guangdong")


# ----- adapters ---------------------------------------------------------------------------


class EchoAdapter:
    """A plugin adapter, as a third-party package would ship it."""

    def __init__(self, config: NetworkElementConfig, factory: Factory) -> None:
        self.code = config.code

    def execute(self, request: ProvisioningRequest, *, timeout: float) -> str:
        names = ",".join(item.service_id for item in request.items)
        return f"{self.code} echo {names} within {timeout:g}"


class BrokenAdapter:
    def __init__(self, config: NetworkElementConfig, factory: Factory) -> None:
        pass

    def execute(self, request: ProvisioningRequest, *, timeout: float) -> str:
        raise KeyError("port")


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    # Beside the adapters really installed (openbss's own ``simulated``).
    installed = [
        *entry_points(group=adapters.ENTRY_POINT_GROUP),
        *(
            EntryPoint(
                name,
                f"tests.service.test_provisioning_service:{target}",
                adapters.ENTRY_POINT_GROUP,
            )
            for name, target in (("echo", "EchoAdapter"), ("broken", "BrokenAdapter"))
        ),
    ]

    def with_test_plugins(*, group: str) -> list[EntryPoint]:
        return [ep for ep in installed if ep.group == group]

    monkeypatch.setattr(adapters, "entry_points", with_test_plugins)


def use_adapter(factory: Factory, code: str, name: str) -> None:
    with unit_of_work(factory) as session:
        session.execute(
            update(NetworkElement).where(NetworkElement.code == code).values(adapter=name)
        )


def test_unknown_adapter_is_a_clear_error(session_factory: Factory, clock: None) -> None:
    with pytest.raises(UnknownAdapterError) as unknown:
        load_adapter("ericsson-hlr")
    assert unknown.value.code == "UNKNOWN_ADAPTER"
    assert unknown.value.message == (
        "no provisioning adapter named 'ericsson-hlr'; available: simulated "
        "(plugins register in the entry-point group 'openbss.provisioning_adapters')"
    )
    order_id = new_order(session_factory)
    use_adapter(session_factory, SWITCH, "ericsson-hlr")
    assert run_due(session_factory) == 1
    assert trace(session_factory, order_id) == [(1, "permanent", unknown.value.message, T0)]
    assert order(session_factory, order_id).state == "failed"


def test_plugin_adapters_come_from_entry_points(
    session_factory: Factory, plugins: None, clock: None
) -> None:
    assert load_adapter("echo") is EchoAdapter
    assert adapters.available_adapters() == ["broken", "echo", "simulated"]
    order_id = new_order(session_factory)
    use_adapter(session_factory, SWITCH, "echo")
    assert run_due(session_factory) == 1
    assert trace(session_factory, order_id) == [
        (1, "success", f"{SWITCH} echo {PHONE} within 10", T0)
    ]


def test_an_adapter_bug_is_retried_not_fatal(
    session_factory: Factory, plugins: None, clock: None
) -> None:
    order_id = new_order(session_factory)
    use_adapter(session_factory, SWITCH, "broken")
    assert run_due(session_factory) == 1
    assert trace(session_factory, order_id) == [(1, "transient", "KeyError: 'port'", T0)]
    assert order(session_factory, order_id).state == "inProgress"
