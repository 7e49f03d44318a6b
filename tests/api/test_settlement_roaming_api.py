"""``/api/v1/settlement/roaming``: files and partner totals, authenticated, role-checked and
province-isolated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.clock import frozen_at
from openbss.settlement.roaming.codec import OutboundEvent, TapHeader, encode_tap
from openbss.settlement.roaming.public import receive_tap
from tests.conftest import KeyMaker
from tests.roaming_support import HOME, HOME_IMSI, PARTNER, T0, setup_roaming

URL = "/api/v1/settlement/roaming"
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def _event(n: int, imsi: str, charge: int) -> OutboundEvent:
    return OutboundEvent(
        record_id=f"r{n}", service="voice", direction="mo", event_time=T0, imsi=imsi,
        msisdn="8613301234567", other_party="441632960000", duration_s=60, volume_up=0,
        volume_down=0, switch_id="LONMSC1", call_reference=None, units=1, charge=charge,
        exchange_rate_code=1,
    )  # fmt: skip


@pytest.fixture
def received(session_factory: sessionmaker[Session], tmp_path: Path) -> str:
    setup_roaming(session_factory)
    path = tmp_path / "CDGBRVFCHNCT00004"
    events = [_event(1, HOME_IMSI, 2_000_000), _event(2, "234150000000001", 10)]
    header = TapHeader(PARTNER, HOME, 4, NOW, [(1, 1_160_000)])
    path.write_bytes(encode_tap(header, events, ZoneInfo("Europe/London")))
    with frozen_at(NOW):
        result = receive_tap(
            session_factory, tmp_path, "GD", HOME, path, zone=ZoneInfo("Asia/Shanghai")
        )
    return result.file_id


def test_files_and_one_file_with_its_refused_record(
    client: TestClient, auth: KeyMaker, received: str
) -> None:
    headers = auth("finance", "GD")
    listed = client.get(f"{URL}/files", headers=headers)
    assert listed.status_code == 200
    (row,) = listed.json()
    assert {k: row[k] for k in ("id", "direction", "kind", "sender", "recipient", "sequence",
                                "records", "returned", "amountSdr", "amountFen")} == {
        "id": received, "direction": "in", "kind": "tap", "sender": PARTNER,
        "recipient": HOME, "sequence": 4, "records": 2, "returned": 1,
        "amountSdr": 2_000_000, "amountFen": 2_390,  # 2 SDR x 11.95
    }  # fmt: skip
    assert row["amount"] == {"unit": "CNY", "value": 23.9}
    one = client.get(f"{URL}/files/{received}", headers=headers)
    assert one.status_code == 200
    assert one.json()["returnedRecords"] == [
        {"recordNo": 1, "errorCode": 21, "reason": "IMSI 234150000000001 is not a subscriber "
         "of CHNCT", "amountSdr": 10, "rapFileId": None}
    ]  # fmt: skip
    assert client.get(f"{URL}/files", headers=headers, params={"kind": "rap"}).json() == []


def test_totals(client: TestClient, auth: KeyMaker, received: str) -> None:
    answer = client.get(
        f"{URL}/totals",
        headers=auth("analyst", "GD"),
        params={"from": "2026-03-01", "to": "2026-03-31"},
    )
    assert answer.status_code == 200
    (row,) = answer.json()
    assert (row["partner"], row["tapInAccepted"], row["tapInReturned"]) == (PARTNER, 1, 1)
    assert (row["payableSdr"], row["netSdr"], row["netFen"]) == (2_000_000, -2_000_000, -2_390)
    before = client.get(
        f"{URL}/totals",
        headers=auth("analyst", "GD"),
        params={"from": "2026-02-01", "to": "2026-02-28"},
    )
    assert before.json() == []


def test_auth_roles_and_provinces(client: TestClient, auth: KeyMaker, received: str) -> None:
    assert client.get(f"{URL}/files").status_code == 401
    assert client.get(f"{URL}/files", headers=auth("csr", "GD")).status_code == 403
    assert client.get(f"{URL}/files", headers=auth("partner", "GD")).status_code == 403
    shanghai = auth("finance", "SH")
    assert client.get(f"{URL}/files", headers=shanghai).json() == []
    missing = client.get(f"{URL}/files/{received}", headers=shanghai)
    assert missing.status_code == 404
    assert missing.json()["code"] == "ROAMING_FILE_NOT_FOUND"
    group = auth("admin", None)
    assert client.get(f"{URL}/files", headers=group).status_code == 422
    assert len(client.get(f"{URL}/files", headers={**group, "X-Province": "GD"}).json()) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "BAD_REQUEST"),
        ({"from": "2020-01-01", "to": "2026-03-01"}, "BAD_REQUEST"),
        ({"from": "yesterday", "to": "2026-03-01"}, "INVALID_REQUEST"),
    ],
)
def test_bad_periods_are_refused(
    client: TestClient, auth: KeyMaker, received: str, params: dict[str, str], code: str
) -> None:
    answer = client.get(f"{URL}/totals", headers=auth("finance", "GD"), params=params)
    assert answer.status_code == 400
    assert answer.json()["status"] == "400"
    assert answer.json()["code"] == code
