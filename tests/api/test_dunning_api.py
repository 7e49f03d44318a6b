"""The collections API refuses bad input with a clear 4xx and writes nothing; roles and
province scope hold; the policy is readable; a waiver goes through maker-checker."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.payments import public as payments
from openbss.payments.models import ItemKind, LedgerItem
from tests import payments_support
from tests.conftest import KeyMaker

BASE = "/api/v1/receivables"


def test_bad_input_is_refused_and_nothing_is_written(
    session_factory: sessionmaker[Session], client: TestClient, auth: KeyMaker
) -> None:
    with unit_of_work(session_factory) as s:
        account = payments_support.account(s)
    csr = auth("csr", "GD")
    good = {"billingAccountId": account, "amountFen": 100, "method": "cash", "reference": "D-1"}
    for body, status in [
        ({**good, "amountFen": -100}, 400),
        ({**good, "amountFen": 1.5}, 400),
        ({**good, "method": "barter"}, 400),
        ({**good, "reference": "has space"}, 400),
        ({**good, "colour": "red"}, 400),
        ({**good, "billingAccountId": "nobody"}, 422),
    ]:
        answer = client.post(f"{BASE}/deposits", json=body, headers=csr)
        assert answer.status_code == status, (body, answer.text)
    assert (
        client.post(f"{BASE}/deposits", json=good, headers=auth("analyst", "GD")).status_code == 403
    )
    assert client.post(f"{BASE}/deposits", json=good).status_code == 401
    bad_date = client.post(f"{BASE}/dunning/runs", json={"date": "May"}, headers=auth("admin"))
    assert bad_date.status_code == 400
    promise = {"promisedDate": "2000-01-01", "amountFen": 100}
    late = client.post(f"{BASE}/dunning/accounts/{account}/promises", json=promise, headers=csr)
    assert late.status_code == 422 and "INVALID_PROMISE_DATE" in late.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(LedgerItem)) == 0

    policy = client.get(f"{BASE}/dunning/policy?date=2026-06-01", headers=csr)
    assert policy.status_code == 200 and policy.json()["lateFee"]["perMillePerDay"] == 3


def test_a_waiver_through_the_api_needs_a_second_person(
    session_factory: sessionmaker[Session], client: TestClient, auth: KeyMaker
) -> None:
    due = date(2026, 5, 20)
    with unit_of_work(session_factory) as s:
        account = payments_support.account(s)
        payments_support.final_period(s, "2026-04", [(account, 10_000, 0)], due=due)
        payments.post_final_bills(s, "GD")
    run = client.post(
        f"{BASE}/dunning/runs",
        json={"date": (due + timedelta(days=1)).isoformat()},
        headers=auth("billing_operator", "GD"),
    )
    assert run.status_code == 200 and run.json()["lateFees"] == 1, run.text
    with session_factory() as s:
        fee = s.scalars(select(LedgerItem).where(LedgerItem.kind == ItemKind.LATE_FEE)).one()
    maker = auth("finance", "GD")
    asked = client.post(
        f"{BASE}/dunning/waivers",
        json={"lateFeeItemId": fee.id, "amountFen": 30, "reason": "first time"},
        headers=maker,
    )
    assert asked.status_code == 201, asked.text
    waiver = asked.json()["id"]
    assert client.post(f"{BASE}/dunning/waivers/{waiver}/approve", headers=maker).status_code == 403
    other_province = client.post(
        f"{BASE}/dunning/waivers/{waiver}/approve", headers=auth("finance", "SH")
    )
    assert other_province.status_code == 404
    approved = client.post(f"{BASE}/dunning/waivers/{waiver}/approve", headers=auth("admin", "GD"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    listed = client.get(f"{BASE}/dunning/waivers?status=approved", headers=maker).json()
    assert [w["id"] for w in listed] == [waiver]
    with session_factory() as s:
        assert payments.balance(s, account) == 10_000
