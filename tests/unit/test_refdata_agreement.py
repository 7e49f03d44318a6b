"""The catalog and rating agree on China Telecom's 2005 prices, and on Guangdong.

For every usage price the master catalog seeds, the tariff that ``rating.seed`` binds to it
must charge the same amount for the same unit, wherever the catalog says the price applies
(its usage event, its time band, its usage tier). The pairing reads the catalog bodies and
the built tariffs, not the price list both are made from, so a number changed on one side
only fails here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from openbss.catalog.ct2005 import PRICES
from openbss.catalog.pricing import MinorUnit, money_to_minor
from openbss.rating.contract import Charge, Direction, Service, Tariff, Zone
from openbss.rating.ct2005 import IP_ACCESS_CODE, cn_destinations
from openbss.rating.seed import BINDINGS, seed_tariffs
from openbss.refdata import ct2005 as price_list
from openbss.refdata.ct2005 import FlatCharge, UsageRate
from openbss.refdata.numbering import GUANGDONG, GUANGDONG_AREA_CODES

_DOMESTIC_LONG_DISTANCE = (Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE)

# A catalog usage event as the calls rating sees: service, zones, direction, IP access code.
_EVENTS: Mapping[str, tuple[Service, tuple[Zone, ...], Direction, str | None]] = {
    "localCall": (Service.VOICE, (Zone.LOCAL,), Direction.MO, None),
    "dddCall": (Service.VOICE, _DOMESTIC_LONG_DISTANCE, Direction.MO, None),
    "internationalCall": (Service.VOICE, (Zone.INTERNATIONAL,), Direction.MO, None),
    "hmtCall": (Service.VOICE, (Zone.HK_MO_TW,), Direction.MO, None),
    "ipCall": (Service.VOICE, _DOMESTIC_LONG_DISTANCE, Direction.MO, IP_ACCESS_CODE),
    "interAreaCall": (Service.VOICE, (Zone.INTRA_PROVINCE,), Direction.MO, None),
    "incomingCall": (Service.VOICE, tuple(Zone), Direction.MT, None),
    "sms": (Service.SMS, tuple(Zone), Direction.MO, None),
}
_SECONDS = {"s": 1, "min": 60, "hour": 3600}

USAGE_PRICES = [body for body in PRICES if body["priceType"] == "usage"]


@pytest.fixture(scope="module")
def tariffs() -> dict[str, Tariff]:
    return {tariff.id: tariff for tariff in seed_tariffs()}


def _band_names(tariff: Tariff, time_band: Mapping[str, str]) -> set[str]:
    return {
        band.name
        for band in tariff.bands
        if (f"{band.start:%H:%M}", f"{band.end:%H:%M}") == (time_band["from"], time_band["to"])
    }


def _bands(body: Mapping[str, Any], tariff: Tariff, tariff_id: str) -> set[str]:
    """The tariff's bands the price covers: its own time band, else every band that no other
    price of the same usage event and tariff claims with a time band of its own."""
    if "timeBand" in body:
        return _band_names(tariff, body["timeBand"])
    claimed: set[str] = set()
    for other in USAGE_PRICES:
        if (
            other["usageEvent"] == body["usageEvent"]
            and "timeBand" in other
            and BINDINGS[other["code"]][0] == tariff_id
        ):
            claimed |= _band_names(tariff, other["timeBand"])
    return {band.name for band in tariff.bands} - claimed


def _charges(body: Mapping[str, Any], tariff: Tariff, tariff_id: str) -> Iterator[Charge]:
    """The charge of every call the price describes, from the first rule matching it."""
    service, zones, direction, ip = _EVENTS[body["usageEvent"]]
    bands = _bands(body, tariff, tariff_id)
    assert bands, f"{body['code']}: no band of {tariff_id} is the catalog's time band"
    for zone in zones:
        for band in sorted(bands):
            rules = [r for r in tariff.rules if r.matches(service, zone, band, direction, ip)]
            assert rules, f"{body['code']}: no rule of {tariff_id} for {zone} {band}"
            yield rules[0].charge


def _priced_part(charge: Charge, body: Mapping[str, Any]) -> tuple[int, int, int]:
    """(li, block in seconds or messages, first-block seconds) of the part of the charge the
    catalog price speaks of: the first block, the steps after it, or the message."""
    tier = body.get("usageTier")
    if body["unitOfMeasure"]["units"] == "message":
        assert (charge.step_li, charge.first_block_li, charge.volume_unit_li) == (0, 0, 0)
        return charge.event_li, 1, charge.first_block_s
    assert charge.event_li == 0 and charge.volume_unit_li == 0
    if tier is not None and tier["from"] == 0:
        return charge.first_block_li, charge.first_block_s, charge.first_block_s
    return charge.step_li, charge.step_s, charge.first_block_s


def _catalog_part(body: Mapping[str, Any]) -> tuple[int, int, int]:
    """The same three figures as the catalog states them."""
    units = body["unitOfMeasure"]["units"]
    scale = 1 if units == "message" else _SECONDS[units]
    block = body["unitOfMeasure"]["amount"] * scale
    tier = body.get("usageTier")
    first_block_s = 0
    if tier is not None:
        first_block_s = (tier["to"] if tier["from"] == 0 else tier["from"]) * scale
    return money_to_minor(body["price"], MinorUnit.LI), block, first_block_s


@pytest.mark.parametrize("body", USAGE_PRICES, ids=lambda body: body["code"])
def test_the_bound_tariff_charges_the_catalog_usage_price(
    body: Mapping[str, Any], tariffs: dict[str, Tariff]
) -> None:
    tariff_id = BINDINGS[body["code"]][0]
    assert tariff_id is not None, f"{body['code']} is a usage price that no tariff rates"
    tariff = tariffs[tariff_id]
    catalog = _catalog_part(body)
    for charge in _charges(body, tariff, tariff_id):
        # The catalog has no connection fee or cap: rating charges nothing it does not list.
        assert charge.connection_li == 0 and charge.cap_li is None
        if catalog[0] == 0:
            assert charge.is_free, f"{body['code']} is free in the catalog"
        else:
            assert _priced_part(charge, body) == catalog, body["code"]


def test_every_price_of_the_list_is_exact_in_its_minor_unit() -> None:
    for name, price in price_list.PRICE_LIST.items():
        if isinstance(price, UsageRate):
            assert price.li >= 0, name
        else:
            assert isinstance(price, FlatCharge)
            assert price.fen >= 0, name


def test_rating_s_province_is_guangdong_of_the_local_network_table(
    tariffs: dict[str, Tariff],
) -> None:
    table = {network.area_code for network in GUANGDONG}
    assert len(table) == 21
    assert {network.province_zh for network in GUANGDONG} == {"广东"}
    assert table == GUANGDONG_AREA_CODES
    for tariff in tariffs.values():
        assert tariff.province_area_codes == table, tariff.id
    by_prefix = {destination.prefix: destination for destination in cn_destinations()}
    for area_code in table:
        assert by_prefix["86" + area_code[1:]].area_code == area_code
