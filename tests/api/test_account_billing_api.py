"""TMF666 billing-account rules: money in fen, bill structure, payment method, lifecycle."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from tests.api.test_account_api import (
    BASE,
    account_body,
    account_row,
    create_account,
    organization,
)
from tests.conftest import KeyMaker

ACCOUNTS = f"{BASE}/billingAccount"


# ----- money -----------------------------------------------------------------------------------


def test_credit_limit_is_exact_integer_fen(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org, headers = organization(client, auth), auth("csr")
    account = create_account(client, headers, org, creditLimit={"unit": "CNY", "value": 200.5})
    assert account["creditLimit"] == {"unit": "CNY", "value": 200.5}
    assert account_row(session_factory, account["id"]).credit_limit_amount == 20050
    url = f"{ACCOUNTS}/{account['id']}"
    for value, fen in ((19.99, 1999), (0.29, 29), (1000, 100000), (12345678.91, 1234567891)):
        patched = client.patch(url, json={"creditLimit": {"value": value}}, headers=headers)
        assert patched.status_code == 200
        assert patched.json()["creditLimit"] == {"unit": "CNY", "value": value}
        assert account_row(session_factory, account["id"]).credit_limit_amount == fen
    assert client.patch(url, json={"creditLimit": None}, headers=headers).status_code == 200
    assert account_row(session_factory, account["id"]).credit_limit_amount is None


def test_bad_amounts_are_refused(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org, headers = organization(client, auth), auth("csr")
    for money, status in (
        ({"unit": "CNY", "value": 1.234}, 422),
        ({"unit": "CNY", "value": -1}, 422),
        ({"unit": "USD", "value": 10}, 422),
        ({"unit": "CNY", "value": 1e30}, 422),
        ({"unit": "CNY", "value": "100"}, 400),
        ({"unit": "CNY", "value": True}, 400),
        ({"unit": "CNY"}, 400),
    ):
        response = client.post(ACCOUNTS, json=account_body(org, creditLimit=money), headers=headers)
        assert response.status_code == status, (money, response.text)
    nan = client.post(
        ACCOUNTS,
        headers={**headers, "Content-Type": "application/json"},
        content=(
            '{"name": "x", "relatedParty": [{"id": "' + org + '"}], "creditLimit": {"value": NaN}}'
        ).encode(),
    )
    assert (nan.status_code, nan.json()["code"]) == (400, "MALFORMED_JSON")  # not JSON
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(BillingAccount)) == 0


def test_deposit_and_balances(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org, headers = organization(client, auth), auth("billing_operator")
    balances = [
        {"balanceType": "deposit", "amount": {"unit": "CNY", "value": 300}},
        {"balanceType": "deposit", "amount": {"value": 0.5}},
        {"balanceType": "receivable", "amount": {"unit": "CNY", "value": -88.8}},
    ]
    account = create_account(client, headers, org, accountBalance=balances)
    assert [b["amount"] for b in account["accountBalance"]] == [
        {"unit": "CNY", "value": 300},
        {"unit": "CNY", "value": 0.5},
        {"unit": "CNY", "value": -88.8},
    ]
    assert account_row(session_factory, account["id"]).deposit_amount == 30050
    too_much = {"balanceType": "deposit", "amount": {"value": 9e16}}
    overflow = client.patch(
        f"{ACCOUNTS}/{account['id']}",
        headers=headers,
        json={"accountBalance": [too_much, too_much]},
    )
    assert (overflow.status_code, overflow.json()["code"]) == (422, "INVALID_AMOUNT")
    typed = client.patch(
        f"{ACCOUNTS}/{account['id']}",
        headers=headers,
        json={"creditLimit": {"@type": "Money", "unit": "CNY", "value": 50}},
    )
    assert typed.json()["creditLimit"] == {"unit": "CNY", "value": 50}
    negative = client.patch(
        f"{ACCOUNTS}/{account['id']}",
        headers=headers,
        json={"accountBalance": [{"balanceType": "deposit", "amount": {"value": -1}}]},
    )
    assert negative.status_code == 422
    assert account_row(session_factory, account["id"]).deposit_amount == 30050


# ----- bill structure and payment method ---------------------------------------------------------


def test_bill_cycle_format_and_media(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    admin, group = auth("admin"), auth("admin", None)
    cycle = client.post(
        f"{BASE}/billingCycleSpecification",
        headers=group,
        json={
            "name": "15日帐期",
            "frequency": "monthly",
            "billingDateShift": 14,
            "paymentDueDateOffset": 45,
        },
    ).json()
    for shift in (28, -1):
        bad = client.post(
            f"{BASE}/billingCycleSpecification",
            headers=admin,
            json={"name": "x", "billingDateShift": shift},
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "INVALID_BILL_CYCLE_DAY")
    english = client.post(
        f"{BASE}/billFormat",
        headers=group,
        json={"name": "Standard bill (English)", "language": "en"},
    ).json()
    huge = client.post(
        f"{BASE}/billingCycleSpecification",
        headers=admin,
        json={"name": "x", "frequency": "weekly", "billingDateShift": 10**12},
    )
    assert (huge.status_code, huge.json()["code"]) == (422, "INVALID_OFFSET")
    bad_language = client.post(
        f"{BASE}/billFormat", headers=admin, json={"name": "x", "language": "fr"}
    )
    assert bad_language.status_code == 422
    email = client.post(
        f"{BASE}/billPresentationMedia", headers=group, json={"name": "电子邮件"}
    ).json()
    org, headers = organization(client, auth), auth("csr")
    structure = {
        "cycleSpecification": {"id": cycle["id"]},
        "format": {"id": english["id"]},
        "presentationMedia": [{"id": email["id"]}],
    }
    account = create_account(client, headers, org, billStructure=structure)
    assert account["billStructure"]["cycleSpecification"] == {
        "id": cycle["id"],
        "name": "15日帐期",
        "isRef": True,
        "billingDateShift": 14,
    }
    row = account_row(session_factory, account["id"])
    assert (row.bill_cycle_day, row.cycle_specification_id) == (15, cycle["id"])
    assert (row.bill_language, row.bill_format_id) == ("en", english["id"])
    default = account_row(session_factory, create_account(client, headers, org)["id"])
    assert (default.bill_cycle_day, default.bill_language, default.payment_method) == (
        1,
        "zh-CN",
        "cash",
    )
    by_value = create_account(
        client,
        headers,
        org,
        billStructure={"cycleSpecification": {"name": "28日", "billingDateShift": 27}},
    )
    assert account_row(session_factory, by_value["id"]).bill_cycle_day == 28
    for bad_structure, code in (
        ({"cycleSpecification": {"id": "nope"}}, "UNKNOWN_REFERENCE"),
        ({"cycleSpecification": {"id": cycle["id"], "billingDateShift": 3}}, "REFERENCE_MISMATCH"),
        ({"cycleSpecification": {"name": "周", "frequency": "weekly"}}, "UNSUPPORTED_BILL_CYCLE"),
        ({"cycleSpecification": {"name": "31", "billingDateShift": 30}}, "INVALID_BILL_CYCLE_DAY"),
        ({"presentationMedia": [{"id": "nope"}]}, "UNKNOWN_REFERENCE"),
    ):
        response = client.post(
            ACCOUNTS, headers=headers, json=account_body(org, billStructure=bad_structure)
        )
        assert (response.status_code, response.json()["code"]) == (422, code), bad_structure
    for path, resource in (
        ("billingCycleSpecification", cycle),
        ("billFormat", english),
        ("billPresentationMedia", email),
    ):
        in_use = client.delete(f"{BASE}/{path}/{resource['id']}", headers=group)
        assert (in_use.status_code, in_use.json()["code"]) == (409, "REFERENCE_IN_USE"), path
    shift = client.patch(
        f"{BASE}/billingCycleSpecification/{cycle['id']}",
        headers=group,
        json={"billingDateShift": 0},
    )
    assert shift.status_code == 409
    renamed = client.patch(
        f"{BASE}/billingCycleSpecification/{cycle['id']}",
        headers=group,
        json={"description": "每月15日出帐"},
    )
    assert renamed.status_code == 200


def test_payment_methods(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    org, headers = organization(client, auth), auth("csr")
    for method, kind in (
        (
            {"id": "pm-1", "@referredType": "BankAccountDebit", "name": "工商银行托收"},
            "bank_collection",
        ),
        ({"id": "pm-2", "name": "托收"}, "bank_collection"),
        ({"id": "pm-3", "@referredType": "DigitalWallet"}, "online"),
        ({"id": "cash"}, "cash"),
    ):
        account = create_account(client, headers, org, defaultPaymentMethod=method)
        assert account_row(session_factory, account["id"]).payment_method == kind
    unknown = client.post(
        ACCOUNTS,
        headers=headers,
        json=account_body(org, defaultPaymentMethod={"id": "x", "@referredType": "Voucher"}),
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "UNKNOWN_PAYMENT_METHOD")
    plan = create_account(
        client,
        headers,
        org,
        paymentPlan=[
            {
                "numberOfPayments": 3,
                "totalAmount": {"unit": "CNY", "value": 99.9},
                "paymentMethod": {"id": "pm-1", "@referredType": "BankAccountDebit"},
            }
        ],
    )
    assert plan["paymentPlan"][0]["totalAmount"] == {"unit": "CNY", "value": 99.9}


def test_financial_account_reference(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    finance = auth("finance")
    receivable = client.post(
        f"{BASE}/financialAccount",
        headers=finance,
        json={"name": "应收帐款-广州", "accountType": "receivable"},
    ).json()
    org = organization(client, auth)
    account = create_account(client, auth("csr"), org, financialAccount={"id": receivable["id"]})
    assert account["financialAccount"] == {"id": receivable["id"], "name": "应收帐款-广州"}
    assert account_row(session_factory, account["id"]).financial_account_id == receivable["id"]
    unknown = client.post(
        ACCOUNTS, headers=auth("csr"), json=account_body(org, financialAccount={"id": "nope"})
    )
    assert unknown.status_code == 422
    in_use = client.delete(f"{BASE}/financialAccount/{receivable['id']}", headers=finance)
    assert (in_use.status_code, in_use.json()["code"]) == (409, "ACCOUNT_IN_USE")


# ----- lifecycle -------------------------------------------------------------------------------


def test_account_state_lifecycle(client: TestClient, auth: KeyMaker) -> None:
    org, headers = organization(client, auth), auth("csr")
    account = create_account(client, headers, org, state="created")
    url = f"{ACCOUNTS}/{account['id']}"
    for state in ("active", "suspended", "active", "suspended", "closed"):
        response = client.patch(url, json={"state": state}, headers=headers)
        assert (response.status_code, response.json()["state"]) == (200, state)
    reopen = client.patch(url, json={"state": "active"}, headers=headers)
    assert (reopen.status_code, reopen.json()["code"]) == (409, "INVALID_TRANSITION")
    bogus = client.patch(url, json={"state": "frozen"}, headers=headers)
    assert (bogus.status_code, bogus.json()["code"]) == (422, "UNKNOWN_STATE")
    suspended = client.post(ACCOUNTS, json=account_body(org, state="suspended"), headers=headers)
    assert suspended.status_code == 409
    stale = client.patch(url, json={"lastModified": "2001-01-01T00:00:00Z"}, headers=headers)
    assert stale.status_code == 400
