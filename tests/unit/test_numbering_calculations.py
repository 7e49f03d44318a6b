"""Golden-number classes, number forms and local networks: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from phonenumbers import geocoder

from openbss.kit.errors import Unprocessable
from openbss.numbering.calculations import (
    GOLDEN_PRICES_FEN,
    MAX_HOLD_MINUTES,
    GoldenLevel,
    NumberKind,
    area_code_of,
    classify_golden,
    classify_national,
    format_display,
    hold_deadline,
    is_valid_national,
    normalise_number,
    search_like,
    subscriber_lengths,
    subscriber_part,
    to_e164,
    to_national,
    trailing_run,
    trailing_straight,
)
from openbss.refdata.numbering import (
    GUANGDONG,
    LOCAL_NETWORKS,
    area_code_for_city,
    local_network,
)


@pytest.mark.parametrize(
    ("subscriber", "level", "pattern", "price_fen"),
    [
        ("83888888", GoldenLevel.PLATINUM, "AAAAAA", 500_000),
        ("88888888", GoldenLevel.PLATINUM, "AAAAAA", 500_000),
        ("83000000", GoldenLevel.PLATINUM, "AAAAAA", 500_000),
        ("83123456", GoldenLevel.PLATINUM, "ABCDEF", 500_000),
        ("83987654", GoldenLevel.PLATINUM, "ABCDEF", 500_000),
        ("83088888", GoldenLevel.GOLD, "AAAAA", 200_000),
        ("83008888", GoldenLevel.GOLD, "8888", 200_000),
        ("83006666", GoldenLevel.GOLD, "6666", 200_000),
        ("83009999", GoldenLevel.GOLD, "9999", 200_000),
        ("83034567", GoldenLevel.GOLD, "ABCDE", 200_000),
        ("83001111", GoldenLevel.SILVER, "AAAA", 50_000),
        ("83005555", GoldenLevel.SILVER, "AAAA", 50_000),
        ("83051234", GoldenLevel.SILVER, "ABCD", 50_000),
        ("83001234", GoldenLevel.GOLD, "ABCDE", 200_000),  # 0-1-2-3-4 is a straight of five
        ("83004321", GoldenLevel.SILVER, "ABCD", 50_000),
        ("83001122", GoldenLevel.SILVER, "AABB", 50_000),
        ("83000888", GoldenLevel.BRONZE, "AAA", 10_000),
        ("83001818", GoldenLevel.BRONZE, "ABAB", 10_000),
        ("83000168", GoldenLevel.BRONZE, "lucky 168", 10_000),
        ("83000518", GoldenLevel.BRONZE, "lucky 518", 10_000),
        ("83000520", GoldenLevel.BRONZE, "lucky 520", 10_000),
        ("83001314", GoldenLevel.BRONZE, "lucky 1314", 10_000),
        ("2345678", GoldenLevel.PLATINUM, "ABCDEF", 500_000),  # seven-digit subscriber
    ],
)
def test_golden_classes(subscriber: str, level: GoldenLevel, pattern: str, price_fen: int) -> None:
    found = classify_golden(subscriber)
    assert found is not None
    assert (found.level, found.pattern, found.price_fen) == (level, pattern, price_fen)


@pytest.mark.parametrize(
    "subscriber",
    ["83000001", "83001235", "83007890", "83000012", "83001289", "83000169", "83002468"],
)
def test_ordinary_numbers_are_not_golden(subscriber: str) -> None:
    assert classify_golden(subscriber) is None


def test_default_prices_fall_with_the_class() -> None:
    prices = [GOLDEN_PRICES_FEN[level] for level in GoldenLevel]
    assert prices == [500_000, 200_000, 50_000, 10_000]


def test_runs_and_straights() -> None:
    assert trailing_run("83008888") == 4
    assert trailing_run("8") == 1
    assert trailing_run("") == 0
    assert trailing_straight("83051234") == 4
    assert trailing_straight("83001234") == 5
    assert trailing_straight("83004321") == 4
    assert trailing_straight("83001324") == 1
    assert trailing_straight("7890") == 1  # 9 → 0 does not wrap round
    assert trailing_straight("5") == 1


def test_the_area_code_or_mobile_prefix_never_makes_a_number_golden() -> None:
    # 0888 would be an AAA ending only if the area code were counted.
    assert subscriber_part("075526001234") == "26001234"
    assert subscriber_part("18988881234") == "88881234"
    assert classify_national("18988880001") is None
    assert classify_national("02083008888") == classify_golden("83008888")
    found = classify_national("18902208888")
    assert found is not None and found.level is GoldenLevel.GOLD


@pytest.mark.parametrize(
    ("national", "e164", "area", "display"),
    [
        ("02083001234", "+862083001234", "020", "020-8300 1234"),
        ("01062001234", "+861062001234", "010", "010-6200 1234"),
        ("075526001234", "+8675526001234", "0755", "0755-2600 1234"),
        ("07512345678", "+867512345678", "0751", "0751-234 5678"),
        ("18902001234", "+8618902001234", None, "189 0200 1234"),
    ],
)
def test_number_forms(national: str, e164: str, area: str | None, display: str) -> None:
    assert to_e164(national) == e164
    assert to_national(e164) == national
    assert area_code_of(national) == area
    assert format_display(national) == display


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+862083001234", "+862083001234"),
        ("020-8300 1234", "+862083001234"),
        ("(020) 83001234", "+862083001234"),
        ("862083001234", "+862083001234"),
        ("00862083001234", "+862083001234"),
        ("+86 (0)20 8300 1234", "+862083001234"),
        ("189 0200 1234", "+8618902001234"),
        ("+86-189-0200-1234", "+8618902001234"),
        ("8618902001234", "+8618902001234"),
        ("01062001234", "+861062001234"),
        ("07512345678", "+867512345678"),
    ],
)
def test_normalise_number(raw: str, e164: str) -> None:
    assert normalise_number(raw) == e164


@pytest.mark.parametrize(
    "raw", ["", "abc", "+12125550100", "1890200123", "189020012345", "020830012", "+86 0"]
)
def test_normalise_number_refuses_what_is_not_a_chinese_number(raw: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        normalise_number(raw)
    assert caught.value.code == "INVALID_NUMBER"


def test_subscriber_lengths() -> None:
    assert subscriber_lengths(NumberKind.FIXED, "020") == (8,)
    assert subscriber_lengths(NumberKind.PHS, "0751") == (7, 8)
    assert subscriber_lengths(NumberKind.MOBILE, "189") == (8,)
    assert subscriber_lengths(NumberKind.MOBILE, "18902") == (6,)


def test_validity_in_the_national_plan() -> None:
    assert is_valid_national(NumberKind.FIXED, "02083000000")
    assert is_valid_national(NumberKind.PHS, "07512345678")
    assert is_valid_national(NumberKind.MOBILE, "18902200000")
    assert not is_valid_national(NumberKind.MOBILE, "02083000000")
    assert not is_valid_national(NumberKind.FIXED, "18902200000")
    assert not is_valid_national(NumberKind.FIXED, "0208300000")  # too short


def test_search_patterns_and_hold_deadlines() -> None:
    assert search_like("88") == "%88"
    assert search_like("8?8") == "%8_8"
    assert search_like("*88*") == "%%88%"
    assert search_like(None) is None and search_like("") is None
    for bad in ("8%", "8_", "abc", "1" * 13):
        with pytest.raises(Unprocessable):
            search_like(bad)
    at = datetime(2025, 3, 1, tzinfo=UTC)
    assert hold_deadline(at, 30) == at + timedelta(minutes=30)
    assert hold_deadline(at, None) is None
    for bad in (0, -5, MAX_HOLD_MINUTES + 1, True):
        with pytest.raises(Unprocessable):
            hold_deadline(at, bad)


# ----- local networks -----------------------------------------------------------------------


def test_guangdong_has_its_21_prefecture_cities() -> None:
    assert len(GUANGDONG) == 21
    assert len({n.area_code for n in GUANGDONG}) == 21
    assert {n.province_zh for n in GUANGDONG} == {"广东"}


@pytest.mark.parametrize(
    ("city", "code"),
    [
        ("广州", "020"),
        ("广州市", "020"),
        ("Guangzhou", "020"),
        ("guangzhou city", "020"),
        ("深圳", "0755"),
        ("Foshan", "0757"),
        ("东莞市", "0769"),
        ("茂名", "0668"),
        ("Shanwei", "0660"),
        ("云浮", "0766"),
        ("北京", "010"),
        ("Xi'an", "029"),
        ("xian", "029"),
        ("杭州", "0571"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_area_code_for_city(city: str, code: str | None) -> None:
    assert area_code_for_city(city) == code


def test_local_network_by_code() -> None:
    network = local_network("0757")
    assert network is not None and network.city_zh == "佛山"
    assert local_network("0999") is None


@pytest.mark.parametrize("network", LOCAL_NETWORKS, ids=lambda n: n.area_code)
def test_every_area_code_serves_its_city_in_the_national_plan(network: object) -> None:
    """Cross-check against the phonenumbers geocoder (seven- or eight-digit subscribers)."""
    assert hasattr(network, "area_code")
    for subscriber in ("22345678", "2345678"):
        parsed = phonenumbers.parse(to_e164(network.area_code + subscriber))
        if phonenumbers.is_valid_number(parsed):
            assert network.city_zh in geocoder.description_for_number(parsed, "zh")
            return
    pytest.fail(f"no valid number found under {network.area_code}")
