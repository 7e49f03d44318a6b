"""TMF620 end to end: CRUD, CTK-shaped requests, lifecycle, references, bundles, ownership."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.catalog.models import CatalogReference, ProductOffering, ProductSpecification
from openbss.events.models import OutboxEvent
from tests.conftest import KeyMaker

BASE = "/tmf-api/productCatalogManagement/v4"
MANDATORY = {"href", "id", "lastUpdate", "lifecycleStatus", "name"}


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _post(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"{BASE}/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _spec(client: TestClient, headers: dict[str, str], **extra: Any) -> Any:
    return _post(client, headers, "productSpecification", {"name": "固定电话", **extra})


def _offering(client: TestClient, headers: dict[str, str], spec_id: str, **extra: Any) -> Any:
    body = {"name": "固话本地通话", "productSpecification": {"id": spec_id}, **extra}
    return _post(client, headers, "productOffering", body)


def test_ctk_flow_specification_offering_price(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    spec = _spec(client, headers, name="Cisco Firepower NGFW")
    assert set(spec) >= MANDATORY
    assert (spec["lifecycleStatus"], spec["isBundle"], spec["@type"]) == (
        "inDesign",
        False,
        "ProductSpecification",
    )
    assert spec["lastUpdate"].endswith("Z")
    assert spec["href"] == f"http://testserver{BASE}/productSpecification/{spec['id']}"
    # The CTK's offering payload, with the spec id rewritten by the harness.
    offering = _post(
        client,
        headers,
        "productOffering",
        {
            "name": "aProductOffering",
            "productSpecification": {
                "id": spec["id"],
                "href": "https://mycsp.com:8080/x",
                "version": "1.1",
                "name": "Robotics999",
                "@referredType": "DeviceSpecification",
            },
        },
    )
    assert MANDATORY | {"productSpecification"} <= set(offering)
    price = _post(
        client,
        headers,
        "productOfferingPrice",
        {
            "name": "Recurring Charge for Business Firewall",
            "isBundle": False,
            "priceType": "recurring",
        },
    )
    assert MANDATORY | {"priceType"} <= set(price)
    for path, created in (
        ("productSpecification", spec),
        ("productOffering", offering),
        ("productOfferingPrice", price),
    ):
        listed = client.get(f"{BASE}/{path}", headers=headers)
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()] == [created["id"]]
        got = client.get(f"{BASE}/{path}/{created['id']}", headers=headers)
        assert got.json() == created
        for attribute in ("id", "name", "lifecycleStatus"):
            found = client.get(
                f"{BASE}/{path}", params={attribute: created[attribute]}, headers=headers
            ).json()
            assert [item["id"] for item in found] == [created["id"]]
        quoted = client.get(
            f"{BASE}/{path}", params={"lastUpdate": f'"{created["lastUpdate"]}"'}, headers=headers
        ).json()
        assert [item["id"] for item in quoted] == [created["id"]]
        fields = client.get(f"{BASE}/{path}?fields=lastUpdate", headers=headers).json()
        assert set(fields[0]) == {"id", "href", "lastUpdate"}
        assert client.get(f"{BASE}/{path}/4c0edace-c19b", headers=headers).status_code == 404
    by_type = client.get(f"{BASE}/productOfferingPrice?priceType=recurring", headers=headers)
    assert len(by_type.json()) == 1
    renamed = client.patch(
        f"{BASE}/productOfferingPrice/{price['id']}", json={"name": "Renamed"}, headers=headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"
    assert renamed.json()["lastUpdate"] >= price["lastUpdate"]
    patched = client.patch(
        f"{BASE}/productOffering/{offering['id']}",
        json={"name": "anotherProductOffering"},
        headers=headers,
    )
    assert patched.json()["name"] == "anotherProductOffering"
    assert (
        client.delete(f"{BASE}/productOffering/{offering['id']}", headers=headers).status_code
        == 204
    )
    assert (
        client.get(f"{BASE}/productOffering/{offering['id']}", headers=headers).status_code == 404
    )
    assert _count(session_factory, CatalogReference) == 0  # the offering's index went with it
    with session_factory() as s:
        kinds = sorted(e.event_type for e in s.scalars(select(OutboxEvent)))
    assert "ProductOfferingCreateEvent" in kinds
    assert "ProductOfferingDeleteEvent" in kinds
    assert "ProductOfferingPriceAttributeValueChangeEvent" in kinds


def test_unknown_reference_is_422_and_writes_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    response = client.post(
        f"{BASE}/productOffering",
        headers=headers,
        json={"name": "aProductOffering", "productSpecification": {"id": "9881"}},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "UNKNOWN_REFERENCE"
    assert "9881" in response.json()["message"]
    spec = _spec(client, headers)
    for extra in ({"productOfferingPrice": [{"id": "nope"}]}, {"category": [{"id": "nope"}]}):
        bad = client.post(
            f"{BASE}/productOffering",
            headers=headers,
            json={"name": "x", "productSpecification": {"id": spec["id"]}, **extra},
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == "UNKNOWN_REFERENCE"
    assert _count(session_factory, ProductOffering) == 0
    assert _count(session_factory, CatalogReference) == 0
    with session_factory() as s:
        actions = [e.entity_type for e in s.scalars(select(AuditEntry))]
    assert actions == ["ProductSpecification"]
    missing = client.post(f"{BASE}/productOffering", json={"name": "x"}, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (422, "MISSING_ATTRIBUTE")
    no_name = client.post(f"{BASE}/productSpecification", json={"brand": "x"}, headers=headers)
    assert no_name.status_code == 400


def test_lifecycle_transitions(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("admin", None)
    spec = _spec(client, headers)
    url = f"{BASE}/productSpecification/{spec['id']}"
    assert client.patch(url, json={"lifecycleStatus": "bogus"}, headers=headers).status_code == 422
    assert (
        client.patch(url, json={"lifecycleStatus": "retired"}, headers=headers).status_code == 409
    )
    # TMF's spelled-out form is accepted and stored in camelCase.
    active = client.patch(url, json={"lifecycleStatus": "In Test"}, headers=headers)
    assert active.json()["lifecycleStatus"] == "inTest"
    assert client.patch(url, json={"lifecycleStatus": "active"}, headers=headers).status_code == 200
    # A sellable specification cannot be deleted: retire it.
    refused = client.delete(url, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "SELLABLE_NOT_DELETABLE")
    assert (
        client.patch(url, json={"lifecycleStatus": "retired"}, headers=headers).status_code == 200
    )
    assert client.patch(url, json={"lifecycleStatus": "active"}, headers=headers).status_code == 409
    assert (
        client.patch(url, json={"lifecycleStatus": "obsolete"}, headers=headers).status_code == 200
    )
    assert client.delete(url, headers=headers).status_code == 204


def test_offering_activation_needs_sellable_parts(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("admin", None)
    spec = _spec(client, headers)
    offering = _offering(client, headers, spec["id"])
    url = f"{BASE}/productOffering/{offering['id']}"
    refused = client.patch(url, json={"lifecycleStatus": "active"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "REFERENCE_NOT_SELLABLE")
    client.patch(
        f"{BASE}/productSpecification/{spec['id']}",
        json={"lifecycleStatus": "active"},
        headers=headers,
    )
    assert client.patch(url, json={"lifecycleStatus": "active"}, headers=headers).status_code == 200
    in_use = client.delete(f"{BASE}/productSpecification/{spec['id']}", headers=headers)
    assert in_use.status_code == 409


def test_specification_service_type_and_characteristics(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("admin", None)
    spec = _spec(
        client,
        headers,
        serviceType="phs",
        productSpecCharacteristic=[{"name": "phoneNumber", "valueType": "string"}],
    )
    found = client.get(f"{BASE}/productSpecification?serviceType=phs", headers=headers).json()
    assert [s["id"] for s in found] == [spec["id"]]
    cases = [
        ({"serviceType": "telegraph"}, 422, "UNKNOWN_SERVICE_TYPE"),
        (
            {"productSpecCharacteristic": [{"name": "x", "valueType": "colour"}]},
            422,
            "INVALID_CHARACTERISTIC",
        ),
        (
            {"productSpecCharacteristic": [{"name": "a"}, {"name": "a"}]},
            422,
            "INVALID_CHARACTERISTIC",
        ),
        ({"productSpecCharacteristic": [{"valueType": "string"}]}, 400, "INVALID_BODY"),
        ({"isBundle": True}, 422, "MISSING_ATTRIBUTE"),
    ]
    for extra, status, code in cases:
        response = client.post(
            f"{BASE}/productSpecification", headers=headers, json={"name": "x", **extra}
        )
        assert (response.status_code, response.json()["code"]) == (status, code), extra


def test_bundles(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    spec = _spec(client, headers)
    fixed = _offering(client, headers, spec["id"])
    adsl = _offering(client, headers, spec["id"], name="ADSL 2M 包月")
    bundle = _post(
        client,
        headers,
        "productOffering",
        {
            "name": "固话+宽带套餐",
            "isBundle": True,
            "bundledProductOffering": [{"id": fixed["id"]}, {"id": adsl["id"]}],
        },
    )
    assert bundle["isBundle"] is True
    listed = client.get(f"{BASE}/productOffering?isBundle=true", headers=headers).json()
    assert [o["id"] for o in listed] == [bundle["id"]]
    url = f"{BASE}/productOffering/{bundle['id']}"
    itself = client.patch(
        url, json={"bundledProductOffering": [{"id": bundle["id"]}]}, headers=headers
    )
    assert (itself.status_code, itself.json()["code"]) == (422, "INVALID_REFERENCE")
    twice = client.patch(
        url,
        json={"bundledProductOffering": [{"id": fixed["id"]}, {"id": fixed["id"]}]},
        headers=headers,
    )
    assert twice.status_code == 422
    outer = _post(
        client,
        headers,
        "productOffering",
        {"name": "大套餐", "isBundle": True, "bundledProductOffering": [{"id": bundle["id"]}]},
    )
    cycle = client.patch(
        url, json={"bundledProductOffering": [{"id": outer["id"]}]}, headers=headers
    )
    assert (cycle.status_code, cycle.json()["code"]) == (422, "INVALID_REFERENCE")
    empty = client.post(
        f"{BASE}/productOffering", headers=headers, json={"name": "空套餐", "isBundle": True}
    )
    assert empty.status_code == 422
    unknown = client.post(
        f"{BASE}/productOffering",
        headers=headers,
        json={"name": "坏套餐", "isBundle": True, "bundledProductOffering": [{"id": "ghost"}]},
    )
    assert unknown.json()["code"] == "UNKNOWN_REFERENCE"
    member = client.delete(f"{BASE}/productOffering/{fixed['id']}", headers=headers)
    assert (member.status_code, member.json()["code"]) == (409, "IN_USE")
    assert _count(session_factory, ProductOffering) == 4


def test_group_and_province_ownership(client: TestClient, auth: KeyMaker) -> None:
    group = auth("admin", None)
    spec = _spec(client, group)
    assert spec["id"]
    gd, sc = auth("admin", "GD"), auth("admin", "SC")
    # Everyone reads the group catalog; only admin writes.
    assert (
        client.get(
            f"{BASE}/productSpecification/{spec['id']}", headers=auth("csr", "GD")
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{BASE}/productSpecification", json={"name": "x"}, headers=auth("csr", "GD")
        ).status_code
        == 403
    )
    forbidden = client.patch(
        f"{BASE}/productSpecification/{spec['id']}", json={"name": "改"}, headers=gd
    )
    assert forbidden.status_code == 403
    assert client.delete(f"{BASE}/productSpecification/{spec['id']}", headers=gd).status_code == 403
    local = _offering(
        client, gd, spec["id"], name="广东本地套餐"
    )  # a province adds a local offering
    assert client.get(f"{BASE}/productOffering/{local['id']}", headers=sc).status_code == 404
    assert client.get(f"{BASE}/productOffering", headers=sc).json() == []
    assert [o["id"] for o in client.get(f"{BASE}/productOffering", headers=group).json()] == [
        local["id"]
    ]
    local_spec = _spec(client, gd, name="广东专用")
    # Another province, and the group catalog, cannot use a province's rows.
    other = client.post(
        f"{BASE}/productOffering",
        headers=sc,
        json={"name": "x", "productSpecification": {"id": local_spec["id"]}},
    )
    assert other.json()["code"] == "UNKNOWN_REFERENCE"
    master = client.post(
        f"{BASE}/productOffering",
        headers=group,
        json={"name": "x", "productSpecification": {"id": local_spec["id"]}},
    )
    assert master.json()["code"] == "UNKNOWN_REFERENCE"
    assert (
        client.patch(
            f"{BASE}/productOffering/{local['id']}", json={"name": "改名"}, headers=gd
        ).status_code
        == 200
    )


def test_catalog_and_categories(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("admin", None)
    root = _post(client, headers, "category", {"name": "固网语音", "isRoot": True})
    child = _post(client, headers, "category", {"name": "长途", "parentId": root["id"]})
    assert (
        client.get(f"{BASE}/category?parentId={root['id']}", headers=headers).json()[0]["id"]
        == child["id"]
    )
    loop = client.patch(
        f"{BASE}/category/{root['id']}",
        json={"parentId": child["id"], "isRoot": False},
        headers=headers,
    )
    assert (loop.status_code, loop.json()["code"]) == (422, "INVALID_REFERENCE")
    catalog = _post(
        client, headers, "catalog", {"name": "集团目录", "category": [{"id": root["id"]}]}
    )
    assert catalog["lifecycleStatus"] == "inDesign"
    assert client.delete(f"{BASE}/category/{root['id']}", headers=headers).status_code == 409
    duplicate = client.post(f"{BASE}/catalog", headers=headers, json={"name": "x", "code": "C1"})
    assert duplicate.status_code == 201
    again = client.post(f"{BASE}/catalog", headers=headers, json={"name": "y", "code": "C1"})
    assert (again.status_code, again.json()["code"]) == (409, "DUPLICATE_CODE")
    assert client.delete(f"{BASE}/catalog/{catalog['id']}", headers=headers).status_code == 204
    assert client.delete(f"{BASE}/category/{child['id']}", headers=headers).status_code == 204
    assert client.delete(f"{BASE}/category/{root['id']}", headers=headers).status_code == 204


def test_spec_rows_keep_typed_columns(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    spec = _spec(client, headers, serviceType="broadband", version="2.0", code="CT-PS-X")
    with session_factory() as s:
        row = s.get(ProductSpecification, spec["id"])
        assert row is not None
        assert (
            row.name,
            row.lifecycle_status,
            row.version,
            row.service_type,
            row.code,
            row.province,
        ) == ("固定电话", "inDesign", "2.0", "broadband", "CT-PS-X", None)
