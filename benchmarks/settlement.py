"""Interconnect settlement against the retail rating engine, on the same records, in one run.

Generates (seeded, not timed) a month of a Guangdong switch's usage as Parquet files with the
usage store's columns, trunk groups included: ``--records`` records (30 M by default) in files
of 1 M, 1 M subscribers of the rating benchmark's plan (``benchmarks/rating.py``): 60 % voice
(a third incoming), 25 % SMS, 15 % data; the other party a China Mobile or China Unicom mobile
(45 %), a China Telecom mobile (5 %), a fixed line of ours or of China Netcom (45 %), a service
number or abroad (5 %); trunk groups as the switch writes them (mobile gateway, SMS centre,
Netcom trunk, own tandem and toll centre). Then, file by file in this process, each best of
``--runs``:

* **settlement**: read the store columns settlement reads, find the interconnect traffic
  (carrier, direction, class), price it with the rating kernel under the interconnect rules,
  sum it into statement lines: records/s over all records read;
* **retail rating**: read the columns rating reads, ``usage_events``, ``prepare`` and
  ``rate_prepared`` under the rating benchmark's retail plan (121 k destinations, bands,
  allowances): records/s;
* the ratio settlement / retail rating (the goal: ≤ 1.2).

Usage:

    uv run python benchmarks/settlement.py [--records 30000000] [--runs 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import polars as pl
import pyarrow.parquet as pq

from openbss.mediation.store import USAGE_SCHEMA
from openbss.rating.partitioned import usage_columns, usage_events
from openbss.rating.vectorised import compile_plan, prepare, rate_prepared
from openbss.settlement.interconnect.classify import USAGE_COLUMNS
from openbss.settlement.interconnect.data import load_carriers, load_rules
from openbss.settlement.interconnect.settle import merge_lines, settle_usage

RECORDS_PER_FILE = 1_000_000
MONTH_START_US = 1_109_606_400_000_000  # 2005-03-01 00:00 Beijing time, in UTC µs
MONTH_US = 31 * 86_400_000_000
PRIME = 2_147_483_647
MOBILE_OTHERS = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "159"]


def _rating_benchmark() -> ModuleType:
    """The rating benchmark's plan and numbering, so both engines see the same subscribers."""
    path = Path(__file__).with_name("rating.py")
    spec = importlib.util.spec_from_file_location("rating_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rating_benchmark"] = module
    spec.loader.exec_module(module)
    return module


def _random(stream: int) -> pl.Expr:
    i = pl.col("i") + stream * 7_919 + 23
    return ((i * 1_103_515_245 + 12_345) % PRIME * 69_069 + 1) % PRIME


