"""TMF629 end to end: creating customers, their references, category and credit class."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.customer.models import Customer
from openbss.events.models import OutboxEvent
from openbss.kit.clock import frozen_at
from tests.conftest import KeyMaker

BASE = "/tmf-api/customerManagement/v4"
PARTY = "/tmf-api/party/v4"


def new_individual(
    client: TestClient, headers: dict[str, str], family: str = "张", given: str = "伟"
) -> str:
    response = client.post(
        f"{PARTY}/individual", json={"familyName": family, "givenName": given}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def new_organization(
    client: TestClient, headers: dict[str, str], name: str = "广州测试有限公司"
) -> str:
    response = client.post(f"{PARTY}/organization", json={"tradingName": name}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def new_customer(
    client: TestClient, headers: dict[str, str], party_id: str, **attributes: Any
) -> dict[str, Any]:
    body = {"engagedParty": {"id": party_id}, **attributes}
    response = client.post(f"{BASE}/customer", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def characteristic(customer: dict[str, Any], name: str) -> Any:
    values = [c["value"] for c in customer.get("characteristic", []) if c["name"] == name]
    assert len(values) <= 1
    return values[0] if values else None


def count(factory: sessionmaker[Session], model: type, **where: Any) -> int:
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    with factory() as s:
        return s.scalar(statement) or 0


def test_create_customer_for_an_individual(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    party_id = new_individual(client, headers)
    created = new_customer(client, headers, party_id)
    assert created["href"] == f"http://testserver{BASE}/customer/{created['id']}"
    assert created["@type"] == "Customer"
    assert created["name"] == "张伟"  # named after the party when the client gives no name
    assert created["status"] == "prospective"
    assert created["engagedParty"] == {
        "id": party_id,
        "name": "张伟",
        "@referredType": "Individual",
    }
    assert created["characteristic"] == [
        {"name": "customerCategory", "valueType": "string", "value": "residential"}
    ]
    assert client.get(f"{BASE}/customer/{created['id']}", headers=headers).json() == created
    with session_factory() as s:
        row = s.get(Customer, created["id"])
        assert row is not None
        assert (
            row.province,
            row.engaged_party_id,
            row.engaged_party_type,
            row.category,
            row.credit_class,
            row.status,
        ) == ("GD", party_id, "Individual", "residential", None, "prospective")
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.api == "customerManagement")).one()
        assert event.event_type == "CustomerCreateEvent"
        assert event.payload["event"]["customer"]["id"] == created["id"]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "Customer")).one()
        assert (entry.action, entry.entity_id, entry.province) == ("create", created["id"], "GD")


def test_create_customer_for_an_organization_keeps_refs_as_given(
    client: TestClient, auth: KeyMaker
) -> None:
    headers = auth("admin")
    party_id = new_organization(client, headers)
    refs = {
        "account": [{"id": "acc-1", "name": "主帐户", "@referredType": "BillingAccount"}],
        "paymentMethod": [{"id": "pm-1", "name": "银行托收"}],
        "agreement": [{"id": "agr-9", "name": "集团客户协议"}],
        "contactMedium": [
            {
                "mediumType": "phone",
                "preferred": True,
                "characteristic": {"phoneNumber": "02087654321"},
            }
        ],
        "relatedParty": [{"id": "p-7", "role": "accountManager", "@referredType": "Individual"}],
        "validFor": {"startDateTime": "2024-01-01T00:00:00.000Z"},
    }
    created = new_customer(
        client,
        headers,
        party_id,
        name="广州测试 (集团)",
        engagedParty={"id": party_id, "@referredType": "Organization"},
        **refs,
    )
    assert created["name"] == "广州测试 (集团)"
    assert characteristic(created, "customerCategory") == "business"
    for attribute, value in refs.items():
        assert created[attribute] == value


def test_unknown_engaged_party_is_422_and_writes_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    elsewhere = new_individual(client, auth("csr", "SC"))  # exists, but not in GD
    audits = count(session_factory, AuditEntry)
    for party_id in ("456-dd-df45", elsewhere):
        response = client.post(
            f"{BASE}/customer", json={"engagedParty": {"id": party_id}}, headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "UNKNOWN_REFERENCE"
        assert response.json()["status"] == "422"
    assert count(session_factory, Customer) == 0
    assert count(session_factory, OutboxEvent, api="customerManagement") == 0
    assert count(session_factory, AuditEntry) == audits


def test_referred_type_must_match_the_party(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    person = new_individual(client, headers)
    for referred in ("Organization", "PartyRole"):
        response = client.post(
            f"{BASE}/customer",
            headers=headers,
            json={"engagedParty": {"id": person, "@referredType": referred}},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "REFERRED_TYPE_MISMATCH"
    assert count(session_factory, Customer) == 0


def test_malformed_bodies_are_400(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    person = new_individual(client, headers)
    bad_bodies: list[dict[str, Any]] = [
        {"name": "no party"},
        {"engagedParty": {"name": "no id"}},
        {"engagedParty": {"id": person}, "name": 5},
        {"engagedParty": {"id": person}, "account": [{"description": "neither id nor name"}]},
        {"engagedParty": {"id": person}, "creditProfile": [{"creditScore": 700}]},  # no validFor
        {"engagedParty": {"id": person}, "creditProfile": [{"creditScore": "700", "validFor": {}}]},
        {"engagedParty": {"id": person}, "id": "chosen-by-client"},
    ]
    for body in bad_bodies:
        response = client.post(f"{BASE}/customer", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
    bad_phone = client.post(
        f"{BASE}/customer",
        headers=headers,
        json={
            "engagedParty": {"id": person},
            "contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "12"}}],
        },
    )
    assert bad_phone.status_code == 422
    assert count(session_factory, Customer) == 0


def test_one_customer_per_party_per_province(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("csr")
    person = new_individual(client, headers)
    new_customer(client, headers, person)
    again = client.post(
        f"{BASE}/customer", json={"engagedParty": {"id": person}, "name": "又一个"}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "DUPLICATE_CUSTOMER"
    assert client.get(f"{BASE}/customer", headers=headers).headers["X-Total-Count"] == "1"


def _category(value: Any) -> dict[str, Any]:
    return {"characteristic": [{"name": "customerCategory", "value": value}]}


def test_category_rules(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    person = new_individual(client, headers)
    for value, code in (
        ("government", "CATEGORY_NOT_ALLOWED"),
        ("vip", "UNKNOWN_CATEGORY"),
        (7, "UNKNOWN_CATEGORY"),
        (["residential"], "UNKNOWN_CATEGORY"),
    ):
        response = client.post(
            f"{BASE}/customer",
            headers=headers,
            json={"engagedParty": {"id": person}, **_category(value)},
        )
        assert response.status_code == 422, (value, response.text)
        assert response.json()["code"] == code
    # A sole trader (个体工商户) is an individual business customer.
    trader = new_customer(client, headers, person, **_category("business"))
    assert characteristic(trader, "customerCategory") == "business"

    bureau = new_organization(client, headers, "广州市某局")
    residential = client.post(
        f"{BASE}/customer",
        headers=headers,
        json={"engagedParty": {"id": bureau}, **_category("residential")},
    )
    assert residential.status_code == 422
    assert residential.json()["code"] == "CATEGORY_NOT_ALLOWED"
    government = new_customer(client, headers, bureau, **_category("government"))
    url = f"{BASE}/customer/{government['id']}"
    # Rewriting the characteristic list without the category keeps the category.
    patched = client.patch(
        url, headers=headers, json={"characteristic": [{"name": "segment", "value": "gold"}]}
    ).json()
    assert patched["characteristic"] == [
        {"name": "segment", "value": "gold"},
        {"name": "customerCategory", "valueType": "string", "value": "government"},
    ]
    business = client.patch(url, headers=headers, json=_category("business"))
    assert characteristic(business.json(), "customerCategory") == "business"
    with session_factory() as s:
        assert s.get(Customer, government["id"]).category == "business"  # type: ignore[union-attr]
    listed = client.get(f"{BASE}/customer?category=business", headers=headers).json()
    assert sorted(c["id"] for c in listed) == sorted([trader["id"], government["id"]])


def _profile(start: str, end: str | None = None, **values: int) -> dict[str, Any]:
    period = {"startDateTime": start} | ({"endDateTime": end} if end else {})
    return {"creditProfileDate": start, "validFor": period, **values}


def test_credit_class_is_derived_from_the_current_profile(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    person = new_individual(client, headers)
    profiles = [
        _profile("2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", creditScore=900),
        _profile("2024-01-01T00:00:00Z", creditScore=700, creditRiskRating=1),
    ]
    with frozen_at(datetime(2024, 6, 1, tzinfo=UTC)):
        created = new_customer(
            client,
            headers,
            person,
            creditProfile=profiles,
            characteristic=[{"name": "creditClass", "value": "A"}],
        )
    assert characteristic(created, "creditClass") == "B"  # the client's "A" is not trusted
    assert created["creditProfile"] == profiles
    url = f"{BASE}/customer/{created['id']}"
    worse = [*profiles, _profile("2024-05-01T00:00:00Z", creditScore=820, creditRiskRating=4)]
    with frozen_at(datetime(2024, 6, 1, tzinfo=UTC)):
        patched = client.patch(url, json={"creditProfile": worse}, headers=headers).json()
    assert characteristic(patched, "creditClass") == "D"
    assert (
        client.get(f"{BASE}/customer?creditClass=D", headers=headers).json()[0]["id"]
        == created["id"]
    )
    dated = client.patch(
        url,
        headers=headers,
        json={
            "creditProfile": [
                {"validFor": {"startDateTime": "2020-01-01T00:00:00Z"}, "creditScore": 600}
            ]
        },
    ).json()
    assert characteristic(dated, "creditClass") == "C"
    assert dated["creditProfile"][0]["creditProfileDate"].endswith("Z")  # stamped by the server
    cleared = client.patch(url, json={"creditProfile": None}, headers=headers).json()
    assert "creditProfile" not in cleared
    assert characteristic(cleared, "creditClass") is None
    with session_factory() as s:
        assert s.get(Customer, created["id"]).credit_class is None  # type: ignore[union-attr]
    for bad in ({"creditScore": 1001}, {"creditScore": -1}, {"creditRiskRating": 6}):
        response = client.patch(
            url,
            headers=headers,
            json={
                "creditProfile": [{"validFor": {"startDateTime": "2024-01-01T00:00:00Z"}, **bad}]
            },
        )
        assert response.status_code == 422, bad
        assert response.json()["code"] == "INVALID_CREDIT_PROFILE"
    backwards = client.patch(
        url,
        headers=headers,
        json={
            "creditProfile": [
                _profile("2024-02-01T00:00:00Z", "2024-01-01T00:00:00Z", creditScore=700)
            ]
        },
    )
    assert backwards.status_code == 422
