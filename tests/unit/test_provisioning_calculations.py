"""Pure provisioning rules: backoff, decisions, and the TMF641 action/state mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openbss.provisioning.calculations import (
    NETWORK_FOR_SERVICE_TYPE,
    Decision,
    Network,
    OrderState,
    Outcome,
    ServiceAction,
    ServiceRequestItem,
    action_from_tmf,
    backoff_schedule,
    backoff_seconds,
    decide,
    element_code,
    lease_seconds,
    order_item,
    request_items,
    with_error,
    with_note,
    with_state,
)

AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    assert [backoff_seconds(n, 2.0, 300.0) for n in range(1, 11)] == [
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        64.0,
        128.0,
        256.0,
        300.0,
        300.0,
    ]
    assert backoff_seconds(10_000, 2.0, 300.0) == 300.0  # no overflow on a huge count


def test_backoff_schedule_lists_the_waits_between_attempts() -> None:
    assert backoff_schedule(4, 2.0, 300.0) == [2.0, 4.0, 8.0]
    assert backoff_schedule(5, 2.0, 5.0) == [2.0, 4.0, 5.0, 5.0]
    assert backoff_schedule(1, 2.0, 300.0) == []


def test_attempts_are_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff_seconds(0, 2.0, 300.0)


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [
        (Outcome.SUCCESS, 1, Decision.COMPLETE),
        (Outcome.SUCCESS, 4, Decision.COMPLETE),
        (Outcome.TRANSIENT, 1, Decision.RETRY),
        (Outcome.TRANSIENT, 3, Decision.RETRY),
        (Outcome.TRANSIENT, 4, Decision.FAIL),
        (Outcome.TIMEOUT, 3, Decision.RETRY),
        (Outcome.TIMEOUT, 4, Decision.FAIL),
        (Outcome.PERMANENT, 1, Decision.FAIL),
    ],
)
def test_decision_after_an_attempt(outcome: Outcome, attempts: int, expected: Decision) -> None:
    assert decide(outcome, attempts, max_attempts=4) is expected


def test_lease_always_outlasts_the_call_it_covers() -> None:
    assert lease_seconds(60.0, 10.0) == 60.0
    assert lease_seconds(60.0, 45.0) == 90.0


def test_networks_and_element_codes() -> None:
    assert NETWORK_FOR_SERVICE_TYPE == {
        "fixedVoice": Network.SWITCH,
        "broadband": Network.BRAS,
        "phs": Network.PHS,
        "vas": Network.VAS,
        "mobile": Network.HLR,
    }
    assert element_code("GD", Network.SWITCH) == "GD-SWITCH-01"
    assert element_code("BJ", Network.HLR, 12) == "BJ-HLR-12"


@pytest.mark.parametrize(
    ("action", "tmf_action", "state"),
    [
        (ServiceAction.ACTIVATE, "add", "active"),
        (ServiceAction.DEACTIVATE, "delete", "terminated"),
        (ServiceAction.MODIFY, "modify", None),
        (ServiceAction.SUSPEND, "modify", "inactive"),
        (ServiceAction.RESUME, "modify", "active"),
    ],
)
def test_action_maps_to_tmf_and_back(
    action: ServiceAction, tmf_action: str, state: str | None
) -> None:
    item = ServiceRequestItem("poi-1", action, "+8620812345678", "fixedVoice", None, {})
    built = order_item(1, item, Network.SWITCH, "po-1")
    assert (built["action"], built["service"].get("state")) == (tmf_action, state)
    assert action_from_tmf(tmf_action, state) is action


def test_unknown_tmf_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="noChange"):
        action_from_tmf("noChange", None)
    with pytest.raises(ValueError, match="terminated"):
        action_from_tmf("add", "terminated")


def test_order_item_document_is_exact() -> None:
    item = ServiceRequestItem(
        item_id="poi-7",
        action=ServiceAction.ACTIVATE,
        service_id="gz_zhangwei@adsl",
        service_type="broadband",
        product_id="prod-9",
        characteristics={"downstreamMbps": 100, "staticIp": False, "profile": "home"},
    )
    assert order_item(3, item, Network.BRAS, "po-1") == {
        "@type": "ServiceOrderItem",
        "id": "3",
        "action": "add",
        "state": "acknowledged",
        "service": {
            "@type": "Service",
            "name": "gz_zhangwei@adsl",
            "serviceType": "broadband",
            "state": "active",
            "serviceSpecification": {
                "id": "bras-broadband",
                "name": "bras/broadband",
                "@referredType": "ServiceSpecification",
            },
            "serviceCharacteristic": [
                {"name": "downstreamMbps", "valueType": "integer", "value": 100},
                {"name": "staticIp", "valueType": "boolean", "value": False},
                {"name": "profile", "valueType": "string", "value": "home"},
            ],
            "relatedEntity": [
                {"id": "po-1", "role": "productOrder", "@referredType": "ProductOrder"},
                {"id": "poi-7", "role": "productOrderItem", "@referredType": "ProductOrderItem"},
                {"id": "prod-9", "role": "product", "@referredType": "Product"},
            ],
        },
    }


def test_request_items_read_back_what_order_item_wrote() -> None:
    items = [
        ServiceRequestItem(
            "poi-1", ServiceAction.ACTIVATE, "+8613312345678", "mobile", "p1", {"imsi": "46003"}
        ),
        ServiceRequestItem("poi-2", ServiceAction.SUSPEND, "+8613312345679", "mobile", None, {}),
        ServiceRequestItem(
            "poi-3", ServiceAction.MODIFY, "+8613312345670", "mobile", "p3", {"plan": [1, 2]}
        ),
    ]
    built = [order_item(n, item, Network.HLR, "po-1") for n, item in enumerate(items, 1)]
    assert request_items(built) == items


def test_state_changes_move_every_item_and_keep_the_rest() -> None:
    doc = {
        "state": "acknowledged",
        "category": "switch",
        "serviceOrderItem": [{"id": "1", "state": "acknowledged"}, {"id": "2"}],
    }
    done = with_state(doc, OrderState.COMPLETED, completionDate="2026-03-01T08:30:00.000Z")
    assert done == {
        "state": "completed",
        "category": "switch",
        "completionDate": "2026-03-01T08:30:00.000Z",
        "serviceOrderItem": [{"id": "1", "state": "completed"}, {"id": "2", "state": "completed"}],
    }
    assert doc["state"] == "acknowledged"  # a copy: the input is untouched


def test_notes_and_errors_are_appended() -> None:
    noted = with_note(with_note({}, "first", AT), "second", AT)
    assert noted["note"] == [
        {"@type": "Note", "text": "first", "date": "2026-03-01T08:30:00.000Z", "author": "openbss"},
        {
            "@type": "Note",
            "text": "second",
            "date": "2026-03-01T08:30:00.000Z",
            "author": "openbss",
        },
    ]
    failed = with_error({}, "REJECTED_BY_NETWORK", "Provisioning failed", "no such port", AT)
    assert failed["errorMessage"] == [
        {
            "@type": "ServiceOrderErrorMessage",
            "code": "REJECTED_BY_NETWORK",
            "reason": "Provisioning failed",
            "message": "no such port",
            "timestamp": "2026-03-01T08:30:00.000Z",
        }
    ]
