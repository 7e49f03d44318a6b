"""Switch CSV decoding against the floor: a plain ``pyarrow.csv.read_csv`` + Parquet write.

The product goal is the whole path CSV → usage store at ≥ 1 M records/s, in at most twice
the time of reading the same file with ``pyarrow.csv.read_csv`` and writing it to Parquet.
This script measures the baseline half of that:

* **baseline**: ``pyarrow.csv.read_csv`` of the file (explicit column names, types inferred,
  header skipped, trailer set aside) and ``pyarrow.parquet.write_table`` of the result;
* **decode**: ``decode_switch_file`` with the ``huawei_csv`` layout — every field checked and
  converted (local time → UTC, integers, code tables), bad lines kept with line numbers.

The file is generated first (seeded, not timed). Each measurement is the median of
``--runs`` runs after one untimed warm-up, all in this process. It prints records/s of both
and the ratios. Usage:

    uv run python benchmarks/mediation_csv_read.py [--records 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from openbss.mediation.decoders.switch_cdr import decode_switch_file
from openbss.mediation.layouts import Layout, load_layout
from openbss.numbering.calculations import NumberKind
from openbss.simulators.traffic import Subscriber, generate_switch_files

DAY = date(2005, 3, 15)


def subscribers(count: int) -> list[Subscriber]:
    """Guangzhou fixed lines and PHS handsets, plus some Shenzhen lines (a GD local network)."""
    lines = [
        Subscriber(f"+86208{i:07d}", "020", NumberKind.PHS if i % 4 == 0 else NumberKind.FIXED)
        for i in range(count * 4 // 5)
    ]
    lines += [Subscriber(f"+86755{26000000 + i:08d}", "0755") for i in range(count // 5)]
    return lines


def make_file(folder: Path, records: int, seed: int) -> tuple[Path, float]:
    started = time.perf_counter()
    report = generate_switch_files(
        folder, subscribers(20_000), day=DAY, files=1, records_per_file=records, seed=seed
    )
    return report.files[0], time.perf_counter() - started


def baseline(path: Path, layout: Layout, out: Path) -> int:
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=[f.name for f in layout.fields], skip_rows=1),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),  # the trailer
    )
    pq.write_table(table, out)
    return int(table.num_rows)


def read_only(path: Path, layout: Layout) -> int:
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=[f.name for f in layout.fields], skip_rows=1),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
    )
    return int(table.num_rows)


def decode(path: Path, layout: Layout) -> int:
    decoded = decode_switch_file(path, layout)
    assert decoded.file_error is None, decoded.file_error
    return int(decoded.records.num_rows)


def median_seconds(work: Callable[[], int], runs: int, expected: int) -> float:
    work()  # warm-up: page cache, allocator pools, lazy imports
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = work()
        times.append(time.perf_counter() - started)
        assert rows == expected, (rows, expected)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2005)
    args = parser.parse_args()
    layout = load_layout("huawei_csv")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, generated = make_file(folder, args.records, args.seed)
        size = path.stat().st_size
        print(
            f"file: {args.records:,} records, {size / 1e6:.1f} MB, generated in {generated:.2f} s "
            f"({args.records / generated:,.0f} records/s)"
        )
        n = args.records
        read_s = median_seconds(lambda: read_only(path, layout), args.runs, n)
        base_s = median_seconds(
            lambda: baseline(path, layout, folder / "out.parquet"), args.runs, n
        )
        decode_s = median_seconds(lambda: decode(path, layout), args.runs, n)
    for label, seconds in (
        ("pyarrow.csv.read_csv", read_s),
        ("read_csv + parquet.write_table", base_s),
        ("decode_switch_file (huawei_csv)", decode_s),
    ):
        print(f"{label:<34} {seconds:7.3f} s  {n / seconds:>12,.0f} records/s")
    print(f"ratio decode / read_csv:             {decode_s / read_s:5.2f}")
    print(f"ratio decode / (read_csv + parquet): {decode_s / base_s:5.2f}")


if __name__ == "__main__":
    main()
