"""Batch rating: the vectorised engine over the usage store, against a plain Parquet scan.

Generates (seeded, not timed) a day of a Guangdong province's usage as Parquet files with
the usage store's columns (``USAGE_SCHEMA``): ``--records`` records (10 M by default) of
1 M subscribers, 70 % voice (a fifth incoming), 15 % SMS, 15 % data, called numbers over
local, other Guangdong areas, other provinces, mobiles, international, Hong Kong, service and
unknown numbers. The plan: a fixed-line tariff rated by the start band and a PHS tariff split
at band edges, both with three time bands (night, day, evening) and the 121 k destination
prefixes of ``cn_destinations``; 30 % of subscribers have allowances (local minutes, SMS,
data MB). The plan is compiled once before the clock starts (a rating service keeps it).
Then, in one run:

* **rating**: ``rate_parquet`` with ``--workers`` processes: records/s, both passes' wall
  time, worker seconds per step (split, read spills, rate, write), worker CPU and peak RSS;
* **where the time goes**: one file through read, prepare, rate and write in this process,
  in seconds per million records;
* **baseline**: reading the same files (the columns rating reads) and summing one, with
  Polars on all cores, and the ratio rating / baseline; for scale, reading just the summed
  column and reading every store column;
* **reference**: ``rate_reference`` on the records of the first ~2,000 subscribers
  (``--sample`` records), records/s, and whether the vectorised engine agrees on each;
* **--scale-check**: the same at five times ``--records``: peak worker memory stays flat,
  as partitions stay the same size.

Usage:

    uv run python benchmarks/rating.py [--records 10000000] [--workers 2] [--runs 3] [--scale-check]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from openbss.mediation.store import USAGE_SCHEMA
from openbss.rating.contract import (
    FREE,
    Allowance,
    Assignment,
    BandCrossing,
    Charge,
    Direction,
    RateRule,
    RatingPlan,
    Service,
    Tariff,
    TimeBand,
    UsageEvent,
    Zone,
)
from openbss.rating.ct2005 import (
    DATA_PER_MB,
    DDD_DAY,
    DDD_NIGHT,
    HK_MO_TW,
    INTERNATIONAL,
    IP_ACCESS_CODE,
    IP_LONG_DISTANCE,
    LOCAL_CALL,
    PHS_BETWEEN_AREAS,
    SMS_MESSAGE,
    china_telecom_2005,
)
from openbss.rating.partitioned import (
    USAGE_COLUMNS,
    RateReport,
    rate_parquet,
    usage_columns,
    usage_events,
)
from openbss.rating.reference import rate_reference
from openbss.rating.vectorised import (
    compile_plan,
    prepare,
    rate_prepared,
    rate_table,
    rated_events,
    with_sub_ids,
)
from openbss.refdata.numbering import GUANGDONG_AREA_CODES, MOBILE_PREFIXES

SUBSCRIBERS = 1_000_000
UNKNOWN_SHARE = 0.005  # charging parties without a tariff: rated NO_TARIFF
RECORDS_PER_FILE = 1_000_000
DAY_START_US = 1_109_692_800_000_000  # 2005-03-02 00:00 Beijing (a Wednesday) in UTC µs
AREAS = sorted(GUANGDONG_AREA_CODES)
OTHER_PROVINCES = ["010", "021", "022", "023", "024", "025", "027", "028", "029", "0571", "0311"]
PRIME = 2_147_483_647  # 2**31 - 1: keeps the generator's products inside Int64

USAGE_COLUMNS_ALL = USAGE_SCHEMA.names
THREE_BANDS = (
    TimeBand("night", clock(0), clock(7)),
    TimeBand("day", clock(7), clock(19)),
    TimeBand("evening", clock(19), clock(0)),
)
DDD_EVENING = Charge(step_s=6, step_li=50)


# --- the plan -----------------------------------------------------------------------------


def _rule(
    service: Service,
    charge: Charge,
    zone: Zone | None = None,
    band: str | None = None,
    direction: Direction | None = None,
    access: str | None = None,
) -> RateRule:
    return RateRule(service, zone, band, direction, access, charge)


def _rules(phs: bool) -> tuple[RateRule, ...]:
    voice, mo = Service.VOICE, Direction.MO
    intra, inter = Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE
    ddd = [
        _rule(voice, charge, zone, band, mo)
        for zone in (intra, inter)
        for band, charge in (("night", DDD_NIGHT), ("evening", DDD_EVENING), (None, DDD_DAY))
    ]
    return (
        _rule(voice, FREE, direction=Direction.MT),  # incoming calls are free
        _rule(voice, IP_LONG_DISTANCE, intra, None, mo, IP_ACCESS_CODE),
        _rule(voice, IP_LONG_DISTANCE, inter, None, mo, IP_ACCESS_CODE),
        _rule(voice, LOCAL_CALL, Zone.LOCAL, None, mo),
        *([_rule(voice, PHS_BETWEEN_AREAS, intra, None, mo)] if phs else []),
        *ddd,
        _rule(voice, INTERNATIONAL, Zone.INTERNATIONAL, None, mo),
        _rule(voice, HK_MO_TW, Zone.HK_MO_TW, None, mo),
        _rule(voice, FREE, Zone.SPECIAL),  # service numbers
        _rule(Service.SMS, SMS_MESSAGE, direction=mo),
        _rule(Service.SMS, FREE, direction=Direction.MT),
        _rule(Service.DATA, DATA_PER_MB),
    )


def subscriber_number(index: int) -> str:
    area = AREAS[index % len(AREAS)]
    return f"+86{area[1:]}{20_000_000 + index}"


def bench_plan(subscribers: int = SUBSCRIBERS) -> RatingPlan:
    """Fixed lines rated by the start band, PHS split at band edges; allowances on 30 %."""
    base = china_telecom_2005()[0]
    fixed = replace(base, id="BENCH-FIXED", bands=THREE_BANDS, rules=_rules(False))
    phs = replace(
        base,
        id="BENCH-PHS",
        bands=THREE_BANDS,
        rules=_rules(True),
        band_crossing=BandCrossing.SPLIT,
    )
    allowances = (
        Allowance("loc600", Service.VOICE, frozenset({Zone.LOCAL}), 600),
        Allowance("sms30", Service.SMS, None, 30),
        Allowance("mb50", Service.DATA, None, 50 * 1024 * 1024),
    )
    since = datetime(2004, 1, 1, tzinfo=UTC)
    ids = tuple(a.id for a in allowances)
    assignments = tuple(
        Assignment(
            subscriber_number(n),
            phs.id if n % 4 == 0 else fixed.id,
            since,
            allowance_ids=ids if n % 10 < 3 else (),
        )
        for n in range(subscribers)
    )
    tariffs: tuple[Tariff, ...] = (fixed, phs)
    return RatingPlan(tariffs, assignments, allowances)


# --- the usage files ----------------------------------------------------------------------


def _random(stream: int, seed: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, PRIME) per row and stream."""
    i = pl.col("i") + stream * 7_919 + seed
    return ((i * 1_103_515_245 + 12_345) % PRIME * 69_069 + 1) % PRIME


