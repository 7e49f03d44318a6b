"""Pure account rules: fen conversion, cycle days, payment methods, hierarchy walks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.account.calculations import (
    BANK_COLLECTION,
    CASH,
    MAX_FEN,
    ONLINE,
    bill_cycle_day,
    is_monthly,
    makes_cycle,
    money_to_fen,
    paying_account_id,
    payment_method_kind,
    yuan_value_to_fen,
)
from openbss.kit.errors import Unprocessable
from openbss.kit.money import tmf_money_from_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (200.5, 20050),
        (19.99, 1999),
        (0.29, 29),
        (0.3, 30),
        (1, 100),
        (0, 0),
        (1e3, 100000),
        (92233720368547758, 9223372036854775800),
    ],
)
def test_yuan_to_fen_is_exact(value: float, fen: int) -> None:
    assert yuan_value_to_fen(value, "v") == fen


@pytest.mark.parametrize(
    "value", [1.234, 0.001, -0.01, float("nan"), float("inf"), 1e17, "1", True, None]
)
def test_yuan_to_fen_refuses(value: object) -> None:
    with pytest.raises(Unprocessable):
        yuan_value_to_fen(value, "v")


def test_negative_amounts_only_where_allowed() -> None:
    assert yuan_value_to_fen(-88.8, "v", allow_negative=True) == -8880
    assert money_to_fen({"unit": "cny", "value": 5}, "m") == 500
    assert money_to_fen({"value": 5}, "m") == 500
    with pytest.raises(Unprocessable, match="CNY"):
        money_to_fen({"unit": "HKD", "value": 5}, "m")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_fen_round_trips_through_tmf_money(fen: int) -> None:
    money = tmf_money_from_fen(fen)
    assert money["unit"] == "CNY"
    assert yuan_value_to_fen(money["value"], "v", allow_negative=True) == fen


def test_tmf_money_reads_back_to_the_same_fen() -> None:
    assert tmf_money_from_fen(20000) == {"unit": "CNY", "value": 200.0}
    assert money_to_fen(tmf_money_from_fen(20050), "m") == 20050
    assert MAX_FEN == 2**63 - 1


def test_bill_cycle_day() -> None:
    assert [bill_cycle_day(s) for s in (None, 0, 14, 27)] == [1, 1, 15, 28]
    for shift in (-1, 28, 30):
        with pytest.raises(Unprocessable):
            bill_cycle_day(shift)
    assert is_monthly(None) and is_monthly(" Monthly ") and is_monthly("按月")
    assert not is_monthly("weekly") and not is_monthly(3)


def test_payment_method_kind() -> None:
    assert payment_method_kind(None) == CASH
    assert payment_method_kind({"id": "1", "@referredType": "BankAccountDebit"}) == BANK_COLLECTION
    assert payment_method_kind({"id": "1", "name": "银行托收"}) == BANK_COLLECTION
    assert payment_method_kind({"id": "1", "name": "Digital Wallet"}) == ONLINE
    assert payment_method_kind({"id": "cash"}) == CASH
    with pytest.raises(Unprocessable):
        payment_method_kind({"id": "1", "@referredType": "Voucher"})


def test_makes_cycle() -> None:
    parents = {"B": "A", "C": "B", "X": "Y", "Y": "X"}
    assert makes_cycle("A", "C", parents.get)
    assert makes_cycle("A", "A", parents.get)
    assert not makes_cycle("D", "C", parents.get)
    assert makes_cycle("D", "X", parents.get)  # never build on an existing loop


def test_paying_account() -> None:
    parents = {"branch": "group", "shop": "branch", "own": "branch"}
    consolidated = {"branch", "shop"}
    payer = {
        a: paying_account_id(a, parents.get, consolidated.__contains__)
        for a in ("group", "branch", "shop", "own")
    }
    assert payer == {"group": "group", "branch": "group", "shop": "group", "own": "own"}
    assert paying_account_id("orphan", {}.get, lambda _: True) == "orphan"
