"""Integer money: exact conversions and the named rounding rules (kit/money.py)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.kit.money import (
    FEN_PER_YUAN,
    LI_PER_FEN,
    LI_PER_YUAN,
    RoundingRule,
    decimal_from_json,
    fen_to_yuan,
    format_fen,
    li_to_fen,
    li_to_yuan,
    tmf_money_from_fen,
    tmf_money_from_li,
    yuan_to_fen,
    yuan_to_li,
)

AMOUNTS = st.integers(min_value=-(10**15), max_value=10**15)
RULES = st.sampled_from(list(RoundingRule))
# Yuan amounts with up to 5 decimal places, as Decimal (never float).
YUAN = st.decimals(
    min_value=Decimal("-1000000000"),
    max_value=Decimal("1000000000"),
    places=5,
    allow_nan=False,
    allow_infinity=False,
)


def reference_round(value: Fraction, rule: RoundingRule) -> int:
    """The rounding rules, restated over exact fractions."""
    if rule is RoundingRule.HALF_UP:  # ties away from zero, like a cashier
        magnitude = math.floor(abs(value) + Fraction(1, 2))
        return magnitude if value >= 0 else -magnitude
    if rule is RoundingRule.HALF_EVEN:
        return round(value)  # Fraction.__round__ rounds ties to even
    if rule is RoundingRule.UP:
        return math.ceil(value)
    return math.trunc(value)


def test_units() -> None:
    assert (LI_PER_YUAN, FEN_PER_YUAN, LI_PER_FEN) == (1000, 100, 10)


@pytest.mark.parametrize(
    ("li", "rule", "fen"),
    [
        (15, RoundingRule.HALF_UP, 2),
        (25, RoundingRule.HALF_UP, 3),
        (14, RoundingRule.HALF_UP, 1),
        (-15, RoundingRule.HALF_UP, -2),
        (15, RoundingRule.HALF_EVEN, 2),
        (25, RoundingRule.HALF_EVEN, 2),
        (-25, RoundingRule.HALF_EVEN, -2),
        (11, RoundingRule.UP, 2),
        (-11, RoundingRule.UP, -1),
        (19, RoundingRule.DOWN, 1),
        (-19, RoundingRule.DOWN, -1),
        (0, RoundingRule.UP, 0),
    ],
)
def test_li_to_fen_rounding_rules(li: int, rule: RoundingRule, fen: int) -> None:
    assert li_to_fen(li, rule) == fen


def test_li_to_fen_defaults_to_half_up() -> None:
    assert li_to_fen(1005) == 101
    assert li_to_fen(1004) == 100


@pytest.mark.parametrize(
    ("yuan", "rule", "li", "fen"),
    [
        ("0.22", RoundingRule.HALF_UP, 220, 22),
        ("1.005", RoundingRule.HALF_UP, 1005, 101),
        ("1.005", RoundingRule.HALF_EVEN, 1005, 100),
        ("1.0051", RoundingRule.DOWN, 1005, 100),
        ("1.0001", RoundingRule.UP, 1001, 101),
        ("-0.005", RoundingRule.HALF_UP, -5, -1),
        ("-0.005", RoundingRule.UP, -5, 0),
        ("0.0005", RoundingRule.HALF_UP, 1, 0),
        ("0.0005", RoundingRule.HALF_EVEN, 0, 0),
        ("12", RoundingRule.HALF_UP, 12000, 1200),
    ],
)
def test_yuan_conversions(yuan: str, rule: RoundingRule, li: int, fen: int) -> None:
    assert yuan_to_li(yuan, rule) == li
    assert yuan_to_fen(yuan, rule) == fen
    assert yuan_to_li(Decimal(yuan), rule) == li


def test_int_yuan_is_exact() -> None:
    assert yuan_to_li(3) == 3000
    assert yuan_to_fen(-7) == -700


def test_float_is_refused() -> None:
    with pytest.raises(TypeError):
        yuan_to_li(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        yuan_to_fen(0.1)  # type: ignore[arg-type]


def test_display_values() -> None:
    assert fen_to_yuan(12345) == Decimal("123.45")
    assert str(fen_to_yuan(5)) == "0.05"
    assert str(fen_to_yuan(-100)) == "-1.00"
    assert str(li_to_yuan(220)) == "0.220"
    assert str(li_to_yuan(-1)) == "-0.001"
    assert format_fen(12345) == "¥123.45"
    assert format_fen(-5) == "-¥0.05"
    assert format_fen(0) == "¥0.00"


@given(AMOUNTS, RULES)
def test_li_to_fen_matches_the_exact_reference(li: int, rule: RoundingRule) -> None:
    assert li_to_fen(li, rule) == reference_round(Fraction(li, LI_PER_FEN), rule)


@given(YUAN, RULES)
def test_yuan_conversions_match_the_exact_reference(yuan: Decimal, rule: RoundingRule) -> None:
    exact = Fraction(yuan)
    assert yuan_to_li(yuan, rule) == reference_round(exact * LI_PER_YUAN, rule)
    assert yuan_to_fen(yuan, rule) == reference_round(exact * FEN_PER_YUAN, rule)
    assert yuan_to_fen(str(yuan), rule) == yuan_to_fen(yuan, rule)


@given(AMOUNTS, RULES)
def test_whole_amounts_convert_exactly_under_every_rule(amount: int, rule: RoundingRule) -> None:
    assert li_to_fen(amount * LI_PER_FEN, rule) == amount
    assert yuan_to_fen(fen_to_yuan(amount), rule) == amount
    assert yuan_to_li(li_to_yuan(amount), rule) == amount


@given(AMOUNTS)
def test_rules_bracket_the_exact_value(li: int) -> None:
    exact = Fraction(li, LI_PER_FEN)
    down, up = li_to_fen(li, RoundingRule.DOWN), li_to_fen(li, RoundingRule.UP)
    assert up >= exact >= math.floor(exact)
    assert abs(down) <= abs(exact)
    for rule in (RoundingRule.HALF_UP, RoundingRule.HALF_EVEN):
        assert abs(li_to_fen(li, rule) - exact) <= Fraction(1, 2)


@given(AMOUNTS, AMOUNTS, RULES)
def test_rounding_is_monotonic(a: int, b: int, rule: RoundingRule) -> None:
    low, high = sorted((a, b))
    assert li_to_fen(low, rule) <= li_to_fen(high, rule)


@given(AMOUNTS)
def test_results_are_plain_ints(li: int) -> None:
    for rule in RoundingRule:
        assert type(li_to_fen(li, rule)) is int
    assert type(yuan_to_li(li_to_yuan(li))) is int


# ----- TMF Money on the wire --------------------------------------------------------------


def test_tmf_money_from_fen_is_a_json_number_of_yuan() -> None:
    assert tmf_money_from_fen(12_345) == {"unit": "CNY", "value": 123.45}
    assert tmf_money_from_fen(-8_880) == {"unit": "CNY", "value": -88.8}
    whole = tmf_money_from_fen(200_000)
    assert whole == {"unit": "CNY", "value": 2000.0}
    assert isinstance(whole["value"], float)  # one type for every amount, whole or not
    assert json.dumps(tmf_money_from_fen(0)) == '{"unit": "CNY", "value": 0.0}'


def test_tmf_money_from_li_keeps_the_third_decimal() -> None:
    assert tmf_money_from_li(70) == {"unit": "CNY", "value": 0.07}
    assert tmf_money_from_li(1_234) == {"unit": "CNY", "value": 1.234}
    assert json.dumps(tmf_money_from_li(1)) == '{"unit": "CNY", "value": 0.001}'


def test_decimal_from_json_is_the_literal_not_the_binary_float() -> None:
    assert decimal_from_json(0.07) == Decimal("0.07")
    assert decimal_from_json(200) == Decimal(200)
    assert decimal_from_json("1.50") == Decimal("1.50")
    assert decimal_from_json(Decimal("0.001")) == Decimal("0.001")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_fen_round_trip_through_json_text(fen: int) -> None:
    value = json.loads(json.dumps(tmf_money_from_fen(fen)))["value"]
    assert decimal_from_json(value) * FEN_PER_YUAN == fen


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_li_round_trip_through_json_text(li: int) -> None:
    value = json.loads(json.dumps(tmf_money_from_li(li)))["value"]
    assert decimal_from_json(value) * LI_PER_YUAN == li
