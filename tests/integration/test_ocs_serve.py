"""``openbss ocs serve`` end to end on the real engine and a seeded prepaid line: an
independent Diameter client (pycrate) and an Nchf client built from the 3GPP OpenAPI charge
calls over the network; the balance then equals the balance of an identical database charged
with the same requests through the engine directly — the gateways add and lose nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from openbss.charging.engine.contract import (
    ChargingEngine,
    ChargingRequest,
    RequestType,
    ServiceRequest,
    ServiceUnits,
)
from openbss.charging.public import Unit, available, owners_of
from openbss.db.engine import make_engine, make_session_factory
from tests import nchf_schema
from tests.ocs_support import number, ocs_serve, prepare
from tests.pycrate_gy import PycrateClient, ccr, cer

pytestmark = [pytest.mark.external, pytest.mark.slow]

BALANCE = 100_000
CALLED = "02087654321"
# A weekday mid-morning in Beijing, pinned so both paths price the same tariff period.
AT = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
NCHF = "/nchf-convergedcharging/v3/chargingdata"


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


def _voice(session: str, kind: RequestType, n: int, requested: int | None, used: int | None,
           subscriber: str) -> ChargingRequest:  # fmt: skip
    asked = None if requested is None else ServiceUnits(seconds=requested)
    reported = None if used is None else ServiceUnits(seconds=used)
    return ChargingRequest(
        session_id=session, request_type=kind, request_number=n, subscriber=subscriber,
        called=CALLED, event_time=AT, services=(ServiceRequest(100, asked, reported),),
        origin="direct",
    )  # fmt: skip


def _balance(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return available(session, owners_of(session, "P-OCS-0"), Unit.LI, datetime.now(UTC))
    finally:
        engine.dispose()


def _partner_key(env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "openbss.cli.main", "auth", "create-key", "--role", "partner",
         "--province", "GD", "--label", "smf"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_gy_and_nchf_charge_exactly_what_the_engine_charges(tmp_path: Path) -> None:
    served = prepare(tmp_path / "served", balance_li=BALANCE)
    direct = prepare(tmp_path / "direct", balance_li=BALANCE)
    subscriber = number(0)
    key = _partner_key(served, tmp_path / "served")

    with ocs_serve(served, tmp_path / "served", nchf=True) as ocs:
        gy = PycrateClient("127.0.0.1", ocs.diameter_port)
        assert gy.ask(cer())[268] == [2001]
        t = _seconds(AT)
        initial = gy.ask(ccr("gy;1", 1, 0, subscriber, requested={420: 300}, called=CALLED,
                             event_time=t))  # fmt: skip
        assert initial[268] == [2001]
        assert initial[456][0][431] == [{420: [300]}]
        update = gy.ask(ccr("gy;1", 2, 1, subscriber, requested={420: 300}, used={420: 125},
                            called=CALLED, event_time=t))  # fmt: skip
        assert update[268] == [2001]
        final = gy.ask(ccr("gy;1", 3, 2, subscriber, used={420: 30}, called=CALLED,
                           event_time=t))  # fmt: skip
        assert final[268] == [2001]
        unknown = gy.ask(ccr("gy;2", 1, 0, "862099999999", requested={420: 60}, event_time=t))
        assert unknown[268] == [5030]
        gy.close()

        base = f"http://127.0.0.1:{ocs.nchf_port}{NCHF}"
        headers = {"Authorization": f"Bearer {key}"}
        stamp = AT.isoformat().replace("+00:00", "Z")
        with httpx.Client(timeout=30, headers=headers) as http:
            body = nchf_schema.charging_data_request(0, msisdn=subscriber, requested_seconds=120,
                                                     at=stamp)  # fmt: skip
            body["iMSChargingInformation"] = {"calledPartyAddress": f"tel:{CALLED}"}
            created = http.post(base, json=body)
            assert created.status_code == 201, created.text
            nchf_schema.check("ChargingDataResponse", created.json())
            location = created.headers["location"]
            body = nchf_schema.charging_data_request(1, msisdn=subscriber, used_seconds=61,
                                                     at=stamp)  # fmt: skip
            body["iMSChargingInformation"] = {"calledPartyAddress": f"tel:{CALLED}"}
            assert http.post(f"{location}/release", json=body).status_code == 204
            refused = http.post(base, content=b'{"invocationSequenceNumber": "x"}',
                                headers={"content-type": "application/json"})  # fmt: skip
            assert refused.status_code == 400
            nchf_schema.check("ProblemDetails", refused.json(), "TS29571_CommonData.yaml")
        reference = location.rsplit("/", 1)[1]

    engine = ChargingEngine(make_session_factory(make_engine(direct["OPENBSS_DATABASE_URL"])),
                            data_dir=tmp_path / "direct")  # fmt: skip
    for request in (
        _voice("gy;1", RequestType.INITIAL, 0, 300, None, subscriber),
        _voice("gy;1", RequestType.UPDATE, 1, 300, 125, subscriber),
        _voice("gy;1", RequestType.TERMINATION, 2, None, 30, subscriber),
        _voice(reference, RequestType.INITIAL, 0, 120, None, subscriber),
        _voice(reference, RequestType.TERMINATION, 1, None, 61, subscriber),
    ):
        assert engine.charge(request).result == 2001
    spent = BALANCE - _balance(served["OPENBSS_DATABASE_URL"])
    assert spent > 0
    assert spent == BALANCE - _balance(direct["OPENBSS_DATABASE_URL"])
