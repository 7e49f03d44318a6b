"""``/api/v1/numbers`` end to end: authentication, roles, selection, reservation round trip,
pools, province isolation and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.clock import frozen_at
from openbss.numbering.models import NumberPool, NumberResource
from tests.conftest import KeyMaker

BASE = "/api/v1/numbers"
POOL = {
    "kind": "fixed",
    "name": "gz-test",
    "areaCode": "020",
    "first": "83100000",
    "last": "83100019",
    "quarantineDays": 30,
}
T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def create_pool(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post(f"{BASE}/pools", json={**POOL, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def number_count(factory: sessionmaker[Session], **where: Any) -> int:
    statement = select(func.count()).select_from(NumberResource)
    for name, value in where.items():
        statement = statement.where(getattr(NumberResource, name) == value)
    with factory() as s:
        return s.scalar(statement) or 0


def test_authentication_is_required(client: TestClient) -> None:
    for method, path in (
        ("get", f"{BASE}?kind=fixed"),
        ("get", f"{BASE}/+862083100001"),
        ("get", f"{BASE}/pools"),
        ("post", f"{BASE}/reservations"),
        ("delete", f"{BASE}/reservations/abc"),
    ):
        response = client.request(method, path, json={"kind": "fixed"})
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "UNAUTHENTICATED"
    response = client.get(f"{BASE}?kind=fixed", headers={"Authorization": "Bearer obss_bogus"})
    assert response.status_code == 401


def test_roles(client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]) -> None:
    admin, csr, analyst = auth("admin"), auth("csr"), auth("analyst")
    response = client.post(f"{BASE}/pools", json=POOL, headers=csr)
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert client.get(f"{BASE}/pools", headers=analyst).status_code == 403
    create_pool(client, admin)
    reservation = {"kind": "fixed", "areaCode": "020"}
    response = client.post(f"{BASE}/reservations", json=reservation, headers=analyst)
    assert response.status_code == 403
    assert number_count(session_factory, status="reserved") == 0
    assert client.get(f"{BASE}?kind=fixed&areaCode=020", headers=analyst).status_code == 200
    assert client.get(f"{BASE}/+862083100001", headers=analyst).status_code == 200
    assert client.get(f"{BASE}?kind=fixed", headers=auth("billing_operator")).status_code == 403


def test_pools(client: TestClient, auth: KeyMaker) -> None:
    admin = auth("admin")
    with frozen_at(T0):
        created = create_pool(client, admin)
    assert created["id"]
    assert {k: v for k, v in created.items() if k != "id"} == {
        "name": "gz-test",
        "province": "GD",
        "kind": "fixed",
        "areaCode": "020",
        "prefix": None,
        "first": "83100000",
        "last": "83100019",
        "size": 20,
        "quarantineDays": 30,
        "createdAt": "2025-03-01T02:00:00.000Z",
        "counts": {"available": 20, "reserved": 0, "assigned": 0, "quarantined": 0},
    }
    client.post(f"{BASE}/reservations", json={"kind": "fixed", "areaCode": "020"}, headers=admin)
    listed = client.get(f"{BASE}/pools", headers=admin).json()
    assert [(p["name"], p["counts"]["available"], p["counts"]["reserved"]) for p in listed] == [
        ("gz-test", 19, 1)
    ]
    assert client.get(f"{BASE}/pools", headers=auth("admin", "ZJ")).json() == []


def test_reserve_list_and_release_round_trip(client: TestClient, auth: KeyMaker) -> None:
    create_pool(client, auth("admin"))
    csr = auth("csr")
    free = client.get(f"{BASE}?kind=fixed&areaCode=020&limit=3", headers=csr)
    assert free.status_code == 200
    assert free.json() == [
        {
            "number": "+862083100000",
            "national": "02083100000",
            "kind": "fixed",
            "areaCode": "020",
            "goldenLevel": "gold",
            "goldenPrice": {"unit": "CNY", "value": 2000},
        },
        {
            "number": "+862083100001",
            "national": "02083100001",
            "kind": "fixed",
            "areaCode": "020",
            "goldenLevel": None,
            "goldenPrice": {"unit": "CNY", "value": 0},
        },
        {
            "number": "+862083100002",
            "national": "02083100002",
            "kind": "fixed",
            "areaCode": "020",
            "goldenLevel": None,
            "goldenPrice": {"unit": "CNY", "value": 0},
        },
    ]
    with frozen_at(T0):
        response = client.post(
            f"{BASE}/reservations",
            json={"kind": "fixed", "areaCode": "020", "holdMinutes": 45},
            headers=csr,
        )
    assert response.status_code == 201, response.text
    reservation = response.json()
    reservation_id = reservation.pop("id")
    assert reservation == {
        "holder": f"reservation:{reservation_id}",
        "number": "+862083100001",  # the golden 83100000 is never picked automatically
        "national": "02083100001",
        "kind": "fixed",
        "areaCode": "020",
        "goldenLevel": None,
        "goldenPrice": {"unit": "CNY", "value": 0},
        "heldUntil": "2025-03-01T02:45:00.000Z",
    }
    with frozen_at(T0):
        state = client.get(f"{BASE}/+862083100001", headers=csr).json()
        listed = [n["number"] for n in client.get(f"{BASE}?kind=fixed", headers=csr).json()]
    assert state["status"] == "reserved"
    assert state["holder"] == f"reservation:{reservation_id}"
    assert state["heldUntil"] == "2025-03-01T02:45:00.000Z"
    assert "+862083100001" not in listed
    assert client.delete(f"{BASE}/reservations/{reservation_id}", headers=csr).status_code == 204
    state = client.get(f"{BASE}/02083100001", headers=csr).json()
    assert (state["status"], state["holder"], state["heldUntil"]) == ("available", None, None)
    again = client.delete(f"{BASE}/reservations/{reservation_id}", headers=csr)
    assert again.status_code == 404
    assert again.json()["code"] == "NOT_FOUND"


def test_choosing_a_golden_number(client: TestClient, auth: KeyMaker) -> None:
    create_pool(client, auth("admin"))
    csr = auth("csr")
    golden = client.get(f"{BASE}?kind=fixed&areaCode=020&golden=true", headers=csr).json()
    assert [(n["number"], n["goldenLevel"], n["goldenPrice"]["value"]) for n in golden] == [
        ("+862083100000", "gold", 2000),
        ("+862083100011", "silver", 500),
    ]
    ending = client.get(f"{BASE}?kind=fixed&pattern=11", headers=csr).json()
    assert [n["number"] for n in ending] == ["+862083100011"]
    response = client.post(
        f"{BASE}/reservations",
        json={"kind": "fixed", "number": "+862083100011"},
        headers=csr,
    )
    assert response.status_code == 201, response.text
    assert response.json()["goldenPrice"] == {"unit": "CNY", "value": 500}
    taken = client.post(
        f"{BASE}/reservations", json={"kind": "fixed", "number": "020-83100011"}, headers=csr
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "NUMBER_UNAVAILABLE"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "landline", "areaCode": "020"}, 400, "INVALID_BODY"),
        ({"areaCode": "020"}, 400, "INVALID_BODY"),
        ({"kind": "fixed", "areaCode": "020", "holdMinutes": "30"}, 400, "INVALID_BODY"),
        ({"kind": "fixed", "areaCode": "020", "holdMinutes": 0}, 400, "INVALID_BODY"),
        ({"kind": "fixed", "areaCode": "020", "colour": "red"}, 400, "INVALID_BODY"),
        ({"kind": "fixed", "areaCode": 20}, 400, "INVALID_BODY"),
        ({"kind": "fixed"}, 422, "INVALID_NUMBER_REQUEST"),
        ({"kind": "fixed", "number": "+862083999999"}, 422, "UNKNOWN_NUMBER"),
        ({"kind": "phs", "number": "+862083100001"}, 422, "UNKNOWN_NUMBER"),
        ({"kind": "fixed", "number": "hello"}, 422, "INVALID_NUMBER"),
        ({"kind": "fixed", "areaCode": "0755"}, 409, "NO_FREE_NUMBER"),
    ],
)
def test_bad_reservations_answer_clearly_and_change_nothing(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    create_pool(client, auth("admin"))
    response = client.post(f"{BASE}/reservations", json=body, headers=auth("csr"))
    assert response.status_code == status, response.text
    error = response.json()
    assert (error["code"], error["status"], error["@type"]) == (code, str(status), "Error")
    assert error["message"]
    assert number_count(session_factory, status="available") == 20


def test_bad_requests(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    admin = auth("admin")
    create_pool(client, admin)
    for raw in ("", "[1]", "{not json"):
        response = client.post(
            f"{BASE}/reservations",
            content=raw,
            headers={**admin, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, raw
    assert client.get(f"{BASE}?kind=landline", headers=admin).status_code == 400
    assert client.get(f"{BASE}", headers=admin).status_code == 400  # kind is required
    assert client.get(f"{BASE}?kind=fixed&limit=0", headers=admin).status_code == 400
    assert client.get(f"{BASE}?kind=fixed&golden=maybe", headers=admin).status_code == 400
    response = client.get(f"{BASE}?kind=fixed&pattern=8%25", headers=admin)
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_NUMBER_REQUEST"
    assert client.get(f"{BASE}/hello", headers=admin).status_code == 422
    assert client.get(f"{BASE}/+862083999999", headers=admin).status_code == 404
    overlap = client.post(f"{BASE}/pools", json={**POOL, "name": "again"}, headers=admin)
    assert (overlap.status_code, overlap.json()["code"]) == (409, "POOL_OVERLAP")
    invalid = client.post(f"{BASE}/pools", json={**POOL, "first": 83100000}, headers=admin)
    assert invalid.status_code == 400
    group = auth("admin", None)
    response = client.post(f"{BASE}/pools", json={**POOL, "name": "x"}, headers=group)
    assert (response.status_code, response.json()["code"]) == (422, "PROVINCE_REQUIRED")
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(NumberPool)) == 1
    assert number_count(session_factory) == 20


def test_provinces_are_isolated(client: TestClient, auth: KeyMaker) -> None:
    create_pool(client, auth("admin"))
    gd, zj = auth("csr", "GD"), auth("csr", "ZJ")
    reservation = client.post(
        f"{BASE}/reservations", json={"kind": "fixed", "areaCode": "020"}, headers=gd
    ).json()
    assert client.get(f"{BASE}/+862083100001", headers=zj).status_code == 404
    assert client.get(f"{BASE}?kind=fixed&areaCode=020", headers=zj).json() == []
    response = client.post(
        f"{BASE}/reservations", json={"kind": "fixed", "number": "+862083100002"}, headers=zj
    )
    assert (response.status_code, response.json()["code"]) == (422, "UNKNOWN_NUMBER")
    assert client.delete(f"{BASE}/reservations/{reservation['id']}", headers=zj).status_code == 404
    assert client.get(f"{BASE}/+862083100001", headers=gd).json()["status"] == "reserved"
    # A group key acts for a province through X-Province.
    group = {**auth("csr", None), "X-Province": "GD"}
    response = client.post(
        f"{BASE}/reservations", json={"kind": "fixed", "areaCode": "020"}, headers=group
    )
    assert (response.status_code, response.json()["number"]) == (201, "+862083100002")


def test_a_province_cannot_number_under_another_provinces_area_code(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    gd_admin = auth("admin", "GD")
    for area_code, first, last in (
        ("021", "54000000", "54000009"),  # Shanghai
        ("0571", "85000000", "85000009"),  # Hangzhou
        ("0991", "4500000", "4500009"),
    ):  # not Guangdong's
        response = client.post(
            f"{BASE}/pools",
            json={**POOL, "name": f"pool {area_code}", "areaCode": area_code,
                  "first": first, "last": last},
            headers=gd_admin,
        )  # fmt: skip
        assert response.status_code == 403, response.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(NumberPool)) == 0
    shanghai = create_pool(
        client, auth("admin", "SH"), areaCode="021", first="54000000", last="54000009"
    )
    assert shanghai["areaCode"] == "021"
