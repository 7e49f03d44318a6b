"""A year of holidays published after a tariff was stored reaches it as its next version."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from openbss.kit.security import SYSTEM
from openbss.rating import repository as repo
from openbss.rating.contract import DayType
from openbss.rating.ct2005 import FIXED_TARIFF_ID, china_telecom_2005, cn_calendar
from openbss.rating.documents import tariff_document
from openbss.rating.seed import DESTINATION_SET, seed_rating, seed_tariffs
from openbss.rating.tariffs import add_version, save_destination_set, tariff_of
from tests.rating_support import SMALL_DESTINATIONS


def _day_type(session: Session, version: int, day: date) -> DayType:
    row = repo.tariff_version(session, FIXED_TARIFF_ID, version)
    assert row is not None
    return tariff_of(session, row).calendar.day_type(day)


def test_a_fresh_seed_stores_every_published_year_once(session: Session) -> None:
    report = seed_rating(session, SMALL_DESTINATIONS)
    assert len(report.tariffs_created) == len(seed_tariffs())
    assert report.calendars_extended == []
    assert _day_type(session, 1, date(2026, 10, 1)) == DayType.HOLIDAY
    assert _day_type(session, 1, date(2005, 10, 1)) == DayType.HOLIDAY
    again = seed_rating(session, SMALL_DESTINATIONS)
    assert again.tariffs_created == [] and again.calendars_extended == []
    assert repo.latest_version(session, FIXED_TARIFF_ID) == 1


def test_a_tariff_stored_with_2005_only_gets_a_next_version(session: Session) -> None:
    save_destination_set(session, DESTINATION_SET, "small", SMALL_DESTINATIONS)
    fixed_2005 = china_telecom_2005(calendar=cn_calendar([2005]))[0]
    add_version(session, SYSTEM, tariff_document(fixed_2005, DESTINATION_SET))

    report = seed_rating(session, SMALL_DESTINATIONS)

    assert report.calendars_extended == [f"{FIXED_TARIFF_ID} v2"]
    first = repo.tariff_version(session, FIXED_TARIFF_ID, 1)
    second = repo.tariff_version(session, FIXED_TARIFF_ID, 2)
    assert first is not None and second is not None
    # version 1 keeps the calendar it rated with; version 2 has the same dates and 2005 days
    assert _day_type(session, 1, date(2026, 10, 1)) == DayType.WEEKDAY
    assert _day_type(session, 2, date(2026, 10, 1)) == DayType.HOLIDAY
    assert _day_type(session, 2, date(2026, 9, 20)) == DayType.WEEKDAY
    assert (second.effective_from, second.effective_to) == (
        first.effective_from,
        first.effective_to,
    )
    assert first.effective_from == datetime(2004, 12, 31, 16, tzinfo=UTC)
    days_2005 = {d for d in tariff_of(session, second).calendar.holidays if d.year == 2005}
    assert days_2005 == tariff_of(session, first).calendar.holidays
    assert second.reason is not None and "2026" in second.reason
    assert seed_rating(session, SMALL_DESTINATIONS).calendars_extended == []
