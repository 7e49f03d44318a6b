"""TMF666 account hierarchy: parents, loops, consolidated billing (集团统付)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.service import billing_accounts
from openbss.events.models import OutboxEvent
from openbss.kit.security import Principal, Role
from tests.api.test_account_api import (
    BASE,
    account_body,
    account_row,
    create_account,
    organization,
    parent_link,
)
from tests.conftest import KeyMaker

ACCOUNTS = f"{BASE}/billingAccount"


# ----- hierarchy -------------------------------------------------------------------------------


def test_hierarchy_refuses_loops_unknown_and_foreign_parents(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org, headers = organization(client, auth), auth("csr")
    a = create_account(client, headers, org, name="A")
    b = create_account(client, headers, org, name="B", accountRelationship=parent_link(a["id"]))
    c = create_account(
        client, headers, org, name="C", accountRelationship=parent_link(b["id"], "Parent")
    )
    assert c["accountRelationship"][0]["relationshipType"] == "parent"
    assert c["accountRelationship"][0]["account"]["name"] == "B"
    assert account_row(session_factory, c["id"]).parent_account_id == b["id"]
    events_before = _events(session_factory)
    for target, parent in ((a, c), (a, b), (b, b)):
        loop = client.patch(
            f"{ACCOUNTS}/{target['id']}",
            headers=headers,
            json={"accountRelationship": parent_link(parent["id"])},
        )
        assert (loop.status_code, loop.json()["code"]) == (422, "ACCOUNT_CYCLE")
    assert account_row(session_factory, a["id"]).parent_account_id is None
    assert _events(session_factory) == events_before
    unknown = client.post(
        ACCOUNTS,
        headers=headers,
        json=account_body(org, accountRelationship=parent_link("no-such-account")),
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "UNKNOWN_REFERENCE")
    sc_org = organization(client, auth, province="SC")
    sc_account = create_account(client, auth("csr", "SC"), sc_org)
    foreign = client.patch(
        f"{ACCOUNTS}/{a['id']}",
        headers=auth("admin", None),
        json={"accountRelationship": parent_link(sc_account["id"])},
    )
    assert (foreign.status_code, foreign.json()["code"]) == (422, "UNKNOWN_REFERENCE")
    child = client.patch(
        f"{ACCOUNTS}/{a['id']}",
        headers=headers,
        json={"accountRelationship": [{"relationshipType": "child", "account": {"id": b["id"]}}]},
    )
    assert child.status_code == 422
    two = client.patch(
        f"{ACCOUNTS}/{c['id']}",
        headers=headers,
        json={"accountRelationship": parent_link(a["id"]) + parent_link(b["id"])},
    )
    assert (two.status_code, two.json()["code"]) == (422, "MULTIPLE_PARENTS")
    moved = client.patch(
        f"{ACCOUNTS}/{c['id']}", headers=headers, json={"accountRelationship": parent_link(a["id"])}
    )
    assert moved.status_code == 200
    assert account_row(session_factory, c["id"]).parent_account_id == a["id"]


def _events(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent)) or 0


def test_parents_with_children_cannot_be_deleted_or_closed(
    client: TestClient, auth: KeyMaker
) -> None:
    org, headers = organization(client, auth), auth("csr")
    parent = create_account(client, headers, org, name="集团总部")
    child = create_account(
        client, headers, org, name="分公司", accountRelationship=parent_link(parent["id"])
    )
    parent_url, child_url = f"{ACCOUNTS}/{parent['id']}", f"{ACCOUNTS}/{child['id']}"
    refused = client.delete(parent_url, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "ACCOUNT_HAS_CHILDREN")
    closing = client.patch(parent_url, json={"state": "closed"}, headers=headers)
    assert (closing.status_code, closing.json()["code"]) == (409, "ACCOUNT_HAS_CHILDREN")
    assert client.patch(child_url, json={"state": "closed"}, headers=headers).status_code == 200
    assert client.patch(parent_url, json={"state": "closed"}, headers=headers).status_code == 200
    late = client.post(
        ACCOUNTS,
        headers=headers,
        json=account_body(org, accountRelationship=parent_link(parent["id"])),
    )
    assert (late.status_code, late.json()["code"]) == (409, "PARENT_CLOSED")
    assert client.delete(child_url, headers=headers).status_code == 204
    assert client.delete(parent_url, headers=headers).status_code == 204


def test_consolidated_billing_parent_pays(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org, headers = organization(client, auth, "广州市某集团有限公司"), auth("csr")
    group = create_account(client, headers, org, name="集团统付帐户")
    branch = create_account(
        client,
        headers,
        org,
        name="分公司",
        accountRelationship=parent_link(group["id"], "consolidatedBilling"),
    )
    shop = create_account(
        client,
        headers,
        org,
        name="门店",
        accountRelationship=parent_link(branch["id"], "consolidatedbilling"),
    )
    own = create_account(
        client, headers, org, name="自付门店", accountRelationship=parent_link(branch["id"])
    )
    assert account_row(session_factory, branch["id"]).consolidated_billing is True
    assert account_row(session_factory, own["id"]).consolidated_billing is False
    principal = Principal(key_id="test", role=Role.BILLING_OPERATOR, province="GD")
    with session_factory() as s:
        payer = {
            a["id"]: billing_accounts.paying_account(s, principal, a["id"]).id
            for a in (group, branch, shop, own)
        }
    assert payer == {
        group["id"]: group["id"],
        branch["id"]: group["id"],
        shop["id"]: group["id"],
        own["id"]: own["id"],
    }
    children = client.get(
        ACCOUNTS, headers=headers, params={"accountRelationship.account.id": branch["id"]}
    ).json()
    assert sorted(a["name"] for a in children) == ["自付门店", "门店"]
