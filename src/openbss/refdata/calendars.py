"""Chinese public holidays and the weekend days worked in exchange (调休), by year.

Each year the State Council publishes the holidays and the weekend days worked to make the
long holiday weeks (春节, 劳动节, 国庆节) contiguous. The days come from a maintained
transcription of those notices (the ``chinese-calendar`` package) through
``scripts/generate_cn_holidays.py``, which writes them into :mod:`openbss.refdata.cn_holidays`;
this module shapes them by year. Rating copies a year's days into a tariff version's calendar,
so a tariff keeps the days it was published with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from openbss.refdata import cn_holidays


@dataclass(frozen=True, slots=True)
class PublicHolidays:
    """One year's public holidays and the weekend days worked in exchange for them."""

    holidays: frozenset[date]
    workdays: frozenset[date]


def _by_year() -> dict[int, PublicHolidays]:
    holidays: defaultdict[int, set[date]] = defaultdict(set)
    workdays: defaultdict[int, set[date]] = defaultdict(set)
    for first, count, _festival in cn_holidays.HOLIDAY_RUNS:
        for offset in range(count):
            day = first + timedelta(days=offset)
            holidays[day.year].add(day)
    for day, _festival in cn_holidays.WORKDAYS:
        workdays[day.year].add(day)
    return {
        year: PublicHolidays(frozenset(holidays[year]), frozenset(workdays[year]))
        for year in sorted(holidays.keys() | workdays.keys())
    }


# Year → that year's public holidays in mainland China (a year is that of the day itself: the
# New Year's holiday of 2008 began on 30 December 2007).
CN_PUBLIC_HOLIDAYS: Mapping[int, PublicHolidays] = MappingProxyType(_by_year())

# Where the days come from (package and edition), for the record of a tariff version.
CN_HOLIDAYS_SOURCE = cn_holidays.SOURCE


def cn_public_holidays(years: Iterable[int] | None = None) -> PublicHolidays:
    """The holidays and adjusted working days of ``years`` together (every known year if None).

    A year that has not been published yet contributes nothing: its days are ordinary
    weekdays and weekends until the data is regenerated.
    """
    chosen = CN_PUBLIC_HOLIDAYS.keys() if years is None else years
    known = [CN_PUBLIC_HOLIDAYS[y] for y in chosen if y in CN_PUBLIC_HOLIDAYS]
    return PublicHolidays(
        holidays=frozenset().union(*(y.holidays for y in known)),
        workdays=frozenset().union(*(y.workdays for y in known)),
    )
