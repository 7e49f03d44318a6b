"""TMF676 payments and ``/api/v1/receivables`` end to end: taking a payment (201, then 200
for the same reference), the TMF rendering with the bills it settled, reversal, refund,
allocation, posting bills, the signed gateway callback, roles, province isolation and a table
of bad input that must answer 4xx with a reason and write nothing."""

from __future__ import annotations

import json
import time
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.service import billing_accounts
from openbss.customer.service import customers
from openbss.db.uow import unit_of_work
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.party.identity import make_resident_id
from openbss.party.service import individuals
from openbss.payments import gateway
from openbss.payments.models import JournalLine, LedgerItem, LedgerMatch, Payment
from openbss.payments.public import post_final_bills
from tests import payments_support as support
from tests.conftest import KeyMaker

TMF = "/tmf-api/paymentManagement/v4"
OWN = "/api/v1/receivables"
_serial = count(500)


def province_account(factory: sessionmaker[Session], province: str = "GD") -> str:
    """A new customer's billing account in ``province``."""
    who = Principal(key_id="test", role=Role.ADMIN, province=province)
    with unit_of_work(factory) as session:
        resident_id = make_resident_id(
            "310101", __import__("datetime").date(1985, 5, 5), next(_serial)
        )
        party = individuals.create(
            session,
            who,
            {
                "familyName": "李",
                "givenName": "华",
                "individualIdentification": [
                    {"identificationType": "ResidentIdentityCard", "identificationId": resident_id}
                ],
            },
        )
        customers.create(
            session,
            who,
            {
                "name": "李华",
                "status": "approved",
                "engagedParty": {"id": party.id, "@referredType": "Individual"},
            },
        )
        account = billing_accounts.create(
            session,
            who,
            {
                "name": "李华 账户",
                "state": "active",
                "relatedParty": [{"id": party.id, "role": "owner", "@referredType": "Individual"}],
            },
        )
        return account.id


def billed_account(factory: sessionmaker[Session], *amounts: int) -> tuple[str, list[str]]:
    """A GD account with one posted bill per amount (oldest first)."""
    account_id = province_account(factory)
    bills = []
    with unit_of_work(factory) as session:
        for month, amount in enumerate(amounts, start=1):
            bills += support.final_period(session, f"2025-{month:02d}", [(account_id, amount, 0)])
        post_final_bills(session, "GD")
    return account_id, bills


def ledger_counts(factory: sessionmaker[Session]) -> tuple[int, ...]:
    with factory() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Payment, LedgerItem, LedgerMatch, JournalLine)
        )


def tmf_body(account_id: str, value: Any = 50.0, **extra: Any) -> dict[str, Any]:
    return {
        "account": {"id": account_id},
        "paymentMethod": {"id": "cash"},
        "totalAmount": {"unit": "CNY", "value": value},
        **extra,
    }


# ----- TMF676 ---------------------------------------------------------------------------------


