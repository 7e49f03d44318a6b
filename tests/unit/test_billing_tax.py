"""Tax as dated data and bill summaries: hand-worked cases (billing/tax.py, billing/totals.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openbss.billing.arithmetic import basis_points
from openbss.billing.cycles import cycle_of
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeLine, ChargeType, SourceRef, TaxCategory, usage_line
from openbss.billing.tax import (
    TAX_REGIMES,
    TaxKind,
    TaxRegime,
    line_tax,
    regime_for,
    tax_category_for,
    vat_inside,
)
from openbss.billing.totals import summarise

BASIC, VALUE_ADDED = TaxCategory.BASIC, TaxCategory.VALUE_ADDED


def line(
    charge_type: ChargeType,
    fen: int,
    category: TaxCategory,
    product: str = "p",
    reduces: ChargeType | None = None,
) -> ChargeLine:
    return ChargeLine(
        charge_type=charge_type,
        tax_category=category,
        amount_fen=fen,
        source=SourceRef("price", "x"),
        description_key=str(charge_type),
        product_id=product,
        discounted_type=reduces,
    )


@pytest.mark.parametrize(
    ("period", "kind", "basic", "value_added"),
    [
        ("2005-01", TaxKind.BUSINESS_TAX, 300, 300),
        ("2014-05", TaxKind.BUSINESS_TAX, 300, 300),
        ("2014-06", TaxKind.VAT, 1100, 600),
        ("2018-04", TaxKind.VAT, 1100, 600),
        ("2018-05", TaxKind.VAT, 1000, 600),
        ("2019-03", TaxKind.VAT, 1000, 600),
        ("2019-04", TaxKind.VAT, 900, 600),
        ("2026-03", TaxKind.VAT, 900, 600),
    ],
)
def test_the_regime_of_a_cycle_is_the_one_in_force_at_its_start(
    period: str, kind: TaxKind, basic: int, value_added: int
) -> None:
    regime = regime_for(cycle_of(period))
    assert (regime.kind, regime.basic_bp, regime.value_added_bp) == (kind, basic, value_added)


def test_a_regime_starting_mid_cycle_waits_for_the_next_cycle() -> None:
    # A regime from 15 June 2030 does not apply to June 2030 (it started after the 1st).
    later = TaxRegime(
        effective_from=date(2030, 6, 15),
        kind=TaxKind.VAT,
        basic_bp=1,
        value_added_bp=1,
        reference="test",
    )
    regimes = [*TAX_REGIMES, later]
    assert regime_for(cycle_of("2030-06"), regimes).basic_bp == 900
    assert regime_for(cycle_of("2030-07"), regimes).basic_bp == 1
    with pytest.raises(BillingInputError, match="no tax regime"):
        regime_for(cycle_of("1993-12"))


def test_vat_of_a_2026_cycle_per_line_and_business_tax_of_a_2005_cycle() -> None:
    # The same lines in March 2026 (VAT 9 % basic, 6 % value-added, inside the price):
    #   fixed rental 2500 basic:    2500 × 900 / 10900  = 206.42 → 206
    #   ADSL rental 12000 VA:       12000 × 600 / 10600 = 679.25 → 679
    #   SMS usage 1000 VA:          1000 × 600 / 10600  = 56.60  → 57
    #   ADSL discount −1200 VA:     −1200 × 600 / 10600 = −67.92 → −68
    # Tax by category: basic 206; value-added 679 + 57 − 68 = 668; the bill's tax 874.
    lines = [
        line(ChargeType.RECURRING, 2500, BASIC, "fixed-1"),
        line(ChargeType.RECURRING, 12000, VALUE_ADDED, "adsl-1"),
        line(ChargeType.USAGE, 1000, VALUE_ADDED, "phs-1"),
        line(ChargeType.DISCOUNT, -1200, VALUE_ADDED, "adsl-1", reduces=ChargeType.RECURRING),
    ]
    bill = summarise(lines, cycle_of("2026-03"))
    assert [item.tax.shown_fen for item in bill.lines] == [206, 679, 57, -68]
    assert dict(bill.tax_by_category) == {BASIC: 206, VALUE_ADDED: 668}
    assert bill.tax_fen == 874
    assert bill.total_fen == 14300
    assert bill.total_excluding_tax_fen == 14300 - 874
    assert bill.business_tax_fen == 0
    # In January 2005 the same lines show no tax; business tax is 3 % of each line, for
    # finance: 75 + 360 + 30 − 36 = 429.
    old = summarise(lines, cycle_of("2005-01"))
    assert [item.tax.shown_fen for item in old.lines] == [0, 0, 0, 0]
    assert [item.tax.business_tax_fen for item in old.lines] == [75, 360, 30, -36]
    assert (old.tax_fen, old.business_tax_fen) == (0, 429)
    assert old.regime.kind is TaxKind.BUSINESS_TAX


def test_vat_under_each_basic_rate() -> None:
    # 11 %: 10000 × 1100 / 11100 = 990.99 → 991. 10 %: 11000 × 1000 / 11000 = 1000 exactly.
    # 9 %: 10900 × 900 / 10900 = 900 exactly. 6 %: 10600 × 600 / 10600 = 600.
    assert vat_inside(10000, 1100) == 991
    assert vat_inside(11000, 1000) == 1000
    assert vat_inside(10900, 900) == 900
    assert vat_inside(10600, 600) == 600
    regime_2014 = regime_for(cycle_of("2014-06"))
    assert line_tax(line(ChargeType.RECURRING, 10000, BASIC), regime_2014).shown_fen == 991


def test_a_negative_line_carries_the_mirror_of_its_tax() -> None:
    # Half-up rounds halves away from zero: business tax of 50 fen = 1.5 → 2, of −50 → −2.
    regime_2005 = regime_for(cycle_of("2005-01"))
    assert line_tax(line(ChargeType.USAGE, 50, BASIC), regime_2005).business_tax_fen == 2
    discount = line(ChargeType.DISCOUNT, -50, BASIC, reduces=ChargeType.USAGE)
    assert line_tax(discount, regime_2005).business_tax_fen == -2


def test_tax_categories_follow_the_service_as_data() -> None:
    assert tax_category_for("fixedVoice") is BASIC
    assert tax_category_for("phs") is BASIC
    assert tax_category_for("voice") is BASIC
    assert tax_category_for("broadband") is VALUE_ADDED
    assert tax_category_for("sms") is VALUE_ADDED
    assert tax_category_for("data") is VALUE_ADDED
    assert tax_category_for("somethingNew") is BASIC
    assert tax_category_for("somethingNew", default=VALUE_ADDED) is VALUE_ADDED
    assert tax_category_for("phs", {"phs": VALUE_ADDED}) is VALUE_ADDED


def test_a_bill_summary_adds_up_by_charge_type() -> None:
    # April 2026: rental 2500 + installation 10000 + usage 1234 + top-up 266 − discount 500
    # = 13500; by type: recurring 2500, oneTime 10000, usage 1234, minimumSpendTopUp 266,
    # discount −500; their sum is the total.
    lines = [
        line(ChargeType.RECURRING, 2500, BASIC),
        line(ChargeType.ONE_TIME, 10000, BASIC),
        line(ChargeType.USAGE, 1234, BASIC),
        line(ChargeType.DISCOUNT, -500, BASIC, reduces=ChargeType.ONE_TIME),
        line(ChargeType.MINIMUM_SPEND_TOP_UP, 266, BASIC),
    ]
    bill = summarise(lines, cycle_of("2026-04"))
    assert dict(bill.by_charge_type) == {
        ChargeType.RECURRING: 2500,
        ChargeType.ONE_TIME: 10000,
        ChargeType.USAGE: 1234,
        ChargeType.DISCOUNT: -500,
        ChargeType.MINIMUM_SPEND_TOP_UP: 266,
    }
    assert bill.total_fen == 13500
    assert bill.period == "2026-04"
    # VAT 9 %: 206 + 826 (10000 × 9/109 = 825.69) + 102 (101.89) − 41 (−41.28) + 22 (21.96)
    # = 1115.
    assert [item.tax.shown_fen for item in bill.lines] == [206, 826, 102, -41, 22]
    assert bill.tax_fen == 1115


def test_usage_becomes_fen_once_half_up() -> None:
    # 12345 li = 1234.5 fen → 1235; 12344 li → 1234.
    source = SourceRef("ratingRun", "r1")
    assert (
        usage_line(product_id="p", total_li=12345, tax_category=BASIC, source=source).amount_fen
        == 1235
    )
    assert (
        usage_line(product_id="p", total_li=12344, tax_category=BASIC, source=source).amount_fen
        == 1234
    )
    with pytest.raises(BillingInputError):
        usage_line(product_id="p", total_li=-1, tax_category=BASIC, source=source)


def test_line_signs_are_checked() -> None:
    with pytest.raises(BillingInputError, match="charges are ≥ 0"):
        line(ChargeType.RECURRING, -1, BASIC)
    with pytest.raises(BillingInputError, match="≤ 0"):
        line(ChargeType.DISCOUNT, 1, BASIC)
    with pytest.raises(BillingInputError, match="cannot reduce"):
        line(ChargeType.USAGE, 1, BASIC, reduces=ChargeType.RECURRING)


def test_percentages_become_basis_points() -> None:
    # 10 % = 1000 bp; 9.5 % = 950 bp; "6" = 600 bp; finer than a basis point is refused.
    assert basis_points(10) == 1000
    assert basis_points(Decimal("9.5")) == 950
    assert basis_points("6") == 600
    with pytest.raises(BillingInputError):
        basis_points("9.555")
    with pytest.raises(BillingInputError):
        basis_points("ten")
