"""Product offering prices: exact integer amounts and dated price versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.catalog.models import PriceVersion, ProductOfferingPrice
from openbss.catalog.service import price_at
from openbss.kit.clock import frozen_at
from tests.conftest import KeyMaker

BASE = "/tmf-api/productCatalogManagement/v4/productOfferingPrice"
T0 = datetime(2006, 3, 1, 4, 0, tzinfo=UTC)
T1 = datetime(2006, 4, 1, 0, 0, tzinfo=UTC)  # the date a new monthly fee takes effect


def _money(value: Any) -> dict[str, Any]:
    return {"unit": "CNY", "value": value}


def _versions(factory: sessionmaker[Session], price_id: str) -> list[tuple[Any, ...]]:
    with factory() as s:
        rows = s.scalars(
            select(PriceVersion)
            .where(PriceVersion.price_id == price_id)
            .order_by(PriceVersion.version)
        )
        return [
            (v.version, v.amount_fen, v.rate_li, v.effective_from, v.effective_to) for v in rows
        ]


def test_amounts_are_exact_integers_in_fen_or_li(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    cases = [
        (
            {
                "priceType": "usage",
                "price": _money(0.07),
                "unitOfMeasure": {"amount": 6, "units": "s"},
            },
            (None, 70),
        ),
        (
            {
                "priceType": "usage",
                "price": _money("0.10"),
                "unitOfMeasure": {"amount": 1, "units": "message"},
            },
            (None, 100),
        ),
        (
            {"priceType": "recurring", "price": _money(120), "recurringChargePeriodType": "month"},
            (12000, None),
        ),
        (
            {"priceType": "recurring", "price": _money(0.18), "recurringChargePeriodType": "day"},
            (18, None),
        ),
        ({"priceType": "oneTime", "price": _money(19.99)}, (1999, None)),
    ]
    with frozen_at(T0):
        for body, (fen, li) in cases:
            response = client.post(BASE, json={"name": "p", **body}, headers=headers)
            assert response.status_code == 201, response.text
            created = response.json()
            assert _versions(session_factory, created["id"]) == [(1, fen, li, T0, None)]
            assert created["price"]["unit"] == "CNY"
            assert [v["version"] for v in created["priceVersion"]] == [1]


def test_bad_prices_are_refused_and_write_nothing(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    usage = {"priceType": "usage", "unitOfMeasure": {"amount": 6, "units": "s"}}
    cases = [
        ({"priceType": "rebate"}, 422, "INVALID_PRICE"),
        (
            {
                "priceType": "recurring",
                "price": _money(0.125),
                "recurringChargePeriodType": "month",
            },
            422,
            "INVALID_PRICE",
        ),  # finer than a fen
        ({**usage, "price": _money(0.0005)}, 422, "INVALID_PRICE"),  # finer than a li
        ({**usage, "price": {"unit": "USD", "value": 1}}, 422, "INVALID_PRICE"),
        ({**usage, "price": _money(-1)}, 422, "INVALID_PRICE"),
        ({**usage, "price": _money("abc")}, 422, "INVALID_PRICE"),
        ({**usage, "price": _money(True)}, 400, "INVALID_BODY"),
        ({"priceType": "usage", "price": _money(1)}, 422, "MISSING_ATTRIBUTE"),
        ({**usage, "unitOfMeasure": {"amount": 1, "units": "furlong"}}, 422, "INVALID_PRICE"),
        ({"priceType": "recurring", "price": _money(1)}, 422, "MISSING_ATTRIBUTE"),
        (
            {"priceType": "recurring", "recurringChargePeriodType": "fortnight"},
            422,
            "INVALID_PRICE",
        ),
        ({"priceType": "oneTime", "usageEvent": "sms"}, 422, "INVALID_PRICE"),
        ({"priceType": "oneTime", "priceAlteration": [{"percentage": 120}]}, 422, "INVALID_PRICE"),
        (
            {"priceType": "oneTime", "priceAlteration": [{"percentage": 5, "price": _money(1)}]},
            422,
            "INVALID_PRICE",
        ),
        ({"priceType": "oneTime", "isBundle": True}, 422, "MISSING_ATTRIBUTE"),
        (
            {"priceType": "oneTime", "isBundle": True, "bundledPopRelationship": [{"id": "x"}]},
            422,
            "UNKNOWN_REFERENCE",
        ),
        ({"isBundle": False}, 400, "INVALID_BODY"),  # every price needs its priceType
    ]
    for body, status, code in cases:
        response = client.post(BASE, json={"name": "p", **body}, headers=headers)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ProductOfferingPrice)) == 0
        assert s.scalar(select(func.count()).select_from(PriceVersion)) == 0


def test_future_price_version(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    body = {
        "name": "ADSL 2M 包月",
        "priceType": "recurring",
        "price": _money(120),
        "recurringChargePeriodType": "month",
        "validFor": {"startDateTime": "2006-01-01T00:00:00Z"},
    }
    with frozen_at(T0):
        price = client.post(BASE, json=body, headers=headers).json()
        url = f"{BASE}/{price['id']}"
        changed = client.patch(
            url,
            headers=headers,
            json={"price": _money(100), "validFor": {"startDateTime": "2006-04-01T00:00:00Z"}},
        )
        assert changed.status_code == 200, changed.text
        # Before the date the old fee is shown; the schedule is visible; validFor unchanged.
        assert changed.json()["price"] == _money(120.0)
        assert changed.json()["validFor"] == {"startDateTime": "2006-01-01T00:00:00Z"}
        assert [v["price"]["value"] for v in changed.json()["priceVersion"]] == [120.0, 100.0]
        assert client.get(url, headers=headers).json()["price"]["value"] == 120.0
    start = datetime(2006, 1, 1, tzinfo=UTC)
    assert _versions(session_factory, price["id"]) == [
        (1, 12000, None, start, T1),
        (2, 10000, None, T1, None),
    ]
    with frozen_at(T1 - timedelta(microseconds=1)):
        assert client.get(url, headers=headers).json()["price"]["value"] == 120.0
    with frozen_at(T1):
        assert client.get(url, headers=headers).json()["price"]["value"] == 100.0
    with frozen_at(T1 + timedelta(days=40)):
        assert client.get(url, headers=headers).json()["price"]["value"] == 100.0
    with session_factory() as s:
        before = price_at(s, price["id"], T1 - timedelta(seconds=1))
        after = price_at(s, price["id"], T1)
        assert (before and before.amount_fen, after and after.amount_fen) == (12000, 10000)
        assert price_at(s, price["id"], start - timedelta(seconds=1)) is None


def test_price_history_is_not_rewritten(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    with frozen_at(T0):
        price = client.post(
            BASE,
            headers=headers,
            json={
                "name": "DDD",
                "priceType": "usage",
                "price": _money(0.07),
                "unitOfMeasure": {"amount": 6, "units": "s"},
            },
        ).json()
        url = f"{BASE}/{price['id']}"
        past = client.patch(
            url,
            headers=headers,
            json={"price": _money(0.06), "validFor": {"startDateTime": "2006-02-01T00:00:00Z"}},
        )
        assert (past.status_code, past.json()["code"]) == (409, "PRICE_VERSION_CONFLICT")
        assert (
            client.patch(
                url,
                headers=headers,
                json={"price": _money(0.06), "validFor": {"startDateTime": "2006-05-01T00:00:00Z"}},
            ).status_code
            == 200
        )
        # A second change dated earlier supersedes the scheduled one (not yet in force).
        assert (
            client.patch(
                url,
                headers=headers,
                json={"price": _money(0.05), "validFor": {"startDateTime": "2006-04-01T00:00:00Z"}},
            ).status_code
            == 200
        )
        # Restating the amount in force, or PATCHing back what was read, keeps the schedule.
        assert client.patch(url, headers=headers, json={"price": _money(0.07)}).status_code == 200
        read = {k: v for k, v in client.get(url, headers=headers).json().items() if k != "href"}
        assert client.patch(url, headers=headers, json=read).status_code == 200
        retype = client.patch(url, headers=headers, json={"priceType": "oneTime"})
        assert retype.status_code == 409
        refused = client.patch(url, headers=headers, json={"price": _money(0.0001)})
        assert refused.status_code == 422
    assert _versions(session_factory, price["id"]) == [
        (1, None, 70, T0, T1),
        (3, None, 50, T1, None),
    ]
    later = T1 + timedelta(days=1)
    with frozen_at(later):  # an immediate change starts now and ends the version in force
        assert client.patch(url, headers=headers, json={"price": _money(0.04)}).status_code == 200
    assert _versions(session_factory, price["id"])[-2:] == [
        (3, None, 50, T1, later),
        (4, None, 40, later, None),
    ]


def test_first_amount_added_by_patch_and_delete_removes_versions(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("admin", None)
    with frozen_at(T0):
        price = client.post(
            BASE, headers=headers, json={"name": "安装费", "priceType": "oneTime"}
        ).json()
        assert "priceVersion" not in price
        url = f"{BASE}/{price['id']}"
        added = client.patch(url, headers=headers, json={"price": _money(100)})
        assert added.json()["price"] == _money(100.0)
    assert _versions(session_factory, price["id"]) == [(1, 10000, None, T0, None)]
    assert client.delete(url, headers=headers).status_code == 204
    assert _versions(session_factory, price["id"]) == []
