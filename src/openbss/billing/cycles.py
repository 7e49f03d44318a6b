"""Bill cycles: the calendar month, its issue day and its due date.

Decisions:

- A **bill cycle** (帐期) is the calendar month in the province's time zone, as China Telecom
  bills: the cycle ``2026-03`` runs from 1 March 00:00 to 1 April 00:00 Beijing time. Time
  zones are a parameter (Asia/Shanghai by default); instants are aware datetimes, and a
  cycle's ends are given in UTC, the end exclusive.
- An account's ``billCycleDay`` (1–28) is **not** a cycle boundary: it is the day of the
  following month on which the cycle's bill is issued (cycle ``2026-03`` with day 5 is issued
  on 5 April). Days 29–31 are refused so that every month has the day.
- The **due date** is the issue date plus the account's payment terms in days (15 by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openbss.billing.errors import BillingInputError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_PAYMENT_TERMS_DAYS = 15
MIN_BILL_CYCLE_DAY = 1
MAX_BILL_CYCLE_DAY = 28
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_FIRST_YEAR, _LAST_YEAR = 1900, 9998  # the month after the last must still be a date

TimeZone = str | ZoneInfo


@dataclass(frozen=True, slots=True)
class BillCycle:
    """One calendar month of billing in a province's time zone."""

    period: str  # "YYYY-MM"
    start_utc: datetime  # the first day's local midnight, in UTC
    end_utc: datetime  # the local midnight after the last day, in UTC (exclusive)
    first_day: date
    last_day: date
    days: int
    time_zone: ZoneInfo

    def day_start_utc(self, day: date) -> datetime:
        """The local midnight that starts ``day``, in UTC."""
        return _local_midnight_utc(day, self.time_zone)


def zone(tz: TimeZone = DEFAULT_TIME_ZONE) -> ZoneInfo:
    """The time zone named ``tz`` (or ``tz`` itself), refusing unknown names clearly."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BillingInputError(f"unknown time zone {tz!r}") from error


def cycle_of(period: str, tz: TimeZone = DEFAULT_TIME_ZONE) -> BillCycle:
    """The cycle of ``period`` (``"2026-03"``) in the province time zone ``tz``."""
    match = _PERIOD.fullmatch(period) if isinstance(period, str) else None
    if match is None:
        raise BillingInputError(f"bill period {period!r} is not a month written YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise BillingInputError(f"bill period {period!r}: month {month} is not 01–12")
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise BillingInputError(
            f"bill period {period!r}: year {year} is outside {_FIRST_YEAR}–{_LAST_YEAR}"
        )
    time_zone = zone(tz)
    first_day = date(year, month, 1)
    next_first = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return BillCycle(
        period=f"{year:04d}-{month:02d}",
        start_utc=_local_midnight_utc(first_day, time_zone),
        end_utc=_local_midnight_utc(next_first, time_zone),
        first_day=first_day,
        last_day=next_first - timedelta(days=1),
        days=(next_first - first_day).days,
        time_zone=time_zone,
    )


def cycle_containing(instant: datetime, tz: TimeZone = DEFAULT_TIME_ZONE) -> BillCycle:
    """The cycle in which ``instant`` (aware) falls, by its local date in ``tz``."""
    local = require_aware(instant, "instant").astimezone(zone(tz))
    return cycle_of(f"{local.year:04d}-{local.month:02d}", tz)


def next_cycle(cycle: BillCycle) -> BillCycle:
    """The cycle after ``cycle``, in the same time zone."""
    following = cycle.last_day + timedelta(days=1)
    return cycle_of(f"{following.year:04d}-{following.month:02d}", cycle.time_zone)


def issue_date(cycle: BillCycle, bill_cycle_day: int) -> date:
    """The date the bill of ``cycle`` is issued: ``bill_cycle_day`` of the following month."""
    if (
        isinstance(bill_cycle_day, bool)
        or not isinstance(bill_cycle_day, int)
        or not MIN_BILL_CYCLE_DAY <= bill_cycle_day <= MAX_BILL_CYCLE_DAY
    ):
        raise BillingInputError(
            f"bill cycle day {bill_cycle_day!r} must be a day from {MIN_BILL_CYCLE_DAY} to "
            f"{MAX_BILL_CYCLE_DAY} (the day of the next month the bill is issued)"
        )
    following = cycle.last_day + timedelta(days=1)
    return following.replace(day=bill_cycle_day)


def due_date(issued: date, terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS) -> date:
    """The date a bill issued on ``issued`` is due: ``terms_days`` later."""
    if isinstance(terms_days, bool) or not isinstance(terms_days, int) or terms_days < 0:
        raise BillingInputError(f"payment terms {terms_days!r} must be a whole number of days ≥ 0")
    return issued + timedelta(days=terms_days)


def require_aware(instant: datetime, what: str) -> datetime:
    """``instant`` in UTC; a naive datetime is refused, since its zone would be a guess."""
    if not isinstance(instant, datetime) or instant.tzinfo is None:
        raise BillingInputError(f"{what} {instant!r} must be an aware datetime (UTC)")
    return instant.astimezone(UTC)


def _local_midnight_utc(day: date, time_zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=time_zone).astimezone(UTC)
