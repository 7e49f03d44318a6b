"""Search: customers by name pattern, identity number, phone, account, product or customer id
(``search.public.search`` on SQLite and PostgreSQL, and ``GET /api/v1/search`` end to end), and
the ``.like`` pattern filter of the TMF list operations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.service import billing_accounts
from openbss.customer.service import customers
from openbss.db.uow import unit_of_work
from openbss.inventory.public import NewProduct, create_product
from openbss.kit.errors import BadRequest, Forbidden
from openbss.kit.security import Principal, Role
from openbss.party.identity import make_resident_id, make_uscc
from openbss.party.service import individuals, organizations
from openbss.search.public import (
    BY_ACCOUNT,
    BY_CUSTOMER_ID,
    BY_IDENTITY,
    BY_NAME,
    BY_PHONE,
    BY_PRODUCT,
    search,
)
from tests.conftest import KeyMaker

BASE = "/api/v1/search"
GD = Principal(key_id="t-gd", role=Role.CSR, province="GD")
SC = Principal(key_id="t-sc", role=Role.ADMIN, province="SC")
GROUP = Principal(key_id="t-group", role=Role.ADMIN, province=None)
GUO_WEI_PHONE = "+8613800138000"
SC_PHONE = "+8613900139000"
BROADBAND_LOGIN = "gz0001@163.gd"


@dataclass(frozen=True)
class People:
    guo_wei: str  # customer ids
    guo_min: str
    li_guo: str
    company: str
    sc_guo: str
    guo_wei_id_number: str
    unengaged_party: str
    unengaged_id_number: str
    sc_id_number: str
    account: str
    product: str


def _person(
    session: Session, who: Principal, serial: int, family: str, given: str, *, engage: bool = True
) -> tuple[str, str | None, str]:
    number = make_resident_id("440106", date(1980, 1, 1), serial)
    party = individuals.create(
        session,
        who,
        {
            "familyName": family,
            "givenName": given,
            "individualIdentification": [
                {"identificationType": "ResidentIdentityCard", "identificationId": number}
            ],
        },
    )
    if not engage:
        return party.id, None, number
    body = {
        "name": family + given,
        "status": "approved",
        "engagedParty": {"id": party.id, "@referredType": "Individual"},
    }
    return party.id, customers.create(session, who, body).id, number


def _line(session: Session, who: Principal, customer_id: str, phone: str) -> str:
    new = NewProduct(
        name="固定电话",
        service_type="mobile",
        customer={"id": customer_id, "role": "customer", "@referredType": "Customer"},
        product_offering={"id": "offering-1"},
        product_order_id="order-1",
        product_order_item_id="1",
        service_id=phone,
    )
    return create_product(session, who, new).id


def populate(factory: sessionmaker[Session]) -> People:
    with unit_of_work(factory) as session:
        party_id, guo_wei, guo_wei_id = _person(session, GD, 1, "郭", "伟")
        _, guo_min, _ = _person(session, GD, 2, "郭", "敏")
        _, li_guo, _ = _person(session, GD, 3, "李", "郭")
        unengaged, _, unengaged_id = _person(session, GD, 4, "郭", "芳", engage=False)
        _, sc_guo, sc_id = _person(session, SC, 5, "郭", "强")
        org = organizations.create(
            session,
            GD,
            {
                "tradingName": "广州天河科技有限公司",
                "organizationIdentification": [
                    {
                        "identificationType": "UnifiedSocialCreditCode",
                        "identificationId": make_uscc("91", "440106", "MA5F00001"),
                    }
                ],
            },
        )
        company = customers.create(
            session,
            GD,
            {
                "name": "广州天河科技有限公司",
                "status": "approved",
                "engagedParty": {"id": org.id, "@referredType": "Organization"},
            },
        ).id
        account = billing_accounts.create(
            session,
            GD,
            {
                "name": "郭伟的帐户",
                "state": "active",
                "relatedParty": [{"id": party_id, "role": "owner", "@referredType": "Individual"}],
            },
        ).id
        product = _line(session, GD, guo_wei, GUO_WEI_PHONE)
        assert guo_min is not None
        _line(session, GD, guo_min, BROADBAND_LOGIN)
        assert sc_guo is not None
        _line(session, SC, sc_guo, SC_PHONE)
    assert guo_wei and guo_min and li_guo
    return People(
        guo_wei,
        guo_min,
        li_guo,
        company,
        sc_guo,
        guo_wei_id,
        unengaged,
        unengaged_id,
        sc_id,
        account,
        product,
    )


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> People:
    return populate(session_factory)


def _found(session: Session, who: Principal, text: str, **more: Any) -> list[tuple[str, str]]:
    return [
        (hit.matched_by, hit.key.removeprefix("customer:"))
        for hit in search(session, who, text, **more).hits
    ]


# --- the service, on SQLite and PostgreSQL -------------------------------------------------


def test_a_name_prefix_finds_the_provinces_customers(session: Session, people: People) -> None:
    found = _found(session, GD, "郭")
    assert sorted(found) == sorted([(BY_NAME, people.guo_wei), (BY_NAME, people.guo_min)])
    # contains: 李郭 too
    assert (BY_NAME, people.li_guo) in _found(session, GD, "*郭*")
    assert _found(session, GD, "*科技*") == [(BY_NAME, people.company)]
    assert _found(session, GD, "郭伟") == [(BY_NAME, people.guo_wei)]
    assert _found(session, GD, "王") == []


def test_a_group_key_searches_every_province(session: Session, people: People) -> None:
    found = {customer for _, customer in _found(session, GROUP, "郭")}
    assert found == {people.guo_wei, people.guo_min, people.sc_guo}


def test_numbers_and_ids(session: Session, people: People) -> None:
    for phone in ("13800138000", "138 0013 8000", GUO_WEI_PHONE):
        assert _found(session, GD, phone) == [(BY_PHONE, people.guo_wei)]
    hit = search(session, GD, "13800138000").hits[0]
    assert hit.via == {"product": people.product, "phoneNumber": GUO_WEI_PHONE}
    assert _found(session, GD, people.guo_wei_id_number) == [(BY_IDENTITY, people.guo_wei)]
    assert _found(session, GD, people.account) == [(BY_ACCOUNT, people.guo_wei)]
    assert _found(session, GD, people.product) == [(BY_PRODUCT, people.guo_wei)]
    assert _found(session, GD, people.guo_min) == [(BY_CUSTOMER_ID, people.guo_min)]
    [login] = search(session, GD, BROADBAND_LOGIN).hits
    assert login.matched_by == BY_PRODUCT and login.customer is not None
    assert login.customer.id == people.guo_min
    assert login.via["productSerialNumber"] == BROADBAND_LOGIN
    # a registered person who is no customer yet is found as the party
    assert _found(session, GD, people.unengaged_id_number) == [
        (BY_IDENTITY, f"party:{people.unengaged_party}")
    ]


def test_another_provinces_numbers_are_not_found(session: Session, people: People) -> None:
    assert _found(session, GD, SC_PHONE) == []
    assert _found(session, GD, people.sc_id_number) == []
    assert _found(session, GD, people.sc_guo) == []
    assert _found(session, SC, people.account) == []
    assert _found(session, GROUP, SC_PHONE) == [(BY_PHONE, people.sc_guo)]


def test_results_are_bounded(session: Session, people: People) -> None:
    result = search(session, GD, "郭", limit=1)
    assert len(result.hits) == 1 and result.truncated
    assert not search(session, GD, "郭", limit=2).truncated


def test_refusals(session: Session, people: People) -> None:
    with pytest.raises(Forbidden):
        search(session, Principal("p", Role.PARTNER, "GD"), "郭")
    for text in ("", "**"):
        with pytest.raises(BadRequest):
            search(session, GD, text)
    with pytest.raises(BadRequest):
        search(session, GD, "郭", limit=51)


# --- the API ---------------------------------------------------------------------------------


def test_search_api(client: TestClient, auth: KeyMaker, people: People) -> None:
    csr = auth("csr", "GD")
    response = client.get(BASE, params={"q": "郭"}, headers=csr)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "郭" and body["truncated"] is False
    assert {item["id"] for item in body["items"]} == {people.guo_wei, people.guo_min}
    item = next(i for i in body["items"] if i["id"] == people.guo_wei)
    assert item["@type"] == "Customer" and item["name"] == "郭伟" and item["matchedBy"] == "name"
    assert item["href"].endswith(f"/tmf-api/customerManagement/v4/customer/{people.guo_wei}")

    response = client.get(BASE, params={"q": "138-0013-8000"}, headers=csr)
    [phone_hit] = response.json()["items"]
    assert phone_hit["matchedBy"] == "phoneNumber"
    assert phone_hit["phoneNumber"] == GUO_WEI_PHONE and phone_hit["product"] == people.product

    response = client.get(BASE, params={"q": people.unengaged_id_number}, headers=csr)
    [party_hit] = response.json()["items"]
    assert party_hit["id"] == people.unengaged_party
    assert (party_hit["@type"], party_hit["name"], party_hit["province"]) == (
        "Individual",
        "郭芳",
        "GD",
    )
    assert party_hit["matchedBy"] == "identityNumber" and "href" not in party_hit


def test_search_api_refusals(client: TestClient, auth: KeyMaker, people: People) -> None:
    assert client.get(BASE, params={"q": "郭"}).status_code == 401
    response = client.get(BASE, params={"q": "郭"}, headers=auth("partner", "GD"))
    assert response.status_code == 403
    for params in ({"q": ""}, {"q": "*"}, {"q": "郭", "limit": "0"}, {"q": "x" * 101}):
        response = client.get(BASE, params=params, headers=auth("csr", "GD"))
        assert response.status_code == 400, params
        assert "\n" not in response.json()["message"]
    # another province's customer is not found with a province key, but is with the group's
    other = client.get(BASE, params={"q": SC_PHONE}, headers=auth("csr", "GD"))
    assert other.json()["items"] == []
    group = client.get(BASE, params={"q": SC_PHONE}, headers=auth("admin", None))
    assert [i["id"] for i in group.json()["items"]] == [people.sc_guo]


def test_like_filter_on_tmf_lists(client: TestClient, auth: KeyMaker, people: People) -> None:
    csr = auth("csr", "GD")
    customers_path = "/tmf-api/customerManagement/v4/customer"
    response = client.get(customers_path, params={"name.like": "郭*"}, headers=csr)
    assert response.status_code == 200, response.text
    assert {c["id"] for c in response.json()} == {people.guo_wei, people.guo_min}
    response = client.get(customers_path, params={"name.like": "*郭"}, headers=csr)
    assert [c["id"] for c in response.json()] == [people.li_guo]
    individuals_path = "/tmf-api/party/v4/individual"
    response = client.get(individuals_path, params={"familyName.like": "郭"}, headers=csr)
    assert {p["givenName"] for p in response.json()} == {"伟", "敏", "芳"}
    response = client.get(customers_path, params={"status.like": "%"}, headers=csr)
    assert response.json() == []  # % is a literal character, not a wildcard
    response = client.get(customers_path, params={"name.like": "郭\x00*"}, headers=csr)
    assert response.status_code == 400
    response = client.get(customers_path, params={"engagedParty.like": "x*"}, headers=csr)
    assert response.status_code == 400
    assert "name" in response.json()["message"]
