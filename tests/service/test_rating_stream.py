"""``rate_parquet``'s two passes: records of subscribers without allowances or tiers are
rated in the stream pass (one output per input file), the others in partitions by owner;
both agree with one batch, a rerun over fewer files leaves nothing of the earlier run, and
the worker pool is kept between runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from openbss.rating import partitioned
from openbss.rating.contract import AllowanceState, Assignment, RatingPlan, Service, UsageEvent
from openbss.rating.ct2005 import FIXED_TARIFF_ID
from openbss.rating.partitioned import rate_parquet, read_rated, stateful_subscribers
from openbss.rating.vectorised import compile_plan, rate_table, usage_frame
from tests.rating.cases import ASSIGNED_FROM, CT, GZ, allowance, bj

PLAN = RatingPlan(
    CT,
    (
        Assignment("+862083000001", FIXED_TARIFF_ID, ASSIGNED_FROM, allowance_ids=("loc",)),
        Assignment("+862083000002", FIXED_TARIFF_ID, ASSIGNED_FROM),
    ),
    (allowance("loc", 300),),
)
CALLERS = ["+862083000001", "+862083000002", "+862083000009"]  # pool, none, unknown


def _events() -> list[UsageEvent]:
    return [
        UsageEvent(
            record_id=f"r{n:03d}",
            subscriber=CALLERS[n % 3],
            account_id="acc",
            event_time=bj(3, 2, 10) + timedelta(minutes=7 * n),
            service=Service.VOICE,
            duration_s=120,
            called=GZ,
            calling_area_code="020",
        )
        for n in range(30)
    ]


def _store_files(folder: Path, events: list[UsageEvent]) -> list[Path]:
    rows = usage_frame(events).select(
        "record_id",
        "event_time",
        "duration_s",
        volume_up=pl.col("volume_bytes"),
        volume_down=pl.lit(0, dtype=pl.Int64),
        called="called",
        service="service",
        direction="direction",
        charging_party="subscriber",
        billing_account_id="account_id",
        area_code="calling_area_code",
        ip_access_code="ip_access_code",
        product_id="product_id",
    )
    paths = []
    for number, part in enumerate(rows.iter_slices(15)):
        path = folder / f"part-{number}.parquet"
        part.write_parquet(path)
        paths.append(path)
    return paths


def test_only_subscribers_with_pools_or_tiers_are_stateful() -> None:
    compiled = compile_plan(PLAN)
    flags = dict(
        zip(
            compiled.subscribers["subscriber"],
            stateful_subscribers(compiled).gather(compiled.subscribers["sub_id"]),
            strict=True,
        )
    )
    assert flags == {"+862083000001": True, "+862083000002": False}


def test_stream_and_partitions_rate_as_one_batch_and_a_rerun_replaces_them(
    tmp_path: Path,
) -> None:
    events = _events()
    paths = _store_files(tmp_path, events)
    out = tmp_path / "rated"
    state, expected_state = AllowanceState(), AllowanceState()
    report = rate_parquet(paths, PLAN, out, partitions=3, workers=2, state=state)
    pool = partitioned._POOLS[2]
    expected = rate_table(usage_frame(events), PLAN, expected_state)

    names = sorted(p.name for p in out.glob("rated-*.parquet"))
    assert names[1:] == ["rated-s000000.parquet", "rated-s000001.parquet"]
    assert len(names) == 3  # the one owner with a pool lies in one partition
    assert report.records == 30 and report.errors == {"NO_TARIFF": 10}
    assert read_rated(out).collect().sort("record_id").equals(expected.sort("record_id"))
    assert state == expected_state and state.balances
    assert report.amount_li == int(expected["amount_li"].sum())

    again = rate_parquet(paths[:1], PLAN, out, partitions=3, workers=2)
    assert partitioned._POOLS[2] is pool  # started once, kept
    assert again.records == 15
    assert "rated-s000001.parquet" not in {p.name for p in out.glob("rated-*.parquet")}
    assert read_rated(out).collect().height == 15
    assert not list(out.glob(".spill-*")) and not list(out.glob("*.tmp"))
