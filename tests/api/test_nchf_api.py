"""Nchf_ConvergedCharging over HTTP: requests built from the 3GPP OpenAPI, every answer
validated against it; the engine is the contract's stand-in (tests/charging_gateway_support)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import nchf_schema
from tests.charging_gateway_support import FakeEngine
from tests.conftest import KeyMaker

pytestmark = pytest.mark.skipif(not nchf_schema.available(), reason="3GPP Nchf OpenAPI absent")

BASE = "/nchf-convergedcharging/v3/chargingdata"
COMMON = "TS29571_CommonData.yaml"


@pytest.fixture
def charger(client: TestClient) -> FakeEngine:
    fake = FakeEngine()
    client.app.state.charger = fake  # type: ignore[attr-defined]
    return fake


def _problem(response: Any, status: int, cause: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    nchf_schema.check("ProblemDetails", body, COMMON)
    assert body["cause"] == cause
    assert body["status"] == status
    return body


def test_create_update_release(client: TestClient, auth: KeyMaker, charger: FakeEngine) -> None:
    headers = auth("partner", "GD")
    body = nchf_schema.charging_data_request(0, requested_seconds=400)
    created = client.post(BASE, json=body, headers=headers)
    assert created.status_code == 201, created.text
    answer = created.json()
    nchf_schema.check("ChargingDataResponse", answer)
    reference = created.headers["location"].rsplit("/", 1)[1]
    assert created.headers["location"] == f"http://testserver{BASE}/{reference}"
    assert answer["invocationSequenceNumber"] == 0
    assert answer["multipleUnitInformation"] == [
        {"ratingGroup": 100, "resultCode": "SUCCESS", "grantedUnit": {"time": 400},
         "validityTime": 60}
    ]  # fmt: skip

    body = nchf_schema.charging_data_request(1, requested_seconds=400, used_seconds=350)
    updated = client.post(f"{BASE}/{reference}/update", json=body, headers=headers)
    assert updated.status_code == 200, updated.text
    answer = updated.json()
    nchf_schema.check("ChargingDataResponse", answer)
    # 600 s of credit: 350 used, 250 left → the last 250 s, with the final unit indication.
    assert answer["multipleUnitInformation"] == [
        {"ratingGroup": 100, "resultCode": "SUCCESS", "grantedUnit": {"time": 250},
         "validityTime": 60, "finalUnitIndication": {"finalUnitAction": "TERMINATE"}}
    ]  # fmt: skip

    body = nchf_schema.charging_data_request(2, used_seconds=100)
    released = client.post(f"{BASE}/{reference}/release", json=body, headers=headers)
    assert released.status_code == 204, released.text
    assert released.content == b""
    assert charger.used == {"8613800138000": 450}
    assert charger.credit == {"8613800138000": 150}
    seen = [(r.session_id, r.request_type.name, r.request_number) for r in charger.requests]
    assert seen == [(reference, "INITIAL", 0), (reference, "UPDATE", 1),
                    (reference, "TERMINATION", 2)]  # fmt: skip
    request = charger.requests[1]
    assert request.subscriber == "8613800138000"
    assert request.services[0].used is not None and request.services[0].used.seconds == 350
    assert request.origin.startswith("nchf:")


def test_retransmitted_update_is_answered_the_same(
    client: TestClient, auth: KeyMaker, charger: FakeEngine
) -> None:
    headers = auth("admin", None)
    created = client.post(BASE, json=nchf_schema.charging_data_request(0, requested_seconds=100),
                          headers=headers)  # fmt: skip
    reference = created.headers["location"].rsplit("/", 1)[1]
    body = nchf_schema.charging_data_request(1, requested_seconds=100, used_seconds=100)
    first = client.post(f"{BASE}/{reference}/update", json=body, headers=headers)
    again = client.post(f"{BASE}/{reference}/update", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["multipleUnitInformation"] == again.json()["multipleUnitInformation"]
    assert charger.used == {"8613800138000": 100}


@pytest.mark.parametrize(
    ("mutate", "cause", "param"),
    [
        (lambda b: b.pop("invocationSequenceNumber"), "MANDATORY_IE_MISSING",
         "/invocationSequenceNumber"),
        (lambda b: b.update(invocationSequenceNumber="7"), "MANDATORY_IE_INCORRECT",
         "/invocationSequenceNumber"),
        (lambda b: b.update(invocationSequenceNumber=2**32), "MANDATORY_IE_INCORRECT",
         "/invocationSequenceNumber"),
        (lambda b: b.update(invocationTimeStamp="yesterday"), "MANDATORY_IE_INCORRECT",
         "/invocationTimeStamp"),
        (lambda b: b.update(invocationTimeStamp="2026-05-20T02:00:00"), "MANDATORY_IE_INCORRECT",
         "/invocationTimeStamp"),
        (lambda b: b["multipleUnitUsage"][0].pop("ratingGroup"), "MANDATORY_IE_MISSING",
         "/multipleUnitUsage/0/ratingGroup"),
        (lambda b: b["multipleUnitUsage"][0].update(requestedUnit={"time": -1}),
         "MANDATORY_IE_INCORRECT", "/multipleUnitUsage/0/requestedUnit/time"),
        (lambda b: b.pop("nfConsumerIdentification"), "MANDATORY_IE_MISSING",
         "/nfConsumerIdentification"),
        (lambda b: b.pop("subscriberIdentifier"), "MANDATORY_IE_MISSING",
         "/subscriberIdentifier"),
        (lambda b: b.update(subscriberIdentifier="msisdn-86abc"), "MANDATORY_IE_INCORRECT",
         "/subscriberIdentifier"),
    ],
)  # fmt: skip
def test_malformed_bodies_are_refused_with_problem_details(
    client: TestClient, auth: KeyMaker, charger: FakeEngine, mutate: Any, cause: str, param: str
) -> None:
    body = nchf_schema.charging_data_request(0, requested_seconds=60)
    mutate(body)
    response = client.post(BASE, json=body, headers=auth("partner", "GD"))
    problem = _problem(response, 400, cause)
    assert param in [p["param"] for p in problem["invalidParams"]]
    assert charger.requests == []


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b'"text"'])
def test_bodies_that_are_not_objects(
    client: TestClient, auth: KeyMaker, charger: FakeEngine, raw: bytes
) -> None:
    headers = {**auth("partner", "GD"), "content-type": "application/json"}
    response = client.post(BASE, content=raw, headers=headers)
    _problem(response, 400, "INVALID_MSG_FORMAT")
    assert charger.requests == []


def test_authentication_and_roles(client: TestClient, auth: KeyMaker, charger: FakeEngine) -> None:
    body = nchf_schema.charging_data_request(0, requested_seconds=60)
    _problem(client.post(BASE, json=body), 401, "UNAUTHENTICATED")
    bad = {"Authorization": "Bearer nope"}
    _problem(client.post(BASE, json=body, headers=bad), 401, "UNAUTHENTICATED")
    _problem(client.post(BASE, json=body, headers=auth("csr", "GD")), 403, "FORBIDDEN")
    assert charger.requests == []


def test_engine_refusals_map_to_3gpp_causes(
    client: TestClient, auth: KeyMaker, charger: FakeEngine
) -> None:
    headers = auth("partner", "GD")
    body = nchf_schema.charging_data_request(0, msisdn="8613900000000", requested_seconds=60)
    _problem(client.post(BASE, json=body, headers=headers), 404, "USER_UNKNOWN")
    charger.credit["8613800138000"] = 0
    body = nchf_schema.charging_data_request(0, requested_seconds=60)
    _problem(client.post(BASE, json=body, headers=headers), 403, "QUOTA_LIMIT_REACHED")
    body = nchf_schema.charging_data_request(0, msisdn="8613999999999", requested_seconds=60)
    _problem(client.post(BASE, json=body, headers=headers), 500, "SYSTEM_FAILURE")
    _problem(client.post(f"{BASE}/{'x' * 65}/update", json=body, headers=headers), 404,
             "CONTEXT_NOT_FOUND")  # fmt: skip


def test_a_province_key_never_charges_another_province(
    client: TestClient, auth: KeyMaker, charger: FakeEngine, session_factory: Any
) -> None:
    from openbss.db.uow import unit_of_work
    from tests.charging_support import line

    with unit_of_work(session_factory) as session:
        line(session, "+8613800138000", account_id="ACC-SH", province="SH")
    body = nchf_schema.charging_data_request(0, requested_seconds=60)
    _problem(client.post(BASE, json=body, headers=auth("partner", "GD")), 404, "USER_UNKNOWN")
    assert charger.requests == []
    assert client.post(BASE, json=body, headers=auth("partner", "SH")).status_code == 201
    assert client.post(BASE, json=body, headers=auth("admin", None)).status_code == 201
    assert len(charger.requests) == 2
