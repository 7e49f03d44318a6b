"""Discounts, caps and minimum spend in their order: hand-worked cases (billing/discounts.py)."""

from __future__ import annotations

import pytest

from openbss.billing.discounts import (
    AccountDiscount,
    Cap,
    MinimumSpend,
    ProductDiscount,
    apply_account_discount,
    apply_cap,
    apply_discounts,
    apply_minimum_spend,
    apply_product_discount,
)
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeLine, ChargeType, NetKey, SourceRef, TaxCategory, net_by_key

BASIC, VALUE_ADDED = TaxCategory.BASIC, TaxCategory.VALUE_ADDED
RECURRING, USAGE, ONE_TIME = ChargeType.RECURRING, ChargeType.USAGE, ChargeType.ONE_TIME


def charge(
    product: str, charge_type: ChargeType, fen: int, category: TaxCategory = BASIC
) -> ChargeLine:
    return ChargeLine(
        charge_type=charge_type,
        tax_category=category,
        amount_fen=fen,
        source=SourceRef("price", f"{product}-{charge_type}"),
        description_key=str(charge_type),
        product_id=product,
    )


def added(before: list[ChargeLine], after: list[ChargeLine]) -> list[tuple[str | None, int]]:
    """The lines a step added, as (product, amount)."""
    assert after[: len(before)] == before
    return [(line.product_id, line.amount_fen) for line in after[len(before) :]]


def test_a_percentage_discount_on_usage_only() -> None:
    # Fixed line: rental 2500, usage 1234. 10 % off usage: round(1234 × 1000 / 10000 = 123.4)
    # = 123 → one line of −123 against usage; the rental keeps its 2500.
    lines = [charge("fixed-1", RECURRING, 2500), charge("fixed-1", USAGE, 1234)]
    discount = ProductDiscount(
        discount_id="usage-10",
        product_ids=frozenset({"fixed-1"}),
        basis_points=1000,
        charge_types=frozenset({USAGE}),
    )
    result = apply_product_discount(lines, discount)
    assert added(lines, result) == [("fixed-1", -123)]
    assert result[-1].discounted_type is USAGE
    assert result[-1].source == SourceRef("discount", "usage-10")
    assert net_by_key(result)[NetKey("fixed-1", USAGE, BASIC)] == 1111


def test_a_percentage_rounds_half_up_to_fen() -> None:
    # 10 % of 1235 = 123.5 → 124; 10 % of 1225 = 122.5 → 123 (not to even).
    for fen, off in [(1235, -124), (1225, -123)]:
        lines = [charge("p", USAGE, fen)]
        discount = ProductDiscount(discount_id="d", product_ids=frozenset({"p"}), basis_points=1000)
        assert added(lines, apply_product_discount(lines, discount)) == [("p", off)]


def test_a_fixed_discount_larger_than_the_line_is_bounded() -> None:
    # 50 yuan off a 25-yuan rental: the discount line is −2500, the net 0, not −2500.
    lines = [charge("fixed-1", RECURRING, 2500)]
    discount = ProductDiscount(
        discount_id="fifty", product_ids=frozenset({"fixed-1"}), fixed_fen=5000
    )
    result = apply_product_discount(lines, discount)
    assert added(lines, result) == [("fixed-1", -2500)]
    assert sum(line.amount_fen for line in result) == 0


def test_a_fixed_discount_is_spent_on_the_products_in_line_order() -> None:
    # 30 yuan off a bundle's members: fixed-1 rental 2500 takes 2500, adsl-1 rental 12000
    # takes the remaining 500.
    lines = [charge("fixed-1", RECURRING, 2500), charge("adsl-1", RECURRING, 12000, VALUE_ADDED)]
    discount = ProductDiscount(
        discount_id="d", product_ids=frozenset({"fixed-1", "adsl-1"}), fixed_fen=3000
    )
    result = apply_product_discount(lines, discount)
    assert added(lines, result) == [("fixed-1", -2500), ("adsl-1", -500)]
    # The ADSL part of the discount is in the ADSL's tax category.
    assert result[-1].tax_category is VALUE_ADDED


def test_a_product_discount_leaves_other_products_alone() -> None:
    lines = [charge("fixed-1", RECURRING, 2500), charge("phs-1", RECURRING, 540)]
    discount = ProductDiscount(discount_id="d", product_ids=frozenset({"phs-1"}), basis_points=5000)
    # 50 % of 540 = 270, only on phs-1.
    assert added(lines, apply_product_discount(lines, discount)) == [("phs-1", -270)]


def test_an_enterprise_discount_takes_a_percentage_of_every_net() -> None:
    # 5 % off an account with rental 2500, usage 1234 and an installation fee of 10000:
    # round(125) = 125; round(61.7) = 62; round(500) = 500 → −125, −62, −500.
    lines = [
        charge("fixed-1", RECURRING, 2500),
        charge("fixed-1", USAGE, 1234),
        charge("fixed-1", ONE_TIME, 10000),
    ]
    result = apply_account_discount(lines, AccountDiscount(discount_id="ent-5", basis_points=500))
    assert added(lines, result) == [("fixed-1", -125), ("fixed-1", -62), ("fixed-1", -500)]
    assert [line.discounted_type for line in result[3:]] == [RECURRING, USAGE, ONE_TIME]


