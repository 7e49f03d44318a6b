"""TMF641 over HTTP: read-only service orders, filters, paging, roles and provinces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at
from openbss.kit.security import Principal, Role
from openbss.provisioning.service import (
    Network,
    ServiceAction,
    ServiceRequestItem,
    create_service_order,
    run_due,
)
from tests.conftest import KeyMaker
from tests.service.test_provisioning_service import T0

BASE = "/tmf-api/serviceOrdering/v4"
ORCHESTRATION = Principal(key_id="orchestration", role=Role.ADMIN, province=None)


def new_order(
    factory: sessionmaker[Session],
    province: str,
    network: Network,
    service_type: str,
    service_id: str,
    po: str = "po-1",
    seconds: int = 0,
) -> str:
    item = ServiceRequestItem("poi-1", ServiceAction.ACTIVATE, service_id, service_type, None, {})
    # Distinct creation times: lists are in creation order.
    with frozen_at(T0 + timedelta(seconds=seconds)), unit_of_work(factory) as session:
        row = create_service_order(
            session,
            ORCHESTRATION,
            product_order_id=po,
            network=network,
            items=[item],
            sequence=1,
            province=province,
        )
        return row.id


@pytest.fixture
def orders(session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Two GD orders of one product order (one completed), one GD order of another and one
    SH order."""
    voice = new_order(session_factory, "GD", Network.SWITCH, "fixedVoice", "+862081234567")
    with frozen_at(T0):
        assert run_due(session_factory) == 1
    broadband = new_order(session_factory, "GD", Network.BRAS, "broadband", "gz_li@adsl", seconds=1)
    other = new_order(
        session_factory, "GD", Network.HLR, "mobile", "+8613312345678", po="po-2", seconds=2
    )
    shanghai = new_order(
        session_factory, "SH", Network.SWITCH, "fixedVoice", "+862112345678", seconds=3
    )
    return {"voice": voice, "broadband": broadband, "other": other, "shanghai": shanghai}


def test_list_shows_the_province_own_service_orders(
    client: TestClient, auth: KeyMaker, orders: dict[str, str]
) -> None:
    response = client.get(f"{BASE}/serviceOrder", headers=auth("csr", "GD"))
    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body] == [orders["voice"], orders["broadband"], orders["other"]]
    assert response.headers["X-Total-Count"] == "3"
    first = body[0]
    assert first["href"] == f"http://testserver{BASE}/serviceOrder/{orders['voice']}"
    assert (first["@type"], first["state"], first["category"], first["externalId"]) == (
        "ServiceOrder",
        "completed",
        "switch",
        "po-1",
    )
    assert first["serviceOrderItem"][0]["state"] == "completed"
    everything = client.get(f"{BASE}/serviceOrder", headers=auth("admin", None))
    assert len(everything.json()) == 4  # a group key sees every province


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=completed", ["voice"]),
        ("state=acknowledged", ["broadband", "other"]),
        ("externalId=po-1", ["voice", "broadband"]),
        ("category=bras,hlr", ["broadband", "other"]),
        ("serviceOrderItem.service.serviceType=mobile", ["other"]),
        ("externalId=po-1&state=acknowledged", ["broadband"]),
    ],
)
def test_list_filters(
    client: TestClient, auth: KeyMaker, orders: dict[str, str], query: str, expected: list[str]
) -> None:
    response = client.get(f"{BASE}/serviceOrder?{query}", headers=auth("analyst", "GD"))
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [orders[name] for name in expected]


def test_fields_and_paging(client: TestClient, auth: KeyMaker, orders: dict[str, str]) -> None:
    headers = auth("billing_operator", "GD")
    page = client.get(f"{BASE}/serviceOrder?fields=state&offset=1&limit=1", headers=headers)
    assert page.status_code == 206
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("3", "1")
    assert page.json() == [
        {
            "id": orders["broadband"],
            "href": f"http://testserver{BASE}/serviceOrder/{orders['broadband']}",
            "state": "acknowledged",
        }
    ]
    bad = client.get(f"{BASE}/serviceOrder?limit=0", headers=headers)
    assert bad.status_code == 400


def test_get_one_and_not_found(client: TestClient, auth: KeyMaker, orders: dict[str, str]) -> None:
    headers = auth("csr", "GD")
    found = client.get(f"{BASE}/serviceOrder/{orders['voice']}", headers=headers)
    assert found.status_code == 200
    body = found.json()
    assert (body["id"], body["state"], body["completionDate"]) == (
        orders["voice"],
        "completed",
        "2026-03-02T09:00:00.000Z",
    )
    selected = client.get(
        f"{BASE}/serviceOrder/{orders['voice']}?fields=state,category", headers=headers
    )
    assert set(selected.json()) == {"id", "href", "state", "category"}
    missing = client.get(f"{BASE}/serviceOrder/no-such-order", headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    # Another province's order does not exist as far as a GD key can tell.
    hidden = client.get(f"{BASE}/serviceOrder/{orders['shanghai']}", headers=headers)
    assert hidden.status_code == 404
    own = client.get(f"{BASE}/serviceOrder/{orders['shanghai']}", headers=auth("csr", "SH"))
    assert own.status_code == 200


def test_authentication_and_roles(
    client: TestClient, auth: KeyMaker, orders: dict[str, str]
) -> None:
    assert client.get(f"{BASE}/serviceOrder").status_code == 401
    url = f"{BASE}/serviceOrder/{orders['voice']}"
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    for role in ("csr", "billing_operator", "analyst", "admin"):
        assert client.get(url, headers=auth(role, "GD")).status_code == 200, role
    for role in ("finance", "partner"):
        refused = client.get(url, headers=auth(role, "GD"))
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN"), role


def test_service_orders_cannot_be_written_over_the_api(
    client: TestClient, auth: KeyMaker, orders: dict[str, str]
) -> None:
    headers = auth("admin", "GD")
    body = {"serviceOrderItem": [{"id": "1", "action": "add", "service": {"name": "x"}}]}
    created = client.post(f"{BASE}/serviceOrder", json=body, headers=headers)
    assert (created.status_code, created.json()["code"]) == (405, "HTTP_405")
    url = f"{BASE}/serviceOrder/{orders['broadband']}"
    assert client.patch(url, json={"state": "completed"}, headers=headers).status_code == 405
    assert client.delete(url, headers=headers).status_code == 405
    still = client.get(url, headers=headers).json()
    assert still["state"] == "acknowledged"


def test_hub_registration(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("admin", "GD")
    registered = client.post(
        f"{BASE}/hub",
        json={
            "callback": "http://127.0.0.1:9/cb",
            "query": "eventType=ServiceOrderStateChangeEvent",
        },
        headers=headers,
    )
    assert registered.status_code == 201
    hub_id = registered.json()["id"]
    assert client.delete(f"{BASE}/hub/{hub_id}", headers=headers).status_code == 204
