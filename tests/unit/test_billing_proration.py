"""Rentals from dated status and plan history: hand-worked cases (billing/proration.py).

Histories are written in Beijing local time (``bj``) and passed as UTC, as the inventory
stores them. Prices are the 2005 catalog's (catalog/ct2005.py): fixed line 25 yuan a month,
ADSL 2M 120 yuan a month, PHS 0.18 yuan a day, the fixed + ADSL bundle 120 yuan a month.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from openbss.billing.cycles import cycle_of
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeLine, ChargeType, SourceRef, Stretch, TaxCategory
from openbss.billing.proration import (
    RecurringPrice,
    RentalPeriod,
    StatusChange,
    daily_rental,
    monthly_share,
    rental_lines,
    replace_member_rentals,
)

BEIJING = ZoneInfo("Asia/Shanghai")
BASIC, VALUE_ADDED = TaxCategory.BASIC, TaxCategory.VALUE_ADDED

FIXED = RecurringPrice(
    price_id="CT-POP-FIXED-RENTAL",
    product_offering_id="CT-PO-FIXED-LOCAL",
    amount_fen=2500,
    period=RentalPeriod.MONTH,
    tax_category=BASIC,
    description_key="rental.fixed",
)
ADSL = RecurringPrice(
    price_id="CT-POP-ADSL-2M-MONTHLY",
    product_offering_id="CT-PO-ADSL-2M",
    amount_fen=12000,
    period=RentalPeriod.MONTH,
    tax_category=VALUE_ADDED,
    description_key="rental.adsl",
)
PHS = RecurringPrice(
    price_id="CT-POP-PHS-RENTAL",
    product_offering_id="CT-PO-PHS",
    amount_fen=18,
    period=RentalPeriod.DAY,
    tax_category=BASIC,
    description_key="rental.phs",
)
BUNDLE = RecurringPrice(
    price_id="CT-POP-BUNDLE-FIXED-ADSL",
    product_offering_id="CT-PO-BUNDLE-FIXED-ADSL",
    amount_fen=12000,
    period=RentalPeriod.MONTH,
    tax_category=BASIC,
    description_key="rental.bundle",
)


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def change(status: str, offering: str, at: datetime) -> StatusChange:
    return StatusChange(status=status, product_offering_id=offering, effective_at=at)


def amounts(lines: list[ChargeLine]) -> list[int]:
    return [line.amount_fen for line in lines]


def test_phs_active_10_days_of_a_30_day_cycle_pays_1_80_yuan() -> None:
    # June 2005 has 30 days. Activated 21 June 14:00: days 21–30 are charged = 10 days
    # (the activation day counts). 10 × 18 fen = 180 fen = 1.80 yuan.
    history = [change("active", "CT-PO-PHS", bj(2005, 6, 21, 14))]
    lines = rental_lines("phs-1", history, [PHS], cycle_of("2005-06"))
    assert amounts(lines) == [180]
    assert lines[0].stretch == Stretch(date(2005, 6, 21), date(2005, 6, 30))
    assert lines[0].stretch.days == 10


def test_adsl_ceased_on_the_16th_of_a_30_day_month_pays_15_30() -> None:
    # April 2005 has 30 days. Active since March; terminated 16 April 10:00: the cease day is
    # not charged, days 1–15 are. 12000 × 15 / 30 = 6000 fen exactly.
    history = [
        change("active", "CT-PO-ADSL-2M", bj(2005, 3, 3, 9)),
        change("terminated", "CT-PO-ADSL-2M", bj(2005, 4, 16, 10)),
    ]
    lines = rental_lines("adsl-1", history, [ADSL], cycle_of("2005-04"))
    assert amounts(lines) == [6000]
    assert lines[0].stretch == Stretch(date(2005, 4, 1), date(2005, 4, 15))


def test_a_cease_at_local_midnight_starts_with_the_day_it_opens() -> None:
    # Terminated exactly at 16 April 00:00 local (15 April 16:00 UTC): at the end of 15 April
    # the line was already ceased, so only days 1–14 are charged: 12000 × 14 / 30 = 5600.
    history = [
        change("active", "CT-PO-ADSL-2M", bj(2005, 3, 3, 9)),
        change("terminated", "CT-PO-ADSL-2M", bj(2005, 4, 15, 0)),
    ]
    assert amounts(rental_lines("adsl-1", history, [ADSL], cycle_of("2005-04"))) == [5600]


def test_a_product_activated_on_the_last_day_pays_one_day() -> None:
    # March 2005, 31 days; fixed line activated 31 March 09:00: one day (a, b] = (30, 31].
    # round(2500 × 31 / 31) − round(2500 × 30 / 31) = 2500 − round(2419.35) = 2500 − 2419 = 81
    # (2500 / 31 = 80.65 → 81).
    history = [change("active", "CT-PO-FIXED-LOCAL", bj(2005, 3, 31, 9))]
    lines = rental_lines("fixed-1", history, [FIXED], cycle_of("2005-03"))
    assert amounts(lines) == [81]
    assert lines[0].stretch == Stretch(date(2005, 3, 31), date(2005, 3, 31))


def test_suspended_five_days_of_a_31_day_month_is_not_charged() -> None:
    # January 2005, 31 days, ADSL 12000. Suspended 10 Jan 09:00, resumed 15 Jan 09:00: days
    # 10–14 end suspended (5 days), so two stretches: days (0, 9] and (14, 31].
    #   (0, 9]:  round(12000 × 9 / 31)  − 0 = round(3483.87) = 3484
    #   (14, 31]: 12000 − round(12000 × 14 / 31) = 12000 − round(5419.35) = 12000 − 5419 = 6581
    # Together 10065 = round(12000 × 26 / 31 = 10064.52).
    history = [
        change("active", "CT-PO-ADSL-2M", bj(2004, 11, 20, 9)),
        change("suspended", "CT-PO-ADSL-2M", bj(2005, 1, 10, 9)),
        change("active", "CT-PO-ADSL-2M", bj(2005, 1, 15, 9)),
    ]
    lines = rental_lines("adsl-1", history, [ADSL], cycle_of("2005-01"))
    assert amounts(lines) == [3484, 6581]
    assert [line.stretch for line in lines] == [
        Stretch(date(2005, 1, 1), date(2005, 1, 9)),
        Stretch(date(2005, 1, 15), date(2005, 1, 31)),
    ]


def test_suspension_is_charged_when_the_price_says_so() -> None:
    # The same history under a price whose suspended days are chargeable: one stretch of the
    # whole month, 12000.
    history = [
        change("active", "CT-PO-ADSL-2M", bj(2004, 11, 20, 9)),
        change("suspended", "CT-PO-ADSL-2M", bj(2005, 1, 10, 9)),
        change("active", "CT-PO-ADSL-2M", bj(2005, 1, 15, 9)),
    ]
    price = RecurringPrice(
        price_id="ADSL-KEEP",
        product_offering_id="CT-PO-ADSL-2M",
        amount_fen=12000,
        period=RentalPeriod.MONTH,
        tax_category=VALUE_ADDED,
        suspended_chargeable=True,
    )
    assert amounts(rental_lines("adsl-1", history, [price], cycle_of("2005-01"))) == [12000]


def test_a_plan_change_on_the_11th_charges_each_plan_for_its_own_days() -> None:
    # April 2005, 30 days. Fixed line on the 25-yuan plan, changed on 11 April 10:00 to a
    # 30-yuan plan: day 11 ends under the new plan. Old plan days (0, 10]:
    # round(2500 × 10 / 30 = 833.33) = 833; new plan days (10, 30]:
    # 3000 − round(3000 × 10 / 30) = 3000 − 1000 = 2000. Together 2833.
    richer = RecurringPrice(
        price_id="FIXED-30",
        product_offering_id="CT-PO-FIXED-PLUS",
        amount_fen=3000,
        period=RentalPeriod.MONTH,
        tax_category=BASIC,
    )
    history = [
        change("active", "CT-PO-FIXED-LOCAL", bj(2005, 1, 5, 9)),
        change("active", "CT-PO-FIXED-PLUS", bj(2005, 4, 11, 10)),
    ]
    lines = rental_lines("fixed-1", history, [FIXED, richer], cycle_of("2005-04"))
    assert amounts(lines) == [833, 2000]
    assert [line.source for line in lines] == [
        SourceRef("price", "CT-POP-FIXED-RENTAL"),
        SourceRef("price", "FIXED-30"),
    ]
    assert [line.stretch.days for line in lines if line.stretch] == [10, 20]


def test_an_activation_just_after_utc_midnight_of_the_28th_is_1_march_in_beijing() -> None:
    # 2026-02-28T16:30Z is 1 March 00:30 Beijing time. February 2026 (28 days) charges
    # nothing; March charges every day from the 1st: the whole 12000.
    history = [change("active", "CT-PO-ADSL-2M", datetime(2026, 2, 28, 16, 30, tzinfo=UTC))]
    assert rental_lines("adsl-1", history, [ADSL], cycle_of("2026-02")) == []
    lines = rental_lines("adsl-1", history, [ADSL], cycle_of("2026-03"))
    assert amounts(lines) == [12000]
    assert lines[0].stretch == Stretch(date(2026, 3, 1), date(2026, 3, 31))
    # An hour earlier (15:30Z = 28 Feb 23:30 local) February charges its last day:
    # 12000 − round(12000 × 27 / 28 = 11571.43) = 12000 − 11571 = 429.
    earlier = [change("active", "CT-PO-ADSL-2M", datetime(2026, 2, 28, 15, 30, tzinfo=UTC))]
    assert amounts(rental_lines("adsl-1", earlier, [ADSL], cycle_of("2026-02"))) == [429]


def test_february_of_a_leap_year_prorates_over_29_days() -> None:
    # February 2024 has 29 days. PHS all month: 29 × 18 = 522 fen.
    phs = [change("active", "CT-PO-PHS", bj(2023, 12, 1))]
    assert amounts(rental_lines("phs-1", phs, [PHS], cycle_of("2024-02"))) == [522]
    # ADSL activated 15 February: days (14, 29] = 15 days:
    # 12000 − round(12000 × 14 / 29 = 5793.10) = 12000 − 5793 = 6207.
    adsl = [change("active", "CT-PO-ADSL-2M", bj(2024, 2, 15, 11))]
    assert amounts(rental_lines("adsl-1", adsl, [ADSL], cycle_of("2024-02"))) == [6207]


def test_only_chargeable_states_are_charged() -> None:
    # Created 3 May, pendingActive 4 May, active 6 May 16:00: days 6–31 of May 2005 (31
    # days) = (5, 31]: 2500 − round(2500 × 5 / 31 = 403.23) = 2500 − 403 = 2097.
    history = [
        change("created", "CT-PO-FIXED-LOCAL", bj(2005, 5, 3, 10)),
        change("pendingActive", "CT-PO-FIXED-LOCAL", bj(2005, 5, 4, 10)),
        change("active", "CT-PO-FIXED-LOCAL", bj(2005, 5, 6, 16)),
    ]
    assert amounts(rental_lines("fixed-1", history, [FIXED], cycle_of("2005-05"))) == [2097]
    # A product terminated before the cycle charges nothing; nor does one with no history.
    ceased = [*history, change("terminated", "CT-PO-FIXED-LOCAL", bj(2005, 5, 20))]
    assert rental_lines("fixed-1", ceased, [FIXED], cycle_of("2005-06")) == []
    assert rental_lines("fixed-1", [], [FIXED], cycle_of("2005-06")) == []


def test_a_cease_being_provisioned_is_still_charged() -> None:
    # pendingTerminate from 20 June 2005, terminated 25 June: days 1–24 charged out of 30:
    # round(2500 × 24 / 30) = 2000.
    history = [
        change("active", "CT-PO-FIXED-LOCAL", bj(2005, 1, 5)),
        change("pendingTerminate", "CT-PO-FIXED-LOCAL", bj(2005, 6, 20, 9)),
        change("terminated", "CT-PO-FIXED-LOCAL", bj(2005, 6, 25, 9)),
    ]
    assert amounts(rental_lines("fixed-1", history, [FIXED], cycle_of("2005-06"))) == [2000]


def test_history_order_does_not_matter_and_simultaneous_records_keep_their_order() -> None:
    # The same April cease given backwards gives the same 6000; two records at one instant:
    # the later in the list is what held from then on.
    forwards = [
        change("active", "CT-PO-ADSL-2M", bj(2005, 3, 3, 9)),
        change("terminated", "CT-PO-ADSL-2M", bj(2005, 4, 16, 10)),
    ]
    cycle = cycle_of("2005-04")
    assert amounts(rental_lines("a", forwards[::-1], [ADSL], cycle)) == [6000]
    at = bj(2005, 4, 16, 10)
    both = [
        forwards[0],
        change("suspended", "CT-PO-ADSL-2M", at),
        change("active", "CT-PO-ADSL-2M", at),
    ]
    assert amounts(rental_lines("a", both, [ADSL], cycle)) == [12000]


def test_a_bundle_fee_replaces_its_members_rentals() -> None:
    # The fixed + ADSL bundle (120 yuan a month) replaces the fixed line's 25 yuan and the
    # ADSL's 120 yuan rentals; the fixed line's usage stays. April 2005, all active:
    # members 2500 + 12000 rental, usage 345; bundle fee 12000. Result: usage 345 + bundle
    # 12000 = 12345 instead of 14845.
    cycle = cycle_of("2005-04")
    fixed = rental_lines(
        "fixed-1", [change("active", "CT-PO-FIXED-LOCAL", bj(2005, 1, 5))], [FIXED], cycle
    )
    adsl = rental_lines(
        "adsl-1", [change("active", "CT-PO-ADSL-2M", bj(2005, 1, 5))], [ADSL], cycle
    )
    usage = ChargeLine(
        charge_type=ChargeType.USAGE,
        tax_category=BASIC,
        amount_fen=345,
        source=SourceRef("ratingRun", "run-2005-04"),
        description_key="usage.localCall",
        product_id="fixed-1",
    )
    bundle = rental_lines(
        "bundle-1", [change("active", "CT-PO-BUNDLE-FIXED-ADSL", bj(2005, 1, 5))], [BUNDLE], cycle
    )
    lines = replace_member_rentals(
        [*fixed, *adsl, usage],
        bundle,
        frozenset({"CT-POP-FIXED-RENTAL", "CT-POP-ADSL-2M-MONTHLY"}),
    )
    assert [(line.product_id, line.amount_fen) for line in lines] == [
        ("fixed-1", 345),
        ("bundle-1", 12000),
    ]
    assert sum(amounts(lines)) == 12345
    # A member rental the bundle does not replace stays.
    kept = replace_member_rentals(fixed, bundle, frozenset({"CT-POP-ADSL-2M-MONTHLY"}))
    assert amounts(kept) == [2500, 12000]


def test_monthly_share_and_daily_rental_directly() -> None:
    # 2500 over 31 days split (0, 10], (10, 20], (20, 31]:
    # round(806.45) = 806; round(1612.90) − 806 = 1613 − 806 = 807; 2500 − 1613 = 887.
    assert [monthly_share(2500, 0, 10, 31), monthly_share(2500, 10, 20, 31)] == [806, 807]
    assert monthly_share(2500, 20, 31, 31) == 887
    assert 806 + 807 + 887 == 2500
    # Half a fen rounds up: 1 fen × 1 / 2 = 0.5 → 1.
    assert monthly_share(1, 0, 1, 2) == 1
    assert daily_rental(18, 31) == 558
    with pytest.raises(BillingInputError):
        monthly_share(2500, 5, 4, 31)
    with pytest.raises(BillingInputError):
        monthly_share(2500, 0, 32, 31)


def test_bad_history_is_refused() -> None:
    naive = [StatusChange("active", "CT-PO-PHS", datetime(2005, 6, 21))]
    with pytest.raises(BillingInputError, match="aware"):
        rental_lines("phs-1", naive, [PHS], cycle_of("2005-06"))
    with pytest.raises(BillingInputError):
        RecurringPrice(
            price_id="x",
            product_offering_id="o",
            amount_fen=-1,
            period=RentalPeriod.DAY,
            tax_category=BASIC,
        )