def test_an_enterprise_discount_applies_to_the_net_after_product_discounts() -> None:
    # Bundle 12000 with the bundle's 10 % off: −1200, net 10800; then the enterprise 5 %:
    # 5 % of 10800 = 540 (not 5 % of 12000 = 600). Paid 12000 − 1200 − 540 = 10260.
    lines = [charge("bundle-1", RECURRING, 12000)]
    result = apply_discounts(
        lines,
        product_discounts=[
            ProductDiscount(
                discount_id="bundle-10", product_ids=frozenset({"bundle-1"}), basis_points=1000
            )
        ],
        account_discount=AccountDiscount(discount_id="ent-5", basis_points=500),
    )
    assert added(lines, result) == [("bundle-1", -1200), ("bundle-1", -540)]
    assert sum(line.amount_fen for line in result) == 10260


def test_a_cap_applied_after_a_discount() -> None:
    # Mobile usage 600 yuan (60000 fen), 10 % off usage → −6000, net 54000; a 500-yuan usage
    # cap (封顶) then discounts the excess 54000 − 50000 = 4000. Paid: exactly 50000.
    # (Capping first would have paid 50000 − 5000 = 45000: the order is the rule.)
    lines = [charge("mobile-1", USAGE, 60000)]
    result = apply_discounts(
        lines,
        product_discounts=[
            ProductDiscount(
                discount_id="usage-10",
                product_ids=frozenset({"mobile-1"}),
                basis_points=1000,
                charge_types=frozenset({USAGE}),
            )
        ],
        caps=[Cap(cap_id="cap-500", cap_fen=50000, charge_types=frozenset({USAGE}))],
    )
    assert added(lines, result) == [("mobile-1", -6000), ("mobile-1", -4000)]
    assert result[-1].source == SourceRef("cap", "cap-500")
    assert result[-1].charge_type is ChargeType.DISCOUNT
    assert sum(line.amount_fen for line in result) == 50000


def test_a_cap_below_its_net_does_nothing_and_a_cap_of_another_product_is_ignored() -> None:
    lines = [charge("adsl-1", USAGE, 9000)]
    cap = Cap(cap_id="c", cap_fen=12000, charge_types=frozenset({USAGE}))
    assert apply_cap(lines, cap) == lines
    other = Cap(
        cap_id="c", cap_fen=0, charge_types=frozenset({USAGE}), product_ids=frozenset({"x"})
    )
    assert apply_cap(lines, other) == lines


def test_a_cap_across_two_tax_categories_is_shared_in_proportion() -> None:
    # Voice usage 30000 (basic) + data usage 10000 (value-added), account cap 20000: excess
    # 20000 shared 30000 : 10000 → round(20000 × 30000 / 40000) = 15000, then 20000 − 15000 =
    # 5000. The discount of each category stays in its category.
    lines = [charge("m", USAGE, 30000, BASIC), charge("m", USAGE, 10000, VALUE_ADDED)]
    result = apply_cap(lines, Cap(cap_id="c", cap_fen=20000, charge_types=frozenset({USAGE})))
    assert [(line.tax_category, line.amount_fen) for line in result[2:]] == [
        (BASIC, -15000),
        (VALUE_ADDED, -5000),
    ]


def test_a_minimum_spend_tops_up_the_shortfall() -> None:
    # A 38-yuan minimum (保底) on a PHS: rental 30 days × 18 = 540, usage 2760: 3300 < 3800 →
    # a top-up of 500.
    lines = [charge("phs-1", RECURRING, 540), charge("phs-1", USAGE, 2760)]
    minimum = MinimumSpend(
        minimum_id="min-38", minimum_fen=3800, tax_category=BASIC, product_id="phs-1"
    )
    result = apply_minimum_spend(lines, minimum)
    assert added(lines, result) == [("phs-1", 500)]
    assert result[-1].charge_type is ChargeType.MINIMUM_SPEND_TOP_UP
    assert sum(line.amount_fen for line in result) == 3800
    # A spend at or above the minimum adds nothing.
    enough = [charge("phs-1", RECURRING, 540), charge("phs-1", USAGE, 3260)]
    assert apply_minimum_spend(enough, minimum) == enough


def test_a_minimum_spend_is_measured_after_discounts() -> None:
    # Rental 2500 + usage 1500; 20 % off usage = −300; net 3700 below the 3800 minimum →
    # top-up 100, not 0 (which gross 4000 would have suggested).
    lines = [charge("f", RECURRING, 2500), charge("f", USAGE, 1500)]
    result = apply_discounts(
        lines,
        product_discounts=[
            ProductDiscount(
                discount_id="d",
                product_ids=frozenset({"f"}),
                basis_points=2000,
                charge_types=frozenset({USAGE}),
            )
        ],
        minimum_spends=[MinimumSpend(minimum_id="m", minimum_fen=3800, tax_category=BASIC)],
    )
    assert added(lines, result) == [("f", -300), (None, 100)]
    assert sum(line.amount_fen for line in result) == 3800


def test_discount_definitions_are_checked() -> None:
    with pytest.raises(BillingInputError, match="not both"):
        ProductDiscount(discount_id="d", product_ids=frozenset(), basis_points=100, fixed_fen=1)
    with pytest.raises(BillingInputError, match="not both or neither"):
        ProductDiscount(discount_id="d", product_ids=frozenset())
    with pytest.raises(BillingInputError, match="0 to 100"):
        AccountDiscount(discount_id="d", basis_points=10001)
    with pytest.raises(BillingInputError, match="not charges"):
        Cap(cap_id="c", cap_fen=1, charge_types=frozenset({ChargeType.DISCOUNT}))
    with pytest.raises(BillingInputError):
        MinimumSpend(minimum_id="m", minimum_fen=-1, tax_category=BASIC)
