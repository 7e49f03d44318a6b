"""Bill cycles: calendar months in province time, issue day and due date (billing/cycles.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from openbss.billing.cycles import (
    BillCycle,
    cycle_containing,
    cycle_of,
    due_date,
    issue_date,
    next_cycle,
)
from openbss.billing.errors import BillingInputError
from openbss.kit.errors import Unprocessable


def test_a_cycle_is_the_calendar_month_in_beijing_time() -> None:
    # March 2026 in Asia/Shanghai (UTC+8, no DST): 1 March 00:00 local is 28 Feb 16:00 UTC,
    # 1 April 00:00 local is 31 March 16:00 UTC; 31 days.
    cycle = cycle_of("2026-03")
    assert cycle.period == "2026-03"
    assert cycle.start_utc == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert cycle.end_utc == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert (cycle.first_day, cycle.last_day, cycle.days) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        31,
    )


def test_february_of_a_leap_year_has_29_days() -> None:
    # 2024 is divisible by 4 and not by 100: 29 days; 2023 has 28; 2000 (divisible by 400) 29.
    assert cycle_of("2024-02").days == 29
    assert cycle_of("2024-02").last_day == date(2024, 2, 29)
    assert cycle_of("2023-02").days == 28
    assert cycle_of("2000-02").days == 29


def test_the_time_zone_is_a_parameter() -> None:
    # The same month in UTC starts at UTC midnight.
    cycle = cycle_of("2005-01", "UTC")
    assert cycle.start_utc == datetime(2005, 1, 1, tzinfo=UTC)
    assert cycle.end_utc == datetime(2005, 2, 1, tzinfo=UTC)


def test_an_instant_belongs_to_the_cycle_of_its_local_date() -> None:
    # 2026-02-28T16:30Z is 1 March 00:30 in Beijing: the March cycle; half an hour earlier
    # (15:59:59Z = 28 Feb 23:59:59 local) is still February.
    assert cycle_containing(datetime(2026, 2, 28, 16, 30, tzinfo=UTC)).period == "2026-03"
    assert cycle_containing(datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC)).period == "2026-02"
    # The same instant in UTC's own calendar is still February.
    assert cycle_containing(datetime(2026, 2, 28, 16, 30, tzinfo=UTC), "UTC").period == "2026-02"
    # An instant given with another offset means the same moment.
    plus_eight = timezone(timedelta(hours=8))
    assert cycle_containing(datetime(2026, 3, 1, 0, 30, tzinfo=plus_eight)).period == "2026-03"


def test_issue_day_is_in_the_following_month_and_due_date_adds_the_terms() -> None:
    # Cycle 2026-03 with billCycleDay 5: issued 5 April 2026; due 15 days later, 20 April.
    cycle = cycle_of("2026-03")
    issued = issue_date(cycle, 5)
    assert issued == date(2026, 4, 5)
    assert due_date(issued) == date(2026, 4, 20)
    # With 30-day terms: 5 April + 30 days = 5 May.
    assert due_date(issued, 30) == date(2026, 5, 5)


def test_a_december_cycle_is_issued_in_january_of_the_next_year() -> None:
    # Cycle 2005-12, day 28: issued 28 January 2006; + 15 days = 12 February 2006.
    issued = issue_date(cycle_of("2005-12"), 28)
    assert issued == date(2006, 1, 28)
    assert due_date(issued) == date(2006, 2, 12)
    assert next_cycle(cycle_of("2005-12")).period == "2006-01"


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-00", "2026-3", "26-03", "2026/03", "", "1899-12"]
)
def test_bad_periods_are_refused(period: str) -> None:
    with pytest.raises(BillingInputError, match="bill period"):
        cycle_of(period)


@pytest.mark.parametrize("day", [0, 29, 31, -1, True])
def test_bill_cycle_day_must_be_1_to_28(day: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 28"):
        issue_date(cycle_of("2026-03"), day)


def test_other_bad_inputs_are_refused_clearly() -> None:
    with pytest.raises(BillingInputError, match="aware"):
        cycle_containing(datetime(2026, 3, 1))
    with pytest.raises(BillingInputError, match="unknown time zone"):
        cycle_of("2026-03", "Mars/Olympus_Mons")
    with pytest.raises(BillingInputError, match="payment terms"):
        due_date(date(2026, 4, 5), -1)
    # The error is the product's own, with a stable code, as well as a ValueError.
    with pytest.raises(Unprocessable) as caught:
        cycle_of("2026-13")
    assert caught.value.code == "INVALID_BILLING_INPUT"


def test_a_cycle_is_plain_frozen_data() -> None:
    cycle = cycle_of("2026-03")
    assert isinstance(cycle, BillCycle)
    assert cycle == cycle_of("2026-03")
    assert cycle.day_start_utc(date(2026, 3, 2)) == datetime(2026, 3, 1, 16, tzinfo=UTC)
