"""Pure price maths: Money → integer fen/li, version choice, scheduling, alterations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from openbss.catalog.errors import InvalidPrice, PriceVersionConflict
from openbss.catalog.pricing import (
    MinorUnit,
    PricePlan,
    PriceSpan,
    altered_amount,
    check_alteration,
    minor_to_money,
    minor_unit_for,
    money_to_minor,
    plan_change,
    to_decimal,
    version_at,
)

FEN, LI = MinorUnit.FEN, MinorUnit.LI
JAN = datetime(2006, 1, 1, tzinfo=UTC)
APR = datetime(2006, 4, 1, tzinfo=UTC)
MAY = datetime(2006, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.07, LI, 70),
        ("0.07", LI, 70),
        (0.22, LI, 220),
        (0.8, LI, 800),
        (0, LI, 0),
        (120, FEN, 12000),
        (0.18, FEN, 18),
        ("19.99", FEN, 1999),
        (0.1, FEN, 10),
        (1234567.89, FEN, 123456789),
        (0.001, LI, 1),
    ],
)
def test_money_to_minor_is_exact(value: object, unit: MinorUnit, expected: int) -> None:
    assert money_to_minor({"unit": "CNY", "value": value}, unit) == expected


@pytest.mark.parametrize(
    ("money", "unit"),
    [
        ({"unit": "CNY", "value": 0.125}, FEN),
        ({"unit": "CNY", "value": 0.0005}, LI),
        ({"unit": "USD", "value": 1}, FEN),
        ({"unit": "CNY", "value": -0.01}, FEN),
        ({"unit": "CNY", "value": True}, FEN),
        ({"unit": "CNY", "value": "NaN"}, FEN),
        ({"unit": "CNY", "value": "1e400x"}, FEN),
        ({"unit": "CNY"}, FEN),
        ("1.00", FEN),
    ],
)
def test_money_that_cannot_be_stored_exactly_is_refused(money: object, unit: MinorUnit) -> None:
    with pytest.raises(InvalidPrice):
        money_to_minor(money, unit)


def test_units_and_wire_form() -> None:
    assert (minor_unit_for("usage"), minor_unit_for("recurring"), minor_unit_for("oneTime")) == (
        LI,
        FEN,
        FEN,
    )
    # Billing discounts (a fixed amount off, a cap, a minimum spend) are kept in fen.
    assert {minor_unit_for(t) for t in ("discount", "cap", "minimumSpend")} == {FEN}
    with pytest.raises(InvalidPrice):
        minor_unit_for("rebate")
    assert to_decimal(0.07) == Decimal("0.07")  # through repr, never binary float maths
    assert minor_to_money(70, LI) == {"unit": "CNY", "value": 0.07}
    assert minor_to_money(12000, FEN) == {"unit": "CNY", "value": 120.0}
    assert money_to_minor({"value": 1.5}, FEN) == 150  # CNY when unit is absent


def test_version_at_picks_the_version_in_force() -> None:
    versions = [PriceSpan(1, 12000, JAN, APR), PriceSpan(2, 10000, APR)]
    assert version_at(versions, JAN - timedelta(seconds=1)) is None
    assert version_at(versions, JAN) == versions[0]
    assert version_at(versions, APR - timedelta(microseconds=1)) == versions[0]
    assert version_at(versions, APR) == versions[1]
    assert version_at(versions, APR + timedelta(days=3650)) == versions[1]
    assert version_at([], APR) is None


def test_plan_change_schedules_without_rewriting_history() -> None:
    now = datetime(2006, 3, 1, tzinfo=UTC)
    v1 = PriceSpan(1, 12000, JAN)
    assert plan_change([], 500, JAN, now) == PricePlan(new=PriceSpan(1, 500, JAN))
    planned = plan_change([v1], 10000, APR, now)
    assert planned == PricePlan(new=PriceSpan(2, 10000, APR), close=(1, APR))
    with pytest.raises(PriceVersionConflict):
        plan_change([v1], 10000, now - timedelta(seconds=1), now)
    assert plan_change([v1], 12000, APR, now) is None  # restating what is in force
    scheduled = [PriceSpan(1, 12000, JAN, MAY), PriceSpan(2, 10000, MAY)]
    earlier = plan_change(scheduled, 9000, APR, now)
    assert earlier == PricePlan(new=PriceSpan(3, 9000, APR), close=(1, APR), cancel=(2,))
    later = plan_change(scheduled, 9000, MAY + timedelta(days=31), now)
    assert later == PricePlan(
        new=PriceSpan(3, 9000, MAY + timedelta(days=31)), close=(2, MAY + timedelta(days=31))
    )
    # All versions still to come: the new one replaces them.
    future_only = [PriceSpan(1, 100, MAY)]
    assert plan_change(future_only, 90, APR, now) == PricePlan(
        new=PriceSpan(2, 90, APR), cancel=(1,)
    )


def test_alterations() -> None:
    assert altered_amount(12000, FEN, {"percentage": 10}) == 10800
    assert altered_amount(70, LI, {"percentage": 40}) == 42
    assert altered_amount(15, FEN, {"percentage": "50"}) == 8  # 7.5 → 8, half-up
    assert altered_amount(12000, FEN, {"price": {"unit": "CNY", "value": 20}}) == 10000
    assert altered_amount(1000, FEN, {"price": {"unit": "CNY", "value": 20}}) == 0
    check_alteration({"percentage": 100}, FEN, "a")
    for bad in (
        {"percentage": 0},
        {"percentage": 101},
        {},
        {"percentage": 5, "price": {"value": 1}},
        {"price": {"unit": "CNY", "value": 0.001}},
        {"percentage": 5, "priceType": "x"},
    ):
        with pytest.raises(InvalidPrice):
            check_alteration(bad, FEN, "a")
