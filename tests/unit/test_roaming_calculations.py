"""Roaming maths by hand: charged units, SDR conversions both ways, TAP digit strings, names."""

from __future__ import annotations

from datetime import date

import pytest

from openbss.settlement.roaming.calculations import (
    ack_file_name,
    charged_units,
    imsi_network,
    li_to_sdr_micro,
    next_sequence,
    rap_file_name,
    sdr_micro_to_fen,
    tap_file_name,
    tbcd,
    to_micro,
)
from openbss.settlement.roaming.errors import MissingRate
from openbss.settlement.roaming.pricing import RateBook, Tariff, TariffBook, price, quantity

RATE = 11_950_000  # 11.95 CNY per SDR


@pytest.mark.parametrize(
    ("amount", "increment", "units"),
    [(0, 60, 0), (1, 60, 1), (60, 60, 1), (61, 60, 2), (6000, 1024, 6), (1, 1, 1), (-5, 60, 0)],
)
def test_started_units(amount: int, increment: int, units: int) -> None:
    assert charged_units(amount, increment) == units


@pytest.mark.parametrize(
    ("li", "sdr_micro"),
    [
        (6000, 502_092),  # 6.00 CNY / 11.95 = 0.50209205 SDR
        (800, 66_946),  # 0.80 / 11.95 = 0.06694560 -> up
        (60, 5_021),  # 0.06 / 11.95 = 0.00502092
        (11_950, 1_000_000),  # exactly 1 SDR
        (0, 0),
    ],
)
def test_cny_to_sdr(li: int, sdr_micro: int) -> None:
    assert li_to_sdr_micro(li, RATE) == sdr_micro


@pytest.mark.parametrize(
    ("sdr_micro", "fen"),
    [
        (2_300_000, 2_749),  # 2.3 SDR x 11.95 = 27.485 CNY -> 2748.5 fen, half-up
        (1_000_000, 1_195),
        (250_000, 299),  # 298.75 fen
        (400_000, 478),
        (-400_000, -478),  # half away from zero for refunds
    ],
)
def test_sdr_to_fen(sdr_micro: int, fen: int) -> None:
    assert sdr_micro_to_fen(sdr_micro, RATE) == fen


def test_tap_decimal_places() -> None:
    assert to_micro(2300, 3) == 2_300_000
    assert to_micro(7, 6) == 7
    with pytest.raises(ValueError, match=r"outside 0\.\.6"):
        to_micro(1, 7)


def test_sequences_wrap_after_99999() -> None:
    assert [next_sequence(n) for n in (0, 1, 99_998, 99_999)] == [1, 2, 99_999, 1]


def test_file_names() -> None:
    assert tap_file_name("CHNCT", "GBRVF", 7) == "CDCHNCTGBRVF00007"
    assert rap_file_name("CHNCT", "GBRVF", 12) == "RCCHNCTGBRVF00012"
    assert ack_file_name("CHNCT", "GBRVF", 5) == "AKCHNCTGBRVF00005"


def test_tbcd_is_high_nibble_first_with_filler() -> None:
    assert tbcd("133713371337133") == bytes.fromhex("133713371337133f")
    assert tbcd("+8613912345678") == bytes.fromhex("8613912345678f")
    with pytest.raises(ValueError):
        tbcd("12a4")


def test_imsi_network_takes_the_longest_prefix() -> None:
    prefixes = {"46003": "CHNCT", "460031": "CHNOT", "23415": "GBRVF"}
    assert imsi_network("460031234567890", prefixes) == "CHNOT"
    assert imsi_network("460039999999999", prefixes) == "CHNCT"
    assert imsi_network("310150000000000", prefixes) is None
    assert imsi_network(None, prefixes) is None


def test_price_with_the_rate_and_tariff_of_the_day() -> None:
    tariffs = TariffBook(
        [
            Tariff("*", "voice", "mo", 60, 3000, date(2005, 1, 1), date(2010, 1, 1)),
            Tariff("*", "voice", "mo", 60, 2000, date(2010, 1, 1), None),
            Tariff("GBRVF", "voice", "mo", 30, 1000, date(2005, 1, 1), None),
        ]
    )
    rates = RateBook([(date(2005, 1, 1), 11_950_000), (date(2010, 1, 1), 10_500_000)])
    # Another partner, 2009: 90 s = 2 minutes x 3.00 = 6.00 CNY at 11.95
    assert price(tariffs, rates, "FRAF1", "voice", "mo", date(2009, 6, 1), 90).sdr_micro == 502_092
    # 2010: 2 x 2.00 = 4.00 CNY at 10.50 = 0.380952 SDR
    later = price(tariffs, rates, "FRAF1", "voice", "mo", date(2010, 6, 1), 90)
    assert (later.units, later.li, later.sdr_micro, later.rate_day) == (
        2,
        4000,
        380_952,
        date(2010, 1, 1),
    )
    # The partner's own tariff: 90 s in 30 s units x 1.00 = 3.00 CNY
    own = price(tariffs, rates, "GBRVF", "voice", "mo", date(2009, 6, 1), 90)
    assert (own.units, own.li) == (3, 3000)
    with pytest.raises(MissingRate, match="no roaming tariff"):
        price(tariffs, rates, "GBRVF", "sms", "mo", date(2009, 6, 1), 1)
    with pytest.raises(MissingRate, match="no SDR exchange rate on or before 2004-06-01"):
        RateBook([(date(2005, 1, 1), RATE)]).on(date(2004, 6, 1))


def test_quantity_by_service() -> None:
    assert quantity("voice", 61, 5, 5) == 61
    assert quantity("sms", 0, 0, 0) == 1
    assert quantity("data", 300, 1000, 5000) == 6000
