"""The collections policy's maths, worked by hand: late fees (3‰ a day, rounding, grace, cap,
catch-up of missed days as of each day's opening), treatment thresholds and credit barring."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.payments.dunning import policy
from openbss.payments.dunning.policy import (
    Barring,
    CreditRule,
    LateFeeRule,
    OverdueBill,
    PolicyError,
    barring_for,
    cease_due,
    fee_for_day,
    late_fees,
    overdue_on,
    suspension_due,
    version_on,
)

RULE = LateFeeRule(per_mille_per_day=3, grace_days=0, cap_percent_of_overdue=100)
NO_CAP = replace(RULE, cap_percent_of_overdue=0)
DUE = date(2026, 5, 20)


def test_the_shipped_policy_is_the_regulation() -> None:
    version = version_on("GD", date(2026, 6, 1))
    assert version.late_fee.per_mille_per_day == 3
    assert version.treatment.suspend_after_days == 30
    assert version.treatment.cease_after_suspended_days == 60
    assert "government" in version.treatment.exempt_customer_categories
    assert [r.days_past_due for r in version.reminders] == [1, 15, 25]
    zh, en = version.reminders[0].text("ACC-1", 14_500)
    assert "145.00" in zh and "145.00" in en and "ACC-1" in en
    with pytest.raises(PolicyError):
        version_on("GD", date(1999, 1, 1))


def test_a_province_version_wins_over_the_group_one_from_its_date() -> None:
    group = version_on("GD", date(2026, 1, 1))
    own = replace(group, province="SH", effective_from=date(2026, 3, 1))
    versions = (group, own)
    assert version_on("SH", date(2026, 2, 28), versions) is group
    assert version_on("SH", date(2026, 3, 1), versions) is own
    assert version_on("GD", date(2026, 3, 1), versions) is group


def test_one_day_fee_by_hand() -> None:
    assert fee_for_day(14_500, 0, RULE) == 44  # 43.5 fen rounds half up
    assert fee_for_day(10_000, 0, RULE) == 30
    assert fee_for_day(166, 0, RULE) == 0  # 0.498 fen
    assert fee_for_day(167, 0, RULE) == 1  # 0.501 fen
    assert fee_for_day(0, 0, RULE) == 0
    # The cap: outstanding fees never exceed the overdue principal.
    assert fee_for_day(10_000, 9_990, RULE) == 10
    assert fee_for_day(10_000, 10_000, RULE) == 0
    assert fee_for_day(10_000, 10_000, NO_CAP) == 30


def test_grace_days_and_the_day_a_bill_becomes_overdue() -> None:
    bill = OverdueBill(DUE, 10_000)
    assert overdue_on([bill], DUE, 0) == 0  # due today: not yet overdue
    assert overdue_on([bill], DUE + timedelta(days=1), 0) == 10_000
    assert overdue_on([bill], DUE + timedelta(days=3), 3) == 0
    assert overdue_on([bill], DUE + timedelta(days=4), 3) == 10_000


def test_missed_days_are_caught_up_on_what_was_open_each_morning() -> None:
    # 10,000 fen due 20 May; 4,000 paid on 23 May; the job missed 21-25 May.
    bill = OverdueBill(DUE, 10_000, ((date(2026, 5, 23), 4_000),))
    fees = late_fees([bill], date(2026, 5, 21), date(2026, 5, 25), 0, lambda _: RULE)
    assert fees == [
        (date(2026, 5, 21), 30, 10_000),
        (date(2026, 5, 22), 30, 10_000),
        (date(2026, 5, 23), 30, 10_000),  # paid during the 23rd: the morning still owed it
        (date(2026, 5, 24), 18, 6_000),
        (date(2026, 5, 25), 18, 6_000),
    ]


def test_a_rate_change_applies_from_its_day() -> None:
    lower = replace(RULE, per_mille_per_day=1)
    bill = OverdueBill(DUE, 10_000)

    def rule_on(day: date) -> LateFeeRule:
        return lower if day >= date(2026, 5, 23) else RULE

    fees = late_fees([bill], date(2026, 5, 21), date(2026, 5, 24), 0, rule_on)
    assert [fee for _, fee, _ in fees] == [30, 30, 10, 10]


@given(
    amounts=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=4),
    days=st.integers(1, 400),
)
def test_fees_are_whole_fen_and_never_exceed_the_cap(amounts: list[int], days: int) -> None:
    bills = [OverdueBill(DUE, amount) for amount in amounts]
    start = DUE + timedelta(days=1)
    fees = late_fees(bills, start, start + timedelta(days=days - 1), 0, lambda _: RULE)
    total = sum(fee for _, fee, _ in fees)
    assert all(isinstance(fee, int) and fee > 0 for _, fee, _ in fees)
    assert total <= sum(amounts)
    uncapped = late_fees(bills, start, start + timedelta(days=days - 1), 0, lambda _: NO_CAP)
    assert total <= sum(fee for _, fee, _ in uncapped)


def test_treatment_thresholds() -> None:
    treatment = version_on("GD", date(2026, 6, 1)).treatment
    assert not suspension_due(None, treatment)
    assert not suspension_due(29, treatment)
    assert suspension_due(30, treatment)
    suspended = date(2026, 6, 19)
    assert not cease_due(suspended, suspended + timedelta(days=59), treatment)
    assert cease_due(suspended, suspended + timedelta(days=60), treatment)
    assert not cease_due(None, suspended, treatment)
    reminders = version_on("GD", date(2026, 6, 1)).reminders
    assert [r.days_past_due for r in policy.reminders_due(reminders, 16)] == [1, 15]


def test_credit_barring_thresholds() -> None:
    rule = CreditRule(outgoing_bar_percent=100, full_bar_percent=120)
    assert barring_for(10_000, 10_000, rule) == Barring.NONE  # at the limit: still fine
    assert barring_for(10_001, 10_000, rule) == Barring.OUTGOING
    assert barring_for(12_000, 10_000, rule) == Barring.OUTGOING
    assert barring_for(12_001, 10_000, rule) == Barring.FULL
    assert barring_for(1_000_000, None, rule) == Barring.NONE  # no limit, no control


def test_a_malformed_policy_is_refused() -> None:
    with pytest.raises(PolicyError):
        policy.parse_policy({})
    with pytest.raises(PolicyError):
        policy.parse_policy({"version": [{"effective_from": date(2026, 1, 1)}]})
