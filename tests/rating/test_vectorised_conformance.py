"""The vectorised engine against the conformance cases and the reference rater.

Every case of ``cases.py`` goes through ``rate_table``: the result must match the hand-worked
expectation and equal ``rate_reference`` row for row, and both engines must leave the same
allowance state. A property test then compares the two engines on random batches: calls of
0–3 h at times around band edges, midnights, month ends and holidays, to every kind of
destination, under start/split tariffs with allowances (shared, carried, in disagreeing
orders), tiers, caps and versions, from random opening balances.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import cast

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbss.rating.contract import (
    AllowanceState,
    Assignment,
    BandCrossing,
    DayType,
    Direction,
    PoolBalance,
    PoolKey,
    RatedEvent,
    RatingPlan,
    Service,
    Tier,
    TimeBand,
    UsageEvent,
    Zone,
)
from openbss.rating.ct2005 import (
    ADSL_TIME_TARIFF_ID,
    DATA_VOLUME_TARIFF_ID,
    FIXED_TARIFF_ID,
    IP_ACCESS_CODE,
    PHS_TARIFF_ID,
    china_telecom_2005,
)
from openbss.rating.partitioned import rate_parquet, read_rated
from openbss.rating.reference import rate_reference
from openbss.rating.vectorised import (
    OUTPUT_COLUMNS,
    compile_plan,
    rate_table,
    rated_events,
    usage_frame,
)
from tests.rating.cases import (
    ASSIGNED_FROM,
    CASES,
    MB,
    Case,
    Expected,
    allowance,
    bj,
    is_ddd,
    is_local,
    recharge,
    with_allowances,
    with_tiers,
)


def vectorised(
    events: list[UsageEvent] | tuple[UsageEvent, ...],
    plan: RatingPlan,
    state: AllowanceState | None = None,
) -> list[RatedEvent]:
    return rated_events(rate_table(usage_frame(events), plan, state))


def check_expected(rated: RatedEvent, want: Expected) -> None:
    got = (rated.record_id, rated.amount_li, rated.zone, rated.band, rated.error)
    assert got == (want.record_id, want.amount_li, want.zone, want.band, want.error)
    assert rated.allowance_used == want.allowance_used
    for optional in ("units", "matched_prefix", "tariff_version", "allowance_id"):
        value = getattr(want, optional)
        if value is not None:
            assert getattr(rated, optional) == value, optional


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_conformance(case: Case) -> None:
    mine, theirs = case.opening_state(), case.opening_state()
    rated = vectorised(case.events, case.plan, mine)
    for result, want in zip(rated, case.expected, strict=True):
        check_expected(result, want)
        if want.error is not None:
            assert result.amount_li == 0 and result.units == 0
    assert rated == rate_reference(case.events, case.plan, theirs)
    assert mine == theirs


def test_output_columns_and_types() -> None:
    case = CASES[0]
    rated = rate_table(usage_frame(case.events), case.plan)
    assert tuple(rated.columns) == OUTPUT_COLUMNS
    assert rated.schema["amount_li"] == pl.Int64
    assert rated.schema["units"] == pl.Int64


def test_arrow_input_and_shuffled_order() -> None:
    """Arrow in, and rating in event-time order whatever the batch order."""
    events = [e for c in CASES if c.name.startswith("shared pool") for e in c.events]
    plan = next(c.plan for c in CASES if c.name.startswith("shared pool"))
    shuffled = list(events)
    random.Random(3).shuffle(shuffled)
    by_id = {r.record_id: r for r in vectorised(events, plan)}
    again = rated_events(rate_table(usage_frame(shuffled).to_arrow(), plan))
    assert [r.record_id for r in again] == [e.record_id for e in shuffled]
    assert all(r == by_id[r.record_id] for r in again)


def test_state_carries_across_batches() -> None:
    case = next(c for c in CASES if c.name == "shared pool drained in time order")
    ordered = sorted(case.events, key=lambda e: e.event_time)
    state = AllowanceState()
    split = vectorised(ordered[:1], case.plan, state) + vectorised(ordered[1:], case.plan, state)
    assert split == vectorised(ordered, case.plan, AllowanceState())
    assert state.remaining("fam", "fam", "2005-03") == 0


def test_empty_batch() -> None:
    rated = rate_table(usage_frame([]), CASES[0].plan)
    assert rated.height == 0 and tuple(rated.columns) == OUTPUT_COLUMNS


def test_negative_duration_is_refused() -> None:
    event = replace(CASES[0].events[0], duration_s=-1)
    with pytest.raises(ValueError, match="negative"):
        rate_table(usage_frame([event]), CASES[0].plan)


# --- random batches against the reference --------------------------------------------------

NUMBERS = [
    "+862087654321",  # Guangzhou
    "+862012345678",
    "+8675512345678",  # Shenzhen
    "+861065529988",  # Beijing
    "+862223456789",  # Tianjin
    "+862410012345",  # Shenyang sub-prefix
    "+14155550100",
    "+442079460000",
    "+85012345678",
    "+85221234567",
    "+886223456789",
    "+8613922212345",  # Guangzhou mobile
    "+8613005412345",
    "+8613800138000",
    "+8619912345678",  # a mobile block only
    "+86110",
    "+8610000",
    "+861",  # shorter than the Beijing prefix
    "+860012345678",  # unknown
    "+99912345",
    "+",
    "8620123",  # without '+'
    "+86-20-1234",  # not all digits
    "+862012345678901234567",  # longer than any number
]
SUBSCRIBERS = [
    ("gz-fixed", "acc-gz"),
    ("gz-phs", "acc-gz"),
    ("bj-fixed", "acc-bj"),
    ("fam-a", "fam"),
    ("fam-b", "fam"),
    ("swap", "acc-s"),
    ("adsl", "acc-a"),
    ("data", "acc-d"),
    ("nobody", "acc-x"),
]
ANCHORS = [
    bj(3, 2, 10),
    bj(3, 2, 6, 59, 30),  # night → day
    bj(3, 2, 23, 58),  # midnight
    bj(3, 4, 23, 50),  # Friday → weekend
    bj(3, 5, 6, 55),  # weekend night → weekend
    bj(1, 31, 23, 40),  # month end
    bj(2, 28, 23, 40),
    bj(3, 31, 23, 40),
    bj(3, 15, 0, 0),  # where "swap" changes assignment
    bj(10, 1, 6, 50),  # holiday
    bj(10, 7, 23, 50),  # holiday → swapped workday
    bj(2, 8, 23, 30),  # Spring Festival eve
    bj(6, 30, 23, 50),  # tariff version change
    datetime(2004, 12, 31, 15, 30, tzinfo=UTC),  # before the tariffs start
]


def _assignments(lists: dict[str, tuple[str, ...]]) -> tuple[Assignment, ...]:
    tariff_of = {
        "gz-fixed": FIXED_TARIFF_ID,
        "bj-fixed": FIXED_TARIFF_ID,
        "fam-a": FIXED_TARIFF_ID,
        "fam-b": PHS_TARIFF_ID,
        "gz-phs": PHS_TARIFF_ID,
        "adsl": ADSL_TIME_TARIFF_ID,
        "data": DATA_VOLUME_TARIFF_ID,
    }
    swap_at = bj(3, 15, 0, 0)
    return (
        *(
            Assignment(sub, tariff, ASSIGNED_FROM, allowance_ids=lists.get(sub, lists["*"]))
            for sub, tariff in tariff_of.items()
        ),
        Assignment("swap", FIXED_TARIFF_ID, ASSIGNED_FROM, swap_at, allowance_ids=lists["swap1"]),
        Assignment("swap", PHS_TARIFF_ID, swap_at, allowance_ids=lists["swap2"]),
    )


def _plans() -> list[RatingPlan]:
    local, inter = frozenset({Zone.LOCAL}), frozenset({Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE})
    allowances = (
        allowance("loc", 600, local),
        allowance("ddd", 120, inter),
        allowance("any", 60, None),
        allowance("sms", 2, None, service=Service.SMS),
        allowance("mb", 3 * MB, None, service=Service.DATA),
        allowance("fam", 300, None, shared=True, carry=1),
        allowance("carry", 200, local, carry=1),
    )
    agreeing = {
        "*": ("loc", "ddd", "sms", "mb", "carry"),
        "fam-a": ("fam", "loc"),
        "fam-b": ("fam", "any"),
        "swap1": ("loc", "any"),
        "swap2": ("any",),
    }
    disagreeing = dict(agreeing, swap1=("loc", "any"), swap2=("any", "loc"))
    july = bj(7, 1, 0)
    tiers = (Tier(Service.VOICE, 600, 50), Tier(Service.DATA, 5 * MB, 80))
    plans: list[RatingPlan] = []
    for crossing in (BandCrossing.START, BandCrossing.SPLIT):
        ct = china_telecom_2005(
            band_crossing=crossing, ddd_offpeak_day_types=frozenset({DayType.WEEKEND})
        )
        v1 = china_telecom_2005(band_crossing=crossing, effective_to=july)
        v2 = recharge(
            china_telecom_2005(band_crossing=crossing, version=2, effective_from=july),
            is_ddd,
            lambda c: replace(c, connection_li=100, cap_li=5000),
        )
        capped = recharge(ct, is_local, lambda c: replace(c, cap_li=1000, connection_li=50))
        plans += [
            RatingPlan(ct, _assignments(agreeing), allowances),
            RatingPlan(with_tiers(v1 + v2, *tiers), _assignments(agreeing), allowances),
            RatingPlan(capped, _assignments(disagreeing), allowances),
        ]
    return plans


PLANS = _plans()
FORWARDED = cast(Direction, "fwd")
POOLS = [
    PoolKey("loc", "gz-fixed", "2005-03"),
    PoolKey("fam", "fam", "2005-02"),
    PoolKey("fam", "fam", "2005-03"),
    PoolKey("carry", "gz-fixed", "2005-02"),
    PoolKey("any", "swap", "2005-03"),
    PoolKey("ddd", "bj-fixed", "2005-10"),
]


@st.composite
def usage_event(draw: st.DrawFn, number: int) -> UsageEvent:
    subscriber, account = draw(st.sampled_from(SUBSCRIBERS))
    at = draw(st.sampled_from(ANCHORS)) + timedelta(
        seconds=draw(st.integers(0, 3 * 3600)),
        microseconds=draw(st.sampled_from([0, 0, 1, 500_000, 999_999])),
    )
    service = draw(st.sampled_from([Service.VOICE] * 4 + [Service.SMS, Service.DATA]))
    return UsageEvent(
        record_id=f"r{number:03d}",
        subscriber=subscriber,
        account_id=account,
        event_time=at,
        service=service,
        # "fwd" (a forwarded leg) is a direction no rule names
        direction=draw(st.sampled_from([*[Direction.MO] * 4, Direction.MT, FORWARDED])),
        duration_s=draw(st.one_of(st.integers(0, 400), st.integers(0, 3 * 3600))),
        volume_bytes=draw(st.one_of(st.just(0), st.integers(0, 4 * MB))),
        called=draw(st.sampled_from([*NUMBERS, ""])),
        ip_access_code=draw(st.sampled_from([None, None, IP_ACCESS_CODE, "17951"])),
        calling_area_code=draw(st.sampled_from(["020", "020", "0755", "010", None, ""])),
    )


@st.composite
def batches(draw: st.DrawFn) -> tuple[RatingPlan, list[UsageEvent], list[tuple[PoolKey, int, int]]]:
    size = draw(st.integers(1, 30))
    events = [draw(usage_event(n)) for n in range(size)]
    if draw(st.booleans()):  # a few events at the very same instant
        events = [
            replace(e, event_time=events[0].event_time) if n % 3 == 0 else e
            for n, e in enumerate(events)
        ]
    opening = draw(
        st.lists(
            st.tuples(st.sampled_from(POOLS), st.integers(0, 700), st.integers(0, 100)),
            max_size=3,
            unique_by=lambda x: x[0],
        )
    )
    # An index, not the plan: hypothesis would hash the plans' large destination tables.
    return PLANS[draw(st.integers(0, len(PLANS) - 1))], events, opening


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches())
def test_random_batches_equal_the_reference(
    batch: tuple[RatingPlan, list[UsageEvent], list[tuple[PoolKey, int, int]]],
) -> None:
    plan, events, opening = batch
    mine = AllowanceState({k: PoolBalance(f, c) for k, f, c in opening})
    theirs = AllowanceState({k: PoolBalance(f, c) for k, f, c in opening})
    assert vectorised(events, plan, mine) == rate_reference(events, plan, theirs)
    assert mine == theirs


def test_disagreeing_allowance_orders_are_solved() -> None:
    """'swap' lists (loc, any) until 15 March and (any, loc) after: the passes repeat."""
    plan = PLANS[2]
    assert not compile_plan(plan).order_consistent
    events = [
        UsageEvent(
            record_id=f"s{n}",
            subscriber="swap",
            account_id="acc-s",
            event_time=bj(3, 14, 23, 0) + timedelta(minutes=20 * n),
            service=Service.VOICE,
            duration_s=50,
            called="+862087654321",
            calling_area_code="020",
        )
        for n in range(8)
    ]
    state, reference_state = AllowanceState(), AllowanceState()
    assert vectorised(events, plan, state) == rate_reference(events, plan, reference_state)
    assert state == reference_state


# --- the partitioned batch over Parquet ----------------------------------------------------


def _store_rows(events: list[UsageEvent]) -> pl.DataFrame:
    """Events as usage-store rows (the columns ``rate_parquet`` reads)."""
    frame = usage_frame(events)
    return frame.select(
        "record_id",
        "event_time",
        "duration_s",
        volume_up=pl.col("volume_bytes") // 3,
        volume_down=pl.col("volume_bytes") - pl.col("volume_bytes") // 3,
        called=pl.when(pl.col("called") == "").then(None).otherwise(pl.col("called")),
        service="service",
        direction="direction",
        charging_party="subscriber",
        billing_account_id="account_id",
        area_code="calling_area_code",
        ip_access_code="ip_access_code",
        product_id="product_id",
    )


UNSHARED = with_allowances(
    allowance("loc", 600),
    allowance("ddd", 120, frozenset({Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE})),
    tariffs=with_tiers(
        china_telecom_2005(band_crossing=BandCrossing.SPLIT), Tier(Service.VOICE, 300, 80)
    ),
)


@pytest.mark.parametrize("plan_number", [0, 4, -1])
def test_rate_parquet_equals_one_batch(tmp_path: Path, plan_number: int) -> None:
    """Partitioned by owner (the account with shared pools, else the subscriber) over two
    worker processes, the store's files rate exactly as one batch does, state too."""
    plan = PLANS[plan_number] if plan_number >= 0 else UNSHARED
    rng = random.Random(plan_number)
    events = [
        UsageEvent(
            record_id=f"r{n:04d}",
            subscriber=sub,
            account_id=account,
            event_time=rng.choice(ANCHORS) + timedelta(seconds=rng.randrange(0, 3 * 3600)),
            service=rng.choice([Service.VOICE, Service.VOICE, Service.SMS, Service.DATA]),
            duration_s=rng.randrange(0, 2000),
            volume_bytes=rng.randrange(0, 2 * MB),
            called=rng.choice(NUMBERS[:16]),
            calling_area_code=rng.choice(["020", "0755"]),
        )
        for n, (sub, account) in enumerate(rng.choice(SUBSCRIBERS) for _ in range(400))
    ]
    rows = _store_rows(events)
    paths = []
    for number, part in enumerate(rows.iter_slices(150)):
        path = tmp_path / f"part-{number}.parquet"
        part.write_parquet(path)
        paths.append(path)
    state, expected_state = AllowanceState(), AllowanceState()
    report = rate_parquet(paths, plan, tmp_path / "rated", partitions=3, workers=2, state=state)
    expected = rate_reference(events, plan, expected_state)
    rated = read_rated(tmp_path / "rated").collect().sort("record_id")
    assert report.records == len(events) == rated.height
    assert rated_events(rated) == sorted(expected, key=lambda r: r.record_id)
    assert state == expected_state
    assert not list((tmp_path / "rated").glob(".spill*"))


