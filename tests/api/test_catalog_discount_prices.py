"""Billing discount prices (TMF620 ``priceType`` discount, cap, minimumSpend): accepted with
their amounts in fen as dated versions, refused with 422 when the bill run could not apply
them; and the enterprise discount of a billing account (TMF666 extension attribute)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.catalog.models import PriceVersion, ProductOfferingPrice
from openbss.kit.clock import frozen_at
from tests.api.test_account_api import account_body, organization
from tests.conftest import KeyMaker

BASE = "/tmf-api/productCatalogManagement/v4/productOfferingPrice"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def _money(value: Any) -> dict[str, Any]:
    return {"unit": "CNY", "value": value}


def test_discounts_caps_and_minimum_spends_are_accepted_in_fen(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    cases = [
        ({"priceType": "discount", "percentage": 12.5, "chargeType": ["usage"]}, []),
        ({"priceType": "discount", "price": _money("20.00")}, [2000]),
        (
            {
                "priceType": "cap",
                "price": _money(30),
                "recurringChargePeriodType": "month",
                "chargeType": ["recurring", "usage"],
            },
            [3000],
        ),
        ({"priceType": "minimumSpend", "price": _money("58.50")}, [5850]),
    ]
    with frozen_at(T0):
        for body, amounts in cases:
            response = client.post(BASE, json={"name": "p", **body}, headers=headers)
            assert response.status_code == 201, response.text
            with session_factory() as s:
                versions = s.scalars(
                    select(PriceVersion.amount_fen).where(
                        PriceVersion.price_id == response.json()["id"]
                    )
                )
                assert list(versions) == amounts, body


def test_bad_discount_prices_are_refused_and_write_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    cases = [
        ({"priceType": "discount"}, "INVALID_PRICE"),  # neither percentage nor amount
        ({"priceType": "discount", "percentage": 10, "price": _money(1)}, "INVALID_PRICE"),
        ({"priceType": "discount", "percentage": 0}, "INVALID_PRICE"),
        ({"priceType": "discount", "percentage": 101}, "INVALID_PRICE"),
        ({"priceType": "discount", "percentage": 12.345}, "INVALID_PRICE"),  # finer than 0.01 %
        ({"priceType": "discount", "price": _money(-5)}, "INVALID_PRICE"),
        ({"priceType": "discount", "price": _money(0.005)}, "INVALID_PRICE"),  # finer than a fen
        ({"priceType": "cap"}, "MISSING_ATTRIBUTE"),
        ({"priceType": "cap", "percentage": 10}, "INVALID_PRICE"),
        ({"priceType": "minimumSpend", "price": _money(10), "chargeType": []}, "INVALID_PRICE"),
        (
            {"priceType": "minimumSpend", "price": _money(10), "chargeType": ["discount"]},
            "INVALID_PRICE",
        ),
        (
            {"priceType": "cap", "price": _money(10), "chargeType": ["usage", "usage"]},
            "INVALID_PRICE",
        ),
        (
            {"priceType": "cap", "price": _money(10), "recurringChargePeriodType": "day"},
            "INVALID_PRICE",
        ),
        (
            {
                "priceType": "discount",
                "price": _money(10),
                "priceAlteration": [{"percentage": 5}],
            },
            "INVALID_PRICE",
        ),
        (
            {
                "priceType": "cap",
                "price": _money(10),
                "unitOfMeasure": {"amount": 1, "units": "min"},
            },
            "INVALID_PRICE",
        ),
    ]
    for body, code in cases:
        response = client.post(BASE, json={"name": "p", **body}, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, code), body
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ProductOfferingPrice)) == 0
        assert s.scalar(select(func.count()).select_from(PriceVersion)) == 0


def test_a_billing_account_s_enterprise_discount_is_a_percentage(
    client: TestClient, auth: KeyMaker
) -> None:
    org, headers = organization(client, auth), auth("csr")
    for bad in (-1, 100.5, 12.345, "10", True):
        refused = client.post(
            ACCOUNTS, headers=headers, json=account_body(org, enterpriseDiscountPercent=bad)
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "INVALID_DISCOUNT"), bad
    created = client.post(
        ACCOUNTS, headers=headers, json=account_body(org, enterpriseDiscountPercent=12.5)
    )
    assert created.status_code == 201, created.text
    assert created.json()["enterpriseDiscountPercent"] == 12.5
    account_id = created.json()["id"]
    patched = client.patch(
        f"{ACCOUNTS}/{account_id}", headers=headers, json={"enterpriseDiscountPercent": 101}
    )
    assert (patched.status_code, patched.json()["code"]) == (422, "INVALID_DISCOUNT")
