"""Invariants of billing's maths, over generated data (hypothesis)."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal, localcontext
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from openbss.billing.arithmetic import cumulative_shares, divide_rounded
from openbss.billing.cycles import BillCycle, cycle_of
from openbss.billing.discounts import (
    AccountDiscount,
    Cap,
    MinimumSpend,
    ProductDiscount,
    apply_discounts,
)
from openbss.billing.lines import (
    CHARGE_TYPES,
    DISCOUNTABLE_TYPES,
    ChargeLine,
    ChargeType,
    SourceRef,
    TaxCategory,
    net_by_key,
)
from openbss.billing.proration import (
    RecurringPrice,
    RentalPeriod,
    StatusChange,
    monthly_share,
    rental_lines,
)
from openbss.billing.tax import TAX_REGIMES, TaxKind, TaxRegime, line_tax
from openbss.billing.totals import summarise
from openbss.kit.money import RoundingRule

PERIODS = st.builds(
    lambda year, month: f"{year:04d}-{month:02d}",
    st.integers(min_value=2000, max_value=2035),
    st.integers(min_value=1, max_value=12),
)
CYCLES = PERIODS.map(cycle_of)
MONTHLY = st.integers(min_value=0, max_value=10**9)
PRODUCTS = st.sampled_from(["fixed-1", "adsl-1", "phs-1"])
CATEGORIES = st.sampled_from(list(TaxCategory))
TYPES = st.sampled_from(sorted(DISCOUNTABLE_TYPES))


@st.composite
def cycle_splits(draw: st.DrawFn) -> tuple[BillCycle, list[int]]:
    cycle = draw(CYCLES)
    cuts = draw(st.lists(st.integers(min_value=1, max_value=cycle.days - 1), max_size=8))
    return cycle, [0, *sorted(set(cuts)), cycle.days]


@given(MONTHLY, cycle_splits())
def test_any_split_of_a_cycle_sums_to_the_monthly_rental(
    monthly: int, split: tuple[BillCycle, list[int]]
) -> None:
    cycle, bounds = split
    parts = [monthly_share(monthly, a, b, cycle.days) for a, b in pairwise(bounds)]
    assert sum(parts) == monthly
    assert all(part >= 0 for part in parts)


@given(MONTHLY, cycle_splits(), st.data())
def test_rental_lines_of_a_history_always_in_service_sum_to_the_month(
    monthly: int, split: tuple[BillCycle, list[int]], data: st.DataObject
) -> None:
    # Active before the cycle, then a change of status on every cut (active, suspended or
    # pendingTerminate, all chargeable under this price): the stretches add up to the month.
    cycle, bounds = split
    price = RecurringPrice(
        price_id="p",
        product_offering_id="o",
        amount_fen=monthly,
        period=RentalPeriod.MONTH,
        tax_category=TaxCategory.BASIC,
        suspended_chargeable=True,
    )
    history = [StatusChange("active", "o", cycle.start_utc - timedelta(days=3))]
    for cut in bounds[1:-1]:
        status = data.draw(st.sampled_from(["active", "suspended", "pendingTerminate"]))
        at = cycle.day_start_utc(cycle.first_day + timedelta(days=cut)) + timedelta(hours=5)
        history.append(StatusChange(status, "o", at))
    lines = rental_lines("x", history, [price], cycle)
    assert sum(line.amount_fen for line in lines) == monthly
    if monthly >= cycle.days:  # every stretch is worth at least a fen, so none is left out
        assert sum(line.stretch.days for line in lines if line.stretch) == cycle.days


@given(
    MONTHLY,
    CYCLES,
    st.lists(st.sampled_from(["active", "suspended", "terminated"]), min_size=1, max_size=6),
    st.data(),
)
def test_rental_never_exceeds_the_month_and_counts_charged_days(
    monthly: int, cycle: BillCycle, statuses: list[str], data: st.DataObject
) -> None:
    days = sorted(
        data.draw(
            st.lists(st.integers(0, cycle.days - 1), min_size=len(statuses), max_size=len(statuses))
        )
    )
    history = [
        StatusChange(
            status, "o", cycle.day_start_utc(cycle.first_day + timedelta(days=day)).astimezone(UTC)
        )
        for status, day in zip(statuses, days, strict=True)
    ]
    price = RecurringPrice(
        price_id="p",
        product_offering_id="o",
        amount_fen=monthly,
        period=RentalPeriod.MONTH,
        tax_category=TaxCategory.BASIC,
    )
    lines = rental_lines("x", history, [price], cycle)
    assert 0 <= sum(line.amount_fen for line in lines) <= monthly


@st.composite
def charges(draw: st.DrawFn) -> list[ChargeLine]:
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        charge_type = draw(TYPES)
        lines.append(
            ChargeLine(
                charge_type=charge_type,
                tax_category=draw(CATEGORIES),
                amount_fen=draw(st.integers(min_value=0, max_value=10**7)),
                source=SourceRef("price", "x"),
                description_key="k",
                product_id=draw(PRODUCTS),
            )
        )
    return lines


BASIS_POINTS = st.integers(min_value=0, max_value=10_000)
TYPE_SETS = st.frozensets(TYPES, min_size=1)
PRODUCT_DISCOUNTS = st.one_of(
    st.builds(
        ProductDiscount,
        discount_id=st.just("pd"),
        product_ids=st.frozensets(PRODUCTS, min_size=1),
        basis_points=BASIS_POINTS,
        charge_types=TYPE_SETS,
    ),
    st.builds(
        ProductDiscount,
        discount_id=st.just("fd"),
        product_ids=st.frozensets(PRODUCTS, min_size=1),
        fixed_fen=st.integers(min_value=0, max_value=10**7),
        charge_types=TYPE_SETS,
    ),
)
CAPS = st.builds(
    Cap,
    cap_id=st.just("cap"),
    cap_fen=st.integers(min_value=0, max_value=10**7),
    charge_types=TYPE_SETS,
    product_ids=st.none() | st.frozensets(PRODUCTS, min_size=1),
)


@given(
    charges(),
    st.lists(PRODUCT_DISCOUNTS, max_size=3),
    st.none() | st.builds(AccountDiscount, discount_id=st.just("ad"), basis_points=BASIS_POINTS),
    st.lists(CAPS, max_size=2),
    st.integers(min_value=0, max_value=10**7),
)
def test_no_discount_takes_a_net_below_zero(
    lines: list[ChargeLine],
    product_discounts: list[ProductDiscount],
    account_discount: AccountDiscount | None,
    caps: list[Cap],
    minimum: int,
) -> None:
    result = apply_discounts(
        lines,
        product_discounts=product_discounts,
        account_discount=account_discount,
        caps=caps,
        minimum_spends=[
            MinimumSpend(minimum_id="m", minimum_fen=minimum, tax_category=TaxCategory.BASIC)
        ],
    )
    assert result[: len(lines)] == lines
    assert all(net >= 0 for net in net_by_key(result).values())
    assert all(line.amount_fen != 0 for line in result[len(lines) :])
    # The counted net (rentals and usage) with its top-up reaches the minimum.
    counted = sum(
        net
        for key, net in net_by_key(result).items()
        if key.charge_type
        in {ChargeType.RECURRING, ChargeType.USAGE, ChargeType.MINIMUM_SPEND_TOP_UP}
    )
    assert counted >= minimum


@given(charges(), st.lists(PRODUCT_DISCOUNTS, max_size=2), CAPS)
def test_a_cap_brings_its_net_down_to_the_cap_exactly(
    lines: list[ChargeLine], product_discounts: list[ProductDiscount], cap: Cap
) -> None:
    before = apply_discounts(lines, product_discounts=product_discounts)
    after = apply_discounts(before, caps=[cap])

    def capped_net(some: list[ChargeLine]) -> int:
        return sum(
            net
            for key, net in net_by_key(some).items()
            if key.charge_type in cap.charge_types
            and (cap.product_ids is None or key.product_id in cap.product_ids)
        )

    assert capped_net(after) == min(capped_net(before), cap.cap_fen)


@given(charges(), st.data(), PERIODS)
def test_bill_items_sum_to_the_total(
    lines: list[ChargeLine], data: st.DataObject, period: str
) -> None:
    discounted = apply_discounts(
        lines,
        account_discount=AccountDiscount(discount_id="a", basis_points=data.draw(BASIS_POINTS)),
    )
    credit = ChargeLine(
        charge_type=ChargeType.CREDIT,
        tax_category=TaxCategory.BASIC,
        amount_fen=-data.draw(st.integers(min_value=0, max_value=10**6)),
        source=SourceRef("adjustment", "adj-1"),
        description_key="credit",
    )
    bill = summarise([*discounted, credit], cycle_of(period))
    assert bill.total_fen == sum(item.line.amount_fen for item in bill.lines)
    assert bill.total_fen == sum(bill.by_charge_type.values())
    assert bill.tax_fen == sum(item.tax.shown_fen for item in bill.lines)
    assert bill.tax_fen == sum(bill.tax_by_category.values())
    assert bill.business_tax_fen == sum(item.tax.business_tax_fen for item in bill.lines)


@given(
    st.integers(min_value=0, max_value=10**12),
    CATEGORIES,
    st.sampled_from(TAX_REGIMES),
    st.sampled_from(sorted(CHARGE_TYPES)),
)
def test_tax_of_a_positive_line_is_within_its_amount_and_mirrors_for_discounts(
    amount: int, category: TaxCategory, regime: TaxRegime, charge_type: ChargeType
) -> None:
    positive = ChargeLine(
        charge_type=charge_type,
        tax_category=category,
        amount_fen=amount,
        source=SourceRef("price", "x"),
        description_key="k",
    )
    negative = ChargeLine(
        charge_type=ChargeType.DISCOUNT,
        tax_category=category,
        amount_fen=-amount,
        source=SourceRef("discount", "x"),
        description_key="k",
        discounted_type=charge_type,
    )
    tax = line_tax(positive, regime)
    assert 0 <= tax.shown_fen <= amount
    assert 0 <= tax.business_tax_fen <= amount
    if regime.kind is TaxKind.BUSINESS_TAX:
        assert tax.shown_fen == 0
    assert line_tax(negative, regime).shown_fen == -tax.shown_fen
    assert line_tax(negative, regime).business_tax_fen == -tax.business_tax_fen


@given(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=1, max_value=10**12),
    st.sampled_from(list(RoundingRule)),
)
def test_divide_rounded_matches_decimal_rounding(
    numerator: int, denominator: int, rule: RoundingRule
) -> None:
    with localcontext() as context:
        context.prec = 80
        expected = int(
            (Decimal(numerator) / Decimal(denominator)).quantize(
                Decimal(1), rounding=rule.decimal_mode
            )
        )
    assert divide_rounded(numerator, denominator, rule) == expected


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1),
)
def test_cumulative_shares_add_up_and_stay_within_one_of_exact(
    total: int, weights: list[int]
) -> None:
    if sum(weights) == 0:
        weights = [*weights, 1]
    parts = cumulative_shares(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part * whole - total * weight) <= whole