# --- zones with daylight saving --------------------------------------------------------------

LONDON_BANDS = (
    TimeBand("early", time(1, 30), time(2, 30)),  # inside the hour that repeats in autumn
    TimeBand("night", time(0), time(7)),
    TimeBand("peak", time(7), time(19)),
    TimeBand("off", time(19), time(0)),
)


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe"])
def test_split_calls_across_daylight_saving_changes(zone: str) -> None:
    """Band edges on days whose offset changes are read as the contract reads them (an
    ambiguous local time is its earlier instant; a time in a gap takes the offset before)."""
    tariffs = tuple(
        replace(t, timezone=zone, bands=LONDON_BANDS, band_crossing=BandCrossing.SPLIT)
        for t in china_telecom_2005()
    )
    plan = RatingPlan(tariffs, _assignments({"*": (), "swap1": (), "swap2": ()}))
    changes = [
        datetime(2005, 3, 27, 1, tzinfo=UTC),
        datetime(2005, 10, 30, 1, tzinfo=UTC),
        datetime(2005, 4, 3, 7, tzinfo=UTC),
        datetime(2005, 10, 30, 6, tzinfo=UTC),
        datetime(2005, 3, 26, 15, tzinfo=UTC),
        datetime(2005, 10, 29, 15, tzinfo=UTC),
    ]
    rng = random.Random(zone)
    events = [
        UsageEvent(
            record_id=f"r{n:03d}",
            subscriber="gz-fixed",
            account_id="acc-gz",
            event_time=rng.choice(changes)
            + timedelta(seconds=rng.randrange(-3 * 3600, 3 * 3600), microseconds=500_000),
            service=Service.VOICE,
            duration_s=rng.choice([rng.randrange(1, 900), rng.randrange(1, 30 * 3600)]),
            called="+861065529988",
            calling_area_code="020",
        )
        for n in range(300)
    ]
    assert vectorised(events, plan) == rate_reference(events, plan)
