"""TMF629 end to end: status lifecycle, merge-patch, delete, filters, roles, provinces."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.customer.models import Customer
from openbss.events.models import OutboxEvent
from tests.api.test_customer_api import (
    BASE,
    count,
    new_customer,
    new_individual,
    new_organization,
)
from tests.conftest import KeyMaker


def test_status_lifecycle(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    created = new_customer(client, headers, new_individual(client, headers))
    url = f"{BASE}/customer/{created['id']}"

    def move(status: str, reason: str | None = None) -> int:
        body = {"status": status} | ({"statusReason": reason} if reason else {})
        return client.patch(url, json=body, headers=headers).status_code

    assert move("approved") == 200
    assert move("active") == 200
    bogus = client.patch(url, json={"status": "frozen"}, headers=headers)
    assert (bogus.status_code, bogus.json()["code"]) == (422, "UNKNOWN_STATE")
    backwards = client.patch(url, json={"status": "approved"}, headers=headers)
    assert (backwards.status_code, backwards.json()["code"]) == (409, "INVALID_TRANSITION")
    no_reason = client.patch(url, json={"status": "suspended"}, headers=headers)
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "STATUS_REASON_REQUIRED")
    assert move("suspended", "欠费停机") == 200
    assert client.get(url, headers=headers).json()["statusReason"] == "欠费停机"
    # Resuming without a reason drops the stale one; closing needs a fresh one.
    resumed = client.patch(url, json={"status": "active"}, headers=headers).json()
    assert (resumed["status"], "statusReason" in resumed) == ("active", False)
    assert move("closed") == 422
    assert move("closed", "客户销户") == 200
    assert move("active") == 409  # closed is re-engaged only through prospective
    assert move("prospective") == 200
    same = client.patch(url, json={"status": "prospective", "name": "改名"}, headers=headers)
    assert same.status_code == 200  # not a change of status: no reason needed
    with session_factory() as s:
        assert s.get(Customer, created["id"]).status == "prospective"  # type: ignore[union-attr]
        kinds = s.scalars(
            select(OutboxEvent.event_type).where(OutboxEvent.api == "customerManagement")
        ).all()
    assert kinds.count("CustomerStateChangeEvent") == 6
    assert kinds.count("CustomerAttributeValueChangeEvent") == 7
    for status in ("suspended", "closed"):
        refused = client.post(
            f"{BASE}/customer",
            headers=headers,
            json={
                "engagedParty": {"id": new_individual(client, headers, "孙", status)},
                "status": status,
                "statusReason": "x",
            },
        )
        assert refused.status_code == 409
    active = new_customer(
        client, headers, new_individual(client, headers, "周", "杰"), status="active"
    )
    assert active["status"] == "active"


def test_patch_is_a_merge_patch(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("csr")
    person = new_individual(client, headers, "吴", "敏")
    created = new_customer(
        client,
        headers,
        person,
        name="吴敏",
        validFor={"startDateTime": "2024-01-01T00:00:00.000Z"},
        account=[{"id": "a1", "name": "一"}, {"id": "a2", "name": "二"}],
    )
    url = f"{BASE}/customer/{created['id']}"
    patched = client.patch(
        url,
        headers={**headers, "Content-Type": "application/merge-patch+json"},
        content=json.dumps(
            {
                "validFor": {"endDateTime": "2030-01-01T00:00:00.000Z"},
                "account": [{"id": "a2", "name": "二"}],
                "engagedParty": {"name": "Wu Min"},
            }
        ),
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["validFor"] == {
        "startDateTime": "2024-01-01T00:00:00.000Z",
        "endDateTime": "2030-01-01T00:00:00.000Z",
    }  # objects merge
    assert body["account"] == [{"id": "a2", "name": "二"}]  # arrays replace
    assert body["engagedParty"] == {"id": person, "name": "Wu Min", "@referredType": "Individual"}
    assert body["characteristic"] == created["characteristic"]  # untouched attributes stay
    renamed = client.patch(url, json={"name": None}, headers=headers).json()
    assert renamed["name"] == "Wu Min"  # null removes; the customer is named after its party
    cleared = client.patch(url, json={"validFor": None}, headers=headers).json()
    assert "validFor" not in cleared
    other = new_individual(client, headers, "郑", "强")
    for body_ in (
        {"engagedParty": {"id": other}},
        {"engagedParty": None},
        {"status": None},
        {"id": "x"},
        {"name": 3},
    ):
        assert client.patch(url, json=body_, headers=headers).status_code == 400, body_
    mistyped = client.patch(
        url, json={"engagedParty": {"@referredType": "Organization"}}, headers=headers
    )
    assert mistyped.status_code == 422
    assert client.get(url, headers=headers).json() == cleared  # refusals changed nothing
    assert (
        client.patch(f"{BASE}/customer/nope", json={"name": "x"}, headers=headers).status_code
        == 404
    )


def test_delete(client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]) -> None:
    headers = auth("csr")
    created = new_customer(
        client,
        headers,
        new_individual(client, headers),
        status="active",
        account=[{"id": "acc-1", "name": "主帐户"}],
    )
    url = f"{BASE}/customer/{created['id']}"
    live = client.delete(url, headers=headers)
    assert (live.status_code, live.json()["code"]) == (409, "CUSTOMER_IN_USE")
    client.patch(url, json={"status": "closed", "statusReason": "销户"}, headers=headers)
    assert client.delete(url, headers=headers).status_code == 409  # still has an account
    client.patch(url, json={"account": None}, headers=headers)
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    assert client.delete(url, headers=headers).status_code == 404
    assert count(session_factory, Customer) == 0
    assert count(session_factory, OutboxEvent, event_type="CustomerDeleteEvent") == 1


def test_list_filters_and_paging(client: TestClient, auth: KeyMaker) -> None:
    headers = auth("csr")
    alice = new_customer(client, headers, new_individual(client, headers, "李", "娜"))
    bob = new_customer(
        client, headers, new_individual(client, headers, "王", "强"), status="active"
    )
    corp = new_customer(
        client, headers, new_organization(client, headers, "深圳某某科技有限公司"), status="active"
    )
    listed = client.get(f"{BASE}/customer", headers=headers)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [alice["id"], bob["id"], corp["id"]]
    assert listed.headers["X-Total-Count"] == "3"

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/customer?{query}", headers=headers)
        assert response.status_code in (200, 206), response.text
        return [c["id"] for c in response.json()]

    assert ids("status=active") == [bob["id"], corp["id"]]
    assert ids("status=prospective,active") == [alice["id"], bob["id"], corp["id"]]
    assert ids("name=李娜") == [alice["id"]]
    assert ids('name="深圳某某科技有限公司"') == [corp["id"]]
    assert ids("name=nobody") == []
    assert ids(f"engagedParty.id={bob['engagedParty']['id']}") == [bob["id"]]
    assert ids("category=business&status=active") == [corp["id"]]
    assert ids("engagedParty.@referredType=Organization") == [corp["id"]]
    page = client.get(f"{BASE}/customer?status=active&offset=0&limit=1", headers=headers)
    assert page.status_code == 206
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("2", "1")
    fields = client.get(f"{BASE}/customer?fields=name", headers=headers).json()
    assert set(fields[0]) == {"id", "href", "name"}


def test_province_isolation(client: TestClient, auth: KeyMaker) -> None:
    gd = auth("csr", "GD")
    created = new_customer(client, gd, new_individual(client, gd))
    url = f"{BASE}/customer/{created['id']}"
    sc = auth("csr", "SC")
    assert client.get(url, headers=sc).status_code == 404
    assert client.get(f"{BASE}/customer", headers=sc).json() == []
    assert client.patch(url, json={"name": "x"}, headers=sc).status_code == 404
    assert client.delete(url, headers=sc).status_code == 404
    group = auth("admin", None)
    assert client.get(url, headers=group).status_code == 200
    assert len(client.get(f"{BASE}/customer", headers=group).json()) == 1
    no_province = client.post(
        f"{BASE}/customer",
        headers=group,
        json={"engagedParty": {"id": created["engagedParty"]["id"]}},
    )
    assert (no_province.status_code, no_province.json()["code"]) == (422, "PROVINCE_REQUIRED")
    # The group acting for GD sees the same party and meets the same one-customer rule.
    as_gd = client.post(
        f"{BASE}/customer",
        headers={**group, "X-Province": "GD"},
        json={"engagedParty": {"id": created["engagedParty"]["id"]}},
    )
    assert as_gd.status_code == 409
    cross = client.post(
        f"{BASE}/customer",
        headers={**sc, "X-Province": "GD"},
        json={"engagedParty": {"id": created["engagedParty"]["id"]}},
    )
    assert cross.status_code == 403


def test_roles(client: TestClient, auth: KeyMaker) -> None:
    csr = auth("csr")
    created = new_customer(client, csr, new_individual(client, csr))
    url = f"{BASE}/customer/{created['id']}"
    party = {"engagedParty": {"id": new_individual(client, csr, "冯", "刚")}}
    for role in ("billing_operator", "finance", "analyst", "admin"):
        headers = auth(role)
        assert client.get(url, headers=headers).status_code == 200, role
        assert client.get(f"{BASE}/customer", headers=headers).status_code == 200, role
    for role in ("billing_operator", "finance", "analyst", "partner"):
        headers = auth(role)
        assert client.post(f"{BASE}/customer", json=party, headers=headers).status_code == 403
        assert client.patch(url, json={"name": "x"}, headers=headers).status_code == 403, role
        assert client.delete(url, headers=headers).status_code == 403, role
    assert client.get(url, headers=auth("partner")).status_code == 403
    assert client.get(url).status_code == 401
    assert client.post(f"{BASE}/customer", json=party).status_code == 401
    assert client.post(f"{BASE}/customer", json=party, headers=auth("admin")).status_code == 201
