"""The portal's bill, payment and dashboard screens through the TestClient: an account's
bills, a bill's detail and PDF, hot billing, a counter payment with its receipt (taken once
however often the form is sent), the ledger, and who may see and do what."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.pagination import PageRequest
from openbss.payments.public import post_final_bills, tmf_payments
from tests.ordering_support import GD, sales_ready
from tests.payments_support import final_period
from tests.portal_screens_support import add_user, csrf_of, log_in

RECEIPT = re.compile(r"^/portal/payments/([\w-]+)/receipt$")


@pytest.fixture
def billed(session_factory: sessionmaker[Session]) -> tuple[str, str]:
    """A GD account with one final bill of 123.45 yuan (tax 10.19); (account, bill)."""
    sales = sales_ready(session_factory)
    with unit_of_work(session_factory) as session:
        (bill_id,) = final_period(
            session, "2026-04", [(sales.account_id, 12345, 1019)], due=date(2026, 5, 20)
        )
        post_final_bills(session, "GD")
    for name, role, province in (
        ("csr-gd", "csr", "GD"),
        ("csr-sh", "csr", "SH"),
        ("analyst-gd", "analyst", "GD"),
        ("admin-gd", "admin", "GD"),
    ):
        add_user(session_factory, name, role, province)
    return sales.account_id, bill_id


def test_an_accounts_bills_and_a_bills_detail(client: TestClient, billed: tuple[str, str]) -> None:
    account_id, bill_id = billed
    log_in(client, "csr-gd")
    listing = client.get(f"/portal/bills?account={account_id}")
    assert listing.status_code == 200
    assert "¥123.45" in listing.text
    assert f'href="/portal/bills/{bill_id}/invoice.pdf"' in listing.text
    detail = client.get(f"/portal/bills/{bill_id}")
    assert detail.status_code == 200
    assert "¥123.45" in detail.text
    assert "¥61.72" in detail.text  # the usage line: half of the bill, rounded down
    assert f'hx-get="/portal/bills/{bill_id}/usage"' in detail.text
    usage = client.get(f"/portal/bills/{bill_id}/usage", headers={"HX-Request": "true"})
    assert usage.status_code == 200
    assert "<html" not in usage.text  # a fragment for the bill page
    assert "No itemised usage this period." in usage.text  # the period was never rated
    assert client.get(f"/portal/bills/{bill_id}/usage").text.startswith("<!doctype html>")


def test_a_bills_invoice_is_a_pdf(client: TestClient, billed: tuple[str, str]) -> None:
    _, bill_id = billed
    log_in(client, "csr-gd")
    answer = client.get(f"/portal/bills/{bill_id}/invoice.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")


def test_hot_billing_of_the_open_cycle(client: TestClient, billed: tuple[str, str]) -> None:
    account_id, _ = billed
    log_in(client, "csr-gd")
    answer = client.get(f"/portal/bills/hot?account={account_id}")
    assert answer.status_code == 200
    assert "Total so far" in answer.text


def test_another_provinces_bills_are_not_found(client: TestClient, billed: tuple[str, str]) -> None:
    account_id, bill_id = billed
    log_in(client, "csr-sh")
    for url in (
        f"/portal/bills?account={account_id}",
        f"/portal/bills/{bill_id}",
        f"/portal/bills/{bill_id}/invoice.pdf",
        f"/portal/payments/new?account={account_id}",
        f"/portal/payments/ledger?account={account_id}",
    ):
        assert client.get(url).status_code == 404, url


def _pay(client: TestClient, account_id: str, **values: str) -> object:
    page = client.get(f"/portal/payments/new?account={account_id}")
    assert page.status_code == 200, page.text
    reference = re.search(r'name="reference" value="([^"]+)"', page.text)
    assert reference is not None
    data = {
        "account": account_id,
        "amount": "100.00",
        "method": "cash",
        "reference": reference.group(1),
        "bill": "",
        **values,
        "csrf_token": csrf_of(page.text),
    }
    return client.post("/portal/payments", data=data, follow_redirects=False)


def test_a_counter_payment_gives_a_receipt_and_is_taken_once(
    client: TestClient, billed: tuple[str, str], session_factory: sessionmaker[Session]
) -> None:
    account_id, bill_id = billed
    log_in(client, "csr-gd")
    first = _pay(client, account_id, amount="100.00", reference="CTR-0001", bill=bill_id)
    again = _pay(client, account_id, amount="100.00", reference="CTR-0001", bill=bill_id)
    assert first.status_code == again.status_code == 303  # type: ignore[attr-defined]
    location = first.headers["location"]  # type: ignore[attr-defined]
    assert location == again.headers["location"]  # type: ignore[attr-defined]
    found = RECEIPT.match(location)
    assert found is not None
    receipt = client.get(location)
    assert receipt.status_code == 200
    assert "¥100.00" in receipt.text
    assert "收费收据" in receipt.text and "payment receipt" in receipt.text
    assert "¥23.45" in receipt.text  # still owed after paying 100.00 of 123.45
    with unit_of_work(session_factory) as session:
        taken = tmf_payments.list(session, GD, {}, PageRequest(0, 10)).items
        assert [(p.amount_fen, p.method, p.reference) for p in taken] == [
            (10000, "cash", "CTR-0001")
        ]
    ledger = client.get(f"/portal/payments/ledger?account={account_id}")
    assert ledger.status_code == 200
    assert "¥23.45" in ledger.text


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": ""}, "amount"),
        ({"amount": "１２"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"method": "cheque"}, "method"),
        ({"reference": "<script>"}, "__form__"),
        ({"reference": "x" * 200}, "reference"),
        ({"bill": "no-such-bill"}, "bill"),
    ],
)
def test_bad_payment_input_is_answered_and_takes_nothing(
    client: TestClient,
    billed: tuple[str, str],
    session_factory: sessionmaker[Session],
    values: dict[str, str],
    field: str,
) -> None:
    account_id, _ = billed
    log_in(client, "csr-gd")
    answer = _pay(client, account_id, **values)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    if field == "__form__":
        assert 'class="error-summary"' in text
    else:
        assert f'id="{field}-error"' in text
    assert "<script>" not in text.replace("&lt;script&gt;", "")
    with unit_of_work(session_factory) as session:
        assert tmf_payments.list(session, GD, {}, PageRequest(0, 10)).items == []


def test_an_analyst_cannot_take_a_payment(client: TestClient, billed: tuple[str, str]) -> None:
    account_id, _ = billed
    log_in(client, "csr-gd")
    page = client.get(f"/portal/payments/new?account={account_id}")
    log_in(client, "analyst-gd")
    home = client.get("/portal/")
    answer = client.post(
        "/portal/payments",
        data={
            "account": account_id,
            "amount": "10",
            "method": "cash",
            "reference": "CTR-9",
            "csrf_token": csrf_of(home.text),
        },
        follow_redirects=False,
    )
    assert page.status_code == 200
    assert answer.status_code == 403


def test_dashboards_are_for_managers(client: TestClient, billed: tuple[str, str]) -> None:
    log_in(client, "admin-gd")
    board = client.get("/portal/dashboards")
    assert board.status_code == 200
    assert board.text.count('class="chart-data"') == 4
    assert "61.72" in board.text  # the April bill's usage line
    log_in(client, "csr-gd")
    assert client.get("/portal/dashboards").status_code == 403
