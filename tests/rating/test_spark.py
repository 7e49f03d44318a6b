"""Rating on Spark gives the rows and pools of in-process rating.

A population of a few hundred subscribers, a share of them with allowances of their own and
families sharing an account's pool, makes a few thousand events around band edges, month
ends and holidays, with errors mixed in. ``rate_spark`` over four partitions must return
exactly what ``rate_frame`` returns for the whole batch in one call (and what the reference
rater says), with and without opening balances, and ``rate_spark_parquet`` exactly what
``partitioned.rate_parquet`` writes for the same store file. One SparkSession serves the
module: starting the JVM is the slow part.
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from openbss.rating.contract import (
    AllowanceState,
    Assignment,
    BandCrossing,
    Direction,
    RatingError,
    RatingPlan,
    Service,
    Tier,
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
from openbss.rating.spark import RATED_SCHEMA, rate_spark, rate_spark_parquet
from openbss.rating.vectorised import (
    BALANCE_SCHEMA,
    OUTPUT_COLUMNS,
    compile_plan,
    rate_frame,
    rated_events,
    state_frame,
    usage_frame,
)
from tests.rating.cases import ASSIGNED_FROM, MB, allowance, bj, with_tiers
from tests.rating.test_vectorised_conformance import ANCHORS, NUMBERS, _store_rows
from tests.support import need

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# PySpark warns that it is untested with pandas 3 whenever it checks for pandas; the Arrow
# path never uses pandas.
pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

# Four, not three: Spark hashes a null account and "" into partition 0 of 3, but into
# different ones of 4, where reading them as two owners would cut pools (and fail here).
PARTITIONS = 4
SUBSCRIBERS = 240
EVENTS = 3000
MARCH = bj(3, 1, 0)  # the first instant of the March cycle


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    need(importlib.util.find_spec("pyspark") is not None, "pyspark is not installed")
    need(
        shutil.which("java") is not None or "JAVA_HOME" in os.environ,
        "java is not installed (Spark needs a JVM)",
    )
    from openbss.rating.spark import local_session

    session = local_session("openbss-test-spark")
    # Small Arrow batches, so every partition reaches the kernel in several of them: rating
    # batch by batch instead of the whole partition at once would cut pools, and fail here.
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "256")
    yield session
    session.stop()


# --- a population and its usage -------------------------------------------------------------


def _lists(n: int, shared: bool) -> tuple[str, ...]:
    """The allowances of subscriber ``n``: a share with their own, two per account sharing
    the account's pool ("fam", or an own "loc" where nothing is shared), a share carrying
    units over, the rest none."""
    return (
        ("loc", "ddd", "sms", "mb"),
        ("fam" if shared else "loc", "carry"),
        ("fam" if shared else "loc",),
        ("carry",),
        (),
        (),
    )[n % 6]


def population(shared: bool) -> RatingPlan:
    """Split-band tariffs with a voice tier, and the allowances of ``_lists``."""
    local, domestic = frozenset({Zone.LOCAL}), frozenset({Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE})
    allowances = (
        allowance("loc", 600, local),
        allowance("ddd", 120, domestic),
        allowance("sms", 2, None, service=Service.SMS),
        allowance("mb", 3 * MB, None, service=Service.DATA),
        allowance("fam", 900, None, shared=shared, carry=1),
        allowance("carry", 300, local, carry=1),
    )
    tariff_ids = (FIXED_TARIFF_ID, PHS_TARIFF_ID, FIXED_TARIFF_ID, ADSL_TIME_TARIFF_ID)
    tariff_ids += (DATA_VOLUME_TARIFF_ID,)
    assignments = tuple(
        Assignment(f"s{n:03d}", tariff_ids[n % 5], ASSIGNED_FROM, allowance_ids=_lists(n, shared))
        for n in range(SUBSCRIBERS)
    )
    tariffs = with_tiers(
        china_telecom_2005(band_crossing=BandCrossing.SPLIT), Tier(Service.VOICE, 1200, 80)
    )
    return RatingPlan(tariffs, assignments, allowances)


SHARED = population(shared=True)
UNSHARED = population(shared=False)


def usage(seed: int, count: int = EVENTS) -> list[UsageEvent]:
    """Events of the population and of a few unknown subscribers (no tariff), to every kind
    of destination (some unknown), at the conformance suite's awkward instants."""
    rng = random.Random(seed)
    events = []
    for n in range(count):
        who = rng.randrange(SUBSCRIBERS + 6)  # the last 6 have no tariff
        # Accounts of six subscribers; every sixth subscriber has none (the engine's "").
        account = "" if who % 6 == 3 else f"acc-{who // 6}"
        events.append(
            UsageEvent(
                record_id=f"r{n:05d}",
                subscriber=f"s{who:03d}",
                account_id=account,
                event_time=rng.choice(ANCHORS) + timedelta(seconds=rng.randrange(0, 3 * 3600)),
                service=rng.choice([Service.VOICE] * 4 + [Service.SMS, Service.DATA]),
                direction=rng.choice([Direction.MO] * 5 + [Direction.MT]),
                duration_s=rng.choice([rng.randrange(0, 400), rng.randrange(0, 4000)]),
                volume_bytes=rng.randrange(0, 2 * MB),
                called=rng.choice(NUMBERS),
                ip_access_code=rng.choice([None, None, None, IP_ACCESS_CODE]),
                calling_area_code=rng.choice(["020", "020", "0755", "010"]),
            )
        )
    return events


