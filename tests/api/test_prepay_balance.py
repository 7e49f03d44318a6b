"""TMF654 end to end: buckets, top-ups, adjustments, reservations; roles and provinces."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.db.uow import unit_of_work
from openbss.kit.settings import get_settings
from openbss.payments.models import JournalLine
from tests.charging_support import line
from tests.conftest import KeyMaker

BASE = "/tmf-api/prepayBalanceManagement/v4"


def prepaid(factory: sessionmaker[Session]) -> str:
    with unit_of_work(factory) as s:
        return line(s).product_id


def post(client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"{BASE}/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_bucket_top_up_adjust_reserve_release(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    product_id = prepaid(session_factory)
    csr = auth("csr")
    bucket = post(
        client, csr, "bucket",
        {"usageType": "monetary", "product": [{"id": product_id}],
         "remainingValue": {"amount": 10, "units": "CNY"}},
    )  # fmt: skip
    assert bucket["remainingValue"] == {"amount": 10, "units": "CNY"}
    assert bucket["product"] == [{"id": product_id, "@referredType": "Product"}]
    assert bucket["status"] == "active" and bucket["isShared"] is False

    topup = post(
        client, csr, "topupBalance",
        {"amount": {"amount": 50, "units": "CNY"}, "bucket": {"id": bucket["id"]}},
    )  # fmt: skip
    assert (topup["status"], topup["usageType"]) == ("completed", "monetary")
    adjust = post(
        client, csr, "adjustBalance",
        {"amount": {"amount": -2.5, "units": "CNY"}, "bucket": {"id": bucket["id"]},
         "usageType": "monetary", "product": {"id": product_id}},
    )  # fmt: skip
    assert adjust["status"] == "completed"
    with unit_of_work(session_factory) as s:
        lines = sorted(
            (row.entry_kind, row.gl_account, row.amount_fen)
            for row in s.scalars(select(JournalLine))
        )
    assert lines == [
        ("prepaidAdjust", "2203", 250),
        ("prepaidAdjust", "6001", -250),
        ("prepaidTopUp", "1001", 5_000),
        ("prepaidTopUp", "2203", -5_000),
    ]
    sub_fen = client.post(
        f"{BASE}/topupBalance",
        json={"amount": {"amount": 0.005, "units": "CNY"}, "bucket": {"id": bucket["id"]}},
        headers=csr,
    )
    assert (sub_fen.status_code, sub_fen.json()["code"]) == (400, "INVALID_AMOUNT")
    reservation = post(
        client, csr, "reserveBalance",
        {"amount": {"amount": 7, "units": "CNY"}, "bucket": {"id": bucket["id"]},
         "relatedParty": [{"id": "C-1", "role": "customer"}]},
    )  # fmt: skip
    assert reservation["reservedValue"] == {"amount": 7, "units": "CNY"}
    assert reservation["relatedParty"] == [{"id": "C-1", "role": "customer"}]
    shown = client.get(f"{BASE}/bucket/{bucket['id']}", headers=auth("analyst")).json()
    assert shown["remainingValue"] == {"amount": 57.5, "units": "CNY"}
    assert shown["reservedValue"] == {"amount": 7, "units": "CNY"}

    deleted = client.delete(f"{BASE}/reserveBalance/{reservation['id']}", headers=csr)
    assert deleted.status_code == 204
    shown = client.get(f"{BASE}/bucket/{bucket['id']}", headers=csr).json()
    assert shown["reservedValue"] == {"amount": 0, "units": "CNY"}

    listed = client.get(f"{BASE}/bucket?usageType=monetary&fields=status", headers=csr)
    assert listed.status_code == 200
    assert [b["id"] for b in listed.json()] == [bucket["id"]]
    assert set(listed.json()[0]) == {"id", "href", "status"}
    assert client.get(f"{BASE}/bucket?usageType=voice", headers=csr).json() == []
    assert [
        t["id"] for t in client.get(f"{BASE}/topupBalance?status=completed", headers=csr).json()
    ] == [topup["id"]]
    assert (
        client.patch(f"{BASE}/topupBalance/{topup['id']}", json={}, headers=csr).status_code == 405
    )


def test_roles_provinces_and_bad_input(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    product_id = prepaid(session_factory)
    admin = auth("admin")
    bucket = post(client, admin, "bucket", {"usageType": "voice", "product": {"id": product_id}})
    analyst = auth("analyst")
    refused = client.post(
        f"{BASE}/topupBalance",
        json={"amount": {"amount": 60, "units": "seconds"}, "bucket": {"id": bucket["id"]}},
        headers=analyst,
    )
    assert refused.status_code == 403
    shanghai = auth("admin", "SH")
    assert client.get(f"{BASE}/bucket/{bucket['id']}", headers=shanghai).status_code == 404
    assert client.get(f"{BASE}/bucket", headers=shanghai).json() == []
    other = client.post(
        f"{BASE}/topupBalance",
        json={"amount": {"amount": 60, "units": "seconds"}, "bucket": {"id": bucket["id"]}},
        headers=shanghai,
    )
    assert other.status_code == 422
    for body, status, code in (
        ({"amount": {"amount": 1, "units": "CNY"}, "bucket": {"id": bucket["id"]}}, 400,
         "INVALID_UNITS"),
        ({"amount": {"amount": 0.5, "units": "s"}, "bucket": {"id": bucket["id"]}}, 400,
         "INVALID_AMOUNT"),
        ({"amount": {"amount": "x", "units": "s"}, "bucket": {"id": bucket["id"]}}, 400,
         "INVALID_AMOUNT"),
        ({"amount": {"amount": -5, "units": "s"}, "bucket": {"id": bucket["id"]}}, 400,
         "INVALID_AMOUNT"),
        ({"amount": {"amount": 5, "units": "s"}, "bucket": {"id": "nope"}}, 422,
         "UNKNOWN_REFERENCE"),
        ({"amount": {"amount": 5, "units": "s"}, "bucket": "x"}, 400, "BAD_REQUEST"),
    ):  # fmt: skip
        response = client.post(f"{BASE}/topupBalance", json=body, headers=admin)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert client.get(f"{BASE}/topupBalance", headers=admin).json() == []
    unassigned = post(client, admin, "bucket", {"usageType": "monetary"})
    assert "product" not in unassigned and "partyAccount" not in unassigned
    bad = client.post(f"{BASE}/bucket", json={"usageType": "gold"}, headers=admin)
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_USAGE_TYPE")


def _cards(factory: sessionmaker[Session], count: int = 2) -> list[Any]:
    from openbss.charging import vouchers
    from tests.charging_support import T0

    with unit_of_work(factory, writes=True) as s:
        cards = vouchers.generate_batch(
            s, batch_id="API1", province="GD", count=count, face_value_li=30_000,
            valid_until=T0 + timedelta(days=3650), at=T0,
        )  # fmt: skip
        vouchers.change_state(s, action="activate", at=T0, batch_id="API1")
    return cards


def test_voucher_redeem_route_and_topup_balance_by_voucher(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OPENBSS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENBSS_VOUCHER_MAX_FAILURES", "3")
    get_settings.cache_clear()
    product_id = prepaid(session_factory)
    cards = _cards(session_factory)
    csr = auth("csr")
    redeemed = client.post(
        "/api/v1/charging/vouchers/redeem",
        json={"number": "8613300000001", "pin": cards[0].pin},
        headers=csr,
    )
    assert redeemed.status_code == 200, redeemed.text
    body = redeemed.json()
    assert (body["serial"], body["amount"], body["balance"]) == (
        "API100000001",
        {"amount": 30, "units": "CNY"},
        {"amount": 30, "units": "CNY"},
    )
    again = client.post(
        "/api/v1/charging/vouchers/redeem",
        json={"number": "8613300000001", "pin": cards[0].pin},
        headers=csr,
    )
    assert (again.status_code, again.json()["code"]) == (409, "VOUCHER_USED")

    topup = client.post(
        f"{BASE}/topupBalance",
        json={"voucher": cards[1].pin, "product": [{"id": product_id}]},
        headers=csr,
    )
    assert topup.status_code == 201, topup.text
    shown = topup.json()
    assert (shown["voucher"], shown["status"]) == ("API100000002", "completed")
    assert shown["amount"] == {"amount": 30, "units": "CNY"}
    assert cards[1].pin not in topup.text
    with unit_of_work(session_factory) as s:
        audited = s.scalars(select(AuditEntry)).all()
        assert all(
            cards[1].pin not in json.dumps(a.changed_attributes, default=str) for a in audited
        )

    for n in range(3):
        wrong = client.post(
            "/api/v1/charging/vouchers/redeem",
            json={"number": "8613300000001", "pin": f"{n:018d}"},
            headers=csr,
        )
        assert (wrong.status_code, wrong.json()["code"]) == (404, "VOUCHER_WRONG_PIN")
    locked = client.post(
        "/api/v1/charging/vouchers/redeem",
        json={"number": "8613300000001", "pin": "000000000000000009"},
        headers=csr,
    )
    assert (locked.status_code, locked.json()["code"]) == (429, "VOUCHER_LOCKED")
    assert client.post(
        "/api/v1/charging/vouchers/redeem", json={"number": "8613300000001", "pin": 5},
        headers=csr,
    ).status_code == 400  # fmt: skip
    assert (
        client.post(
            "/api/v1/charging/vouchers/redeem",
            json={"number": "8613300000001", "pin": cards[0].pin},
            headers=auth("analyst"),
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/charging/vouchers/redeem",
            json={"number": "8613300000001", "pin": cards[0].pin},
            headers=auth("csr", "SH"),
        ).status_code
        == 404
    )