def test_tmf_payment_settles_a_named_bill_and_a_retry_is_the_same_payment(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id, [january, february] = billed_account(session_factory, 3_000, 5_000)
    headers = auth("csr")
    body = tmf_body(
        account_id,
        80.5,
        correlatorId="HALL-0001",
        paymentItem=[{"item": {"id": february, "@referredType": "CustomerBill"}}],
        channel={"id": "GZ-hall-12"},
    )
    first = client.post(f"{TMF}/payment", json=body, headers=headers)
    assert first.status_code == 201, first.text
    payment = first.json()
    assert payment["totalAmount"] == {"unit": "CNY", "value": 80.5}
    assert payment["account"]["id"] == account_id
    assert payment["status"] == "received"
    assert payment["correlatorId"] == "HALL-0001"
    assert payment["channel"]["id"] == "GZ-hall-12"
    assert [(i["item"]["id"], i["amount"]["value"]) for i in payment["paymentItem"]] == [
        (february, 50.0)
    ]
    counts = ledger_counts(session_factory)

    again = client.post(f"{TMF}/payment", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == payment["id"]
    assert ledger_counts(session_factory) == counts

    different = client.post(
        f"{TMF}/payment", json={**body, "totalAmount": {"value": 1}}, headers=headers
    )
    assert different.status_code == 409
    assert different.json()["code"] == "PAYMENT_REFERENCE_REUSED"

    got = client.get(f"{TMF}/payment/{payment['id']}", headers=auth("analyst"))
    assert got.status_code == 200 and got.json()["id"] == payment["id"]
    listed = client.get(f"{TMF}/payment?account.id={account_id}", headers=auth("analyst"))
    assert [p["id"] for p in listed.json()] == [payment["id"]]
    for method in ("patch", "delete"):
        answer = client.request(method.upper(), f"{TMF}/payment/{payment['id']}", headers=headers)
        assert answer.status_code == 405

    view = client.get(f"{OWN}/accounts/{account_id}", headers=auth("analyst")).json()
    # 80.50 paid: February's 50.00 settled, 30.50 left as credit; January's 30.00 still owed.
    assert view["balanceFen"] == 8_000 - 8_050
    assert {line["sourceId"]: line["openFen"] for line in view["statement"]["items"]} == {
        january: 3_000,
        february: 0,
        payment["id"]: 3_050,
    }


def test_tmf_payment_by_a_stored_payment_method(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    method = client.post(
        "/tmf-api/paymentMethod/v4/paymentMethod",
        json={"@type": "DigitalWallet", "name": "支付宝", "account": [{"id": account_id}]},
        headers=auth("csr"),
    )
    assert method.status_code == 201, method.text
    body = tmf_body(account_id, 12, paymentMethod={"id": method.json()["id"]})
    created = client.post(f"{TMF}/payment", json=body, headers=auth("csr"))
    assert created.status_code == 201, created.text
    ref = created.json()["paymentMethod"]
    assert ref["id"] == method.json()["id"] and ref["@referredType"] == "DigitalWallet"
    with session_factory() as session:
        assert session.scalars(select(Payment.method)).all() == ["online"]


def test_reverse_refund_and_allocate_through_the_own_api(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id, [bill] = billed_account(session_factory, 6_000)
    taken = client.post(
        f"{OWN}/payments",
        json={"billingAccountId": account_id, "amountFen": 10_000, "method": "cash",
              "reference": "R-100"},
        headers=auth("csr"),
    )  # fmt: skip
    assert taken.status_code == 201, taken.text
    payment = taken.json()
    assert payment["unspentFen"] == 4_000 and payment["settles"][0]["sourceId"] == bill

    # A csr may take payments but not refund them.
    forbidden = client.post(
        f"{OWN}/payments/{payment['id']}/refund",
        json={"amountFen": 100, "reason": "x", "reference": "RF-1"},
        headers=auth("csr"),
    )
    assert forbidden.status_code == 403
    too_much = client.post(
        f"{OWN}/payments/{payment['id']}/refund",
        json={"amountFen": 10_001, "reason": "overpaid", "reference": "RF-1"},
        headers=auth("finance"),
    )
    assert too_much.status_code == 422 and too_much.json()["code"] == "REFUND_NOT_ALLOWED"
    refunded = client.post(
        f"{OWN}/payments/{payment['id']}/refund",
        json={"amountFen": 4_000, "reason": "overpaid", "reference": "RF-1"},
        headers=auth("finance"),
    )
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "partiallyRefunded"
    assert refunded.json()["unspentFen"] == 0

    nothing = client.post(
        f"{OWN}/payments/{payment['id']}/allocate", json={"billId": bill}, headers=auth("csr")
    )
    assert nothing.status_code == 422 and nothing.json()["code"] == "NOTHING_TO_ALLOCATE"

    reversed_ = client.post(
        f"{OWN}/payments/{payment['id']}/reverse", json={"reason": "bounced"},
        headers=auth("finance"),
    )  # fmt: skip
    assert reversed_.status_code == 200 and reversed_.json()["status"] == "reversed"
    assert reversed_.json()["settles"] == []
    view = client.get(f"{OWN}/accounts/{account_id}", headers=auth("csr")).json()
    assert view["balanceFen"] == 6_000


def test_allocate_spends_a_credit_balance_on_a_named_bill(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    taken = client.post(
        f"{OWN}/payments",
        json={"billingAccountId": account_id, "amountFen": 5_000, "method": "bank_transfer",
              "reference": "T-1"},
        headers=auth("billing_operator"),
    ).json()  # fmt: skip
    assert taken["unspentFen"] == 5_000  # nothing owed yet: a credit balance
    with unit_of_work(session_factory) as session:
        [bill] = support.final_period(session, "2025-07", [(account_id, 3_000, 0)])
    # Posting bills spends credit balances oldest first by itself; allocate a fresh payment.
    posted = client.post(f"{OWN}/post-bills", headers=auth("billing_operator"))
    assert posted.status_code == 200 and posted.json()["periods"][0]["bills"] == 1
    with unit_of_work(session_factory) as session:
        [bill2] = support.final_period(session, "2025-08", [(account_id, 4_000, 0)])
    client.post(f"{OWN}/post-bills", headers=auth("billing_operator"))
    view = client.get(f"{OWN}/accounts/{account_id}", headers=auth("csr")).json()
    opens = {line["sourceId"]: line["openFen"] for line in view["statement"]["items"]}
    assert opens[bill] == 0 and opens[bill2] == 2_000 and opens[taken["id"]] == 0

    second = client.post(
        f"{OWN}/payments",
        json={"billingAccountId": account_id, "amountFen": 1_500, "method": "cash",
              "reference": "T-2", "billId": bill},
        headers=auth("csr"),
    ).json()  # fmt: skip
    assert second["unspentFen"] == 1_500  # the named bill was already paid
    allocated = client.post(
        f"{OWN}/payments/{second['id']}/allocate", json={"billId": bill2}, headers=auth("csr")
    )
    assert allocated.status_code == 200, allocated.text
    assert allocated.json()["allocatedFen"] == 1_500
    assert allocated.json()["unspentFen"] == 0
    page = client.get(f"{OWN}/accounts/{account_id}?offset=1&limit=2", headers=auth("csr"))
    assert page.json()["statement"]["total"] == 4
    assert len(page.json()["statement"]["items"]) == 2


# ----- roles, provinces and bad input ---------------------------------------------------------


def test_roles_and_provinces(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    gd_account = province_account(session_factory, "GD")
    sh_account = province_account(session_factory, "SH")
    before = ledger_counts(session_factory)
    analyst = client.post(f"{TMF}/payment", json=tmf_body(gd_account), headers=auth("analyst"))
    assert analyst.status_code == 403
    foreign = client.post(f"{TMF}/payment", json=tmf_body(sh_account), headers=auth("csr"))
    assert foreign.status_code == 422
    assert "does not exist" in foreign.json()["message"]
    seen = client.get(f"{OWN}/accounts/{sh_account}", headers=auth("csr", "GD"))
    assert seen.status_code == 404 and "does not exist" in seen.json()["message"]
    assert client.post(f"{TMF}/payment", json=tmf_body(gd_account)).status_code == 401
    assert ledger_counts(session_factory) == before

    sh_payment = client.post(
        f"{TMF}/payment", json=tmf_body(sh_account), headers=auth("csr", "SH")
    ).json()
    assert client.get(f"{TMF}/payment/{sh_payment['id']}", headers=auth("admin")).status_code == 404
    reverse = client.post(
        f"{OWN}/payments/{sh_payment['id']}/reverse", json={"reason": "x"},
        headers=auth("finance", "GD"),
    )  # fmt: skip
    assert reverse.status_code == 404 and "does not exist" in reverse.json()["message"]


BAD_TMF = [
    ("negative", lambda a: tmf_body(a, -5), 400, "positive"),
    ("zero", lambda a: tmf_body(a, 0), 400, "positive"),
    ("fraction of a fen", lambda a: tmf_body(a, 10.005), 400, "2 decimals"),
    ("not a number", lambda a: tmf_body(a, "ten"), 400, "number"),
    ("another currency", lambda a: {**tmf_body(a), "totalAmount": {"unit": "USD", "value": 1}},
     400, "CNY"),
    ("unknown account", lambda a: tmf_body("no-such-account"), 422, "does not exist"),
    ("missing account", lambda a: {k: v for k, v in tmf_body(a).items() if k != "account"},
     400, "account.id"),
    ("missing amount", lambda a: {k: v for k, v in tmf_body(a).items() if k != "totalAmount"},
     400, "totalAmount"),
    ("missing method", lambda a: {k: v for k, v in tmf_body(a).items() if k != "paymentMethod"},
     400, "paymentMethod"),
    ("unknown method", lambda a: tmf_body(a, paymentMethod={"id": "nope"}), 400, "does not exist"),
    ("voucher", lambda a: tmf_body(a, paymentMethod={"@type": "Voucher"}), 400, "supported"),
    ("unknown bill", lambda a: tmf_body(a, paymentItem=[{"item": {"id": "nope"}}]), 422, "bill"),
    ("bad reference", lambda a: tmf_body(a, correlatorId="has space"), 400, "reference"),
]  # fmt: skip


def test_bad_tmf_payments_write_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    before = ledger_counts(session_factory)
    for case, make, status, words in BAD_TMF:
        answer = client.post(f"{TMF}/payment", json=make(account_id), headers=auth("csr"))
        assert answer.status_code == status, (case, answer.text)
        assert words in answer.json()["message"], (case, answer.json())
    assert ledger_counts(session_factory) == before


BAD_OWN = [
    ("negative", {"amountFen": -100}, 400, "positive"),
    ("zero", {"amountFen": 0}, 400, "positive"),
    ("fractional fen", {"amountFen": 10.5}, 400, "whole number"),
    ("string amount", {"amountFen": "100"}, 400, "whole number"),
    ("unknown method", {"method": "cheque"}, 400, "method"),
    ("unknown account", {"billingAccountId": "nope"}, 422, "does not exist"),
    ("missing reference", {"reference": None}, 400, "reference"),
    ("unknown attribute", {"amountYuan": 1}, 400, "amountYuan"),
]


def test_bad_own_payments_write_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    good = {"billingAccountId": account_id, "amountFen": 100, "method": "cash", "reference": "B-1"}
    before = ledger_counts(session_factory)
    for case, change, status, words in BAD_OWN:
        body = {k: v for k, v in {**good, **change}.items() if v is not None}
        answer = client.post(f"{OWN}/payments", json=body, headers=auth("csr"))
        assert answer.status_code == status, (case, answer.text)
        assert words in answer.json()["message"], (case, answer.json())
    assert ledger_counts(session_factory) == before


def test_malformed_json_and_empty_body(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    before = ledger_counts(session_factory)
    headers = {**auth("csr"), "Content-Type": "application/json"}
    for path in (f"{TMF}/payment", f"{OWN}/payments"):
        assert client.post(path, content=b'{"account": ', headers=headers).status_code == 400
        assert client.post(path, content=b"", headers=headers).status_code == 400
        assert client.post(path, content=b"[1]", headers=headers).status_code == 400
    assert ledger_counts(session_factory) == before


# ----- the online gateway ---------------------------------------------------------------------


class SimulatedGateway:
    """A payment gateway as the operator sees it: it signs each callback with its secret."""

    def __init__(self, client: TestClient, name: str, secret: str) -> None:
        self.client, self.name, self.secret = client, name, secret

    def callback(self, body: dict[str, Any], *, secret: str | None = None,
                 timestamp: int | None = None) -> Any:  # fmt: skip
        raw = json.dumps(body).encode()
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = gateway.sign(secret or self.secret, stamp, raw)
        return self.client.post(
            f"{OWN}/gateways/{self.name}/callback",
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-Gateway-Timestamp": stamp,
                "X-Gateway-Signature": signature,
            },
        )


@pytest.fixture
def alipay(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> SimulatedGateway:
    monkeypatch.setattr(get_settings(), "gateway_secrets", {"alipay": "s3cret-for-tests"})
    return SimulatedGateway(client, "alipay", "s3cret-for-tests")


def test_signed_gateway_callback_takes_a_payment_once(
    alipay: SimulatedGateway, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    account_id, [bill] = billed_account(session_factory, 2_000)
    body = {"transactionId": "2026120322001", "billingAccountId": account_id, "amountFen": 2_000}
    first = alipay.callback(body)
    assert first.status_code == 201, first.text
    assert first.json()["method"] == "online" and first.json()["channel"] == "alipay"
    assert first.json()["reference"] == "alipay:2026120322001"
    assert first.json()["settles"][0]["sourceId"] == bill
    counts = ledger_counts(session_factory)
    replay = alipay.callback(body)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert ledger_counts(session_factory) == counts


def test_bad_gateway_signatures_are_refused_and_write_nothing(
    alipay: SimulatedGateway, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    body = {"transactionId": "T-9", "billingAccountId": account_id, "amountFen": 100}
    before = ledger_counts(session_factory)
    assert alipay.callback(body, secret="wrong").status_code == 401
    assert alipay.callback(body, timestamp=int(time.time()) - 3_600).status_code == 401
    unsigned = client.post(f"{OWN}/gateways/alipay/callback", json=body)
    assert unsigned.status_code == 401
    unknown = SimulatedGateway(client, "wechat", "s3cret-for-tests").callback(body)
    assert unknown.status_code == 401
    # The body signed, then changed in transit.
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    tampered = client.post(
        f"{OWN}/gateways/alipay/callback",
        content=raw.replace(b"100", b"900"),
        headers={"X-Gateway-Timestamp": stamp,
                 "X-Gateway-Signature": gateway.sign("s3cret-for-tests", stamp, raw)},
    )  # fmt: skip
    assert tampered.status_code == 401
    assert ledger_counts(session_factory) == before


def test_tmf_refunds(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id, [bill] = billed_account(session_factory, 3_000)
    payment = client.post(
        f"{TMF}/payment", json=tmf_body(account_id, 50, correlatorId="P-1"), headers=auth("csr")
    ).json()
    body = {
        "payment": {"id": payment["id"]},
        "account": {"id": account_id},
        "totalAmount": {"unit": "CNY", "value": 25.5},
        "correlatorId": "RV-1",
        "description": "overpaid at the hall",
    }
    assert client.post(f"{TMF}/refund", json=body, headers=auth("csr")).status_code == 403
    created = client.post(f"{TMF}/refund", json=body, headers=auth("finance"))
    assert created.status_code == 201, created.text
    refund = created.json()
    assert refund["totalAmount"] == {"unit": "CNY", "value": 25.5}
    assert refund["payment"]["id"] == payment["id"] and refund["correlatorId"] == "RV-1"
    counts = ledger_counts(session_factory)
    again = client.post(f"{TMF}/refund", json=body, headers=auth("finance"))
    assert again.status_code == 200 and again.json()["id"] == refund["id"]
    assert ledger_counts(session_factory) == counts

    too_much = {**body, "correlatorId": "RV-2", "totalAmount": {"value": 24.51}}
    refused = client.post(f"{TMF}/refund", json=too_much, headers=auth("finance"))
    assert refused.status_code == 422 and "more than" in refused.json()["message"]
    other = {**body, "correlatorId": "RV-3", "account": {"id": "someone-else"}}
    assert client.post(f"{TMF}/refund", json=other, headers=auth("finance")).status_code == 400
    assert ledger_counts(session_factory) == counts

    listed = client.get(f"{TMF}/refund?account.id={account_id}", headers=auth("analyst"))
    assert [r["id"] for r in listed.json()] == [refund["id"]]
    assert client.get(f"{TMF}/refund/{refund['id']}", headers=auth("analyst")).status_code == 200
    assert (
        client.get(f"{TMF}/refund/{refund['id']}", headers=auth("admin", "SH")).status_code == 404
    )
    assert client.delete(f"{TMF}/refund/{refund['id']}", headers=auth()).status_code == 405
    # The refund came out of the unspent 20.00 first, then re-opened 5.50 of the bill.
    paid = client.get(f"{TMF}/payment/{payment['id']}", headers=auth("csr")).json()
    assert paid["status"] == "partiallyRefunded"
    assert [(i["item"]["id"], i["amount"]["value"]) for i in paid["paymentItem"]] == [(bill, 24.5)]
