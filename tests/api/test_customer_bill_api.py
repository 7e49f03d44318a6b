"""TMF678 end to end: bills, their lines and bills on demand through the HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import BillState, CustomerBill
from openbss.billing.service import bill_events
from openbss.db.uow import unit_of_work
from openbss.events.models import OutboxEvent
from tests.api.test_account_api import create_account, organization
from tests.billing_rows import DATA, RENTAL, Line, make_bill
from tests.conftest import KeyMaker

BASE = "/tmf-api/customerBillManagement/v4"
HOST = "http://testserver"


def _account(client: TestClient, auth: KeyMaker, province: str = "GD") -> str:
    party = organization(client, auth, f"客户 {province}", province)
    return str(create_account(client, auth("csr", province), party)["id"])


def _bills(
    factory: sessionmaker[Session], account_id: str, *states: str, province: str = "GD"
) -> list[str]:
    with unit_of_work(factory) as session:
        return [make_bill(session, account_id, state=s, province=province).id for s in states]


def _events(factory: sessionmaker[Session], event_type: str) -> list[dict[str, Any]]:
    with factory() as session:
        rows = session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == event_type)
        ).all()
        return [row.payload for row in rows]


def test_a_bill_is_rendered_from_its_columns(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account = _account(client, auth)
    (bill_id,) = _bills(session_factory, account, BillState.NEW)
    response = client.get(f"{BASE}/customerBill/{bill_id}", headers=auth("csr"))
    assert response.status_code == 200, response.text
    body = response.json()
    with session_factory() as session:
        row = session.get(CustomerBill, bill_id)
        assert row is not None
        bill_no = row.bill_no
    last_update = body.pop("lastUpdate")
    assert last_update.endswith("Z")
    assert body == {
        "id": bill_id,
        "href": f"{HOST}{BASE}/customerBill/{bill_id}",
        "billNo": bill_no,
        "billDate": "2026-04-04T16:00:00.000Z",
        "paymentDueDate": "2026-04-19T16:00:00.000Z",
        "billingPeriod": {
            "startDateTime": "2026-02-28T16:00:00.000Z",
            "endDateTime": "2026-03-31T16:00:00.000Z",
        },
        "category": "normal",
        "runType": "onCycle",
        "state": "new",
        "amountDue": {"unit": "CNY", "value": 62.34},
        "taxIncludedAmount": {"unit": "CNY", "value": 62.34},
        "taxExcludedAmount": {"unit": "CNY", "value": 57.51},
        "remainingAmount": {"unit": "CNY", "value": 62.34},
        "taxItem": [
            {
                "taxCategory": "basic",
                "taxRate": 0.09,
                "taxAmount": {"unit": "CNY", "value": 4.13},
                "@type": "TaxItem",
            },
            {
                "taxCategory": "valueAdded",
                "taxRate": 0.06,
                "taxAmount": {"unit": "CNY", "value": 0.7},
                "@type": "TaxItem",
            },
        ],
        "billingAccount": {
            "id": account,
            "href": f"{HOST}/tmf-api/accountManagement/v4/billingAccount/{account}",
            "@referredType": "BillingAccount",
        },
        "billDocument": [
            {
                "id": bill_no,
                "name": f"{bill_no}.pdf",
                "attachmentType": "bill",
                "mimeType": "application/pdf",
                "@type": "Attachment",
            }
        ],
        "@type": "CustomerBill",
    }


def test_bills_list_with_fields_and_filters_and_hide_trial_and_other_provinces(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account, other_account = _account(client, auth), _account(client, auth)
    held, new, trial = _bills(
        session_factory, account, BillState.ON_HOLD, BillState.NEW, BillState.TRIAL
    )
    (other_new,) = _bills(session_factory, other_account, BillState.NEW)
    (sichuan,) = _bills(session_factory, _account(client, auth, "SC"), "new", province="SC")
    reader = auth("analyst")
    listed = client.get(f"{BASE}/customerBill", headers=reader)
    assert listed.status_code == 200
    assert [b["id"] for b in listed.json()] == [held, new, other_new]
    assert listed.headers["X-Total-Count"] == "3"
    only_ids = client.get(f"{BASE}/customerBill", params={"fields": "state"}, headers=reader)
    assert only_ids.json()[0] == {
        "id": held,
        "href": f"{HOST}{BASE}/customerBill/{held}",
        "state": "onHold",
    }

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}/customerBill", params=params, headers=reader)
        assert response.status_code == 200, response.text
        return [b["id"] for b in response.json()]

    assert ids(state="new") == [new, other_new]
    assert ids(state="trial") == []
    assert ids(**{"billingAccount.id": account}) == [held, new]
    assert ids(**{"billingAccount.id": other_account, "state": "new,onHold"}) == [other_new]
    # An attribute without a column filters the rendered bill.
    assert ids(**{"amountDue.value": "62.34", "state": "onHold"}) == [held]
    assert ids(category="normal") == [held, new, other_new]
    for hidden in (trial, sichuan, "no-such-bill"):
        assert client.get(f"{BASE}/customerBill/{hidden}", headers=reader).status_code == 404
    assert (
        client.get(f"{BASE}/customerBill/{sichuan}", headers=auth("csr", "SC")).status_code == 200
    )
    group = client.get(f"{BASE}/customerBill", headers=auth("finance", None))
    assert {b["id"] for b in group.json()} == {held, new, other_new, sichuan}


def test_bill_lines_render_filter_on_is_billed_and_hide_trial_bills(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account = _account(client, auth)
    unbilled = Line("oneTime", 10000, 826, 900, description_key="no.such.key", is_billed=False)
    with unit_of_work(session_factory) as session:
        bill_id = make_bill(session, account, lines=(RENTAL, DATA, unbilled)).id
        make_bill(session, account, state=BillState.TRIAL)
    reader = auth("billing_operator")
    listed = client.get(f"{BASE}/appliedCustomerBillingRate", headers=reader)
    assert listed.status_code == 200
    rental, data, fee = listed.json()
    assert {rental["bill"]["id"], data["bill"]["id"], fee["bill"]["id"]} == {bill_id}
    date = rental.pop("date")
    assert date.endswith("Z")
    assert rental == {
        "id": rental["id"],
        "href": f"{HOST}{BASE}/appliedCustomerBillingRate/{rental['id']}",
        "type": "recurring",
        "name": "月租费",
        "description": "Monthly rental",
        "isBilled": True,
        "taxIncludedAmount": {"unit": "CNY", "value": 50.0},
        "taxExcludedAmount": {"unit": "CNY", "value": 45.87},
        "appliedTax": [
            {
                "taxCategory": "basic",
                "taxRate": 0.09,
                "taxAmount": {"unit": "CNY", "value": 4.13},
                "@type": "AppliedBillingTaxRate",
            }
        ],
        "bill": {
            "id": bill_id,
            "href": f"{HOST}{BASE}/customerBill/{bill_id}",
            "@referredType": "CustomerBill",
        },
        "billingAccount": {
            "id": account,
            "href": f"{HOST}/tmf-api/accountManagement/v4/billingAccount/{account}",
            "@referredType": "BillingAccount",
        },
        "periodCoverage": {
            "startDateTime": "2026-02-28T16:00:00.000Z",
            "endDateTime": "2026-03-31T16:00:00.000Z",
        },
        "product": {
            "id": "prod-1",
            "href": f"{HOST}/tmf-api/productInventory/v4/product/prod-1",
            "@referredType": "Product",
        },
        "@type": "AppliedCustomerBillingRate",
    }
    # Usage has no days of its own: it covers the bill's period.
    assert data["periodCoverage"] == rental["periodCoverage"]
    assert (data["name"], data["description"], "product" in data) == ("上网流量费", "Data", False)
    assert (fee["name"], fee["description"]) == ("no.such.key", "no.such.key")

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}/appliedCustomerBillingRate", params=params, headers=reader)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    assert ids(isBilled="true") == [rental["id"], data["id"]]
    assert ids(isBilled="false") == [fee["id"]]
    assert ids(isBilled="false,true", type="usage") == [data["id"]]
    assert ids(**{"bill.id": bill_id, "name": "月租费"}) == [rental["id"]]
    bad = client.get(f"{BASE}/appliedCustomerBillingRate?isBilled=maybe", headers=reader)
    assert bad.status_code == 400
    assert "isBilled" in bad.json()["message"]
    fields = client.get(f"{BASE}/appliedCustomerBillingRate?fields=isBilled", headers=reader)
    assert fields.json()[2] == {"id": fee["id"], "href": fee["href"], "isBilled": False}
    one = client.get(f"{BASE}/appliedCustomerBillingRate/{fee['id']}", headers=reader)
    assert one.status_code == 200 and one.json()["isBilled"] is False
    with session_factory() as session:
        trial_items = session.scalars(
            select(CustomerBill.id).where(CustomerBill.state == BillState.TRIAL)
        ).all()
    assert len(trial_items) == 1
    assert ids(**{"bill.id": trial_items[0]}) == []


def test_patch_moves_the_state_only_and_emits_a_state_change_event(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account = _account(client, auth)
    (bill_id,) = _bills(session_factory, account, BillState.NEW)
    url = f"{BASE}/customerBill/{bill_id}"
    operator = auth("billing_operator")
    held = client.patch(url, json={"state": "onHold"}, headers=operator)
    assert held.status_code == 200, held.text
    assert held.json()["state"] == "onHold"
    events = _events(session_factory, "CustomerBillStateChangeEvent")
    assert [e["event"]["customerBill"]["state"] for e in events] == ["onHold"]
    assert events[0]["event"]["customerBill"]["id"] == bill_id
    # Sending back what was read is not a change; the same state again is no event.
    read = client.get(url, headers=operator).json()
    again = client.patch(url, json={"state": "onHold", "billNo": read["billNo"]}, headers=operator)
    assert again.status_code == 200
    assert len(_events(session_factory, "CustomerBillStateChangeEvent")) == 1

    def refused(body: dict[str, Any], status: int, code: str | None = None) -> None:
        response = client.patch(url, json=body, headers=operator)
        assert response.status_code == status, response.text
        if code is not None:
            assert response.json()["code"] == code

    refused({"state": "settled"}, 422, "INVALID_BILL_STATE")
    refused({"state": "sent"}, 422, "INVALID_BILL_STATE")
    refused({"state": "trial"}, 400)
    refused({"state": "bogus"}, 400)
    refused({"state": None}, 400)
    refused({"amountDue": {"unit": "CNY", "value": 1.0}}, 400, "READ_ONLY_ATTRIBUTE")
    refused({"state": "approved", "billNo": "X1"}, 400, "READ_ONLY_ATTRIBUTE")
    for step in ("approved", "sent"):
        moved = client.patch(url, json={"state": step}, headers=auth("admin"))
        assert moved.status_code == 200 and moved.json()["state"] == step
    refused({"state": "onHold"}, 422, "INVALID_BILL_STATE")
    assert client.get(url, headers=operator).json()["state"] == "sent"
    assert len(_events(session_factory, "CustomerBillStateChangeEvent")) == 3
    for role in ("csr", "finance", "analyst", "partner"):
        assert client.patch(url, json={"state": "new"}, headers=auth(role)).status_code == 403
    assert client.patch(url, json={"state": "new"}, headers=auth("admin", "SC")).status_code == 404


def test_writes_the_api_does_not_offer_answer_405_and_partners_may_not_read(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account = _account(client, auth)
    (bill_id,) = _bills(session_factory, account, BillState.NEW)
    admin = auth("admin")
    assert client.post(f"{BASE}/customerBill", json={}, headers=admin).status_code == 405
    assert client.delete(f"{BASE}/customerBill/{bill_id}", headers=admin).status_code == 405
    item = client.get(f"{BASE}/appliedCustomerBillingRate", headers=admin).json()[0]["id"]
    rates = f"{BASE}/appliedCustomerBillingRate"
    assert client.post(rates, json={}, headers=admin).status_code == 405
    assert client.patch(f"{rates}/{item}", json={}, headers=admin).status_code == 405
    assert client.delete(f"{rates}/{item}", headers=admin).status_code == 405
    on_demand = f"{BASE}/customerBillOnDemand/x"
    assert client.patch(on_demand, json={}, headers=admin).status_code == 405
    assert client.delete(on_demand, headers=admin).status_code == 405
    partner = auth("partner")
    for path in ("customerBill", "appliedCustomerBillingRate", "customerBillOnDemand"):
        assert client.get(f"{BASE}/{path}", headers=partner).status_code == 403
    assert client.get(f"{BASE}/customerBill/{bill_id}", headers=partner).status_code == 403
    listener = client.post(f"{BASE}/listener/customerBillCreateEvent", json={}, headers=admin)
    assert listener.status_code == 501
    hub = client.post(f"{BASE}/hub", json={"callback": "http://127.0.0.1:9/cb"}, headers=admin)
    assert hub.status_code == 201


def test_bill_events_announce_each_final_bill(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account = _account(client, auth)
    with unit_of_work(session_factory) as session:
        bills = [make_bill(session, account), make_bill(session, account)]
        bill_events(session, bills)
        ids = [bill.id for bill in bills]
    events = _events(session_factory, "CustomerBillCreateEvent")
    assert sorted(e["event"]["customerBill"]["id"] for e in events) == sorted(ids)
    body = events[0]["event"]["customerBill"]
    assert body["amountDue"] == {"unit": "CNY", "value": 62.34}
    assert body["href"].endswith(f"{BASE}/customerBill/{body['id']}")
    with session_factory() as session:
        provinces = session.scalars(
            select(OutboxEvent.province).where(OutboxEvent.event_type == "CustomerBillCreateEvent")
        ).all()
    assert provinces == ["GD", "GD"]


def test_a_bill_on_demand_is_recorded_for_an_account_of_the_callers_province(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account = _account(client, auth)
    sichuan_account = _account(client, auth, "SC")
    csr = auth("csr")
    url = f"{BASE}/customerBillOnDemand"
    created = client.post(
        url, json={"billingAccount": {"id": account}, "name": "本月话费"}, headers=csr
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "done"
    # The open cycle so far, kept as a bill on demand: nothing owed yet, never payable.
    bill_id = body["customerBill"]["id"]
    assert body["customerBill"] == {
        "id": bill_id,
        "href": f"{HOST}{BASE}/customerBill/{bill_id}",
        "@referredType": "CustomerBill",
    }
    bill = client.get(f"{BASE}/customerBill/{bill_id}", headers=csr).json()
    assert (bill["state"], bill["category"], bill["runType"]) == ("onDemand", "interim", "offCycle")
    assert bill["billingAccount"]["id"] == account
    assert bill["amountDue"] == {"unit": "CNY", "value": 0.0}
    moved = client.patch(
        f"{BASE}/customerBill/{bill_id}", json={"state": "sent"}, headers=auth("billing_operator")
    )
    assert moved.status_code == 422, moved.text
    assert body["name"] == "本月话费"
    assert body["billingAccount"] == {
        "id": account,
        "name": "Home Account",
        "href": f"{HOST}/tmf-api/accountManagement/v4/billingAccount/{account}",
        "@referredType": "BillingAccount",
    }
    assert body["href"] == f"{HOST}{url}/{body['id']}"
    assert body["lastUpdate"].endswith("Z")
    assert client.get(f"{url}/{body['id']}", headers=auth("finance")).json() == body
    assert [r["id"] for r in client.get(url, headers=csr).json()] == [body["id"]]
    filtered = client.get(url, params={"billingAccount.id": account, "state": "done"}, headers=csr)
    assert [r["id"] for r in filtered.json()] == [body["id"]]
    assert client.get(f"{url}/{body['id']}", headers=auth("csr", "SC")).status_code == 404
    created_events = _events(session_factory, "CustomerBillOnDemandCreateEvent")
    assert [e["event"]["customerBillOnDemand"]["state"] for e in created_events] == ["inProgress"]
    done_events = _events(session_factory, "CustomerBillOnDemandStateChangeEvent")
    assert [e["event"]["customerBillOnDemand"]["state"] for e in done_events] == ["done"]

    def refused(body: Any, status: int, headers: dict[str, str] = csr) -> None:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == status, response.text

    refused({"billingAccount": {"id": "no-such-account"}}, 422)
    refused({"billingAccount": {"id": sichuan_account}}, 422)
    refused({}, 400)
    refused({"billingAccount": "x"}, 400)
    refused({"billingAccount": {"id": 42}}, 400)
    refused({"billingAccount": {}}, 400)
    refused([], 400)
    refused({"billingAccount": {"id": account}}, 403, auth("finance"))
    refused({"billingAccount": {"id": account}}, 403, auth("partner"))
    refused({"billingAccount": {"id": account}}, 422, auth("admin", None))
    group = client.post(
        url,
        json={"billingAccount": {"id": account}},
        headers={**auth("admin", None), "X-Province": "GD"},
    )
    assert group.status_code == 201
    assert len(client.get(url, headers=csr).json()) == 2
