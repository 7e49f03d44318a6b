"""Tariff documents: what is stored and exchanged gives back exactly the tariff it came from,
and a document that would make a wrong tariff is refused with the field named."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from openbss.rating.contract import Allowance, BandCrossing, Service, Zone
from openbss.rating.ct2005 import china_telecom_2005
from openbss.rating.documents import AllowanceDocument, TariffDocument, tariff_document
from openbss.rating.seed import seed_tariffs
from tests.rating_support import SMALL_DESTINATIONS


@pytest.mark.parametrize("crossing", list(BandCrossing))
def test_every_seeded_tariff_survives_the_round_trip(crossing: BandCrossing) -> None:
    for tariff in (*seed_tariffs(), *china_telecom_2005(band_crossing=crossing, version=3)):
        document = tariff_document(tariff, "SMALL")
        back = TariffDocument.model_validate(document).to_tariff(SMALL_DESTINATIONS)
        assert back == replace(tariff, destinations=SMALL_DESTINATIONS)


def _document() -> dict[str, Any]:
    return tariff_document(china_telecom_2005()[0], "SMALL")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(effectiveFrom="2005-01-01T00:00:00"), "effectiveFrom"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.update(bands=[]), "bands"),
        (lambda d: d["rules"][0].update(service="fax"), "service"),
        (lambda d: d["rules"][1]["charge"].update(stepLi=-70), "stepLi"),
        (lambda d: d["rules"][1].update(zone="moon"), "zone"),
        (
            lambda d: d["tiers"].append({"service": "voice", "fromUnits": 10, "percent": 120}),
            "percent",
        ),
        (lambda d: d.update(surprise=True), "surprise"),
        # The id names the tariff on command lines and in files: no path in it.
        (lambda d: d.update(id="../../etc/passwd"), "id"),
        (lambda d: d.update(province="../x"), "province"),
        (lambda d: d.update(effectiveTo="9999-12-31T23:59:59-14:00"), "effectiveTo"),
    ],
)
def test_a_bad_document_is_refused_with_the_field_named(change: Any, field: str) -> None:
    document = _document()
    change(document)
    with pytest.raises(ValidationError, match=field):
        TariffDocument.model_validate(document)


def test_figures_that_conflict_are_refused_when_the_tariff_is_built() -> None:
    document = _document()
    document["rules"][1]["charge"] = {"stepLi": 70}  # a step price without a step length
    with pytest.raises(ValueError, match="step length"):
        TariffDocument.model_validate(document).to_tariff(SMALL_DESTINATIONS)
    document = _document()
    document["rules"][1]["band"] = "evening"
    with pytest.raises(ValueError, match="no band named 'evening'"):
        TariffDocument.model_validate(document).to_tariff(SMALL_DESTINATIONS)


def test_allowance_documents() -> None:
    allowance = AllowanceDocument.model_validate(
        {"id": "A", "service": "voice", "zones": ["local"], "unitsPerCycle": 6000}
    ).to_allowance()
    assert allowance == Allowance("A", Service.VOICE, frozenset({Zone.LOCAL}), 6000)
    with pytest.raises(ValidationError, match="carryOverCycles"):
        AllowanceDocument.model_validate(
            {"id": "A", "service": "sms", "unitsPerCycle": 1, "carryOverCycles": 2}
        )
