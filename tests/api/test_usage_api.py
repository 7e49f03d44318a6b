"""TMF635: usage pushed through the API is kept as received, then mediated like a file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.clock import frozen_at
from openbss.mediation.pipeline import Ingest
from openbss.mediation.pushed import mediate_pushed
from tests.conftest import KeyMaker
from tests.ordering_support import sales_ready
from tests.service.test_mediation_pipeline import T0, _subscriber

USAGE = "/tmf-api/usageManagement/v4"


def _usage(calling: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "usageDate": at.isoformat().replace("+00:00", "Z"),
        "usageType": "voice",
        "usageCharacteristic": [
            {"name": "callingNumber", "value": calling},
            {"name": "calledNumber", "value": "02087654321"},
            {"name": "duration", "value": 125},
            {"name": "callReference", "value": extra.pop("ref", "r1")},
            {"name": "switchId", "value": "SP-PLATFORM"},
        ],
        **extra,
    }


def test_pushed_usage_is_mediated_to_guided_or_rejected(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    sales = sales_ready(session_factory)
    number = _subscriber(session_factory, sales, T0)
    partner = auth("partner", "GD")
    at = T0 + timedelta(hours=1)
    spec = client.post(
        f"{USAGE}/usageSpecification", json={"name": "Voice"}, headers=auth("admin", None)
    ).json()
    created = []
    for body in (
        _usage(number, at, usageSpecification={"id": spec["id"]}),
        _usage("02099999999", at, ref="r2"),
        _usage(number, at),  # the same call pushed twice
        {"usageType": "voice"},  # nothing to mediate
    ):
        response = client.post(f"{USAGE}/usage", json=body, headers=partner)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "received"
        created.append(response.json()["id"])
    refused = client.post(
        f"{USAGE}/usage", json={"usageSpecification": {"id": "nope"}}, headers=partner
    )
    assert refused.status_code == 422
    with frozen_at(at + timedelta(hours=1)):
        outcome = mediate_pushed(Ingest(session_factory, tmp_path, "GD"))
    assert outcome is not None
    assert (outcome.records_in, outcome.normalised, outcome.rejected, outcome.duplicates) == (
        4, 1, 2, 1,
    )  # fmt: skip
    reader = auth("billing_operator", "GD")
    states = [client.get(f"{USAGE}/usage/{i}", headers=reader).json() for i in created]
    assert [s["status"] for s in states] == ["guided", "rejected", "rejected", "rejected"]
    assert states[1]["rejectionReason"].startswith("UNKNOWN_SUBSCRIBER")
    assert states[2]["rejectionReason"] == "duplicate of usage already received"
    assert states[3]["rejectionReason"].startswith("MISSING_TIME")
    changed = client.patch(
        f"{USAGE}/usage/{created[0]}", json={"description": "x"}, headers=partner
    )
    assert changed.status_code == 409
    assert client.delete(f"{USAGE}/usage/{created[0]}", headers=partner).status_code == 409
    with frozen_at(at + timedelta(hours=2)):
        assert mediate_pushed(Ingest(session_factory, tmp_path, "GD")) is None
    assert client.get(f"{USAGE}/usage", headers=auth("finance", "GD")).status_code == 403
    assert client.get(f"{USAGE}/usage/{created[0]}", headers=auth("csr", "SH")).status_code == 404
