"""TMF635: a usage pushed through the API comes back rated, then rerated after a correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.clock import frozen_at
from openbss.mediation.pipeline import Ingest
from openbss.mediation.pushed import mediate_pushed
from openbss.rating.runs import rate_period
from tests.api.test_usage_api import USAGE, _usage
from tests.conftest import KeyMaker
from tests.rating_support import PERIOD, line, rating_ready
from tests.service.test_rating_runs import _correct

AT_10 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 3 March 2026, 10:00 in Guangzhou


def test_pushed_usage_is_rated_then_rerated_with_its_rated_product_usage(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    sales = rating_ready(session_factory)
    number = line(session_factory, sales)
    partner = auth("partner", "GD")
    ids = []
    for ref, called in (("r1", "02087654321"), ("r2", "0033123456")):
        body = _usage(number, AT_10, ref=ref)
        body["usageCharacteristic"][1]["value"] = called
        response = client.post(f"{USAGE}/usage", json=body, headers=partner)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    smuggled = _usage(number, AT_10, ref="r3", ratedProductUsage=[{"isBilled": True}])
    assert client.post(f"{USAGE}/usage", json=smuggled, headers=partner).status_code == 422
    with frozen_at(AT_10 + timedelta(hours=1)):
        mediate_pushed(Ingest(session_factory, tmp_path, "GD"))

    rate_period(session_factory, tmp_path, "GD", PERIOD, workers=1, partitions=1)
    reader = auth("billing_operator", "GD")
    local, unknown = (client.get(f"{USAGE}/usage/{i}", headers=reader).json() for i in ids)
    assert local["status"] == "rated"
    (rating,) = local["ratedProductUsage"]
    # 125 s local: 0.22 for the first 3 minutes.
    assert rating["taxExcludedRatingAmount"] == {"unit": "CNY", "value": 0.22}
    assert rating["usageRatingTag"] == "usage"
    assert rating["offerTariffType"] == "CT2005-FIXED v1"
    assert rating["isBilled"] is False
    assert rating["productRef"]["id"]
    assert unknown["status"] == "guided" and "ratedProductUsage" not in unknown

    again = rate_period(session_factory, tmp_path, "GD", PERIOD, workers=1, partitions=1)
    assert again.changed_records == 0
    assert client.get(f"{USAGE}/usage/{ids[0]}", headers=reader).json()["status"] == "rated"

    _correct(session_factory, "local", "firstBlockLi", 200, "local first block 0.20")
    rate_period(session_factory, tmp_path, "GD", PERIOD, workers=1, partitions=1)
    rerated = client.get(f"{USAGE}/usage/{ids[0]}", headers=reader).json()
    assert rerated["status"] == "rerated"
    assert rerated["ratedProductUsage"][0]["taxExcludedRatingAmount"]["value"] == 0.2
    assert rerated["ratedProductUsage"][0]["offerTariffType"] == "CT2005-FIXED v2"
