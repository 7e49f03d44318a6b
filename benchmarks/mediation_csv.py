"""Switch CSV CDRs → usage store: the whole mediation path against a plain read + write.

* **pipeline**: ``ingest_file`` of one generated huawei_csv file — decode, normalise numbers
  to E.164, validate, duplicate detection, guiding against a subscriber index of 20,000
  lines, Parquet parts for normalised / rejected / duplicate / keys, and the batch manifest in
  a SQLite database;
* **baseline**: ``pyarrow.csv.read_csv`` of the same file and ``pyarrow.parquet.write_table``.

Wall-clock and process CPU time (every thread) are printed; CPU time is the steadier figure
on a shared machine. Each figure is the median of ``--runs`` runs (fresh store and database
each time, so duplicate detection does its full work), after one untimed warm-up. Usage:

    uv run python benchmarks/mediation_csv.py [--records 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mediation_csv_read import baseline, make_file, subscribers

from openbss.db.engine import make_engine, make_session_factory
from openbss.mediation.layouts import load_layout
from openbss.mediation.pipeline import Ingest, ingest_file
from openbss.registry import metadata
from openbss.simulators.traffic import Subscriber


def index_of(lines: list[Subscriber]) -> pl.DataFrame:
    """A subscriber index as guiding reads it from the inventory, for these lines."""
    count = len(lines)
    return pl.DataFrame(
        {
            "service_id": [s.number for s in lines],
            "product_id": [f"p{n}" for n in range(count)],
            "customer_id": [f"c{n}" for n in range(count)],
            "billing_account_id": [f"a{n}" for n in range(count)],
            "valid_from": [datetime(2000, 1, 1, tzinfo=UTC)] * count,
            "valid_to": [datetime(9999, 12, 31, tzinfo=UTC)] * count,
        },
        schema_overrides={
            "valid_from": pl.Datetime("us", "UTC"),
            "valid_to": pl.Datetime("us", "UTC"),
        },
    )


def pipeline_once(path: Path, index: pl.DataFrame, work: Path) -> tuple[float, float, int]:
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    metadata.create_all(engine)
    ingest = Ingest(make_session_factory(engine), work / "data", "GD", default_area="020")
    ingest._index = index  # the inventory read is per run, not per file: not what is timed
    started, cpu = time.perf_counter(), time.process_time()
    outcome = ingest_file(ingest, path, file_format="huawei_csv")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    assert outcome.status == "done", outcome
    return elapsed, cpu, outcome.records_in


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    layout = load_layout("huawei_csv")
    lines = subscribers(20_000)
    index = index_of(lines)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, _ = make_file(folder, args.records, seed=2005)
        pipeline_times, pipeline_cpu, baseline_times, baseline_cpu = [], [], [], []
        records = 0
        for run in range(args.runs + 1):
            work = folder / f"run-{run}"
            work.mkdir()
            elapsed, cpu, records = pipeline_once(path, index, work)
            started, plain_cpu = time.perf_counter(), time.process_time()
            baseline(path, layout, work / "baseline.parquet")
            plain, plain_cpu = time.perf_counter() - started, time.process_time() - plain_cpu
            if run > 0:  # the first run warms caches and imports
                pipeline_times.append(elapsed)
                pipeline_cpu.append(cpu)
                baseline_times.append(plain)
                baseline_cpu.append(plain_cpu)
        pipe = statistics.median(pipeline_times)
        base = statistics.median(baseline_times)
        print(f"switch CSV → usage store, {records:,} records, median of {args.runs} runs")
        cpu, base_cpu = statistics.median(pipeline_cpu), statistics.median(baseline_cpu)
        print(f"  pipeline  {records / pipe:12,.0f} records/s  ({pipe:.2f} s, CPU {cpu:.2f} s)")
        print(
            f"  baseline  {records / base:12,.0f} records/s  ({base:.2f} s, CPU {base_cpu:.2f} s)"
            "  read_csv + write_table"
        )
        print(f"  ratio pipeline / baseline: {pipe / base:.2f} (CPU time: {cpu / base_cpu:.2f})")


if __name__ == "__main__":
    main()
