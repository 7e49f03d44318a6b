"""China's public holidays and adjusted working days as reference data.

The days are generated from the ``chinese-calendar`` package (scripts/generate_cn_holidays.py);
these tests hold the generated rows to the package and to the State Council notices they
transcribe for the years the product's cases use.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from chinese_calendar.constants import holidays as source_holidays
from chinese_calendar.constants import workdays as source_workdays

from openbss.rating.contract import DayType
from openbss.rating.ct2005 import CN_CALENDAR, CN_CALENDAR_2005
from openbss.rating.seed import calendar_with_new_years
from openbss.refdata.calendars import (
    CN_HOLIDAYS_SOURCE,
    CN_PUBLIC_HOLIDAYS,
    PublicHolidays,
    cn_public_holidays,
)


def _span(first: date, days: int) -> set[date]:
    return {first + timedelta(days=n) for n in range(days)}


def test_generated_rows_are_the_packages_days() -> None:
    """Regenerate after upgrading the package: a stale file fails here."""
    assert f"chinese-calendar {chinese_calendar.__version__}" == CN_HOLIDAYS_SOURCE
    assert cn_public_holidays().holidays == frozenset(source_holidays)
    assert cn_public_holidays().workdays == frozenset(source_workdays)


def test_2005_is_the_state_council_notice() -> None:
    year = CN_PUBLIC_HOLIDAYS[2005]
    assert year.holidays == (
        _span(date(2005, 1, 1), 3)
        | _span(date(2005, 2, 9), 7)
        | _span(date(2005, 5, 1), 7)
        | _span(date(2005, 10, 1), 7)
    )
    assert year.workdays == {
        date(2005, 2, 5),
        date(2005, 2, 6),
        date(2005, 4, 30),
        date(2005, 5, 8),
        date(2005, 10, 8),
        date(2005, 10, 9),
    }


def test_2026_is_the_state_council_notice() -> None:
    year = CN_PUBLIC_HOLIDAYS[2026]
    assert _span(date(2026, 2, 15), 9) <= year.holidays  # 春节
    assert _span(date(2026, 10, 1), 7) <= year.holidays  # 国庆节
    assert len(year.holidays) == 33
    assert year.workdays == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }


def test_a_year_belongs_to_the_day_not_the_festival() -> None:
    # The New Year's holiday of 2008 began on Sunday 30 December 2007.
    assert date(2007, 12, 30) in CN_PUBLIC_HOLIDAYS[2007].holidays
    assert date(2007, 12, 30) not in CN_PUBLIC_HOLIDAYS[2008].holidays


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 1), DayType.HOLIDAY),  # National Day, a Thursday
        (date(2026, 2, 17), DayType.HOLIDAY),  # Spring Festival, a Tuesday
        (date(2026, 2, 21), DayType.HOLIDAY),  # a Saturday inside the Spring Festival
        (date(2026, 9, 20), DayType.WEEKDAY),  # a Sunday worked for National Day
        (date(2026, 9, 19), DayType.WEEKEND),  # an ordinary Saturday
        (date(2026, 3, 4), DayType.WEEKDAY),  # an ordinary Wednesday
        (date(2005, 10, 8), DayType.WEEKDAY),  # a Saturday worked in 2005
    ],
)
def test_the_tariff_calendar_reads_every_published_year(day: date, expected: DayType) -> None:
    assert CN_CALENDAR.day_type(day) == expected


def test_the_2005_calendar_is_unchanged_by_later_years() -> None:
    assert {d for d in CN_CALENDAR.holidays if d.year == 2005} == CN_CALENDAR_2005.holidays
    assert {d for d in CN_CALENDAR.workdays if d.year == 2005} == CN_CALENDAR_2005.workdays
    assert CN_CALENDAR_2005.day_type(date(2026, 10, 1)) == DayType.WEEKDAY


def test_an_unpublished_year_adds_nothing() -> None:
    assert cn_public_holidays([2099]) == PublicHolidays(frozenset(), frozenset())


def _iso(days: set[date] | frozenset[date]) -> list[str]:
    return sorted(d.isoformat() for d in days)


def test_new_years_extend_a_stored_calendar() -> None:
    published = {y: CN_PUBLIC_HOLIDAYS[y] for y in (2005, 2026)}
    stored = {
        "holidays": _iso(CN_PUBLIC_HOLIDAYS[2005].holidays),
        "workdays": _iso(CN_PUBLIC_HOLIDAYS[2005].workdays),
    }
    found = calendar_with_new_years(stored, published)
    assert found is not None
    calendar, years = found
    assert years == [2026]
    assert calendar["holidays"] == _iso(
        CN_PUBLIC_HOLIDAYS[2005].holidays | CN_PUBLIC_HOLIDAYS[2026].holidays
    )
    assert "2026-09-20" in calendar["workdays"]
    # nothing more to add the second time
    assert calendar_with_new_years(calendar, published) is None


def test_a_year_the_tariff_already_reads_its_own_way_stands() -> None:
    # A tariff that dropped one 2005 holiday keeps its 2005; only 2026 is added.
    own_2005 = _iso(CN_PUBLIC_HOLIDAYS[2005].holidays - {date(2005, 10, 7)})
    published = {y: CN_PUBLIC_HOLIDAYS[y] for y in (2005, 2026)}
    found = calendar_with_new_years({"holidays": own_2005, "workdays": []}, published)
    assert found is not None
    calendar, years = found
    assert years == [2026]
    assert "2005-10-07" not in calendar["holidays"]
    assert "2026-10-07" in calendar["holidays"]
