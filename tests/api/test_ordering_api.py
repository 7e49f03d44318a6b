"""Product ordering end to end: capture, provisioning through the simulated OSS, inventory,
suspend / resume / cease, fallout with compensation, idempotency and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.inventory.models import Product
from openbss.kit.clock import frozen_at
from openbss.numbering.models import NumberResource
from openbss.ordering.models import OrderFallout, ProductOrder
from openbss.ordering.orchestrator import work_until_idle
from openbss.provisioning.calculations import Network, element_code
from openbss.provisioning.service import configure_element, simulated_state
from tests.conftest import KeyMaker
from tests.ordering_support import (
    INVENTORY,
    ORDERS,
    Sales,
    action_order,
    bundle_order,
    installation,
    sales_ready,
    single_order,
)

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _work(factory: sessionmaker[Session], at: datetime) -> None:
    with frozen_at(at):
        work_until_idle(factory)


def _order(client: TestClient, headers: dict[str, str], order_id: str) -> dict[str, Any]:
    response = client.get(f"{ORDERS}/productOrder/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _products(client: TestClient, headers: dict[str, str], customer_id: str) -> dict[str, Any]:
    response = client.get(f"{INVENTORY}/product?relatedParty.id={customer_id}", headers=headers)
    assert response.status_code == 200, response.text
    return {
        p["productSpecification"]["name"] if "productSpecification" in p else "bundle": p
        for p in response.json()
    }


def _submit(
    client: TestClient, headers: dict[str, str], body: dict[str, Any], at: datetime
) -> dict[str, Any]:
    with frozen_at(at):
        response = client.post(f"{ORDERS}/productOrder", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _counts(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as s:
        orders = s.scalar(select(func.count()).select_from(ProductOrder)) or 0
        products = s.scalar(select(func.count()).select_from(Product)) or 0
        held = (
            s.scalar(
                select(func.count())
                .select_from(NumberResource)
                .where(NumberResource.status != "available")
            )
            or 0
        )
    return orders, products, held


def _completed_bundle(
    client: TestClient, headers: dict[str, str], factory: sessionmaker[Session], sales: Sales
) -> tuple[dict[str, Any], dict[str, Any]]:
    order = _submit(client, headers, bundle_order(sales), T0)
    _work(factory, T0 + timedelta(minutes=5))
    return _order(client, headers, order["id"]), _products(client, headers, sales.customer_id)


def test_bundle_is_captured_priced_provisioned_and_in_the_inventory(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    order = _submit(client, headers, bundle_order(sales), T0)
    assert order["state"] == "acknowledged"
    assert _order(client, headers, order["id"]) == order  # what was answered was stored
    assert order["channel"][0]["id"] == "retailHall"
    bundle = order["productOrderItem"][0]
    members = bundle["productOrderItem"]
    assert [m["state"] for m in members] == ["acknowledged", "acknowledged"]
    # 120 yuan a month less 10 %; each member's installation fee once; no member rental.
    assert bundle["itemTotalPrice"] == [
        {
            "name": "合计 / Total",
            "priceType": "recurring",
            "price": {"taxIncludedAmount": {"unit": "CNY", "value": 108.0}},
            "recurringChargePeriod": "month",
        }
    ]
    totals = {
        (t["priceType"], t.get("recurringChargePeriod")): t["price"]["taxIncludedAmount"]["value"]
        for t in order["orderTotalPrice"]
    }
    assert totals == {("oneTime", None): 200.0, ("recurring", "month"): 108.0}
    fixed = next(
        m
        for m in members
        if any(c["name"] == "phoneNumber" for c in m["product"]["productCharacteristic"])
    )
    number = next(
        c["value"] for c in fixed["product"]["productCharacteristic"] if c["name"] == "phoneNumber"
    )
    assert number.startswith("+8620")
    numbers = client.get(f"/api/v1/numbers/{number}", headers=auth("csr", "GD")).json()
    assert numbers["status"] == "reserved"

    done_at = T0 + timedelta(minutes=5)
    _work(session_factory, done_at)
    completed = _order(client, headers, order["id"])
    assert completed["state"] == "completed"
    assert completed["completionDate"] == "2026-03-02T01:35:00.000Z"
    products = _products(client, headers, sales.customer_id)
    assert len(products) == 3  # the bundle and its two members
    for product in products.values():
        assert product["status"] == "active"
        assert product["startDate"] == "2026-03-02T01:35:00.000Z"
        assert [h["status"] for h in product["statusHistory"]] == [
            "created",
            "pendingActive",
            "active",
        ]
        assert product["billingAccount"]["id"] == sales.account_id
    assert client.get(f"/api/v1/numbers/{number}", headers=headers).json()["status"] == "assigned"
    with session_factory() as s:
        assert simulated_state(s, Network.SWITCH, "GD") == {number: "active"}
        assert list(simulated_state(s, Network.BRAS, "GD").values()) == ["active"]
    customer = client.get(
        f"/tmf-api/customerManagement/v4/customer/{sales.customer_id}", headers=headers
    ).json()
    assert customer["status"] == "active"


def test_suspend_then_resume_changes_status_with_prorating_timestamps(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("billing_operator", "GD")
    _, products = _completed_bundle(client, auth("csr", "GD"), session_factory, sales)
    bundle_id = next(p["id"] for p in products.values() if p["isBundle"])
    suspended_at = T0 + timedelta(days=10)
    suspend = _submit(
        client,
        headers,
        action_order(sales, "suspend", bundle_id, description="欠费停机 / arrears"),
        suspended_at,
    )
    _work(session_factory, suspended_at)
    assert _order(client, headers, suspend["id"])["state"] == "completed"
    resumed_at = T0 + timedelta(days=14, hours=3)
    # TMF style: modify with product.status "active" is a resume.
    resume_body = {
        "relatedParty": [{"id": sales.customer_id, "@referredType": "Customer"}],
        "productOrderItem": [
            {"id": "1", "action": "modify", "product": {"id": bundle_id, "status": "active"}}
        ],
    }
    resume = _submit(client, headers, resume_body, resumed_at)
    _work(session_factory, resumed_at)
    assert _order(client, headers, resume["id"])["state"] == "completed"
    for product in _products(client, headers, sales.customer_id).values():
        history = [(h["status"], h["validFor"]["startDateTime"]) for h in product["statusHistory"]]
        assert history[2:] == [
            ("active", "2026-03-02T01:35:00.000Z"),
            ("suspended", "2026-03-12T01:30:00.000Z"),
            ("active", "2026-03-16T04:30:00.000Z"),
        ]
        assert product["status"] == "active"
    with session_factory() as s:
        assert set(simulated_state(s, Network.SWITCH, "GD").values()) == {"active"}


def test_resume_of_a_product_that_is_not_suspended_is_refused(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    _, products = _completed_bundle(client, headers, session_factory, sales)
    fixed = next(p for p in products.values() if p.get("productSerialNumber", "").startswith("+"))
    before = _counts(session_factory)
    response = client.post(
        f"{ORDERS}/productOrder", json=action_order(sales, "resume", fixed["id"]), headers=headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_PRODUCT_STATE"
    assert "active" in response.json()["message"]
    assert _counts(session_factory) == before


def test_provisioning_failure_is_compensated_then_retried_to_completion(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    order = _submit(client, headers, bundle_order(sales), T0)
    with session_factory() as s:
        from openbss.provisioning.service import ensure_network_elements

        ensure_network_elements(s, "GD")
        configure_element(s, element_code("GD", Network.BRAS), mode="reject")
        s.commit()
    _work(session_factory, T0 + timedelta(minutes=1))
    failed = _order(client, headers, order["id"])
    assert failed["state"] == "failed"
    assert "bras" in failed["stateReason"] and "undone" in failed["stateReason"]
    with session_factory() as s:
        # The fixed line was activated first, then taken down again: nothing half-active.
        assert simulated_state(s, Network.SWITCH, "GD") == {}
        assert simulated_state(s, Network.BRAS, "GD") == {}
        fallout = s.scalars(select(OrderFallout)).all()
        assert [f.product_order_id for f in fallout] == [order["id"]]
        assert fallout[0].resolved_at is None
    assert {p["status"] for p in _products(client, headers, sales.customer_id).values()} == {
        "created"
    }

    with session_factory() as s:
        configure_element(s, element_code("GD", Network.BRAS), mode="accept")
        s.commit()
    from openbss.ordering.orchestrator import retry
    from tests.ordering_support import GD

    with session_factory() as s:
        retry(s, GD, order["id"])
        s.commit()
    _work(session_factory, T0 + timedelta(hours=1))
    assert _order(client, headers, order["id"])["state"] == "completed"
    assert {p["status"] for p in _products(client, headers, sales.customer_id).values()} == {
        "active"
    }
    with session_factory() as s:
        assert len(simulated_state(s, Network.SWITCH, "GD")) == 1
        assert s.scalars(select(OrderFallout)).one().resolution == "retried"


def test_same_external_id_creates_nothing_new(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    body = bundle_order(sales, externalId="HALL-0931-20260302-0001")
    first = _submit(client, headers, body, T0)
    before = _counts(session_factory)
    again = client.post(f"{ORDERS}/productOrder", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert _counts(session_factory) == before
    other = client.post(
        f"{ORDERS}/productOrder", json={**body, "description": "another"}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "EXTERNAL_ID_REUSED"
    assert _counts(session_factory) == before


def test_bad_orders_are_refused_and_change_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    before = _counts(session_factory)

    def refused(body: dict[str, Any], code: str) -> None:
        response = client.post(f"{ORDERS}/productOrder", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert _counts(session_factory) == before

    unknown = bundle_order(sales)
    unknown["productOrderItem"][0]["productOffering"] = {"id": "no-such-offering"}
    refused(unknown, "UNKNOWN_OFFERING")
    # PHS is not offered in Foshan (0757): no PHS local network there.
    refused(single_order(sales, "CT-PO-PHS", place=installation(city="佛山")), "INELIGIBLE_ADDRESS")
    refused(single_order(sales, "CT-PO-ADSL-2M", place=installation()), "PREREQUISITE_MISSING")
    nowhere = single_order(sales, "CT-PO-FIXED-LOCAL", place=installation(city="Atlantis"))
    refused(nowhere, "INELIGIBLE_ADDRESS")

    admin = auth("admin", None)
    retire = client.patch(
        f"/tmf-api/productCatalogManagement/v4/productOffering/{sales.catalog['CT-PO-ADSL-2M']}",
        json={"lifecycleStatus": "retired"},
        headers=admin,
    )
    assert retire.status_code == 200, retire.text
    bundle = bundle_order(sales)
    single = single_order(sales, "CT-PO-ADSL-2M", place=installation())
    response = client.post(f"{ORDERS}/productOrder", json=single, headers=headers)
    assert response.status_code == 422 and response.json()["code"] == "OFFERING_NOT_SELLABLE"
    assert "retired" in response.json()["message"]
    del bundle
    assert _counts(session_factory) == before


def test_one_broadband_per_installation_address(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    _completed_bundle(client, headers, session_factory, sales)
    before = _counts(session_factory)
    # Same premises written differently (full-width digits, spaces): still the same address.
    again = single_order(sales, "CT-PO-ADSL-2M", place=installation(street="天河路１００号 1201房"))
    response = client.post(f"{ORDERS}/productOrder", json=again, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "ADDRESS_HAS_BROADBAND"
    assert _counts(session_factory) == before


def test_incomplete_order_waits_pending_until_completed_by_patch(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    body = {
        "productOrderItem": [{"id": "123", "action": "add"}],
        "relatedParty": [{"id": sales.party_id, "@referredType": "Individual"}],
    }
    pending = _submit(client, headers, body, T0)
    assert pending["state"] == "pending"
    assert _order(client, headers, pending["id"]) == pending
    assert "productOffering" in pending["stateReason"]
    assert _counts(session_factory)[1:] == (0, 0)
    patch = {
        "productOrderItem": [
            {
                "id": "123",
                "action": "add",
                "productOffering": {"id": sales.catalog["CT-PO-FIXED-LOCAL"]},
                "product": {"place": installation()},
            }
        ]
    }
    response = client.patch(f"{ORDERS}/productOrder/{pending['id']}", json=patch, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "acknowledged"
    assert "stateReason" not in response.json()
    assert response.json()["billingAccount"]["id"] == sales.account_id  # the only one


def test_cancel_releases_numbers_and_cancels_products(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    order = _submit(client, headers, bundle_order(sales), T0)
    response = client.post(
        f"{ORDERS}/cancelProductOrder",
        json={"productOrder": {"id": order["id"]}, "cancellationReason": "客户改变主意"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "done"
    cancelled = _order(client, headers, order["id"])
    assert cancelled["state"] == "cancelled"
    assert cancelled["cancellationReason"] == "客户改变主意"
    assert {p["status"] for p in _products(client, headers, sales.customer_id).values()} == {
        "cancelled"
    }
    assert _counts(session_factory)[2] == 0  # every number free again
    _work(session_factory, T0 + timedelta(minutes=5))
    with session_factory() as s:
        assert simulated_state(s, Network.SWITCH, "GD") == {}
    again = client.post(
        f"{ORDERS}/cancelProductOrder", json={"productOrder": {"id": order["id"]}}, headers=headers
    )
    assert again.status_code == 409


def test_cease_terminates_and_quarantines_the_number(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    _, products = _completed_bundle(client, headers, session_factory, sales)
    bundle_id = next(p["id"] for p in products.values() if p["isBundle"])
    number = next(
        p["productSerialNumber"]
        for p in products.values()
        if p.get("productSerialNumber", "").startswith("+")
    )
    ceased_at = T0 + timedelta(days=40)
    cease = _submit(client, headers, action_order(sales, "delete", bundle_id), ceased_at)
    _work(session_factory, ceased_at)
    assert _order(client, headers, cease["id"])["state"] == "completed"
    for product in _products(client, headers, sales.customer_id).values():
        assert product["status"] == "terminated"
        assert product["terminationDate"] == "2026-04-11T01:30:00.000Z"
    with frozen_at(ceased_at + timedelta(days=89)):
        status = client.get(f"/api/v1/numbers/{number}", headers=headers).json()
    assert status["status"] == "quarantined"
    with frozen_at(ceased_at + timedelta(days=91)):  # the quarantine (90 days) is over
        status = client.get(f"/api/v1/numbers/{number}", headers=headers).json()
    assert status["status"] == "available"
    with session_factory() as s:
        assert simulated_state(s, Network.SWITCH, "GD") == {}


def test_inventory_is_read_only_and_orders_are_never_deleted(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("admin", "GD")
    order, products = _completed_bundle(client, headers, session_factory, sales)
    product_id = next(iter(products.values()))["id"]
    assert client.post(f"{INVENTORY}/product", json={}, headers=headers).status_code == 405
    assert (
        client.patch(f"{INVENTORY}/product/{product_id}", json={}, headers=headers).status_code
        == 405
    )
    assert client.delete(f"{INVENTORY}/product/{product_id}", headers=headers).status_code == 405
    assert client.delete(f"{ORDERS}/productOrder/{order['id']}", headers=headers).status_code == 405
    assert (
        client.get(f"{INVENTORY}/product/{product_id}", headers=auth("csr", "SH")).status_code
        == 404
    )
    assert client.get(f"{INVENTORY}/product", headers={}).status_code == 401


def test_order_and_inventory_changes_are_published_as_events(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    from openbss.events.models import OutboxEvent

    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    order, _ = _completed_bundle(client, headers, session_factory, sales)
    with session_factory() as s:
        events = s.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)).all()
    # Sorted: events written in one frozen instant share their timestamp.
    order_events = sorted(
        (e.event_type, e.payload["event"]["productOrder"]["state"])
        for e in events
        if e.api == "productOrderingManagement"
    )
    assert order_events == [
        ("ProductOrderCreateEvent", "acknowledged"),
        ("ProductOrderStateChangeEvent", "completed"),
        ("ProductOrderStateChangeEvent", "inProgress"),
    ]
    product_events = [e for e in events if e.api == "productInventory"]
    kinds = [e.event_type for e in product_events]
    assert kinds.count("ProductCreateEvent") == 3
    assert kinds.count("ProductStateChangeEvent") == 6  # pendingActive, then active, for 3
    assert {e.province for e in events if e.api in ("productInventory", "serviceOrdering")} == {
        "GD"
    }
    assert order["state"] == "completed"


def test_an_order_the_network_side_refuses_goes_to_fallout_not_round_and_round(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openbss.ordering.orchestrator as orchestrator
    from openbss.kit.errors import Unprocessable

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise Unprocessable("no network element of network 'bras' in province GD")

    monkeypatch.setattr(orchestrator, "create_service_order", refuse)
    sales = sales_ready(session_factory)
    headers = auth("csr", "GD")
    order = _submit(client, headers, bundle_order(sales), T0)
    _work(session_factory, T0 + timedelta(minutes=1))
    failed = _order(client, headers, order["id"])
    assert failed["state"] == "failed"
    assert failed["stateReason"] == (
        "orchestration stopped: no network element of network 'bras' in province GD"
    )
    with session_factory() as s:
        assert [f.product_order_id for f in s.scalars(select(OrderFallout))] == [order["id"]]
