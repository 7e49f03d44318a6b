"""The reference rater against every conformance case, plus zone and prefix unit tests."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbss.rating.contract import (
    AllowanceState,
    Charge,
    DayType,
    Destination,
    PoolKey,
    RatedEvent,
    RatingPlan,
    TimeBand,
    Zone,
    called_digits,
    previous_cycle,
    zone_for,
)
from openbss.rating.ct2005 import (
    CN_CALENDAR_2005,
    FIXED_TARIFF_ID,
    china_telecom_2005,
    cn_destinations,
)
from openbss.rating.reference import longest_prefix, rate_reference
from openbss.refdata.numbering import GUANGDONG_AREA_CODES
from tests.rating.cases import (
    CASES,
    CT,
    SPLIT,
    STANDARD,
    Case,
    Expected,
    allowance,
    call,
    with_allowances,
)

AT = datetime(2005, 3, 2, 2, tzinfo=UTC)  # 10:00 Beijing, a Wednesday


def assert_matches(rated: RatedEvent, want: Expected) -> None:
    got = {
        "record_id": rated.record_id,
        "amount_li": rated.amount_li,
        "zone": rated.zone,
        "band": rated.band,
        "error": rated.error,
        "allowance_used": rated.allowance_used,
    }
    expected: dict[str, object] = {
        "record_id": want.record_id,
        "amount_li": want.amount_li,
        "zone": want.zone,
        "band": want.band,
        "error": want.error,
        "allowance_used": want.allowance_used,
    }
    for optional in ("units", "matched_prefix", "tariff_version", "allowance_id"):
        value = getattr(want, optional)
        if value is not None:
            got[optional] = getattr(rated, optional)
            expected[optional] = value
    assert got == expected


def test_there_are_at_least_100_uniquely_named_cases() -> None:
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_conformance(case: Case) -> None:
    rated = rate_reference(case.events, case.plan, case.opening_state())
    assert [r.record_id for r in rated] == [e.record_id for e in case.events]  # input order
    assert len(case.expected) == len(rated)
    for result, want in zip(rated, case.expected, strict=True):
        assert_matches(result, want)
        if want.error is None:
            assert result.tariff_id is not None
        else:
            assert result.amount_li == 0 and result.units == 0


@pytest.mark.parametrize("case", CASES[:40], ids=[c.name for c in CASES[:40]])
def test_input_order_does_not_matter(case: Case) -> None:
    """Rating is in event-time order whatever order the batch comes in."""
    shuffled = list(case.events)
    random.Random(7).shuffle(shuffled)
    by_id = {r.record_id: r for r in rate_reference(case.events, case.plan, case.opening_state())}
    again = rate_reference(shuffled, case.plan, case.opening_state())
    assert all(r == by_id[r.record_id] for r in again)


def test_state_carries_across_batches() -> None:
    """Two batches sharing a state draw one pool, as one batch would."""
    case = next(c for c in CASES if c.name == "shared pool drained in time order")
    ordered = sorted(case.events, key=lambda e: e.event_time)
    state = AllowanceState()
    first = rate_reference(ordered[:1], case.plan, state)
    rest = rate_reference(ordered[1:], case.plan, state)
    whole = rate_reference(ordered, case.plan, AllowanceState())
    assert first + rest == whole
    assert state.remaining("fam", "fam", "2005-03") == 0


def test_rating_updates_the_given_state() -> None:
    case = next(c for c in CASES if c.name == "allowance covers call")
    state = AllowanceState()
    rate_reference(case.events, case.plan, state)
    assert state.balances[PoolKey("loc", "gz-fixed", "2005-03")].fresh == 600 - 181


# --- destinations and zones ---------------------------------------------------------------


def test_destination_table_is_large_unique_and_sorted() -> None:
    table = cn_destinations()
    prefixes = [d.prefix for d in table]
    assert len(table) >= 10_000
    assert prefixes == sorted(set(prefixes))
    assert cn_destinations() is table  # cached: built once per process


def test_every_guangdong_area_code_is_a_destination() -> None:
    by_prefix = {d.prefix: d for d in cn_destinations()}
    for area in GUANGDONG_AREA_CODES:
        assert by_prefix["86" + area[1:]].area_code == area


@pytest.mark.parametrize(
    ("number", "prefix"),
    [
        ("+862087654321", "8620"),
        ("+8675512345678", "86755"),
        ("+862410012345", "8624100"),  # the longer sub-prefix beats 8624
        ("+862499912345", "8624"),
        ("+8610000", "8610000"),  # service number beats Beijing 8610
        ("+861065529988", "8610"),
        ("+8613800138000", "86138001"),  # a mobile block segment
        ("+8619912345678", "86199"),  # only the mobile block
        ("+85221234567", "852"),
        ("+85012345678", "850"),
        ("+14155550100", "1"),
        ("14155550100", "1"),  # without '+'
    ],
)
def test_longest_prefix(number: str, prefix: str) -> None:
    found = longest_prefix(called_digits(number), cn_destinations())
    assert found is not None and found.prefix == prefix


@pytest.mark.parametrize("number", ["+860012345678", "+99912345", "+", ""])
def test_no_prefix(number: str) -> None:
    assert longest_prefix(called_digits(number), cn_destinations()) is None


def test_longest_prefix_on_a_small_table() -> None:
    table = (
        Destination("86", "China", Zone.INTER_PROVINCE),
        Destination("8620", "Guangzhou", area_code="020"),
        Destination("862012", "Guangzhou sub", area_code="020"),
    )
    assert longest_prefix("862012345", table) == table[2]
    assert longest_prefix("862099999", table) == table[1]
    assert longest_prefix("8699", table) == table[0]
    assert longest_prefix("87", table) is None


PROVINCE = GUANGDONG_AREA_CODES


@pytest.mark.parametrize(
    ("calling", "called_area", "zone"),
    [
        ("020", "020", Zone.LOCAL),
        ("0755", "0755", Zone.LOCAL),
        ("020", "0755", Zone.INTRA_PROVINCE),
        ("0769", "0660", Zone.INTRA_PROVINCE),
        ("020", "010", Zone.INTER_PROVINCE),
        ("010", "020", Zone.INTER_PROVINCE),
        ("010", "022", Zone.INTER_PROVINCE),
        ("010", "010", Zone.LOCAL),
        (None, "020", None),
    ],
)
def test_zone_from_area_codes(calling: str | None, called_area: str, zone: Zone | None) -> None:
    destination = Destination("86" + called_area[1:], "x", area_code=called_area)
    assert zone_for(destination, calling, PROVINCE) == zone


@pytest.mark.parametrize(
    "zone", [Zone.HK_MO_TW, Zone.INTERNATIONAL, Zone.SPECIAL, Zone.LOCAL, Zone.INTER_PROVINCE]
)
def test_zone_carried_by_destination(zone: Zone) -> None:
    destination = Destination("852", "x", zone=zone)
    assert zone_for(destination, "020", PROVINCE) == zone
    assert zone_for(destination, None, PROVINCE) == zone


def test_area_code_beats_a_carried_zone() -> None:
    destination = Destination("8620", "x", zone=Zone.SPECIAL, area_code="020")
    assert zone_for(destination, "020", PROVINCE) == Zone.LOCAL


def test_destination_needs_zone_or_area() -> None:
    with pytest.raises(ValueError):
        Destination("8620", "x")
    with pytest.raises(ValueError):
        Destination("+8620", "x", zone=Zone.LOCAL)


def test_mobile_zone_is_set_by_the_tariff() -> None:
    table = cn_destinations(Zone.INTRA_PROVINCE)
    block = longest_prefix("8619912345678", table)
    assert block is not None and block.zone == Zone.INTRA_PROVINCE


# --- bands, calendar, plan, charges -------------------------------------------------------


def test_calendar_day_types() -> None:
    assert CN_CALENDAR_2005.day_type(date(2005, 3, 2)) == DayType.WEEKDAY
    assert CN_CALENDAR_2005.day_type(date(2005, 3, 5)) == DayType.WEEKEND
    assert CN_CALENDAR_2005.day_type(date(2005, 10, 1)) == DayType.HOLIDAY
    assert CN_CALENDAR_2005.day_type(date(2005, 10, 8)) == DayType.WEEKDAY


def test_time_band_edges() -> None:
    night = TimeBand("night", time(0), time(7))
    evening = TimeBand("evening", time(19), time(0))
    wrap = TimeBand("late", time(22), time(6), frozenset({DayType.WEEKDAY}))
    assert night.contains(time(0), "weekday") and night.contains(time(6, 59, 59), "weekday")
    assert not night.contains(time(7), "weekday")
    assert evening.contains(time(23, 59, 59), "weekend") and not evening.contains(time(18), "x")
    assert wrap.contains(time(23), "weekday") and wrap.contains(time(5), "weekday")
    assert not wrap.contains(time(12), "weekday") and not wrap.contains(time(23), "weekend")


def test_band_at_reads_local_time() -> None:
    fixed = CT[0]
    assert fixed.band_at(datetime(2005, 3, 1, 22, 59, 59, tzinfo=UTC)) == "night"
    assert fixed.band_at(datetime(2005, 3, 1, 23, 0, tzinfo=UTC)) == "day"
    assert fixed.cycle_of(datetime(2005, 3, 31, 16, 0, tzinfo=UTC)) == "2005-04"


def test_previous_cycle() -> None:
    assert previous_cycle("2005-01") == "2004-12"
    assert previous_cycle("2005-10") == "2005-09"


def test_plan_picks_the_version_in_force() -> None:
    july = datetime(2005, 6, 30, 16, tzinfo=UTC)
    v1 = china_telecom_2005(effective_to=july)[0]
    v2 = china_telecom_2005(version=2, effective_from=july)[0]
    plan = replace(STANDARD, tariffs=(v2, v1))
    assert plan.tariff_for(FIXED_TARIFF_ID, AT) is v1
    assert plan.tariff_for(FIXED_TARIFF_ID, july) is v2
    assert plan.tariff_for("nope", AT) is None


def test_charge_validation() -> None:
    with pytest.raises(ValueError):
        Charge(step_li=70)
    with pytest.raises(ValueError):
        Charge(first_block_li=220)
    with pytest.raises(ValueError):
        Charge(volume_unit_li=1)
    with pytest.raises(ValueError):
        Charge(step_s=6, step_li=-1)
    assert Charge().is_free and not Charge(event_li=1).is_free


def test_rated_amounts_are_integers() -> None:
    rated = rate_reference([call("r", "+861065529988", AT, 61)], STANDARD)
    assert type(rated[0].amount_li) is int and rated[0].amount_li == 770


# --- properties ---------------------------------------------------------------------------

DURATIONS = st.integers(min_value=0, max_value=4 * 3600)
BJ_NUMBER = "+861065529988"


def _amount(number: str, duration_s: int, at: datetime = AT, plan: RatingPlan = STANDARD) -> int:
    return rate_reference([call("r", number, at, duration_s)], plan)[0].amount_li


@settings(max_examples=150, deadline=None)
@given(DURATIONS)
def test_local_closed_form(duration_s: int) -> None:
    expected = 0 if duration_s == 0 else 220 + 110 * -(-max(0, duration_s - 180) // 60)
    assert _amount("+862087654321", duration_s) == expected


@settings(max_examples=150, deadline=None)
@given(DURATIONS)
def test_amount_never_falls_with_duration(duration_s: int) -> None:
    for number in ("+862087654321", BJ_NUMBER, "+14155550100"):
        assert _amount(number, duration_s) <= _amount(number, duration_s + 1)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=13 * 3600))
def test_split_equals_start_inside_one_band(duration_s: int) -> None:
    """07:00–24:00 on a weekday is one band: splitting changes nothing."""
    at = datetime(2005, 3, 1, 23, 0, tzinfo=UTC)  # 07:00 Beijing
    assert _amount(BJ_NUMBER, duration_s, at, SPLIT) == _amount(BJ_NUMBER, duration_s, at)


@settings(max_examples=150, deadline=None)
@given(
    DURATIONS,
    st.integers(min_value=0, max_value=3600),
    st.integers(min_value=0, max_value=24 * 3600 - 1),
)
def test_allowance_never_makes_a_call_dearer(duration_s: int, units: int, offset: int) -> None:
    at = datetime(2005, 3, 1, 16, tzinfo=UTC) + timedelta(seconds=offset)  # any time of 2 March
    plan = with_allowances(allowance("any", units, None))
    for number in ("+862087654321", BJ_NUMBER):
        assert _amount(number, duration_s, at, plan) <= _amount(number, duration_s, at)