def _pick(values: list[str], index: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(index % len(values))


def usage_file(path: Path, first: int, count: int, subscribers: int, areas: list[str]) -> None:
    sub = _random(1) % subscribers
    area = _pick([a[1:] for a in areas], sub)
    number = pl.format("+86{}{}", area, (sub + 20_000_000).cast(pl.String))
    service_draw, other_draw, r6 = _random(3) % 100, _random(2) % 100, _random(6)
    is_voice, is_sms = service_draw < 60, (service_draw >= 60) & (service_draw < 85)
    incoming = (is_voice | is_sms) & (_random(9) % 3 == 0)
    digits = (_random(4) % 90_000_000 + 10_000_000).cast(pl.String)
    other = (
        pl.when(other_draw < 45)
        .then(pl.concat_str(pl.lit("+86"), _pick(MOBILE_OTHERS, _random(5)), digits))
        .when(other_draw < 50)
        .then(pl.concat_str(pl.lit("+86189"), digits))
        .when(other_draw < 95)
        .then(pl.concat_str(pl.lit("+86"), area, digits))
        .otherwise(_pick(["+86114", "+8610000", "+85212345678"], _random(5)))
    )
    mobile = other_draw < 50
    netcom = (other_draw >= 50) & (other_draw < 55)
    trunk = (
        pl.when(is_sms & mobile)
        .then(pl.lit("TG0601"))
        .when(mobile)
        .then(pl.lit("TG0201"))
        .when(netcom)
        .then(pl.lit("TG0701"))
        .otherwise(_pick(["TG0101", "TG0301"], _random(7)))
    )
    talk = (r6 % 1000) * (r6 % 1000) // 2000
    duration = pl.when(is_voice & (r6 % 10 == 0)).then(0).when(is_voice).then(talk + 1)
    duration = duration.when(is_sms).then(0).otherwise(r6 % 3_600)
    volume = pl.when(is_voice | is_sms).then(0).otherwise(_random(8) % (20 * 1024 * 1024))
    frame = (
        pl.LazyFrame({"i": pl.int_range(first, first + count, dtype=pl.Int64, eager=True)})
        .select(
            record_id=pl.format("st-{}", pl.col("i")),
            batch_id=pl.lit("bench"),
            source=pl.lit("switch"),
            province=pl.lit("GD"),
            event_time=(MONTH_START_US + _random(10) * 40_237 % MONTH_US).cast(
                pl.Datetime("us", "UTC")
            ),
            duration_s=duration,
            volume_up=volume // 4,
            volume_down=volume - volume // 4,
            calling=pl.when(incoming).then(other).otherwise(number),
            called=pl.when(is_voice | is_sms)
            .then(pl.when(incoming).then(number).otherwise(other))
            .otherwise(None),
            service=pl.when(is_voice)
            .then(pl.lit("voice"))
            .when(is_sms)
            .then(pl.lit("sms"))
            .otherwise(pl.lit("data")),
            direction=pl.when(incoming).then(pl.lit("mt")).otherwise(pl.lit("mo")),
            charging_party=number,
            switch_id=pl.lit("GZ-SW01"),
            call_reference=pl.col("i").cast(pl.String),
            area_code=pl.concat_str(pl.lit("0"), area),
            cell=pl.lit(None, dtype=pl.String),
            location=pl.lit(None, dtype=pl.String),
            imsi=pl.lit(None, dtype=pl.String),
            account_name=pl.lit(None, dtype=pl.String),
            roaming_partner=pl.lit(None, dtype=pl.String),
            ip_access_code=pl.lit(None, dtype=pl.String),
            product_id=pl.format("p{}", sub),
            customer_id=pl.format("c{}", sub // 3),
            billing_account_id=pl.format("a{}", sub // 3),
            raw_ref=pl.lit(None, dtype=pl.String),
            trunk_in=pl.when(incoming).then(trunk).otherwise(None),
            trunk_out=pl.when(incoming | ~(is_voice | is_sms)).then(None).otherwise(trunk),
        )
        .collect()
    )
    pq.write_table(frame.to_arrow().cast(USAGE_SCHEMA), path, compression="zstd")


def settlement_pass(paths: list[Path]) -> tuple[float, pl.DataFrame]:
    rules, carriers = load_rules(), load_carriers()
    started = time.perf_counter()
    lines = merge_lines(
        settle_usage(pl.scan_parquet(p).select(USAGE_COLUMNS), rules, carriers) for p in paths
    )
    return time.perf_counter() - started, lines


def rating_pass(paths: list[Path], plan: object) -> float:
    compiled = compile_plan(plan)  # type: ignore[arg-type]
    columns = list(usage_columns(compiled))
    started = time.perf_counter()
    for path in paths:
        raw = pl.read_parquet(path, columns=columns)
        rate_prepared(prepare(usage_events(raw), compiled), compiled)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=30_000_000)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="generate into / reuse here")
    args = parser.parse_args()
    rating = _rating_benchmark()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="openbss-settlement-bench-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for n, first in enumerate(range(0, args.records, RECORDS_PER_FILE)):
            path = folder / f"part-{n:04d}.parquet"
            if not path.exists():
                count = min(RECORDS_PER_FILE, args.records - first)
                usage_file(path, first, count, args.subscribers, rating.AREAS)
            paths.append(path)
        plan = rating.bench_plan(args.subscribers)
        compile_plan(plan)  # compiled once before the clock starts, as a service keeps it
        settle_times, rate_times = [], []
        lines = pl.DataFrame()
        for _ in range(args.runs):
            seconds, lines = settlement_pass(paths)
            settle_times.append(seconds)
            rate_times.append(rating_pass(paths, plan))
        settle, rate = min(settle_times), min(rate_times)
        priced = int(lines["records"].sum())
        print(f"records: {args.records:,} in {len(paths)} file(s); best of {args.runs}")
        print(f"interconnect records priced: {priced:,} in {lines.height} statement line(s)")
        print(f"settlement:     {settle:8.2f} s  {args.records / settle:12,.0f} records/s")
        print(f"retail rating:  {rate:8.2f} s  {args.records / rate:12,.0f} records/s")
        print(f"ratio settlement / retail rating: {settle / rate:.2f} (goal ≤ 1.2)")
        with pl.Config(tbl_rows=40, tbl_width_chars=140, fmt_str_lengths=50):
            print(lines)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