def engine_frame(events: list[UsageEvent]) -> pl.DataFrame:
    """The events as the engine reads them, every other empty account null: the engine
    reads both as "", so Spark must put them in one partition."""
    frame = usage_frame(events).with_row_index()
    blank = (pl.col("account_id") == "") & (pl.col("index") % 2 == 0)
    return frame.with_columns(
        account_id=pl.when(blank).then(None).otherwise(pl.col("account_id"))
    ).drop("index")


# --- comparing ------------------------------------------------------------------------------


def plain(rated: pl.DataFrame) -> pl.DataFrame:
    """Rated rows sorted by record, enums as strings (as Spark returns them)."""
    return rated.with_columns(pl.col(pl.Enum).cast(pl.String)).sort("record_id")


def pools(drawn: pl.DataFrame) -> pl.DataFrame:
    typed = drawn.select(pl.col(name).cast(dtype) for name, dtype in BALANCE_SCHEMA.items())
    return typed.sort("allowance_id", "owner", "cycle")


def to_polars(frame: DataFrame) -> pl.DataFrame:
    return pl.DataFrame(frame.toArrow())


def on_spark(
    spark: SparkSession, usage: pl.DataFrame, plan: RatingPlan, balances: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``rate_spark`` over ``PARTITIONS`` partitions, every one of them used."""
    rated, drawn = rate_spark(
        spark.createDataFrame(usage.to_arrow()), plan, balances, partitions=PARTITIONS
    )
    from pyspark.sql import functions as F

    used = rated.select(F.spark_partition_id().alias("p")).distinct().count()
    assert used == PARTITIONS, f"{used} of {PARTITIONS} partitions hold records"
    return plain(to_polars(rated)), pools(to_polars(drawn))


# --- tests ----------------------------------------------------------------------------------


def test_rated_schema_is_the_engines() -> None:
    rated, _ = rate_frame(engine_frame(usage(0, 50)), compile_plan(SHARED))
    assert tuple(RATED_SCHEMA) == OUTPUT_COLUMNS
    assert plain(rated).schema == pl.Schema(RATED_SCHEMA)


def test_the_events_need_whole_pools() -> None:
    """The scenario is one Spark could get wrong: rating the same events cut by record
    instead of by owner (pools and tier counters split) changes amounts and pools, and the
    events reach both error codes, shared and own allowances and split bands."""
    frame = engine_frame(usage(1))
    compiled = compile_plan(SHARED)
    whole, drawn = rate_frame(frame, compiled)
    by_record = frame.with_columns(part=pl.col("record_id").hash() % PARTITIONS)
    cut = [rate_frame(part.drop("part"), compiled) for part in by_record.partition_by("part")]
    cut_rated = pl.concat([r for r, _ in cut])
    cut_drawn = pl.concat([d for _, d in cut])
    assert not plain(cut_rated).equals(plain(whole))
    assert not pools(cut_drawn).equals(pools(drawn))

    rows = plain(whole)
    errors = set(rows["error"].drop_nulls())
    assert {RatingError.NO_TARIFF.value, RatingError.UNKNOWN_DESTINATION.value} <= errors
    used = rows.filter(pl.col("allowance_used") > 0)
    assert {"fam", "loc", "carry", "ddd"} <= set(used["allowance_id"])
    # the same events under start-band tariffs price differently: calls were split
    unsplit = RatingPlan(
        with_tiers(china_telecom_2005(), Tier(Service.VOICE, 1200, 80)),
        SHARED.assignments,
        SHARED.allowances,
    )
    assert not plain(rate_frame(frame, compile_plan(unsplit))[0]).equals(rows)


@pytest.mark.parametrize("plan", [SHARED, UNSHARED], ids=["shared-pools", "own-pools"])
def test_rate_spark_equals_in_process(spark: SparkSession, plan: RatingPlan) -> None:
    events = usage(2)
    frame = engine_frame(events)
    expected, expected_drawn = rate_frame(frame, compile_plan(plan))
    rated, drawn = on_spark(spark, frame, plan, None)
    assert rated.height == len(events)
    assert_frame_equal(rated, plain(expected))
    assert_frame_equal(drawn, pools(expected_drawn))
    # and the reference rater, which knows nothing of frames, agrees
    assert rated_events(rated) == sorted(rate_reference(events, plan), key=lambda r: r.record_id)


def test_opening_balances_carry_over(spark: SparkSession) -> None:
    """February rated, its pools passed as March's opening balances: carried units and
    half-drawn pools give the same March on Spark as in process (and in the reference)."""
    events = usage(3)
    february = [e for e in events if e.event_time < MARCH]
    march = [e for e in events if e.event_time >= MARCH]
    compiled = compile_plan(SHARED)
    _, opening = rate_frame(engine_frame(february), compiled)
    assert opening.height and (opening["fresh"] > 0).any()

    state = AllowanceState()
    rate_reference(february, SHARED, state)
    assert_frame_equal(pools(state_frame(state)), pools(opening))

    expected, expected_drawn = rate_frame(engine_frame(march), compiled, opening)
    rated, drawn = on_spark(spark, engine_frame(march), SHARED, opening)
    assert_frame_equal(rated, plain(expected))
    assert_frame_equal(drawn, pools(expected_drawn))
    assert (drawn["carried"] > 0).any()  # some pool of March did receive February's units
    reference = rate_reference(march, SHARED, state)
    assert rated_events(rated) == sorted(reference, key=lambda r: r.record_id)


def test_rate_spark_parquet_equals_rate_parquet(spark: SparkSession, tmp_path: Path) -> None:
    """Over the same usage-store file, Spark writes the rows ``rate_parquet`` writes."""
    rows = _store_rows(usage(4)).with_row_index()
    blank = (pl.col("billing_account_id") == "") & (pl.col("index") % 2 == 0)
    rows = rows.with_columns(
        billing_account_id=pl.when(blank).then(None).otherwise(pl.col("billing_account_id"))
    ).drop("index")
    store = tmp_path / "usage.parquet"
    rows.write_parquet(store, row_group_size=1000)

    state = AllowanceState()
    report = rate_parquet([store], SHARED, tmp_path / "batch", partitions=3, workers=2, state=state)
    summary = rate_spark_parquet(spark, [str(store)], SHARED, tmp_path / "spark", partitions=3)

    written = plain(pl.read_parquet(tmp_path / "spark" / "*.parquet"))
    assert_frame_equal(written, plain(read_rated(tmp_path / "batch").collect()))
    assert (summary.records, summary.errors) == (report.records, report.errors)
    assert summary.records == rows.height
    assert_frame_equal(pools(summary.drawn), pools(state_frame(state)))
