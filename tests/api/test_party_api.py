"""TMF632 end to end: individuals and organizations through the HTTP API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.events.models import OutboxEvent
from openbss.party.identity import make_resident_id, make_uscc
from openbss.party.models import Individual
from tests.conftest import KeyMaker

BASE = "/tmf-api/party/v4"
VALID_ID = "11010519491231002X"


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_create_individual_with_resident_id(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    body = {
        "familyName": "张",
        "givenName": "伟",
        "individualIdentification": [
            {"identificationType": "ResidentIdentityCard", "identificationId": VALID_ID.lower()}
        ],
        "contactMedium": [
            {"mediumType": "phone", "characteristic": {"phoneNumber": "13312345678"}}
        ],
    }
    response = client.post(f"{BASE}/individual", json=body, headers=auth("csr"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["href"] == f"http://testserver{BASE}/individual/{created['id']}"
    assert created["@type"] == "Individual"
    assert created["status"] == "initialized"
    assert created["individualIdentification"][0]["identificationId"] == VALID_ID
    got = client.get(f"{BASE}/individual/{created['id']}", headers=auth("csr"))
    assert got.status_code == 200
    assert got.json() == created
    assert _count(session_factory, OutboxEvent) == 1
    with session_factory() as s:
        entry = s.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.entity_id, entry.province) == ("create", created["id"], "GD")


def test_invalid_resident_id_is_422_and_writes_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    body = {
        "familyName": "李",
        "givenName": "娜",
        "individualIdentification": [
            {"identificationType": "ResidentIdentityCard", "identificationId": "110105194912310021"}
        ],
    }
    response = client.post(f"{BASE}/individual", json=body, headers=auth("csr"))
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_RESIDENT_ID"
    assert response.json()["status"] == "422"
    assert _count(session_factory, Individual) == 0
    assert _count(session_factory, OutboxEvent) == 0
    assert _count(session_factory, AuditEntry) == 0


def test_duplicate_resident_id_is_409(client: TestClient, auth: KeyMaker) -> None:
    number = make_resident_id("440103", __import__("datetime").date(1980, 5, 17), 123)
    body = {
        "familyName": "陈",
        "givenName": "静",
        "individualIdentification": [{"identificationType": "身份证", "identificationId": number}],
    }
    headers = auth("csr")
    assert client.post(f"{BASE}/individual", json=body, headers=headers).status_code == 201
    again = client.post(f"{BASE}/individual", json=body, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "DUPLICATE_RESIDENT_ID"


def test_malformed_and_mistyped_bodies_are_400(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = {**auth("csr"), "Content-Type": "application/json"}
    assert (
        client.post(f"{BASE}/individual", content=b"{not json", headers=headers).status_code == 400
    )
    assert client.post(f"{BASE}/individual", content=b"[1,2]", headers=headers).status_code == 400
    wrong = client.post(
        f"{BASE}/individual", json={"familyName": 5, "givenName": "x"}, headers=headers
    )
    assert wrong.status_code == 400
    assert "familyName" in wrong.json()["message"]
    missing = client.post(f"{BASE}/individual", json={"givenName": "x"}, headers=headers)
    assert missing.status_code == 400
    assert _count(session_factory, Individual) == 0


def test_authentication_and_roles(client: TestClient, auth: KeyMaker) -> None:
    body = {"familyName": "王", "givenName": "芳"}
    assert client.post(f"{BASE}/individual", json=body).status_code == 401
    bad = client.post(f"{BASE}/individual", json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "UNAUTHENTICATED"
    forbidden = client.post(f"{BASE}/individual", json=body, headers=auth("analyst"))
    assert forbidden.status_code == 403


def test_province_isolation(client: TestClient, auth: KeyMaker) -> None:
    created = client.post(
        f"{BASE}/individual",
        json={"familyName": "赵", "givenName": "磊"},
        headers=auth("csr", "GD"),
    ).json()
    other = auth("csr", "SC")
    assert client.get(f"{BASE}/individual/{created['id']}", headers=other).status_code == 404
    assert client.get(f"{BASE}/individual", headers=other).json() == []
    patch = client.patch(
        f"{BASE}/individual/{created['id']}", json={"givenName": "x"}, headers=other
    )
    assert patch.status_code == 404
    group = auth("admin", None)
    assert client.get(f"{BASE}/individual/{created['id']}", headers=group).status_code == 200
    cross = client.post(
        f"{BASE}/individual",
        json={"familyName": "a", "givenName": "b"},
        headers={**other, "X-Province": "GD"},
    )
    assert cross.status_code == 403
    no_province = client.post(
        f"{BASE}/individual", json={"familyName": "a", "givenName": "b"}, headers=group
    )
    assert no_province.status_code == 422


def test_organization_credit_code_list_filter_and_paging(
    client: TestClient, auth: KeyMaker
) -> None:
    headers = auth("csr")
    code = make_uscc("91", "440300", "MA5F00001")
    for i in range(3):
        org = {"tradingName": f"深圳测试{i}有限公司"}
        if i == 0:
            org["organizationIdentification"] = [
                {"identificationType": "UnifiedSocialCreditCode", "identificationId": code}
            ]
        assert client.post(f"{BASE}/organization", json=org, headers=headers).status_code == 201
    bad = client.post(
        f"{BASE}/organization",
        headers=headers,
        json={
            "tradingName": "x",
            "organizationIdentification": [
                {
                    "identificationType": "UnifiedSocialCreditCode",
                    "identificationId": code[:-1] + "0",
                }
            ],
        },
    )
    assert bad.status_code == 422
    listed = client.get(f"{BASE}/organization", headers=headers)
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "3"
    page = client.get(f"{BASE}/organization?offset=1&limit=1", headers=headers)
    assert page.status_code == 206
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("3", "1")
    only = client.get(
        f"{BASE}/organization", params={"tradingName": '"深圳测试1有限公司"'}, headers=headers
    )
    assert [o["tradingName"] for o in only.json()] == ["深圳测试1有限公司"]
    fields = client.get(f"{BASE}/organization?fields=tradingName", headers=headers).json()
    assert set(fields[0]) == {"id", "href", "tradingName"}
    assert client.get(f"{BASE}/organization?limit=0", headers=headers).status_code == 400


def test_patch_delete_and_lifecycle(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("csr")
    created = client.post(
        f"{BASE}/individual", json={"familyName": "刘", "givenName": "洋"}, headers=headers
    ).json()
    url = f"{BASE}/individual/{created['id']}"
    patched = client.patch(url, json={"status": "validated", "gender": "male"}, headers=headers)
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["gender"]) == ("validated", "male")
    assert client.patch(url, json={"status": "bogus"}, headers=headers).status_code == 422
    assert client.patch(url, json={"id": "other"}, headers=headers).status_code == 400
    assert client.patch(url, json={"status": "deceased"}, headers=headers).status_code == 200
    assert client.patch(url, json={"status": "validated"}, headers=headers).status_code == 409
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