def _pick(values: Sequence[str], index: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(index % len(values))


def usage_file(path: Path, first: int, count: int, subscribers: int, seed: int) -> None:
    """``count`` usage records (USAGE_SCHEMA) numbered from ``first``, as one Parquet file."""
    known = int(subscribers * (1 + UNKNOWN_SHARE))
    sub = _random(1, seed) % known
    kind = _random(2, seed) % 1000
    service = _random(3, seed) % 100
    digits = (_random(4, seed) % 90_000_000 + 10_000_000).cast(pl.String)
    area = _pick([a[1:] for a in AREAS], sub)
    called = (
        pl.when(kind < 400)
        .then(pl.concat_str(pl.lit("+86"), area, digits))
        .when(kind < 550)
        .then(pl.concat_str(pl.lit("+86"), _pick([a[1:] for a in AREAS], _random(5, seed)), digits))
        .when(kind < 750)
        .then(
            pl.concat_str(
                pl.lit("+86"), _pick([a[1:] for a in OTHER_PROVINCES], _random(5, seed)), digits
            )
        )
        .when(kind < 900)
        .then(pl.concat_str(pl.lit("+86"), _pick(MOBILE_PREFIXES, _random(5, seed)), digits))
        .when(kind < 930)
        .then(pl.concat_str(_pick(["+1", "+44", "+81", "+49"], _random(5, seed)), digits))
        .when(kind < 950)
        .then(pl.concat_str(pl.lit("+852"), digits))
        .when(kind < 960)
        .then(_pick(["+86114", "+8610000", "+86110"], _random(5, seed)))
        .when(kind < 965)
        .then(pl.concat_str(pl.lit("+860"), digits))
        .otherwise(pl.concat_str(pl.lit("+86"), area, digits))
    )
    is_voice, is_sms = service < 70, (service >= 70) & (service < 85)
    r6 = _random(6, seed)
    talk = (r6 % 1000) * (r6 % 1000) // 2000  # mostly short, up to ~8 min
    duration = (
        pl.when(is_voice & (r6 % 10 == 0))
        .then(0)  # unanswered
        .when(is_voice & (r6 % 100 == 1))
        .then(r6 % 10_800)  # a long call, up to 3 h
        .when(is_voice)
        .then(talk + 1)
        .when(is_sms)
        .then(0)
        .otherwise(r6 % 3_600)
    )
    volume = pl.when(is_voice | is_sms).then(0).otherwise(_random(7, seed) % (20 * 1024 * 1024))
    number = pl.format("+86{}{}", area, (sub + 20_000_000).cast(pl.String))
    frame = (
        pl.LazyFrame({"i": pl.int_range(first, first + count, dtype=pl.Int64, eager=True)})
        .select(
            record_id=pl.format("bench-{}", pl.col("i")),
            batch_id=pl.lit("bench"),
            source=pl.lit("switch"),
            province=pl.lit("GD"),
            event_time=(DAY_START_US + _random(8, seed) * 40_237 % 86_400_000_000).cast(
                pl.Datetime("us", "UTC")
            ),
            duration_s=duration,
            volume_up=volume // 4,
            volume_down=volume - volume // 4,
            calling=number,
            called=pl.when(is_voice | is_sms).then(called).otherwise(None),
            service=pl.when(is_voice)
            .then(pl.lit("voice"))
            .when(is_sms)
            .then(pl.lit("sms"))
            .otherwise(pl.lit("data")),
            direction=pl.when(~is_voice & ~is_sms)
            .then(pl.lit("mo"))
            .when(_random(9, seed) % 10 < 2)
            .then(pl.lit("mt"))
            .otherwise(pl.lit("mo")),
            charging_party=number,
            switch_id=pl.lit("GZ-MSC-01"),
            call_reference=pl.col("i").cast(pl.String),
            area_code=pl.concat_str(pl.lit("0"), area),
            cell=pl.lit(None, dtype=pl.String),
            location=pl.lit(None, dtype=pl.String),
            imsi=pl.lit(None, dtype=pl.String),
            account_name=pl.lit(None, dtype=pl.String),
            roaming_partner=pl.lit(None, dtype=pl.String),
            ip_access_code=pl.when(is_voice & (kind >= 550) & (kind < 750) & (r6 % 20 == 3))
            .then(pl.lit(IP_ACCESS_CODE))
            .otherwise(None),
            product_id=pl.format("p{}", sub),
            customer_id=pl.format("c{}", sub // 3),
            billing_account_id=pl.format("a{}", sub // 3),
            raw_ref=pl.lit(None, dtype=pl.String),
            trunk_in=pl.lit(None, dtype=pl.String),
            trunk_out=pl.lit(None, dtype=pl.String),
        )
        .collect()
    )
    table = frame.to_arrow().cast(USAGE_SCHEMA)
    pq.write_table(table, path, compression="zstd", row_group_size=256 * 1024)


def generate(folder: Path, records: int, subscribers: int = SUBSCRIBERS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, first in enumerate(range(0, records, RECORDS_PER_FILE)):
        path = folder / f"part-{number:04d}.parquet"
        usage_file(path, first, min(RECORDS_PER_FILE, records - first), subscribers, seed=11)
        paths.append(path)
    return paths


# --- measurements -------------------------------------------------------------------------


IDLE_BEFORE_BASELINE_S = 3.0  # see main(): the allocator returns idle memory within this


def baseline(paths: Sequence[Path], columns: Sequence[str]) -> tuple[float, float]:
    """Read the columns rating reads from the same files (Polars, all cores) and sum one:
    wall seconds and CPU seconds (all threads; on a loaded machine the CPU ratio is the
    steadier one)."""
    started, cpu = time.perf_counter(), time.process_time()
    frame = pl.scan_parquet([str(p) for p in paths]).select(columns).collect()
    int(frame["duration_s"].sum())
    return time.perf_counter() - started, time.process_time() - cpu


def scan_seconds(paths: Sequence[Path], columns: Sequence[str] | None) -> float:
    """Seconds to read these columns of the files (every column when None; when empty,
    just the sum of ``duration_s``, the only column then read)."""
    started = time.perf_counter()
    scan = pl.scan_parquet([str(p) for p in paths])
    if columns is None:
        scan.collect()
    elif columns:
        scan.select(columns).collect()
    else:
        scan.select(pl.col("duration_s").sum()).collect()
    return time.perf_counter() - started


def reference_sample(paths: Sequence[Path], plan: RatingPlan, size: int) -> tuple[float, int, bool]:
    """``rate_reference`` records/s on the records of the first subscribers (about ``size``
    records), and whether the vectorised engine agrees with it on every one of them.

    The reference finds a subscriber's assignment by scanning the plan, so it gets a plan of
    just the sample's subscribers (same tariffs and allowances): the same answer, faster.
    """
    first = pl.read_parquet(paths[0], columns=list(USAGE_COLUMNS))
    per_subscriber = max(1, first.height // SUBSCRIBERS)
    wanted = {subscriber_number(n) for n in range(max(1, size // max(per_subscriber, 1)))}
    sample = usage_events(first.filter(pl.col("charging_party").is_in(sorted(wanted))))
    sample = sample.head(size)
    events = [
        UsageEvent(
            record_id=row["record_id"],
            subscriber=row["subscriber"],
            account_id=row["account_id"],
            event_time=row["event_time"],
            service=Service(row["service"]),
            direction=Direction(row["direction"]),
            product_id=row["product_id"],
            duration_s=row["duration_s"],
            volume_bytes=row["volume_bytes"],
            called=row["called"],
            ip_access_code=row["ip_access_code"],
            calling_area_code=row["calling_area_code"],
        )
        for row in sample.iter_rows(named=True)
    ]
    small = replace(plan, assignments=tuple(a for a in plan.assignments if a.subscriber in wanted))
    started = time.perf_counter()
    expected = rate_reference(events, small)
    seconds = time.perf_counter() - started
    agree = rated_events(rate_table(sample, plan)) == expected
    return len(events) / seconds, len(events), agree


def where_time_goes(path: Path, plan: RatingPlan, out: Path) -> dict[str, float]:
    """One usage file through the steps of the pipeline in this process: seconds per step."""
    compiled = compile_plan(plan)
    steps: dict[str, float] = {}
    started = time.perf_counter()
    raw = pl.read_parquet(path, columns=list(usage_columns(compiled)))
    steps["read Parquet"] = time.perf_counter() - started
    started = time.perf_counter()
    prepared = prepare(usage_events(raw), compiled)
    steps["prepare (codes, numbers)"] = time.perf_counter() - started
    with_sub_ids(prepared, compiled)  # the per-process subscriber table, built once
    started = time.perf_counter()
    prepared = with_sub_ids(prepared, compiled)
    steps["subscriber lookup"] = time.perf_counter() - started
    started = time.perf_counter()
    rated, _ = rate_prepared(prepared, compiled)
    steps["rate (tariff … allowances)"] = time.perf_counter() - started
    started = time.perf_counter()
    rated.write_parquet(out, compression="zstd", compression_level=1)
    steps["write Parquet"] = time.perf_counter() - started
    return {name: seconds * 1_000_000 / raw.height for name, seconds in steps.items()}


def run(paths: Sequence[Path], plan: RatingPlan, out: Path, workers: int) -> RateReport:
    shutil.rmtree(out, ignore_errors=True)
    return rate_parquet(paths, plan, out, workers=workers)


def show(report: RateReport, label: str) -> None:
    rate = report.records / report.seconds
    stages = ", ".join(f"{k} {v:.1f}" for k, v in report.stage_seconds.items())
    print(f"{label}: {report.records:,} records in {report.seconds:.2f} s = {rate:,.0f} records/s")
    print(
        f"  stream pass {report.split_seconds:.2f} s (read, prepare, rate and write the stateless "
        f"records, spill the rest; the first run of a process also starts the workers), "
        f"partition pass {report.rate_seconds:.2f} s; "
        f"{report.partitions} partitions, {report.workers} workers"
    )
    print(f"  worker seconds: {stages}; worker CPU {report.cpu_seconds:.1f} s")
    print(
        f"  worker peak RSS {report.worker_peak_rss_bytes / 2**20:,.0f} MiB; errors "
        f"{report.errors}; {report.pools:,} pools drawn; {report.amount_li / 1000:,.0f} yuan"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="rating runs; medians are shown")
    parser.add_argument("--scale-check", action="store_true")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this folder")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="openbss-rating-bench-"))
    try:
        print(f"plan: {SUBSCRIBERS:,} subscribers, generating {args.records:,} records …")
        plan = bench_plan()
        prefixes = len(plan.tariffs[0].destinations)
        data = work / f"usage-{args.records}"
        paths = sorted(data.glob("part-*.parquet")) or generate(data, args.records)
        print(
            f"{len(paths)} files, {sum(p.stat().st_size for p in paths) / 2**20:,.0f} MiB; "
            f"{prefixes:,} destination prefixes, 3 bands, allowances on 30 %"
        )
        started = time.perf_counter()
        columns = usage_columns(compile_plan(plan))  # compiled once; rate_parquet reuses it
        print(f"plan compiled in {time.perf_counter() - started:.2f} s (not in the figures below)")
        baseline(paths, columns)  # warm the page cache
        # Rating and its baseline alternate, so each ratio compares runs made under the same
        # conditions; the figures shown are the medians over the runs. The baseline is read
        # twice per run: "cold" after a few idle seconds, in which the allocator hands the
        # previous read's memory back to the system, so the read faults its pages in again
        # (0.8 s against 0.4 s here, CPU time doubled) — the state a rating run starts in;
        # "warm" at once after, with that memory still held. The ratio is to the cold read.
        runs: list[tuple[RateReport, float, float]] = []
        cpu_ratios: list[float] = []
        for _ in range(args.runs):
            time.sleep(IDLE_BEFORE_BASELINE_S)
            base, base_cpu = baseline(paths, columns)
            warm, _ = baseline(paths, columns)
            runs.append((run(paths, plan, work / "rated", args.workers), base, warm))
            cpu_ratios.append(runs[-1][0].cpu_seconds / base_cpu)
        runs.sort(key=lambda r: r[0].seconds)
        report = runs[len(runs) // 2][0]
        base_seconds = statistics.median(b for _, b, _ in runs)
        warm_seconds = statistics.median(w for _, _, w in runs)
        ratio = statistics.median(r.seconds / b for r, b, _ in runs)
        warm_ratio = statistics.median(r.seconds / w for r, _, w in runs)
        print(
            f"{args.runs} runs, rating seconds "
            + ", ".join(f"{r.seconds:.2f}" for r, _, _ in runs)
            + "; baseline seconds cold "
            + ", ".join(f"{b:.2f}" for _, b, _ in runs)
            + ", warm "
            + ", ".join(f"{w:.2f}" for _, _, w in runs)
        )
        show(report, "rate_parquet (median run)")
        steps = where_time_goes(paths[0], plan, work / "one-file.parquet")
        print(
            "one file in one process, seconds per million records: "
            + ", ".join(f"{name} {seconds:.2f}" for name, seconds in steps.items())
        )
        print(
            f"baseline (read the {len(columns)} columns rating reads, sum one): "
            f"{base_seconds:.2f} s = {report.records / base_seconds:,.0f} records/s"
        )
        print(f"ratio rating / baseline (median of the runs' ratios): {ratio:.2f}")
        print(
            f"  the same to the warm read ({warm_seconds:.2f} s, the memory of the read before "
            f"still held): {warm_ratio:.2f}"
        )
        print(
            "CPU ratio, the workers' CPU seconds / the baseline's (median): "
            f"{statistics.median(cpu_ratios):.2f}; worker CPU per million records "
            f"{report.cpu_seconds * 1_000_000 / report.records:.2f} s"
        )
        alone, every = scan_seconds(paths, []), scan_seconds(paths, None)
        print(
            f"  for scale: the summed column alone {alone:.2f} s; every one of the "
            f"{len(USAGE_COLUMNS_ALL)} store columns {every:.2f} s "
            f"(ratio {report.seconds / every:.2f})"
        )
        reference_rate, sampled, agree = reference_sample(paths, plan, args.sample)
        print(
            f"reference: {reference_rate:,.0f} records/s on a {sampled:,}-record sample; "
            f"vectorised agrees on every record: {agree}"
        )
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"driver process peak RSS {own:,.0f} MiB (plan of {SUBSCRIBERS:,} subscribers)")
        if args.scale_check:
            bigger = args.records * 5
            big_data = work / f"usage-{bigger}"
            big_paths = sorted(big_data.glob("part-*.parquet")) or generate(big_data, bigger)
            big = run(big_paths, plan, work / "rated-big", args.workers)
            show(big, "rate_parquet x5")
            print(
                f"peak worker RSS: {report.worker_peak_rss_bytes / 2**20:,.0f} MiB at "
                f"{report.records:,} records, {big.worker_peak_rss_bytes / 2**20:,.0f} MiB at "
                f"{big.records:,}"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
