"""Chinese public holidays and the weekend days worked in exchange (调休), by year.

Each year the State Council publishes the holidays and the weekend days worked to make the
long holiday weeks (春节, 劳动节, 国庆节) contiguous. A year is added here as data; rating turns
a year's days into its ``Calendar``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class PublicHolidays:
    """One year's public holidays and the weekend days worked in exchange for them."""

    holidays: frozenset[date]
    workdays: frozenset[date]


def _days(year: int, month: int, days: range | tuple[int, ...]) -> list[date]:
    return [date(year, month, d) for d in days]


# State Council notice on the 2005 holidays.
_CN_2005 = PublicHolidays(
    holidays=frozenset(
        _days(2005, 1, (1, 2, 3))
        + _days(2005, 2, range(9, 16))
        + _days(2005, 5, range(1, 8))
        + _days(2005, 10, range(1, 8))
    ),
    workdays=frozenset(
        _days(2005, 2, (5, 6)) + _days(2005, 4, (30,)) + _days(2005, 5, (8,))
        + _days(2005, 10, (8, 9))
    ),
)  # fmt: skip

# Year → that year's public holidays in mainland China.
CN_PUBLIC_HOLIDAYS: Mapping[int, PublicHolidays] = {2005: _CN_2005}
