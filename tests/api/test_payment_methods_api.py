"""TMF670 payment methods end to end: types, the link to a billing account, the bank account
number kept whole but shown masked except to finance and admin (and never in events or audit),
province isolation, and the direct-debit mandates the bank collection reads."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.events.models import OutboxEvent
from openbss.payments.public import DirectDebitMandate, direct_debit_mandates
from tests.api.test_payments_api import province_account
from tests.conftest import KeyMaker

PATH = "/tmf-api/paymentMethod/v4/paymentMethod"
NUMBER = "6222021234567890123"


def mandate(account_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "@type": "BankAccountDebit",
        "name": "工行托收",
        "bank": "ICBC",
        "BIC": "ICBKCNBJ",
        "owner": "李华",
        "accountNumber": NUMBER,
        "account": [{"id": account_id, "@referredType": "BillingAccount"}],
        **extra,
    }


def test_a_direct_debit_mandate_masks_its_number_except_to_finance(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    created = client.post(PATH, json=mandate(account_id), headers=auth("csr"))
    assert created.status_code == 201, created.text
    method = created.json()
    assert method["accountNumber"] == "*" * 15 + "0123"
    assert method["status"] == "active"

    as_csr = client.get(f"{PATH}/{method['id']}", headers=auth("csr")).json()
    assert as_csr["accountNumber"].endswith("0123") and NUMBER not in str(as_csr)
    as_finance = client.get(f"{PATH}/{method['id']}", headers=auth("finance")).json()
    assert as_finance["accountNumber"] == NUMBER
    listed = client.get(f"{PATH}?@type=BankAccountDebit", headers=auth("analyst")).json()
    assert [m["id"] for m in listed] == [method["id"]] and NUMBER not in str(listed)

    with session_factory() as session:
        assert NUMBER not in str(session.scalars(select(OutboxEvent.payload)).all())
        assert NUMBER not in str(session.scalars(select(AuditEntry.changed_attributes)).all())
        assert direct_debit_mandates(session, "GD") == [
            DirectDebitMandate(account_id, "ICBKCNBJ", NUMBER, "李华")
        ]
        assert direct_debit_mandates(session, "SH") == []

    # A client may send back the masked number unchanged; a new number replaces the old one.
    same = client.patch(
        f"{PATH}/{method['id']}", json={"accountNumber": as_csr["accountNumber"]},
        headers=auth("csr"),
    )  # fmt: skip
    assert same.status_code == 200, same.text
    changed = client.patch(
        f"{PATH}/{method['id']}", json={"accountNumber": "6217 0000 1111 2222"},
        headers=auth("finance"),
    )  # fmt: skip
    assert changed.json()["accountNumber"] == "6217000011112222"
    client.patch(f"{PATH}/{method['id']}", json={"status": "inactive"}, headers=auth("csr"))
    with session_factory() as session:
        assert direct_debit_mandates(session, "GD") == []


def test_bad_payment_methods_are_refused(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    account_id = province_account(session_factory)
    sh_account = province_account(session_factory, "SH")
    cases = [
        (mandate(account_id, accountNumber="12ab"), 400, "accountNumber"),
        ({k: v for k, v in mandate(account_id).items() if k != "bank"}, 400, "bank"),
        ({"@type": "Voucher", "name": "v"}, 422, "not supported"),
        ({"@type": "Cash"}, 400, "name"),
        ({"@type": "Cash", "name": "c", "status": "maybe"}, 400, "status"),
        (mandate(sh_account), 422, "does not exist"),
        (mandate(account_id, account=[{"id": account_id}, {"id": account_id}]), 400, "at most"),
    ]
    for body, status, words in cases:
        answer = client.post(PATH, json=body, headers=auth("csr"))
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.json()["message"], answer.json()
    assert (
        client.post(PATH, json={"@type": "Cash", "name": "c"}, headers=auth("analyst")).status_code
        == 403
    )
    assert client.get(PATH, headers=auth("csr")).json() == []


def test_a_province_sees_only_its_methods(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sh_account = province_account(session_factory, "SH")
    created = client.post(PATH, json=mandate(sh_account), headers=auth("csr", "SH")).json()
    assert client.get(f"{PATH}/{created['id']}", headers=auth("admin", "GD")).status_code == 404
    assert client.get(PATH, headers=auth("admin", "GD")).json() == []
    deleted = client.delete(f"{PATH}/{created['id']}", headers=auth("admin", "GD"))
    assert deleted.status_code == 404
