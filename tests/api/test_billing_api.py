"""``/api/v1/billing`` end to end: bill runs, bill inquiry (话费查询), adjustments with
maker-checker, bills on demand; roles, province scope and clear refusals that write nothing.

The world is ``tests.billing_support``'s April 2026: customer A's bill is 87.90 (VAT 5.70),
customer B's 108.00; on 10 April A's charges so far are 8.33 + 40.00 of rentals and 1.10 of
calls, 49.43 in all.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.hot import hot_bill
from openbss.billing.models import BillRun, CustomerBill, ManualAdjustment, RunStatus
from openbss.db.uow import unit_of_work
from openbss.kit.settings import get_settings
from tests.billing_support import APRIL, World, build_world
from tests.conftest import KeyMaker
from tests.ordering_support import new_customer

BASE = "/api/v1/billing"
TMF = "/tmf-api/customerBillManagement/v4"
APRIL_10 = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)  # 20:00 on 10 April in Guangzhou


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    built = build_world(session_factory, tmp_path)
    monkeypatch.setattr(get_settings(), "data_dir", built.data_dir)
    return built


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def status(response: Any, expected: int) -> Any:
    assert response.status_code == expected, response.text
    return response.json()


# --- bill runs --------------------------------------------------------------------------------


def test_bill_runs_trial_discard_final_and_never_again(
    world: World, client: TestClient, auth: KeyMaker
) -> None:
    operator, analyst = auth("billing_operator"), auth("analyst")
    runs = f"{BASE}/runs"

    # Bad requests are refused before anything is claimed.
    for body, code in (
        ({"period": "2026-13"}, 422),
        ({"period": "April"}, 422),
        ({"period": 202604}, 422),
        ({}, 422),
        ({"period": APRIL, "trial": "yes"}, 422),
        ({"period": APRIL, "dryRun": True}, 422),
    ):
        status(client.post(runs, json=body, headers=operator), code)
    status(client.post(runs, content=b"[]", headers=operator), 400)
    status(client.post(runs, json={"period": "2026-07"}, headers=operator), 409)  # not rated
    for role in ("analyst", "finance", "csr", "partner"):
        status(client.post(runs, json={"period": APRIL}, headers=auth(role)), 403)
    status(client.post(runs, json={"period": APRIL}, headers=auth("admin", None)), 422)
    assert count(world.factory, BillRun) == 0

    trial = status(client.post(runs, json={"period": APRIL, "trial": True}, headers=operator), 200)
    assert (trial["status"], trial["accountsDue"], trial["bills"], trial["exceptions"]) == (
        "trial",
        2,
        2,
        0,
    )
    assert (trial["amountFen"], trial["amount"]) == (19590, {"unit": "CNY", "value": 195.9})
    assert {t["chargeType"]: t["amountFen"] for t in trial["amountByChargeType"]} == {
        "recurring": 2500 + 180 + 6000 + 10800,
        "usage": 110,
    }
    assert status(client.get(f"{runs}/{trial['id']}", headers=analyst), 200) == trial
    assert status(client.get(f"{runs}/{trial['id']}/exceptions", headers=analyst), 200) == []
    listed = status(client.get(runs, params={"period": APRIL}, headers=auth("finance")), 200)
    assert [r["id"] for r in listed] == [trial["id"]]
    assert status(client.get(runs, params={"period": "2026-05"}, headers=analyst), 200) == []
    status(client.get(runs, params={"period": "May"}, headers=analyst), 422)
    for role in ("csr", "partner"):
        status(client.get(runs, headers=auth(role)), 403)
        status(client.get(f"{runs}/{trial['id']}", headers=auth(role)), 403)

    # Another province sees none of it.
    sichuan = auth("admin", "SC")
    assert status(client.get(runs, headers=sichuan), 200) == []
    for path in (f"{runs}/{trial['id']}", f"{runs}/{trial['id']}/exceptions"):
        status(client.get(path, headers=sichuan), 404)
    for action in ("finalise", "discard"):
        status(client.post(f"{runs}/{trial['id']}/{action}", headers=sichuan), 404)
        status(client.post(f"{runs}/{trial['id']}/{action}", headers=analyst), 403)
    status(client.post(f"{runs}/no-such-run/finalise", headers=operator), 404)

    discarded = status(client.post(f"{runs}/{trial['id']}/discard", headers=operator), 200)
    assert (discarded["status"], discarded["bills"], discarded["amountByChargeType"]) == (
        "discarded",
        0,
        [],
    )
    status(client.post(f"{runs}/{trial['id']}/finalise", headers=operator), 409)

    second = status(client.post(runs, json={"period": APRIL, "trial": True}, headers=operator), 200)
    assert second["id"] != trial["id"] and second["status"] == "trial"
    final = status(client.post(f"{runs}/{second['id']}/finalise", headers=auth("admin")), 200)
    assert (final["status"], final["bills"], final["amountFen"]) == ("finalised", 2, 19590)
    assert final["finalisedAt"].endswith("Z")
    status(client.post(f"{runs}/{second['id']}/discard", headers=operator), 409)
    again = status(client.post(runs, json={"period": APRIL}, headers=operator), 200)
    assert again == final
    assert count(world.factory, BillRun) == 2
    newest_first = status(client.get(runs, headers=analyst), 200)
    assert [r["id"] for r in newest_first] == [second["id"], trial["id"]]


def test_a_period_another_process_is_billing_is_409(
    world: World, client: TestClient, auth: KeyMaker
) -> None:
    with unit_of_work(world.factory) as session:
        session.add(
            BillRun(
                id="held-run",
                province="GD",
                period=APRIL,
                status=RunStatus.RUNNING,
                owner=f"{socket.gethostname()}:{os.getppid()}",  # a live process here
                heartbeat_at=datetime.now(UTC),
            )
        )
    refused = client.post(f"{BASE}/runs", json={"period": APRIL}, headers=auth("admin"))
    assert status(refused, 409)["code"] == "BILL_RUN_IN_PROGRESS"
    assert count(world.factory, CustomerBill) == 0


def test_exceptions_name_the_accounts_a_run_could_not_bill(
    world: World, client: TestClient, auth: KeyMaker
) -> None:
    from openbss.account.models import BillingAccount

    with unit_of_work(world.factory) as session:
        account = session.get(BillingAccount, world.b.account_id)
        assert account is not None
        account.bill_cycle_day = 31  # outside 1–28: no cycle for it
    run = status(
        client.post(
            f"{BASE}/runs", json={"period": APRIL, "trial": True}, headers=auth("billing_operator")
        ),
        200,
    )
    assert (run["bills"], run["exceptions"]) == (1, 1)
    found = status(client.get(f"{BASE}/runs/{run['id']}/exceptions", headers=auth("finance")), 200)
    assert [(e["runId"], e["billingAccountId"], e["reason"]) for e in found] == [
        (run["id"], world.b.account_id, "NO_CYCLE")
    ]


# --- bill inquiry -----------------------------------------------------------------------------


def test_bill_inquiry_is_hot_billing_and_writes_nothing(
    world: World, client: TestClient, auth: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("openbss.api.routes.billing.now", lambda: APRIL_10)
    path = f"{BASE}/accounts/{world.a.account_id}/hot"
    answers = [status(client.get(path, headers=auth(role)), 200) for role in
               ("csr", "billing_operator", "finance", "admin")]  # fmt: skip
    assert all(answer == answers[0] for answer in answers)
    answer = answers[0]
    with world.factory() as session:
        expected = hot_bill(session, world.data_dir, world.a.account_id, APRIL_10)
    assert [
        (line["chargeType"], line["productId"], line["amountFen"], line["taxFen"])
        for line in answer["lines"]
    ] == [
        (str(t.line.charge_type), t.line.product_id, t.line.amount_fen, t.tax.shown_fen)
        for t in expected.lines
    ]
    assert sorted(line["amountFen"] for line in answer["lines"]) == [110, 833, 4000]
    assert (answer["period"], answer["totalFen"], answer["taxFen"]) == (
        APRIL,
        4943,
        expected.tax_fen,
    )
    assert answer["total"] == {"unit": "CNY", "value": 49.43}
    assert answer["asOf"] == "2026-04-10T12:00:00.000Z"
    assert answer["billingAccountId"] == world.a.account_id
    for role in ("analyst", "partner"):
        status(client.get(path, headers=auth(role)), 403)
    status(client.get(path, headers=auth("csr", "SC")), 404)
    status(client.get(f"{BASE}/accounts/no-such-account/hot", headers=auth("csr")), 404)
    assert count(world.factory, BillRun) == 0


def test_a_bill_on_demand_links_the_open_cycle_so_far_and_is_not_a_bill_run(
    world: World, client: TestClient, auth: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("openbss.billing.service.now", lambda: APRIL_10)
    created = client.post(
        f"{TMF}/customerBillOnDemand",
        json={"billingAccount": {"id": world.a.account_id}},
        headers=auth("csr"),
    )
    bill_id = status(created, 201)["customerBill"]["id"]
    bill = status(client.get(f"{TMF}/customerBill/{bill_id}", headers=auth("csr")), 200)
    assert (bill["state"], bill["category"], bill["runType"]) == ("onDemand", "interim", "offCycle")
    assert bill["amountDue"] == {"unit": "CNY", "value": 49.43}
    assert bill["billDate"] == "2026-04-09T16:00:00.000Z"  # 10 April, Guangzhou
    lines = status(
        client.get(
            f"{TMF}/appliedCustomerBillingRate", params={"bill.id": bill_id}, headers=auth("csr")
        ),
        200,
    )
    assert sorted(line["taxIncludedAmount"]["value"] for line in lines) == [1.1, 8.33, 40.0]
    assert {line["isBilled"] for line in lines} == {False}
    # The period's bill run neither sees nor counts it.
    operator = auth("billing_operator")
    assert status(client.get(f"{BASE}/runs", headers=operator), 200) == []
    run = status(client.post(f"{BASE}/runs", json={"period": APRIL}, headers=operator), 200)
    assert (run["status"], run["bills"], run["amountFen"]) == ("finalised", 2, 19590)
    assert [r["id"] for r in status(client.get(f"{BASE}/runs", headers=operator), 200)] == [
        run["id"]
    ]
    with world.factory() as session:
        on_demand = session.get(CustomerBill, bill_id)
        assert on_demand is not None and on_demand.state == "onDemand"


# --- adjustments ------------------------------------------------------------------------------


@pytest.fixture
def account(session_factory: sessionmaker[Session]) -> str:
    with unit_of_work(session_factory) as session:
        _party, _customer, account_id = new_customer(session, 7)
    return account_id


def test_adjustments_maker_checker_by_key(
    session_factory: sessionmaker[Session], client: TestClient, auth: KeyMaker, account: str
) -> None:
    url = f"{BASE}/adjustments"
    csr = auth("csr")

    def ask(body: dict[str, Any], headers: dict[str, str] = csr) -> Any:
        return client.post(url, json=body, headers=headers)

    good = {"billingAccountId": account, "amountFen": -5000, "reason": "断网补偿"}
    for bad, code in (
        ({**good, "amountFen": 0}, 422),
        ({**good, "amountFen": 12.5}, 422),
        ({**good, "amountFen": "100"}, 422),
        ({**good, "amountFen": True}, 422),
        ({**good, "reason": "  "}, 422),
        ({"billingAccountId": account, "amountFen": 100}, 422),
        ({**good, "approvedBy": "me"}, 422),
        ({**good, "billingAccountId": "no-such-account"}, 404),
    ):
        status(ask(bad), code)
    status(ask(good, auth("csr", "SC")), 404)
    for role in ("analyst", "partner"):
        status(ask(good, auth(role)), 403)
    assert count(session_factory, ManualAdjustment) == 0

    small = status(ask(good), 201)
    assert (small["status"], small["amountFen"], small["amount"]) == (
        "approved",
        -5000,
        {"unit": "CNY", "value": -50.0},
    )
    assert small["approvedBy"] == small["requestedBy"]
    assert small["decidedAt"].endswith("Z")

    maker = auth("billing_operator")
    large = status(ask({**good, "amountFen": 50000, "reason": "漏收月租"}, maker), 201)
    assert (large["status"], large["approvedBy"]) == ("pending", None)
    approve = f"{url}/{large['id']}/approve"
    same = status(client.post(approve, headers=maker), 403)
    assert same["code"] == "SAME_MAKER_AND_CHECKER"
    for role in ("csr", "analyst", "partner"):
        status(client.post(approve, headers=auth(role)), 403)
    status(client.post(approve, headers=auth("finance", "SC")), 404)
    status(client.post(f"{url}/no-such-adjustment/approve", headers=auth("finance")), 404)
    with session_factory() as session:
        waiting = session.get(ManualAdjustment, large["id"])
        assert waiting is not None and waiting.status == "pending"

    approved = status(client.post(approve, headers=auth("finance")), 200)
    assert approved["status"] == "approved"
    assert approved["approvedBy"] not in (None, large["requestedBy"])
    assert status(client.post(approve, headers=auth("admin")), 409)["code"] == (
        "ADJUSTMENT_NOT_PENDING"
    )
    assert count(session_factory, ManualAdjustment) == 2


def test_every_endpoint_needs_a_key(client: TestClient) -> None:
    for method, path in (
        ("get", f"{BASE}/runs"),
        ("post", f"{BASE}/runs"),
        ("get", f"{BASE}/runs/x"),
        ("get", f"{BASE}/runs/x/exceptions"),
        ("post", f"{BASE}/runs/x/finalise"),
        ("post", f"{BASE}/runs/x/discard"),
        ("get", f"{BASE}/accounts/x/hot"),
        ("post", f"{BASE}/adjustments"),
        ("post", f"{BASE}/adjustments/x/approve"),
    ):
        response = client.request(method, path, json={"period": APRIL})
        assert response.status_code == 401, (method, path, response.text)
