"""TMF666 end to end: every account resource through the HTTP API, roles and provinces."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount, SettlementAccount
from openbss.audit.models import AuditEntry
from openbss.events.models import OutboxEvent
from tests.conftest import KeyMaker
from tests.support import need

BASE = "/tmf-api/accountManagement/v4"
PARTY = "/tmf-api/party/v4"
TMF_DIR = Path(
    os.environ.get("OPENBSS_TMF_DIR") or Path(__file__).resolve().parents[3] / "shared" / "tmf"
)
CTK_CONFIG = TMF_DIR / "TMF666" / "ctk-v4.0.0" / "config.json"


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def organization(
    client: TestClient, auth: KeyMaker, name: str = "中国联通广东分公司", province: str = "GD"
) -> str:
    response = client.post(
        f"{PARTY}/organization", json={"tradingName": name}, headers=auth("csr", province)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def individual(client: TestClient, auth: KeyMaker, province: str = "GD") -> str:
    response = client.post(
        f"{PARTY}/individual",
        json={"familyName": "张", "givenName": "伟"},
        headers=auth("csr", province),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def account_body(party_id: str, name: str = "Home Account", **extra: Any) -> dict[str, Any]:
    return {"name": name, "relatedParty": [{"id": party_id, "role": "owner"}], **extra}


def account_row(factory: sessionmaker[Session], account_id: str) -> BillingAccount:
    with factory() as s:
        row = s.get(BillingAccount, account_id)
        assert row is not None
        return row


def create_account(client: TestClient, headers: dict[str, str], party: str, **extra: Any) -> Any:
    response = client.post(
        f"{BASE}/billingAccount", json=account_body(party, **extra), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def parent_link(account_id: str, kind: str = "parent") -> list[dict[str, Any]]:
    return [{"relationshipType": kind, "account": {"id": account_id}}]


# ----- CRUD ------------------------------------------------------------------------------------


def test_billing_account_crud(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org = organization(client, auth)
    headers = auth("csr")
    body = {
        "name": "Home Account",
        "relatedParty": [{"@referredType": "Organization", "id": org, "name": "Richard Cole"}],
    }
    created = client.post(f"{BASE}/billingAccount", json=body, headers=headers)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["href"] == f"http://testserver{BASE}/billingAccount/{account['id']}"
    assert (account["@type"], account["state"]) == ("BillingAccount", "active")
    assert account["relatedParty"] == body["relatedParty"]
    assert account["lastModified"].endswith("Z")
    url = f"{BASE}/billingAccount/{account['id']}"
    assert client.get(url, headers=headers).json() == account
    listed = client.get(f"{BASE}/billingAccount", params={"name": "Home Account"}, headers=headers)
    assert [a["id"] for a in listed.json()] == [account["id"]]
    assert listed.headers["X-Total-Count"] == "1"
    fields = client.get(f"{BASE}/billingAccount?fields=name", headers=headers).json()
    assert fields == [{"id": account["id"], "href": account["href"], "name": "Home Account"}]
    patched = client.patch(url, json={"description": "家庭帐户"}, headers=headers)
    assert patched.status_code == 200
    assert patched.json()["description"] == "家庭帐户"
    assert patched.json()["name"] == "Home Account"
    with session_factory() as s:
        mine = select(OutboxEvent.event_type).where(OutboxEvent.api == "accountManagement")
        events = s.scalars(mine)
        assert sorted(events) == [
            "BillingAccountAttributeValueChangeEvent",
            "BillingAccountCreateEvent",
        ]
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    with session_factory() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == account["id"]))
        assert sorted(actions) == ["create", "delete", "update"]


RESOURCES = [
    ("billingAccount", "csr", True),
    ("partyAccount", "finance", True),
    ("settlementAccount", "finance", True),
    ("financialAccount", "finance", False),
    ("billFormat", "admin", False),
    ("billPresentationMedia", "admin", False),
    ("billingCycleSpecification", "admin", False),
]


@pytest.mark.parametrize(("path", "role", "needs_party"), RESOURCES)
def test_every_resource_has_crud(
    client: TestClient, auth: KeyMaker, path: str, role: str, needs_party: bool
) -> None:
    headers = auth(role)
    body: dict[str, Any] = {"name": f"{path} 1"}
    if needs_party:
        body["relatedParty"] = [{"id": organization(client, auth)}]
    created = client.post(f"{BASE}/{path}", json=body, headers=headers)
    assert created.status_code == 201, created.text
    resource = created.json()
    url = f"{BASE}/{path}/{resource['id']}"
    assert client.get(url, headers=headers).status_code == 200
    listed = client.get(f"{BASE}/{path}", params={"id": resource["id"]}, headers=headers)
    assert [r["id"] for r in listed.json()] == [resource["id"]]
    patched = client.patch(url, json={"description": "x"}, headers=headers)
    assert patched.json()["description"] == "x"
    assert (
        client.post(f"{BASE}/{path}", json={"description": "no name"}, headers=headers).status_code
        == 400
    )
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    missing = client.get(f"{BASE}/{path}/2c1b90b0-fbe8-426d-a3b6-7ec785ff9d7c", headers=headers)
    assert missing.status_code == 404


def test_ctk_payloads_with_rewritten_party_ids(client: TestClient, auth: KeyMaker) -> None:
    """The CTK's POST payloads pass once its party ids point at real organizations, and every
    listed instance carries the attributes the CTK requires."""
    need(CTK_CONFIG.is_file(), f"CTK config not found: {CTK_CONFIG}")
    payloads = json.loads(CTK_CONFIG.read_text())["payloads"]
    rewrites = {
        pid: organization(client, auth, name)
        for pid, name in (("4665", "John Doe"), ("6838", "Richard Cole"), ("5965", "Jimmy Doe"))
    }
    headers = auth("admin")
    required = {
        "BillFormat": ["name"],
        "BillingCycleSpecification": ["name"],
        "FinancialAccount": ["name"],
    }
    for resource, spec in payloads.items():
        payload = json.loads(json.dumps(spec["POST"]["payload"]))
        for party in payload.get("relatedParty", []):
            party["id"] = rewrites[party["id"]]
        path = resource[0].lower() + resource[1:]
        for _ in range(2):
            response = client.post(f"{BASE}/{path}", json=payload, headers=headers)
            assert response.status_code == 201, (resource, response.text)
        listed = client.get(f"{BASE}/{path}", params={"name": payload["name"]}, headers=headers)
        assert len(listed.json()) == 2
        for instance in listed.json():
            for attribute in ["id", "href", *required.get(resource, ["name", "relatedParty"])]:
                assert attribute in instance, (resource, attribute)
    assert client.get(f"{BASE}/billPresentationMedia", headers=headers).status_code == 200


# ----- references to parties -------------------------------------------------------------------


def test_unknown_party_is_422_and_writes_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    body = account_body("6838")
    response = client.post(f"{BASE}/billingAccount", json=body, headers=auth("csr"))
    assert response.status_code == 422
    assert response.json()["code"] == "UNKNOWN_REFERENCE"
    other_province = organization(client, auth, province="SC")
    response = client.post(
        f"{BASE}/billingAccount", json=account_body(other_province), headers=auth("csr")
    )
    assert response.json()["code"] == "UNKNOWN_REFERENCE"
    assert _count(session_factory, BillingAccount) == 0
    assert _count(session_factory, OutboxEvent) == 1  # the SC organization only
    assert _count(session_factory, AuditEntry) == 1
    missing = client.post(f"{BASE}/billingAccount", json={"name": "x"}, headers=auth("csr"))
    assert missing.status_code == 400
    empty = client.post(
        f"{BASE}/billingAccount", json={"name": "x", "relatedParty": []}, headers=auth("csr")
    )
    assert empty.status_code == 400


def test_related_party_type_and_name_are_checked_and_filled(
    client: TestClient, auth: KeyMaker
) -> None:
    person = individual(client, auth)
    wrong = client.post(
        f"{BASE}/billingAccount",
        headers=auth("csr"),
        json={"name": "a", "relatedParty": [{"id": person, "@referredType": "Organization"}]},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "REFERRED_TYPE_MISMATCH")
    ok = client.post(f"{BASE}/billingAccount", json=account_body(person), headers=auth("csr"))
    assert ok.json()["relatedParty"] == [
        {"id": person, "role": "owner", "@referredType": "Individual", "name": "张伟"}
    ]


def test_settlement_account_needs_an_organization(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    person = individual(client, auth)
    refused = client.post(
        f"{BASE}/settlementAccount", json=account_body(person), headers=auth("finance")
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "ORGANIZATION_REQUIRED")
    carrier = organization(client, auth, "中国移动通信集团广东有限公司")
    body = account_body(carrier, "移动互联互通结算", accountType="interconnect")
    body["relatedParty"].append({"id": person, "role": "contact"})
    created = client.post(f"{BASE}/settlementAccount", json=body, headers=auth("finance"))
    assert created.status_code == 201, created.text
    with session_factory() as s:
        row = s.get(SettlementAccount, created.json()["id"])
        assert row is not None
        assert row.owner_party_id == carrier
        assert (row.account_type, row.province) == ("interconnect", "GD")


# ----- roles and provinces ---------------------------------------------------------------------


def test_roles(client: TestClient, auth: KeyMaker) -> None:
    org = organization(client, auth)
    for role in ("csr", "billing_operator", "finance", "admin"):
        response = client.post(f"{BASE}/billingAccount", json=account_body(org), headers=auth(role))
        assert response.status_code == 201, role
    for role in ("analyst", "partner"):
        assert (
            client.post(
                f"{BASE}/billingAccount", json=account_body(org), headers=auth(role)
            ).status_code
            == 403
        )
    assert client.get(f"{BASE}/billingAccount", headers=auth("analyst")).status_code == 403
    assert client.get(f"{BASE}/billingAccount", headers=auth("partner")).status_code == 403
    for path in ("settlementAccount", "partyAccount"):
        assert (
            client.post(f"{BASE}/{path}", json=account_body(org), headers=auth("csr")).status_code
            == 403
        )
        assert (
            client.post(
                f"{BASE}/{path}", json=account_body(org), headers=auth("finance")
            ).status_code
            == 201
        )
        assert client.get(f"{BASE}/{path}", headers=auth("partner")).status_code == 200
    assert (
        client.post(
            f"{BASE}/financialAccount", json={"name": "应收"}, headers=auth("billing_operator")
        ).status_code
        == 403
    )
    for path in ("billFormat", "billPresentationMedia", "billingCycleSpecification"):
        assert (
            client.post(f"{BASE}/{path}", json={"name": "x"}, headers=auth("finance")).status_code
            == 403
        )
        assert client.get(f"{BASE}/{path}", headers=auth("analyst")).status_code == 200


def test_province_isolation(client: TestClient, auth: KeyMaker) -> None:
    org = organization(client, auth)
    account = client.post(
        f"{BASE}/billingAccount", json=account_body(org), headers=auth("csr", "GD")
    ).json()
    url = f"{BASE}/billingAccount/{account['id']}"
    other = auth("csr", "SC")
    assert client.get(url, headers=other).status_code == 404
    assert client.get(f"{BASE}/billingAccount", headers=other).json() == []
    assert client.patch(url, json={"description": "x"}, headers=other).status_code == 404
    assert client.delete(url, headers=other).status_code == 404
    assert client.get(url, headers=auth("admin", None)).status_code == 200
    group_key = auth("admin", None)
    no_province = client.post(f"{BASE}/billingAccount", json=account_body(org), headers=group_key)
    assert (no_province.status_code, no_province.json()["code"]) == (422, "PROVINCE_REQUIRED")
    acting = client.post(
        f"{BASE}/billingAccount", json=account_body(org), headers={**group_key, "X-Province": "GD"}
    )
    assert acting.status_code == 201


def test_group_reference_data_is_shared_and_read_only_to_provinces(
    client: TestClient, auth: KeyMaker
) -> None:
    group = auth("admin", None)
    media = client.post(f"{BASE}/billPresentationMedia", json={"name": "电子邮件"}, headers=group)
    assert media.status_code == 201
    url = f"{BASE}/billPresentationMedia/{media.json()['id']}"
    for province in ("GD", "SC"):
        assert client.get(url, headers=auth("csr", province)).status_code == 200
    assert client.patch(url, json={"name": "x"}, headers=auth("admin", "GD")).status_code == 403
    assert client.delete(url, headers=auth("admin", "GD")).status_code == 403
    own = client.post(
        f"{BASE}/billPresentationMedia", json={"name": "短信帐单"}, headers=auth("admin", "GD")
    ).json()
    sc_view = client.get(f"{BASE}/billPresentationMedia", headers=auth("csr", "SC")).json()
    assert [m["name"] for m in sc_view] == ["电子邮件"]
    assert (
        client.get(
            f"{BASE}/billPresentationMedia/{own['id']}", headers=auth("csr", "SC")
        ).status_code
        == 404
    )
